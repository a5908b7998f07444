/**
 * In-memory storage: tests, the simulator, a phone session that persists
 * elsewhere. Everything is copied in and out, so callers cannot alias stored
 * bytes. Queries run in JavaScript (match.ts), in insertion order.
 */
import { bytesToHex } from '../encoding/bytes.ts';
import { WalletError } from '../errors.ts';
import { matchStoredTags, sameBytes } from './match.ts';
import type { SearchOptions, StorageQuery, StoredItem, WalletStorage } from './types.ts';

export function copyItem(item: StoredItem): StoredItem {
  return {
    type: item.type.slice(),
    id: item.id.slice(),
    value: item.value.slice(),
    tags: item.tags.map((t) => ({ name: t.name.slice(), plain: t.plain, value: t.value.slice() })),
  };
}

/** The `offset`/`limit` window over matches, shared by the JavaScript-evaluated backends. */
export function pageWindow(options: SearchOptions | undefined): { offset: number; limit: number } {
  const offset = options?.offset ?? 0;
  const limit = options?.limit ?? Number.POSITIVE_INFINITY;
  if (!Number.isInteger(offset) || offset < 0) throw new WalletError('wallet.invalid_query', 'offset must be a non-negative integer');
  if (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 0)) {
    throw new WalletError('wallet.invalid_query', 'limit must be a non-negative integer');
  }
  return { offset, limit };
}

/** Filters `items` (one type) by `query` and applies the window. */
export function searchList(items: Iterable<StoredItem>, type: Uint8Array, query: StorageQuery, options?: SearchOptions): StoredItem[] {
  const { offset, limit } = pageWindow(options);
  const out: StoredItem[] = [];
  let skipped = 0;
  if (limit === 0) return out;
  for (const item of items) {
    if (!sameBytes(item.type, type) || !matchStoredTags(query, item.tags)) continue;
    if (skipped < offset) {
      skipped++;
      continue;
    }
    out.push(copyItem(item));
    if (out.length >= limit) break;
  }
  return out;
}

const itemKey = (type: Uint8Array, id: Uint8Array): string => `${bytesToHex(type)}.${bytesToHex(id)}`;

/** Storage in a Map; lost when the process ends. */
export class MemoryStorage implements WalletStorage {
  readonly kind = 'memory';
  private readonly meta = new Map<string, Uint8Array>();
  private readonly items = new Map<string, StoredItem>();
  private closed = false;

  private live(): void {
    if (this.closed) throw new WalletError('wallet.closed', 'storage is closed');
  }

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    this.live();
    return this.meta.get(name)?.slice();
  }

  async initMeta(name: string, value: Uint8Array): Promise<boolean> {
    this.live();
    if (this.meta.has(name)) return false;
    this.meta.set(name, value.slice());
    return true;
  }

  async swapMeta(name: string, expected: Uint8Array, value: Uint8Array): Promise<boolean> {
    this.live();
    const now = this.meta.get(name);
    if (!now || !sameBytes(now, expected)) return false;
    this.meta.set(name, value.slice());
    return true;
  }

  async getItem(type: Uint8Array, id: Uint8Array): Promise<StoredItem | undefined> {
    this.live();
    const item = this.items.get(itemKey(type, id));
    return item && copyItem(item);
  }

  async addItems(items: readonly StoredItem[]): Promise<void> {
    this.live();
    const keys = new Set<string>();
    for (const item of items) {
      const k = itemKey(item.type, item.id);
      if (this.items.has(k) || keys.has(k)) throw new WalletError('wallet.duplicate', 'an item with this type and id already exists');
      keys.add(k);
    }
    for (const item of items) this.items.set(itemKey(item.type, item.id), copyItem(item));
  }

  async replaceItem(item: StoredItem): Promise<void> {
    this.live();
    const k = itemKey(item.type, item.id);
    if (!this.items.has(k)) throw new WalletError('wallet.not_found', 'no item with this type and id');
    this.items.set(k, copyItem(item));
  }

  async deleteItem(type: Uint8Array, id: Uint8Array): Promise<boolean> {
    this.live();
    return this.items.delete(itemKey(type, id));
  }

  async searchItems(type: Uint8Array, query: StorageQuery, options?: SearchOptions): Promise<StoredItem[]> {
    this.live();
    return searchList(this.items.values(), type, query, options);
  }

  async *scanItems(): AsyncIterable<StoredItem> {
    this.live();
    for (const item of Array.from(this.items.values())) yield copyItem(item);
  }

  async countItems(): Promise<number> {
    this.live();
    return this.items.size;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
