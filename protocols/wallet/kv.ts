/**
 * Wallet storage over a device's key-value store: the ECMA-419
 * `embedded:storage/key-value` Storage object as Moddable types it
 * (typings/embedded/storage/key-value.d.ts): `read(key)`, `write(key, value)`,
 * `delete(key)` and iteration over keys, opened with `format: "buffer"`.
 * The host guarantees that each single write or delete is atomic (DESIGN.md
 * §3); nothing else is assumed.
 *
 * Layout (every key fits ESP32 NVS's 15-character limit):
 *   "mkeys"                      meta record `keys` ("m" + name)
 *   "i" + T(4) + I(10)           one item per key: T = base64url(SHA-256(type)[0..3)),
 *                                I = base64url(SHA-256(type || 0 || id)[0..7)), over the
 *                                ENCRYPTED type and id, so key names leak nothing new;
 *                                T lets a search skip other types without reading them
 *   "j", "j1".."jN"              batch journal (header and pages of item keys)
 * An item's entry is CBOR [type, id, sealed value, [[tag name, plain, tag value]…]].
 *
 * Power-failure safety, for a failure between ANY two host writes:
 *  - add / replace / delete of one item, meta changes (so rekey): ONE write each;
 *  - a batch (addItems of several items, import) is all-or-nothing through the
 *    journal: pages listing the new keys, then the header "j" (the commit
 *    point of the intent), then the items, then delete "j" (the commit point
 *    of the batch), then the pages. Opening the store recovers: a header left
 *    behind means the batch did not finish, and its items (all new: a batch
 *    never overwrites) are deleted; stray pages are removed.
 * kv.test.ts cuts the power after every possible number of writes and checks
 * these invariants on reopen.
 *
 * An item key is 84 bits of hash; two different items landing on one key is
 * not expected in a device's lifetime, and is refused (`wallet.storage`)
 * rather than overwritten.
 */
import { getCrypto } from '../crypto/index.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { cborDecode, cborEncode } from '../encoding/cbor.ts';
import { concatBytes } from '../encoding/bytes.ts';
import { WalletError, isSsiotError } from '../errors.ts';
import { matchStoredTags, sameBytes } from './match.ts';
import { pageWindow } from './memory.ts';
import type { SearchOptions, StorageQuery, StoredItem, StoredTag, WalletStorage } from './types.ts';

/** The ECMA-419 key-value Storage object (Moddable's typings), opened with `format: "buffer"`. */
export interface KeyValueStore {
  read(key: string): ArrayBuffer | string | number | bigint | undefined;
  write(key: string, value: ArrayBuffer | string): void;
  delete(key: string): void;
  [Symbol.iterator](): Iterator<string>;
}

export interface KeyValueStorageOptions {
  /** Largest value the host accepts, in bytes (default 16384); bigger items are `wallet.item_too_large`. */
  maxValueBytes?: number;
  /** Item keys per journal page (default 128, ~2 KiB a page). */
  journalPageKeys?: number;
}

const META = 'm';
const ITEM = 'i';
const JOURNAL = 'j';

function toBuffer(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer as ArrayBuffer;
}

function storageError(what: string, cause: unknown): WalletError {
  if (isSsiotError(cause) && cause.code.startsWith('wallet.')) return cause as WalletError;
  return new WalletError('wallet.storage', `key-value store failed to ${what}`, { cause });
}

function corrupted(key: string, cause?: unknown): WalletError {
  return new WalletError('wallet.corrupted_item', `key-value entry ${key} does not decode`, cause === undefined ? undefined : { cause });
}

/** Wallet storage over an ECMA-419 key-value store. Create with `KeyValueStorage.open` (it recovers). */
export class KeyValueStorage implements WalletStorage {
  readonly kind = 'kv';
  private readonly kv: KeyValueStore;
  private readonly maxValueBytes: number;
  private readonly pageKeys: number;
  private closed = false;

  private constructor(kv: KeyValueStore, options: KeyValueStorageOptions) {
    this.kv = kv;
    this.maxValueBytes = options.maxValueBytes ?? 16384;
    this.pageKeys = options.journalPageKeys ?? 128;
    if (!Number.isInteger(this.pageKeys) || this.pageKeys < 1) throw new WalletError('wallet.storage', 'journalPageKeys must be a positive integer');
  }

  /** Opens the store and finishes (rolls back) a batch that a power failure interrupted. */
  static async open(kv: KeyValueStore, options: KeyValueStorageOptions = {}): Promise<KeyValueStorage> {
    const s = new KeyValueStorage(kv, options);
    s.recover();
    return s;
  }

  // ------------------------------------------------------------ host access

  private live(): void {
    if (this.closed) throw new WalletError('wallet.closed', 'storage is closed');
  }

  private read(key: string): Uint8Array | undefined {
    let v: unknown;
    try {
      v = this.kv.read(key);
    } catch (e) {
      throw storageError('read', e);
    }
    if (v === undefined || v === null) return undefined;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    throw new WalletError('wallet.storage', 'key-value store must be opened with format "buffer"');
  }

  private write(key: string, value: Uint8Array): void {
    if (value.length > this.maxValueBytes) {
      throw new WalletError('wallet.item_too_large', `record of ${value.length} bytes exceeds the store's ${this.maxValueBytes}-byte limit`);
    }
    try {
      this.kv.write(key, toBuffer(value));
    } catch (e) {
      throw storageError('write', e);
    }
  }

  private remove(key: string): void {
    try {
      this.kv.delete(key);
    } catch (e) {
      throw storageError('delete', e);
    }
  }

  private keys(prefix: string): string[] {
    const out: string[] = [];
    try {
      // Collect first: changing a store while iterating it is undefined on some hosts.
      const it = this.kv[Symbol.iterator]();
      for (let r = it.next(); !r.done; r = it.next()) if (r.value.startsWith(prefix)) out.push(r.value);
    } catch (e) {
      throw storageError('list keys', e);
    }
    return out;
  }

  // ------------------------------------------------------------ encoding

  private typePrefix(type: Uint8Array): string {
    return ITEM + base64urlEncode(getCrypto().sha256(type).subarray(0, 3));
  }

  private itemKey(type: Uint8Array, id: Uint8Array): string {
    const h = getCrypto().sha256(concatBytes(type, new Uint8Array([0]), id));
    return this.typePrefix(type) + base64urlEncode(h.subarray(0, 7));
  }

  private encodeItem(item: StoredItem): Uint8Array {
    return cborEncode([item.type, item.id, item.value, item.tags.map((t) => [t.name, t.plain, t.value])]);
  }

  private decodeItem(key: string, bytes: Uint8Array): StoredItem {
    let d: unknown;
    try {
      d = cborDecode(bytes, { maxDepth: 4 });
    } catch (e) {
      throw corrupted(key, e);
    }
    if (!Array.isArray(d) || d.length !== 4 || !Array.isArray(d[3])) throw corrupted(key);
    const [type, id, value, rawTags] = d as [unknown, unknown, unknown, unknown[]];
    if (!(type instanceof Uint8Array) || !(id instanceof Uint8Array) || !(value instanceof Uint8Array)) throw corrupted(key);
    const tags: StoredTag[] = [];
    for (const t of rawTags) {
      if (!Array.isArray(t) || t.length !== 3 || !(t[0] instanceof Uint8Array) || typeof t[1] !== 'boolean' || !(t[2] instanceof Uint8Array)) {
        throw corrupted(key);
      }
      tags.push({ name: t[0], plain: t[1], value: t[2] });
    }
    return { type, id, value, tags };
  }

  /** The item stored under `key` if it is the item (type, id); undefined when absent. */
  private readItem(key: string): StoredItem | undefined {
    const bytes = this.read(key);
    return bytes === undefined ? undefined : this.decodeItem(key, bytes);
  }

  // ------------------------------------------------------------ journal

  private recover(): void {
    const header = this.read(JOURNAL);
    if (header !== undefined) {
      let pages = 0;
      try {
        const h = cborDecode(header, { maxDepth: 1 }) as { pages?: unknown };
        if (typeof h.pages === 'number' && Number.isInteger(h.pages) && h.pages >= 0) pages = h.pages;
      } catch {
        /* an unreadable header still marks an unfinished batch; its pages are found below */
      }
      for (let i = 1; i <= pages; i++) {
        const page = this.read(JOURNAL + i);
        if (page === undefined) continue;
        let keys: unknown;
        try {
          keys = cborDecode(page, { maxDepth: 1 });
        } catch {
          continue;
        }
        if (!Array.isArray(keys)) continue;
        for (const k of keys) if (typeof k === 'string' && k.startsWith(ITEM)) this.remove(k);
      }
      this.remove(JOURNAL);
    }
    for (const k of this.keys(JOURNAL)) this.remove(k);
  }

  // ------------------------------------------------------------ WalletStorage

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    this.live();
    return this.read(META + name);
  }

  async initMeta(name: string, value: Uint8Array): Promise<boolean> {
    this.live();
    if (this.read(META + name) !== undefined) return false;
    this.write(META + name, value);
    return true;
  }

  async swapMeta(name: string, expected: Uint8Array, value: Uint8Array): Promise<boolean> {
    this.live();
    const now = this.read(META + name);
    if (now === undefined || !sameBytes(now, expected)) return false;
    this.write(META + name, value);
    return true;
  }

  async getItem(type: Uint8Array, id: Uint8Array): Promise<StoredItem | undefined> {
    this.live();
    const item = this.readItem(this.itemKey(type, id));
    return item && sameBytes(item.type, type) && sameBytes(item.id, id) ? item : undefined;
  }

  async addItems(items: readonly StoredItem[]): Promise<void> {
    this.live();
    const entries: { key: string; bytes: Uint8Array }[] = [];
    const batch = new Map<string, StoredItem>();
    for (const item of items) {
      const key = this.itemKey(item.type, item.id);
      const existing = batch.get(key) ?? this.readItem(key);
      if (existing) {
        if (sameBytes(existing.type, item.type) && sameBytes(existing.id, item.id)) {
          throw new WalletError('wallet.duplicate', 'an item with this type and id already exists');
        }
        throw new WalletError('wallet.storage', 'key-value slot collision between two items');
      }
      batch.set(key, item);
      const bytes = this.encodeItem(item);
      if (bytes.length > this.maxValueBytes) {
        throw new WalletError('wallet.item_too_large', `item of ${bytes.length} bytes exceeds the store's ${this.maxValueBytes}-byte limit`);
      }
      entries.push({ key, bytes });
    }
    if (entries.length === 0) return;
    if (entries.length === 1) {
      this.write(entries[0].key, entries[0].bytes);
      return;
    }
    const pages: string[][] = [];
    for (let i = 0; i < entries.length; i += this.pageKeys) pages.push(entries.slice(i, i + this.pageKeys).map((e) => e.key));
    try {
      for (let i = 0; i < pages.length; i++) this.write(JOURNAL + (i + 1), cborEncode(pages[i]));
      this.write(JOURNAL, cborEncode({ pages: pages.length }));
      for (const e of entries) this.write(e.key, e.bytes);
      this.remove(JOURNAL); // the batch is committed from here on
    } catch (e) {
      // Undo now if the host still answers; otherwise the next open does it.
      try {
        this.recover();
      } catch {
        /* power is gone: recovery on reopen */
      }
      throw e;
    }
    try {
      for (let i = 0; i < pages.length; i++) this.remove(JOURNAL + (i + 1));
    } catch {
      /* stray pages are harmless; the next open removes them */
    }
  }

  async replaceItem(item: StoredItem): Promise<void> {
    this.live();
    const key = this.itemKey(item.type, item.id);
    const existing = this.readItem(key);
    if (!existing || !sameBytes(existing.type, item.type) || !sameBytes(existing.id, item.id)) {
      throw new WalletError('wallet.not_found', 'no item with this type and id');
    }
    this.write(key, this.encodeItem(item));
  }

  async deleteItem(type: Uint8Array, id: Uint8Array): Promise<boolean> {
    this.live();
    const key = this.itemKey(type, id);
    const existing = this.readItem(key);
    if (!existing || !sameBytes(existing.type, type) || !sameBytes(existing.id, id)) return false;
    this.remove(key);
    return true;
  }

  async searchItems(type: Uint8Array, query: StorageQuery, options?: SearchOptions): Promise<StoredItem[]> {
    this.live();
    const { offset, limit } = pageWindow(options);
    const out: StoredItem[] = [];
    if (limit === 0) return out;
    let skipped = 0;
    for (const key of this.keys(this.typePrefix(type))) {
      const item = this.readItem(key);
      if (!item || !sameBytes(item.type, type) || !matchStoredTags(query, item.tags)) continue;
      if (skipped < offset) {
        skipped++;
        continue;
      }
      out.push(item);
      if (out.length >= limit) break;
    }
    return out;
  }

  async *scanItems(): AsyncIterable<StoredItem> {
    this.live();
    for (const key of this.keys(ITEM)) {
      const item = this.readItem(key);
      if (item) yield item;
    }
  }

  async countItems(): Promise<number> {
    this.live();
    return this.keys(ITEM).length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * An ECMA-419-shaped key-value store in memory (tests, the simulator):
 * values are copied on write and read, iteration is in insertion order.
 */
export class MemoryKeyValue implements KeyValueStore {
  private readonly map = new Map<string, ArrayBuffer>();

  read(key: string): ArrayBuffer | undefined {
    const v = this.map.get(key);
    return v && v.slice(0);
  }

  write(key: string, value: ArrayBuffer | string): void {
    if (typeof key !== 'string' || key.length === 0 || key.length > 15) throw new RangeError('key-value keys are 1..15 characters');
    if (typeof value === 'string') throw new TypeError('this store is opened with format "buffer"');
    this.map.set(key, value.slice(0));
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  [Symbol.iterator](): Iterator<string> {
    return Array.from(this.map.keys())[Symbol.iterator]();
  }

  /** Bytes held: keys (1 byte per char) plus values; the device footprint figure. */
  bytes(): number {
    let n = 0;
    for (const [k, v] of this.map) n += k.length + v.byteLength;
    return n;
  }

  get size(): number {
    return this.map.size;
  }
}
