/**
 * The ONE behaviour suite every storage backend passes: memory and
 * key-value (protocols/wallet/store.test.ts, also inside XS), SQLite and
 * PostgreSQL (hosts/node/wallet/*.test.ts). It drives the backends through
 * the Wallet, so it checks what users see: items, every WQL operator and edge
 * case, atomic batches, rekey by one write, typed errors that change nothing,
 * corruption detection, export/import between instances, keys.
 *
 * Neutral code may not import vitest (only *.test.ts files may), so the test
 * file passes its `describe`, `it` and `expect` in.
 */
import { WalletError } from '../errors.ts';
import { getCrypto } from '../crypto/index.ts';
import { matchStoredTags, sameBytes } from './match.ts';
import type { StoredItem, WalletItem, WalletStorage } from './types.ts';
import { Wallet } from './wallet.ts';

export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toHaveLength(n: number): void;
  toBeUndefined(): void;
  toBeGreaterThan(n: number): void;
  toBeTruthy(): void;
  not: Matchers;
}

/** The part of vitest (or the XS shim) the suite uses. */
export interface SuiteApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void>): void;
  expect(actual: unknown): Matchers;
}

/** A backend under test: `fresh()` gives empty storage each time; `reopen` reopens the same one (persistent backends). */
export interface BackendUnderTest {
  name: string;
  fresh(): Promise<{ storage: WalletStorage; reopen?: () => Promise<WalletStorage> }>;
}

/** Counts storage calls that write (rekey must make exactly one). */
export function countingStorage(inner: WalletStorage): { storage: WalletStorage; writes: Record<string, number> } {
  const writes: Record<string, number> = { initMeta: 0, swapMeta: 0, addItems: 0, replaceItem: 0, deleteItem: 0 };
  const storage: WalletStorage = {
    kind: inner.kind,
    getMeta: (n) => inner.getMeta(n),
    initMeta: (n, v) => (writes.initMeta++, inner.initMeta(n, v)),
    swapMeta: (n, e, v) => (writes.swapMeta++, inner.swapMeta(n, e, v)),
    getItem: (t, i) => inner.getItem(t, i),
    addItems: (items) => (writes.addItems++, inner.addItems(items)),
    replaceItem: (item) => (writes.replaceItem++, inner.replaceItem(item)),
    deleteItem: (t, i) => (writes.deleteItem++, inner.deleteItem(t, i)),
    searchItems: (t, q, o) => inner.searchItems(t, q, o),
    scanItems: () => inner.scanItems(),
    countItems: () => inner.countItems(),
    close: () => inner.close(),
  };
  return { storage, writes };
}

export const RAW_KEY = new Uint8Array(32).fill(7);
const KEY = { rawKey: RAW_KEY };
const OTHER_KEY = { rawKey: new Uint8Array(32).fill(9) };

/**
 * Items for the WQL tests. `color`/`size` are encrypted tags, `~n` a
 * zero-padded plaintext number, `~name` plaintext text with edge characters.
 */
export const WQL_FIXTURE: WalletItem[] = [
  { type: 'thing', id: 'a', value: 'A', tags: { color: 'red', size: 'S', '~n': '01', '~name': 'apple' } },
  { type: 'thing', id: 'b', value: 'B', tags: { color: 'green', size: 'M', '~n': '02', '~name': 'Apple' } },
  { type: 'thing', id: 'c', value: 'C', tags: { color: 'blue', '~n': '10', '~name': 'a_b%c' } },
  { type: 'thing', id: 'd', value: 'D', tags: { size: 'L', '~n': '9', '~name': 'a\\b' } },
  { type: 'thing', id: 'e', value: 'E', tags: { color: 'red', '~name': '\uFFFF' } },
  { type: 'thing', id: 'f', value: 'F', tags: { '~name': '\u{10000}', '~color': 'red' } },
  { type: 'thing', id: 'g', value: 'G', tags: { '~name': 'Zebra' } },
  { type: 'other', id: 'a', value: 'other A', tags: { color: 'red' } },
];

/** [query, ids expected] — each a documented WQL rule (wql.ts). */
export const WQL_CASES: [string, unknown, string[]][] = [
  ['{} matches every item of the type', {}, ['a', 'b', 'c', 'd', 'e', 'f', 'g']],
  ['$and [] matches every item', { $and: [] }, ['a', 'b', 'c', 'd', 'e', 'f', 'g']],
  ['$or [] matches nothing', { $or: [] }, []],
  ['eq on an encrypted tag', { color: 'red' }, ['a', 'e']],
  ['$eq spelled out', { color: { $eq: 'red' } }, ['a', 'e']],
  ['encrypted and ~ tags of the same name are different tags', { '~color': 'red' }, ['f']],
  ['$neq needs the tag present', { color: { $neq: 'red' } }, ['b', 'c']],
  ['$not is negation: matches items lacking the tag', { $not: { color: 'red' } }, ['b', 'c', 'd', 'f', 'g']],
  ['$in', { size: { $in: ['S', 'L', 'XL'] } }, ['a', 'd']],
  ['$in [] matches nothing', { size: { $in: [] } }, []],
  ['$gt is bytewise, not numeric ("9" > "10")', { '~n': { $gt: '09' } }, ['c', 'd']],
  ['$gte', { '~n': { $gte: '02' } }, ['b', 'c', 'd']],
  ['$lt', { '~n': { $lt: '02' } }, ['a']],
  ['$lte', { '~n': { $lte: '02' } }, ['a', 'b']],
  ['two operators on one tag are AND-ed', { '~n': { $gte: '02', $lt: '9' } }, ['b', 'c']],
  ['uppercase sorts before lowercase', { '~name': { $lt: 'a' } }, ['b', 'g']],
  ['code point order: U+FFFF < U+10000 (UTF-16 says otherwise)', { '~name': { $gt: '\uFFFF' } }, ['f']],
  ['code point order, the other side', { '~name': { $lt: '\u{10000}', $gt: 'z' } }, ['e']],
  ['$like % matches any run, case-sensitive', { '~name': { $like: 'a%' } }, ['a', 'c', 'd']],
  ['$like _ is exactly one character', { '~name': { $like: 'a_b' } }, ['d']],
  ['$like _ is one code point (astral)', { '~name': { $like: '_' } }, ['e', 'f']],
  ['$like has no escape: \\ is literal', { '~name': { $like: 'a\\%' } }, ['d']],
  ['$like: % and _ in the value are matched by wildcards only', { '~name': { $like: 'a_b_c' } }, ['c']],
  ['$like without wildcards is equality', { '~name': { $like: 'apple' } }, ['a']],
  ['$like % alone matches present tags, even empty', { '~n': { $like: '%' } }, ['a', 'b', 'c', 'd']],
  ['nested $or / $and / $not', { $or: [{ color: 'red', '~n': '01' }, { $and: [{ size: 'L' }, { $not: { color: 'red' } }] }] }, ['a', 'd']],
  ['$not of $or', { $not: { $or: [{ color: 'red' }, { color: 'green' }] } }, ['c', 'd', 'f', 'g']],
  ['several keys are AND-ed', { color: 'red', '~name': 'apple' }, ['a']],
  ['no match', { color: 'purple' }, []],
];

async function rejectsWith(api: SuiteApi, fn: () => Promise<unknown>, code: string): Promise<void> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  api.expect(thrown instanceof Error ? (thrown as WalletError).code : 'no error').toBe(code);
}

const ids = (items: WalletItem[]) => items.map((i) => i.id).sort();

async function fixtureWallet(storage: WalletStorage): Promise<Wallet> {
  const w = await Wallet.create(storage, KEY);
  await w.addMany(WQL_FIXTURE);
  return w;
}

/** Flips one bit of a stored byte array (simulates disk corruption or tampering). */
function flip(b: Uint8Array, at: number): Uint8Array {
  const c = b.slice();
  c[at % c.length] ^= 0x01;
  return c;
}

/** Registers the suite for one backend. */
export function defineStorageSuite(api: SuiteApi, backend: BackendUnderTest): void {
  const { describe, it, expect } = api;

  describe(`wallet storage suite: ${backend.name}`, () => {
    it('adds, gets, updates and deletes items', async () => {
      const { storage } = await backend.fresh();
      const w = await Wallet.create(storage, KEY);
      await w.add({ type: 'note', id: 'n1', value: 'héllo \u{1F600}', tags: { topic: 'greeting', '~lang': 'fr' } });
      await w.add({ type: 'note', id: 'n2', value: '' });
      expect(await w.get('note', 'n1')).toEqual({ type: 'note', id: 'n1', value: 'héllo \u{1F600}', tags: { topic: 'greeting', '~lang': 'fr' } });
      expect(await w.get('note', 'n2')).toEqual({ type: 'note', id: 'n2', value: '', tags: {} });
      expect(await w.get('note', 'missing')).toBeUndefined();
      expect(await w.get('other', 'n1')).toBeUndefined();

      await w.update('note', 'n1', { value: 'bye' });
      expect((await w.get('note', 'n1'))?.tags).toEqual({ topic: 'greeting', '~lang': 'fr' });
      await w.update('note', 'n1', { tags: { topic: 'farewell' } });
      expect(await w.get('note', 'n1')).toEqual({ type: 'note', id: 'n1', value: 'bye', tags: { topic: 'farewell' } });
      expect(ids(await w.search('note', { topic: 'greeting' }))).toEqual([]);
      expect(ids(await w.search('note', { topic: 'farewell' }))).toEqual(['n1']);
      expect(ids(await w.search('note', { '~lang': 'fr' }))).toEqual([]);
      await rejectsWith(api, () => w.update('note', 'nope', { value: 'x' }), 'wallet.not_found');

      expect(await w.delete('note', 'n1')).toBe(true);
      expect(await w.delete('note', 'n1')).toBe(false);
      expect(await w.get('note', 'n1')).toBeUndefined();
      expect(ids(await w.search('note'))).toEqual(['n2']);
      expect(await w.count()).toBe(1);
      await w.close();
    });

    it('refuses a duplicate and keeps the original', async () => {
      const { storage } = await backend.fresh();
      const w = await Wallet.create(storage, KEY);
      await w.add({ type: 't', id: 'x', value: 'first', tags: { k: 'v' } });
      await rejectsWith(api, () => w.add({ type: 't', id: 'x', value: 'second' }), 'wallet.duplicate');
      expect(await w.get('t', 'x')).toEqual({ type: 't', id: 'x', value: 'first', tags: { k: 'v' } });
      await w.close();
    });

    it('adds a batch atomically: one duplicate and none of the batch goes in', async () => {
      const { storage } = await backend.fresh();
      const w = await Wallet.create(storage, KEY);
      await w.add({ type: 't', id: 'x', value: 'x' });
      const batch = [
        { type: 't', id: 'b1', value: '1' },
        { type: 't', id: 'b2', value: '2' },
        { type: 't', id: 'x', value: 'dup' },
      ];
      await rejectsWith(api, () => w.addMany(batch), 'wallet.duplicate');
      expect(await w.count()).toBe(1);
      await rejectsWith(api, () => w.addMany([{ type: 't', id: 'y', value: '1' }, { type: 't', id: 'y', value: '2' }]), 'wallet.duplicate');
      expect(await w.count()).toBe(1);
      await w.addMany(batch.slice(0, 2));
      expect(ids(await w.search('t'))).toEqual(['b1', 'b2', 'x']);
      await w.close();
    });

    it('keeps types apart and pages with limit/offset', async () => {
      const { storage } = await backend.fresh();
      const w = await fixtureWallet(storage);
      expect(ids(await w.search('other', { color: 'red' }))).toEqual(['a']);
      expect((await w.get('other', 'a'))?.value).toBe('other A');
      const all = ids(await w.search('thing'));
      const pages: string[] = [];
      for (let offset = 0; offset < 7; offset += 3) pages.push(...ids(await w.search('thing', {}, { offset, limit: 3 })));
      expect(pages.sort()).toEqual(all);
      expect(await w.search('thing', {}, { limit: 0 })).toHaveLength(0);
      expect(await w.search('thing', {}, { offset: 100 })).toHaveLength(0);
      expect(await w.search('nothing-of-this-type')).toHaveLength(0);
      await w.close();
    });

    it('answers every WQL operator and edge case as documented', async () => {
      const { storage } = await backend.fresh();
      const w = await fixtureWallet(storage);
      for (const [name, query, expected] of WQL_CASES) {
        const got = ids(await w.search('thing', query as Record<string, unknown>));
        expect({ case: name, ids: got }).toEqual({ case: name, ids: expected });
      }
      // The same query given as JSON text.
      expect(ids(await w.search('thing', JSON.stringify({ '~n': { $gte: '02' } })))).toEqual(['b', 'c', 'd']);
      await w.close();
    });

    it('refuses ranges and $like on encrypted tags, before touching storage', async () => {
      const { storage } = await backend.fresh();
      const w = await fixtureWallet(storage);
      for (const op of ['$gt', '$gte', '$lt', '$lte', '$like']) {
        await rejectsWith(api, () => w.search('thing', { color: { [op]: 'r' } }), 'wallet.invalid_query');
      }
      await rejectsWith(api, () => w.search('thing', { color: 1 }), 'wallet.invalid_query');
      await rejectsWith(api, () => w.search('thing', '{not json'), 'wallet.invalid_query');
      await w.close();
    });

    it('rekeys with exactly one storage write and no item writes', async () => {
      const { storage: inner, reopen } = await backend.fresh();
      const { storage, writes } = countingStorage(inner);
      const w = await fixtureWallet(storage);
      const before = { ...writes };
      await w.rekey(OTHER_KEY);
      expect({ swapMeta: writes.swapMeta - before.swapMeta, initMeta: writes.initMeta - before.initMeta }).toEqual({ swapMeta: 1, initMeta: 0 });
      expect([writes.addItems - before.addItems, writes.replaceItem - before.replaceItem, writes.deleteItem - before.deleteItem]).toEqual([0, 0, 0]);
      // The open wallet keeps working; a reopen needs the new key.
      expect(ids(await w.search('thing', { color: 'red' }))).toEqual(['a', 'e']);
      if (reopen) await w.close();
      const again = reopen ? await reopen() : inner;
      await rejectsWith(api, () => Wallet.open(again, KEY), 'wallet.wrong_key');
      const w2 = await Wallet.open(again, OTHER_KEY);
      expect(ids(await w2.search('thing', { color: 'red' }))).toEqual(['a', 'e']);
      await w2.close();
    });

    it('a wrong key is a typed error and changes nothing', async () => {
      const { storage, reopen } = await backend.fresh();
      const w = await fixtureWallet(storage);
      const record = await storage.getMeta('keys');
      const count = await w.count();
      if (reopen) await w.close();
      const s2 = reopen ? await reopen() : storage;
      await rejectsWith(api, () => Wallet.open(s2, OTHER_KEY), 'wallet.wrong_key');
      await rejectsWith(api, () => Wallet.open(s2, { passphrase: 'guess' }), 'wallet.key_method_mismatch');
      await rejectsWith(api, () => Wallet.create(s2, KEY), 'wallet.exists');
      expect(await s2.getMeta('keys')).toEqual(record);
      expect(await s2.countItems()).toBe(count);
      const w2 = await Wallet.open(s2, KEY);
      expect(await w2.count()).toBe(count);
      await w2.close();
    });

    it('detects a corrupted value, a moved value and a tampered tag index', async () => {
      const { storage } = await backend.fresh();
      const w = await Wallet.create(storage, KEY);
      await w.add({ type: 't', id: 'victim', value: 'v', tags: { k: 'one' } });
      await w.add({ type: 't', id: 'bystander', value: 'b', tags: { k: 'two' } });
      const vk = w.storageKey('t', 'victim');
      const bk = w.storageKey('t', 'bystander');
      const victim = (await storage.getItem(vk.type, vk.id)) as StoredItem;
      const bystander = (await storage.getItem(bk.type, bk.id)) as StoredItem;
      // Index tampering: the bystander claims k=one. Search re-checks sealed tags.
      await storage.replaceItem({ ...bystander, tags: victim.tags });
      await rejectsWith(api, () => w.search('t', { k: 'one' }), 'wallet.corrupted_item');
      expect((await w.get('t', 'bystander'))?.tags).toEqual({ k: 'two' });
      // A value moved to another row fails: it is bound to its own type and id.
      await storage.replaceItem({ ...bystander, value: victim.value });
      await rejectsWith(api, () => w.get('t', 'bystander'), 'wallet.corrupted_item');
      await storage.replaceItem(bystander);
      // One flipped bit in a value.
      await storage.replaceItem({ ...victim, value: flip(victim.value, 30) });
      await rejectsWith(api, () => w.get('t', 'victim'), 'wallet.corrupted_item');
      await rejectsWith(api, () => w.search('t'), 'wallet.corrupted_item');
      expect((await w.get('t', 'bystander'))?.value).toBe('b');
      await rejectsWith(api, () => w.export(KEY, { chunkSize: 1024 }), 'wallet.corrupted_item');
      await w.close();
    });

    it('exports and imports between instances; import refuses non-empty wallets, bad files change nothing', async () => {
      const { storage } = await backend.fresh();
      const w = await fixtureWallet(storage);
      const key = await w.keys.create('Ed25519');
      const file = await w.export(OTHER_KEY, { chunkSize: 1024 });

      const target = await Wallet.create((await backend.fresh()).storage, { rawKey: new Uint8Array(32).fill(3) });
      await rejectsWith(api, () => target.import(file, KEY), 'wallet.wrong_key');
      const cut = file.subarray(0, file.length - 5);
      await rejectsWith(api, () => target.import(cut, OTHER_KEY), 'wallet.export_truncated');
      await rejectsWith(api, () => target.import(flip(file, file.length - 40), OTHER_KEY), 'wallet.export_corrupted');
      expect(await target.count()).toBe(0);

      expect(await target.import(file, OTHER_KEY)).toBe(WQL_FIXTURE.length + 1);
      for (const item of WQL_FIXTURE) expect(await target.get(item.type, item.id)).toEqual(item);
      expect(ids(await target.search('thing', { '~n': { $lt: '09' } }))).toEqual(['a', 'b']);
      const sig = await target.keys.sign(key.kid, new Uint8Array([1, 2, 3]));
      expect(getCrypto().ed25519Verify(sig, new Uint8Array([1, 2, 3]), key.publicKey.bytes)).toBe(true);

      await rejectsWith(api, () => target.import(file, OTHER_KEY), 'wallet.not_empty');
      expect(await target.count()).toBe(WQL_FIXTURE.length + 1);
      await w.close();
      await target.close();
    });

    it('stores keys that are used by handle and never read back through the item API', async () => {
      const { storage } = await backend.fresh();
      const w = await Wallet.create(storage, KEY);
      const info = await w.keys.create('P-256', { tags: { purpose: 'test' } });
      expect(await w.keys.findKeys([info.kid, 'nope'])).toEqual([info.kid]);
      const msg = new Uint8Array([9, 9, 9]);
      expect(getCrypto().es256Verify(await w.keys.sign(info.kid, msg), msg, info.publicKey.bytes)).toBe(true);
      expect((await w.keys.list({ purpose: 'test' })).map((k) => k.kid)).toEqual([info.kid]);
      await rejectsWith(api, () => w.get('ssiot:key', info.kid), 'wallet.reserved_type');
      await rejectsWith(api, () => w.search('ssiot:key'), 'wallet.reserved_type');
      await w.close();
    });

    it('persists across reopen (persistent backends)', async () => {
      const { storage, reopen } = await backend.fresh();
      const w = await fixtureWallet(storage);
      if (!reopen) {
        expect(await w.count()).toBe(WQL_FIXTURE.length);
        await w.close();
        return;
      }
      await w.close();
      const w2 = await Wallet.open(await reopen(), KEY);
      expect(await w2.count()).toBe(WQL_FIXTURE.length);
      expect(ids(await w2.search('thing', { '~name': { $like: '%pple' } }))).toEqual(['a', 'b']);
      await w2.close();
    });

    it('evaluates raw storage queries the way match.ts does', async () => {
      // Cross-checks the backend's own query engine (SQL for SQLite and
      // PostgreSQL) against the JavaScript evaluator on the same stored bytes.
      const { storage } = await backend.fresh();
      const w = await fixtureWallet(storage);
      const stored: StoredItem[] = [];
      for await (const s of storage.scanItems()) stored.push(s);
      for (const [name, wql] of WQL_CASES) {
        const { type, query } = w.storageQuery('thing', wql as Record<string, unknown>);
        const fromBackend = (await storage.searchItems(type, query)).length;
        const fromJs = stored.filter((s) => sameBytes(s.type, type) && matchStoredTags(query, s.tags)).length;
        expect({ case: name, n: fromBackend }).toEqual({ case: name, n: fromJs });
      }
      await w.close();
    });
  });
}
