/**
 * The export file format (export.ts): header with KDF parameters, per-chunk
 * nonces, final chunk with totals, and clear errors for a wrong key, a
 * truncated, a modified, a reordered or an extended file.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { engine } from '../../tests/support/vectors.ts';
import { concatBytes, utf8Decode } from '../encoding/bytes.ts';
import { exportItems, importItems, inspectExport } from './export.ts';
import type { WalletItem } from './types.ts';

const RAW = { rawKey: new Uint8Array(32).fill(4) };

async function* from(items: WalletItem[]): AsyncIterable<WalletItem> {
  for (const i of items) yield i;
}

function sample(n: number): WalletItem[] {
  const out: WalletItem[] = [];
  for (let i = 0; i < n; i++) out.push({ type: i % 2 ? 'a' : 'b', id: `item-${i}`, value: 'v'.repeat(i * 7), tags: { k: String(i), '~n': String(i).padStart(4, '0') } });
  return out;
}

/** Splits a file into its parts: [magic+header+check, chunk, chunk, …]. */
function parts(file: Uint8Array): Uint8Array[] {
  const hlen = (file[8] << 24) | (file[9] << 16) | (file[10] << 8) | file[11];
  let pos = 12 + hlen + 32;
  const out = [file.subarray(0, pos)];
  while (pos < file.length) {
    const len = ((file[pos] & 0x7f) << 24) | (file[pos + 1] << 16) | (file[pos + 2] << 8) | file[pos + 3];
    out.push(file.subarray(pos, pos + 4 + len));
    pos += 4 + len;
  }
  return out;
}

describe('wallet export format', () => {
  it('round-trips items across many chunks, and the header states the KDF', async () => {
    const items = sample(60);
    const file = await exportItems(from(items), RAW, { chunkSize: 1024 });
    expect(utf8Decode(file.subarray(0, 8))).toBe('SSIOTWX1');
    expect(inspectExport(file)).toEqual({ version: 1, kdf: { alg: 'raw' }, aead: 'XC20P', chunkSize: 1024 });
    const p = parts(file);
    expect(p.length).toBeGreaterThan(5);
    expect(p[p.length - 1][0] & 0x80).toBe(0x80); // only the last chunk has the final flag
    expect(p.slice(1, -1).every((c) => (c[0] & 0x80) === 0)).toBe(true);
    expect(importItems(file, RAW)).toEqual(items);
  });

  it('exports an empty wallet as a header and a final chunk', async () => {
    const file = await exportItems(from([]), RAW);
    expect(parts(file)).toHaveLength(2);
    expect(importItems(file, RAW)).toEqual([]);
  });

  it('protects with a passphrase: Argon2id parameters in the header, wrong passphrase is typed', async () => {
    const key = { passphrase: 'export me', argon2: { m: 64, t: 1, p: 1 } };
    const file = await exportItems(from(sample(3)), key);
    const h = inspectExport(file);
    expect(h.kdf.alg === 'argon2id' && [h.kdf.m, h.kdf.t, h.kdf.p, h.kdf.salt.length]).toEqual([64, 1, 1, 16]);
    expect(importItems(file, { passphrase: 'export me' })).toEqual(sample(3));
    expectCode(() => importItems(file, { passphrase: 'export mE' }), 'wallet.wrong_passphrase');
    expectCode(() => importItems(file, RAW), 'wallet.key_method_mismatch');
  });

  it('gives clear errors for wrong key, truncation, modification, reordering and extra data', async () => {
    const file = await exportItems(from(sample(30)), RAW, { chunkSize: 1024 });
    const p = parts(file);
    expectCode(() => importItems(file, { rawKey: new Uint8Array(32).fill(5) }), 'wallet.wrong_key');
    // Truncation anywhere, including exactly at a chunk boundary (final chunk dropped).
    expectCode(() => importItems(concatBytes(...p.slice(0, -1)), RAW), 'wallet.export_truncated');
    expectCode(() => importItems(file.subarray(0, file.length - 1), RAW), 'wallet.export_truncated');
    expectCode(() => importItems(file.subarray(0, 20), RAW), 'wallet.export_truncated');
    // A dropped middle chunk, swapped chunks, a duplicated chunk: index in the nonce.
    expectCode(() => importItems(concatBytes(p[0], p[1], ...p.slice(3)), RAW), 'wallet.export_corrupted');
    expectCode(() => importItems(concatBytes(p[0], p[2], p[1], ...p.slice(3)), RAW), 'wallet.export_corrupted');
    expectCode(() => importItems(concatBytes(p[0], p[1], p[1], ...p.slice(2)), RAW), 'wallet.export_corrupted');
    // Bytes after the final chunk.
    expectCode(() => importItems(concatBytes(file, new Uint8Array([0, 0, 0, 0])), RAW), 'wallet.export_corrupted');
    // Final flag moved onto a data chunk.
    const early = concatBytes(p[0], p[1].slice());
    early[p[0].length] |= 0x80;
    expectCode(() => importItems(early, RAW), 'wallet.export_corrupted');
    // Not an export.
    expectCode(() => importItems(new Uint8Array([1, 2, 3]), RAW), 'wallet.export_invalid');
    const v2 = file.slice();
    v2[7] = 0x32;
    expectCode(() => importItems(v2, RAW), 'wallet.export_invalid');
  });

  it('detects a flipped bit anywhere in the file', async () => {
    const file = await exportItems(from(sample(8)), RAW, { chunkSize: 1024 });
    const step = engine() === 'xs' ? 37 : 1;
    const codes = new Set<string>();
    for (let at = 8; at < file.length; at += step) {
      const bad = file.slice();
      bad[at] ^= 0x10;
      let code = 'accepted';
      try {
        importItems(bad, RAW);
      } catch (e) {
        code = (e as { code?: string }).code ?? 'untyped';
      }
      codes.add(code);
    }
    expect(codes.has('accepted')).toBe(false);
    expect(codes.has('untyped')).toBe(false);
    expect(Array.from(codes).every((c) => c.startsWith('wallet.'))).toBe(true);
  });
});
