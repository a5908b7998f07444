/**
 * Wallet storage in the browser's IndexedDB: the phone app's WalletStorage
 * (protocols/wallet/types.ts). Like every backend it only sees encrypted
 * bytes: types, ids and tag names/values arrive already encrypted by the
 * Wallet, so the database holds nothing readable without the passphrase.
 *
 * Layout: one database per wallet name, two object stores:
 *   meta   name -> bytes                (the wallet's key record under 'keys')
 *   items  key  -> {k, t, s, type, id, value, tags}
 *          k = hex(type) "." hex(id)    (the primary key; unique per type+id)
 *          t = hex(type)                (index `bySeq` on [t, s]: one type's items in insertion order)
 *          s = a sequence number        (insertion order, as MemoryStorage keeps it)
 *
 * Atomicity: every WalletStorage call is ONE IndexedDB transaction, and
 * IndexedDB transactions are all-or-nothing (a batch of addItems, an import,
 * a compare-and-swap of the key record). Searches read one type's records
 * and evaluate the query in JavaScript (memory.ts `searchList`), which is
 * fine for a phone's few dozen items.
 */
import { bytesToHex } from '../../protocols/encoding/bytes.ts';
import { WalletError } from '../../protocols/errors.ts';
import { sameBytes } from '../../protocols/wallet/match.ts';
import { copyItem, searchList } from '../../protocols/wallet/memory.ts';
import type { SearchOptions, StorageQuery, StoredItem, WalletStorage } from '../../protocols/wallet/types.ts';

const META = 'meta';
const ITEMS = 'items';
const BY_SEQ = 'bySeq';
const VERSION = 1;

interface ItemRecord {
  k: string;
  t: string;
  s: number;
  type: Uint8Array;
  id: Uint8Array;
  value: Uint8Array;
  tags: { name: Uint8Array; plain: boolean; value: Uint8Array }[];
}

const itemKey = (type: Uint8Array, id: Uint8Array): string => `${bytesToHex(type)}.${bytesToHex(id)}`;

function toRecord(item: StoredItem, seq: number): ItemRecord {
  const c = copyItem(item);
  return { k: itemKey(c.type, c.id), t: bytesToHex(c.type), s: seq, type: c.type, id: c.id, value: c.value, tags: c.tags };
}

function fromRecord(r: ItemRecord): StoredItem {
  // structured clone gives Uint8Arrays back; anything else is a damaged database
  if (!(r.type instanceof Uint8Array) || !(r.id instanceof Uint8Array) || !(r.value instanceof Uint8Array) || !Array.isArray(r.tags)) {
    throw new WalletError('wallet.corrupted_item', 'an IndexedDB record does not have the item shape');
  }
  return { type: r.type, id: r.id, value: r.value, tags: r.tags.map((t) => ({ name: t.name, plain: t.plain, value: t.value })) };
}

function storageError(what: string, cause: unknown): WalletError {
  if (cause instanceof WalletError) return cause;
  return new WalletError('wallet.storage', `IndexedDB failed to ${what}`, { cause });
}

/** A request's result as a promise. */
function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Resolves when the transaction commits (every write in it is durable), rejects when it aborts. */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    tx.onerror = () => reject(tx.error);
  });
}

/** The IndexedDB database name of wallet `name` (one database per wallet). */
export function databaseName(name: string): string {
  return `ssiot-wallet:${name}`;
}

/** WalletStorage over IndexedDB. Create with `IndexedDbStorage.open(name)`. */
export class IndexedDbStorage implements WalletStorage {
  readonly kind = 'indexeddb';
  private closed = false;
  private nextSeq: number;

  private constructor(
    private readonly db: IDBDatabase,
    lastSeq: number,
  ) {
    this.nextSeq = lastSeq + 1;
  }

  /** Opens (creating if needed) the database of wallet `name`. */
  static async open(name: string, factory: IDBFactory = indexedDB): Promise<IndexedDbStorage> {
    let db: IDBDatabase;
    try {
      const req = factory.open(databaseName(name), VERSION);
      req.onupgradeneeded = () => {
        const d = req.result;
        if (!d.objectStoreNames.contains(META)) d.createObjectStore(META);
        if (!d.objectStoreNames.contains(ITEMS)) d.createObjectStore(ITEMS, { keyPath: 'k' }).createIndex(BY_SEQ, ['t', 's']);
      };
      db = await done(req);
    } catch (e) {
      throw storageError('open the wallet database', e);
    }
    // the highest sequence number in use (items of every type): scan the primary store once
    let last = 0;
    try {
      const all = (await done(db.transaction(ITEMS, 'readonly').objectStore(ITEMS).getAll())) as ItemRecord[];
      for (const r of all) if (typeof r.s === 'number' && r.s > last) last = r.s;
    } catch (e) {
      db.close();
      throw storageError('read the wallet database', e);
    }
    return new IndexedDbStorage(db, last);
  }

  /** True when wallet `name` has a key record (a wallet was created there). */
  static async exists(name: string, factory: IDBFactory = indexedDB): Promise<boolean> {
    const s = await IndexedDbStorage.open(name, factory);
    try {
      return (await s.getMeta('keys')) !== undefined;
    } finally {
      await s.close();
    }
  }

  /** Deletes wallet `name`'s database (after an export, or to start over). */
  static async destroy(name: string, factory: IDBFactory = indexedDB): Promise<void> {
    try {
      await done(factory.deleteDatabase(databaseName(name)) as IDBRequest<unknown>);
    } catch (e) {
      throw storageError('delete the wallet database', e);
    }
  }

  private live(): void {
    if (this.closed) throw new WalletError('wallet.closed', 'storage is closed');
  }

  /** Runs `body` in one transaction over `stores`; resolves with its result once the transaction committed. */
  private async tx<T>(what: string, stores: string[], mode: IDBTransactionMode, body: (tx: IDBTransaction) => Promise<T>): Promise<T> {
    this.live();
    let tx: IDBTransaction;
    try {
      tx = this.db.transaction(stores, mode);
    } catch (e) {
      throw storageError(what, e);
    }
    const end = committed(tx);
    try {
      const result = await body(tx);
      await end;
      return result;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        /* already finished or aborted */
      }
      await end.catch(() => undefined);
      throw storageError(what, e);
    }
  }

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    return this.tx('read metadata', [META], 'readonly', async (tx) => {
      const v = (await done(tx.objectStore(META).get(name))) as unknown;
      return v instanceof Uint8Array ? v.slice() : undefined;
    });
  }

  async initMeta(name: string, value: Uint8Array): Promise<boolean> {
    return this.tx('write metadata', [META], 'readwrite', async (tx) => {
      const store = tx.objectStore(META);
      if ((await done(store.get(name))) !== undefined) return false;
      await done(store.add(value.slice(), name));
      return true;
    });
  }

  async swapMeta(name: string, expected: Uint8Array, value: Uint8Array): Promise<boolean> {
    return this.tx('write metadata', [META], 'readwrite', async (tx) => {
      const store = tx.objectStore(META);
      const now = (await done(store.get(name))) as unknown;
      if (!(now instanceof Uint8Array) || !sameBytes(now, expected)) return false;
      await done(store.put(value.slice(), name));
      return true;
    });
  }

  async getItem(type: Uint8Array, id: Uint8Array): Promise<StoredItem | undefined> {
    return this.tx('read an item', [ITEMS], 'readonly', async (tx) => {
      const r = (await done(tx.objectStore(ITEMS).get(itemKey(type, id)))) as ItemRecord | undefined;
      return r === undefined ? undefined : fromRecord(r);
    });
  }

  async addItems(items: readonly StoredItem[]): Promise<void> {
    const keys = new Set<string>();
    for (const item of items) {
      const k = itemKey(item.type, item.id);
      if (keys.has(k)) throw new WalletError('wallet.duplicate', 'an item with this type and id already exists');
      keys.add(k);
    }
    await this.tx('add items', [ITEMS], 'readwrite', async (tx) => {
      const store = tx.objectStore(ITEMS);
      for (const k of keys) {
        if ((await done(store.getKey(k))) !== undefined) throw new WalletError('wallet.duplicate', 'an item with this type and id already exists');
      }
      for (const item of items) await done(store.add(toRecord(item, this.nextSeq++)));
    });
  }

  async replaceItem(item: StoredItem): Promise<void> {
    await this.tx('replace an item', [ITEMS], 'readwrite', async (tx) => {
      const store = tx.objectStore(ITEMS);
      const old = (await done(store.get(itemKey(item.type, item.id)))) as ItemRecord | undefined;
      if (old === undefined) throw new WalletError('wallet.not_found', 'no item with this type and id');
      // keeps its place in the insertion order
      await done(store.put(toRecord(item, old.s)));
    });
  }

  async deleteItem(type: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.tx('delete an item', [ITEMS], 'readwrite', async (tx) => {
      const store = tx.objectStore(ITEMS);
      const k = itemKey(type, id);
      if ((await done(store.getKey(k))) === undefined) return false;
      await done(store.delete(k));
      return true;
    });
  }

  private async itemsOfType(type: Uint8Array): Promise<StoredItem[]> {
    return this.tx('search items', [ITEMS], 'readonly', async (tx) => {
      const t = bytesToHex(type);
      const range = IDBKeyRange.bound([t, Number.NEGATIVE_INFINITY], [t, Number.POSITIVE_INFINITY]);
      const records = (await done(tx.objectStore(ITEMS).index(BY_SEQ).getAll(range))) as ItemRecord[];
      return records.map(fromRecord);
    });
  }

  async searchItems(type: Uint8Array, query: StorageQuery, options?: SearchOptions): Promise<StoredItem[]> {
    return searchList(await this.itemsOfType(type), type, query, options);
  }

  async *scanItems(): AsyncIterable<StoredItem> {
    const records = await this.tx('read items', [ITEMS], 'readonly', async (tx) => (await done(tx.objectStore(ITEMS).getAll())) as ItemRecord[]);
    records.sort((a, b) => a.s - b.s);
    for (const r of records) yield fromRecord(r);
  }

  async countItems(): Promise<number> {
    return this.tx('count items', [ITEMS], 'readonly', async (tx) => done(tx.objectStore(ITEMS).count()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
