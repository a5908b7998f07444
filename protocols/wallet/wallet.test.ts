/**
 * The Wallet API itself: passphrase wallets (Argon2id, light parameters so
 * this also runs in XS), rekey between passphrase and raw key, input rules,
 * reserved types, and typed errors that leave the storage untouched.
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { KEY_RECORD_META, keyRecordKdf } from './key-record.ts';
import { MemoryStorage } from './memory.ts';
import { Wallet } from './wallet.ts';

const LIGHT = { m: 64, t: 1, p: 1 };

describe('Wallet', () => {
  it('creates and opens with a passphrase; a wrong passphrase changes nothing', async () => {
    const storage = new MemoryStorage();
    const w = await Wallet.create(storage, { passphrase: 'open sesame', argon2: LIGHT });
    await w.add({ type: 'note', id: '1', value: 'v', tags: { a: 'b' } });
    const record = await storage.getMeta(KEY_RECORD_META);
    await expectCodeAsync(() => Wallet.open(storage, { passphrase: 'open sesamE' }), 'wallet.wrong_passphrase');
    await expectCodeAsync(() => Wallet.open(storage, { rawKey: new Uint8Array(32) }), 'wallet.key_method_mismatch');
    expect(await storage.getMeta(KEY_RECORD_META)).toEqual(record);
    const again = await Wallet.open(storage, { passphrase: 'open sesame' });
    expect(await again.get('note', '1')).toEqual({ type: 'note', id: '1', value: 'v', tags: { a: 'b' } });
  });

  it('rekeys from a passphrase to a raw device key and back, items untouched', async () => {
    const storage = new MemoryStorage();
    const w = await Wallet.create(storage, { passphrase: 'one', argon2: LIGHT });
    await w.addMany([
      { type: 't', id: '1', value: 'a' },
      { type: 't', id: '2', value: 'b' },
    ]);
    const raw = { rawKey: new Uint8Array(32).fill(0x42) };
    await w.rekey(raw);
    expect(keyRecordKdf((await storage.getMeta(KEY_RECORD_META)) as Uint8Array)).toEqual({ alg: 'raw' });
    await expectCodeAsync(() => Wallet.open(storage, { passphrase: 'one' }), 'wallet.key_method_mismatch');
    const w2 = await Wallet.open(storage, raw);
    await w2.rekey({ passphrase: 'two', argon2: LIGHT });
    const w3 = await Wallet.open(storage, { passphrase: 'two' });
    expect((await w3.search('t')).map((i) => i.value).sort()).toEqual(['a', 'b']);
  });

  it('fails a rekey that raced another one, without writing', async () => {
    const storage = new MemoryStorage();
    const a = await Wallet.create(storage, { rawKey: new Uint8Array(32).fill(1) });
    const b = await Wallet.open(storage, { rawKey: new Uint8Array(32).fill(1) });
    // b's rekey reads the record, then a's rekey lands first: b's swap must fail.
    const getMeta = storage.getMeta.bind(storage);
    let hook: (() => Promise<void>) | undefined = async () => {
      hook = undefined;
      await a.rekey({ rawKey: new Uint8Array(32).fill(2) });
    };
    storage.getMeta = async (name: string) => {
      const r = await getMeta(name);
      if (hook) await hook();
      return r;
    };
    await expectCodeAsync(() => b.rekey({ rawKey: new Uint8Array(32).fill(3) }), 'wallet.concurrent_change');
    storage.getMeta = getMeta;
    await Wallet.open(storage, { rawKey: new Uint8Array(32).fill(2) });
  });

  it('refuses bad items and queries with typed errors', async () => {
    const w = await Wallet.create(new MemoryStorage(), { rawKey: new Uint8Array(32) });
    const bad: unknown[] = [
      { type: '', id: '1', value: 'v' },
      { type: 't', id: '', value: 'v' },
      { type: 't', id: '1', value: 5 },
      { type: 't', id: '\uDC00', value: 'v' },
      { type: 't\u0000', id: '1', value: 'v' },
      { type: 't', id: '1', value: 'v', tags: { a: 1 } },
      { type: 't', id: '1', value: 'v', tags: { $a: 'x' } },
      { type: 't', id: '1', value: 'v', tags: { '~': 'x' } },
      { type: 't', id: '1', value: 'v', tags: ['x'] },
      { type: 't', id: '1', value: 'v', tags: { a: 'x'.repeat(1025) } },
      { type: 'x'.repeat(257), id: '1', value: 'v' },
      null,
    ];
    for (const item of bad) await expectCodeAsync(() => w.add(item as never), 'wallet.invalid_item');
    await expectCodeAsync(() => w.add({ type: 'ssiot:key', id: 'k', value: '{}' }), 'wallet.reserved_type');
    await expectCodeAsync(() => w.search('t', { a: { $gt: 'x' } }), 'wallet.invalid_query');
    await expectCodeAsync(() => w.search('t', {}, { limit: -1 }), 'wallet.invalid_query');
    expect(await w.count()).toBe(0);
    // A value may hold anything, NUL included; a tag value may be empty; a tag may be named __proto__.
    await w.add({ type: 't', id: '1', value: 'a\u0000b', tags: JSON.parse('{"e":"","__proto__":"p"}') as Record<string, string> });
    const got = await w.get('t', '1');
    expect(got?.value).toBe('a\u0000b');
    expect(Object.keys(got?.tags ?? {}).sort()).toEqual(['__proto__', 'e']);
    expect((await w.search('t', JSON.parse('{"__proto__":"p"}') as Record<string, unknown>)).length).toBe(1);
  });

  it('refuses use after close and opening storage without a wallet', async () => {
    const storage = new MemoryStorage();
    await expectCodeAsync(() => Wallet.open(storage, { rawKey: new Uint8Array(32) }), 'wallet.not_found');
    const w = await Wallet.create(storage, { rawKey: new Uint8Array(32) });
    await w.close();
    await expectCodeAsync(() => w.get('t', '1'), 'wallet.closed');
    await expectCodeAsync(() => Wallet.create(new MemoryStorage(), { passphrase: '' }), 'wallet.invalid_key');
  });
});
