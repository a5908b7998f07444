/**
 * The wallet's cryptography: deterministic searchable encryption with
 * HMAC-derived nonces and per-column keys, randomized and row-bound item
 * values, the key record (Argon2id or raw key), and its failure modes.
 */
import { describe, expect, it } from 'vitest';
import { argon2id } from '@noble/hashes/argon2.js';
import { expectCode } from '../../tests/support/assert.ts';
import { engine } from '../../tests/support/vectors.ts';
import { getCrypto } from '../crypto/index.ts';
import { bytesToHex, concatBytes, hexToBytes, utf8Encode } from '../encoding/bytes.ts';
import { cborDecode, cborEncode } from '../encoding/cbor.ts';
import {
  decryptSearchable,
  encryptSearchable,
  generateColumnKeys,
  itemAad,
  openValue,
  sealValue,
  tagValueContext,
} from './column-crypto.ts';
import { ItemCipher } from './item-cipher.ts';
import { DEFAULT_ARGON2, MIN_ARGON2, deriveKey } from './kdf.ts';
import { keyRecordKdf, openKeyRecord, sealKeyRecord } from './key-record.ts';

const key = (b: number) => new Uint8Array(32).fill(b);

describe('searchable (deterministic) encryption', () => {
  it('is deterministic, decryptable, and its nonce is the HMAC of the plaintext', () => {
    const k = key(1);
    const h = key(2);
    const a = encryptSearchable(k, h, utf8Encode('credential'));
    const b = encryptSearchable(k, h, utf8Encode('credential'));
    expect(bytesToHex(a)).toBe(bytesToHex(b));
    expect(a.length).toBe(24 + 'credential'.length + 16);
    expect(bytesToHex(a.subarray(0, 24))).toBe(bytesToHex(getCrypto().hmac('sha256', h, utf8Encode('credential')).subarray(0, 24)));
    expect(new TextDecoder().decode(decryptSearchable(k, a))).toBe('credential');
    expect(bytesToHex(encryptSearchable(k, h, utf8Encode('credentiaL')))).not.toBe(bytesToHex(a));
  });

  it('differs per column key, per HMAC key and per tag-name context', () => {
    const pt = utf8Encode('red');
    const base = bytesToHex(encryptSearchable(key(1), key(2), pt));
    expect(bytesToHex(encryptSearchable(key(3), key(2), pt))).not.toBe(base);
    expect(bytesToHex(encryptSearchable(key(1), key(4), pt))).not.toBe(base);
    const color = encryptSearchable(key(1), key(2), pt, tagValueContext(utf8Encode('color')));
    const hue = encryptSearchable(key(1), key(2), pt, tagValueContext(utf8Encode('hue')));
    expect(bytesToHex(color)).not.toBe(bytesToHex(hue));
  });

  it('fails authentication on any change: wallet.corrupted_item', () => {
    const blob = encryptSearchable(key(1), key(2), utf8Encode('x'));
    for (const at of [0, 23, 24, blob.length - 1]) {
      const bad = blob.slice();
      bad[at] ^= 1;
      expectCode(() => decryptSearchable(key(1), bad), 'wallet.corrupted_item');
    }
    expectCode(() => decryptSearchable(key(9), blob), 'wallet.corrupted_item');
    expectCode(() => decryptSearchable(key(1), blob.subarray(0, 30)), 'wallet.corrupted_item');
  });
});

describe('item values', () => {
  it('use a fresh random nonce each time and are bound to their row', () => {
    const k = key(5);
    const aad = itemAad(utf8Encode('T'), utf8Encode('I'));
    const one = sealValue(k, utf8Encode('secret'), aad);
    const two = sealValue(k, utf8Encode('secret'), aad);
    expect(bytesToHex(one)).not.toBe(bytesToHex(two));
    expect(new TextDecoder().decode(openValue(k, one, aad))).toBe('secret');
    expectCode(() => openValue(k, one, itemAad(utf8Encode('T'), utf8Encode('J'))), 'wallet.corrupted_item');
  });

  it('hide the value: no plaintext in the stored form, and tags follow RFC 0050', () => {
    const cipher = new ItemCipher(generateColumnKeys());
    const stored = cipher.encryptItem({ type: 'cred', id: 'id-1', value: 'VERY-SECRET-VALUE', tags: { issuer: 'did:x', '~date': '2025' } });
    const text = new TextDecoder('utf-8', { fatal: false }).decode(concatBytes(stored.type, stored.id, stored.value, ...stored.tags.map((t) => concatBytes(t.name, t.value))));
    expect(text).not.toContain('VERY-SECRET-VALUE');
    expect(text).not.toContain('did:x');
    expect(text).not.toContain('issuer');
    expect(text).not.toContain('cred');
    const plain = stored.tags.find((t) => t.plain);
    expect(plain && new TextDecoder().decode(plain.value)).toBe('2025');
    expect(stored.tags.filter((t) => !t.plain)).toHaveLength(1);
    // Same id twice: same index bytes (searchable), different value bytes (random nonce).
    const again = cipher.encryptItem({ type: 'cred', id: 'id-1', value: 'VERY-SECRET-VALUE', tags: {} });
    expect(bytesToHex(again.id)).toBe(bytesToHex(stored.id));
    expect(bytesToHex(again.value)).not.toBe(bytesToHex(stored.value));
    expect(cipher.decryptItem(stored)).toEqual({ type: 'cred', id: 'id-1', value: 'VERY-SECRET-VALUE', tags: { issuer: 'did:x', '~date': '2025' } });
  });
});

describe('key record', () => {
  const light = { m: MIN_ARGON2.m, t: 1, p: 1 };

  it('wraps the column keys under a raw key; a wrong key is wallet.wrong_key', () => {
    const cols = generateColumnKeys();
    const record = sealKeyRecord(cols, { rawKey: key(7) });
    expect(openKeyRecord(record, { rawKey: key(7) })).toEqual(cols);
    expectCode(() => openKeyRecord(record, { rawKey: key(8) }), 'wallet.wrong_key');
    expectCode(() => openKeyRecord(record, { passphrase: 'x' }), 'wallet.key_method_mismatch');
    expectCode(() => openKeyRecord(record, { rawKey: new Uint8Array(16) }), 'wallet.invalid_key');
    expect(keyRecordKdf(record)).toEqual({ alg: 'raw' });
  });

  it('wraps under a passphrase with Argon2id; parameters travel in the record', () => {
    const cols = generateColumnKeys();
    const record = sealKeyRecord(cols, { passphrase: 'correct horse', argon2: light });
    const kdf = keyRecordKdf(record);
    expect(kdf.alg).toBe('argon2id');
    expect(kdf.alg === 'argon2id' && [kdf.m, kdf.t, kdf.p, kdf.salt.length]).toEqual([light.m, 1, 1, 16]);
    expect(openKeyRecord(record, { passphrase: 'correct horse' })).toEqual(cols);
    expectCode(() => openKeyRecord(record, { passphrase: 'correct horsE' }), 'wallet.wrong_passphrase');
    expectCode(() => openKeyRecord(record, { passphrase: '' }), 'wallet.invalid_key');
  });

  it('refuses edited KDF parameters, out-of-range costs and garbage', () => {
    const record = sealKeyRecord(generateColumnKeys(), { passphrase: 'pw', argon2: light });
    const r = cborDecode(record) as Record<string, unknown>;
    const kdf = r.kdf as Record<string, unknown>;
    // Raising t changes the derived key AND the authenticated header: it cannot open.
    expectCode(() => openKeyRecord(cborEncode({ ...r, kdf: { ...kdf, t: 2 } }), { passphrase: 'pw' }), 'wallet.wrong_passphrase');
    expectCode(() => openKeyRecord(cborEncode({ ...r, kdf: { ...kdf, m: 1 << 30 } }), { passphrase: 'pw' }), 'wallet.invalid_kdf');
    expectCode(() => openKeyRecord(cborEncode({ ...r, kdf: { ...kdf, t: 0 } }), { passphrase: 'pw' }), 'wallet.invalid_kdf');
    expectCode(() => openKeyRecord(cborEncode({ ...r, v: 2 }), { passphrase: 'pw' }), 'wallet.invalid_key_record');
    expectCode(() => openKeyRecord(new Uint8Array([1, 2, 3]), { passphrase: 'pw' }), 'wallet.invalid_key_record');
    expectCode(() => sealKeyRecord(generateColumnKeys(), { passphrase: 'pw', argon2: { m: 4, t: 1, p: 1 } }), 'wallet.invalid_kdf');
  });

  it('uses OWASP Argon2id defaults (19 MiB, t=2, p=1)', () => {
    expect(DEFAULT_ARGON2).toEqual({ m: 19456, t: 2, p: 1 });
  });

  it('derives with @noble/hashes argon2id exactly', () => {
    const salt = hexToBytes('000102030405060708090a0b0c0d0e0f');
    const k = deriveKey({ passphrase: 'pässword' }, { alg: 'argon2id', m: 64, t: 1, p: 1, salt });
    expect(bytesToHex(k)).toBe(bytesToHex(argon2id(utf8Encode('pässword'), salt, { m: 64, t: 1, p: 1, dkLen: 32 })));
  });

  it.skipIf(engine() === 'xs')('opens a default-cost record (Node only: 19 MiB of Argon2)', () => {
    const cols = generateColumnKeys();
    const record = sealKeyRecord(cols, { passphrase: 'correct horse battery staple' });
    expect(keyRecordKdf(record)).toMatchObject({ alg: 'argon2id', m: 19456, t: 2, p: 1 });
    expect(openKeyRecord(record, { passphrase: 'correct horse battery staple' })).toEqual(cols);
  });
});
