/**
 * The wallet's data model (Aries RFC 0050) and the storage contract every
 * backend implements.
 *
 * Two layers, so storage never sees a secret:
 *  - the Wallet (wallet.ts) speaks plaintext items `{type, id, value, tags}`
 *    and WQL;
 *  - a WalletStorage speaks only bytes: deterministically encrypted `type`,
 *    `id`, tag names and (non-`~`) tag values, a randomly-encrypted value
 *    blob, and a query tree whose names and values are already encrypted.
 *    The storage can index, compare for equality and range-scan plaintext
 *    (`~`) tags, and nothing more.
 */

/** Tag names to tag values. Names starting with `~` are stored in plaintext (RFC 0050). */
export type Tags = Record<string, string>;

/** One wallet record as callers see it. */
export interface WalletItem {
  type: string;
  id: string;
  value: string;
  tags: Tags;
}

/** A tag as storage keeps it. */
export interface StoredTag {
  /** Tag name, deterministically encrypted (the `~` is part of the encrypted name). */
  name: Uint8Array;
  /** True for `~` tags: `value` is then the plaintext UTF-8 bytes, so ranges and `$like` work. */
  plain: boolean;
  /** Deterministically encrypted value, or UTF-8 plaintext when `plain`. */
  value: Uint8Array;
}

/** One item as storage keeps it: nothing here is readable without the column keys. */
export interface StoredItem {
  /** Deterministically encrypted type (equal types give equal bytes). */
  type: Uint8Array;
  /** Deterministically encrypted id. */
  id: Uint8Array;
  /** The item (type, id, value, tags) sealed with a random nonce, bound to `type` and `id`. */
  value: Uint8Array;
  /** The search index: derived from the sealed value, which stays the authority. */
  tags: StoredTag[];
}

/** Comparison operators of a query leaf. Ranges and `like` appear only on plain tags. */
export type LeafOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like';

/**
 * A query tree. `N` is how a tag name is written: the storage sees encrypted
 * bytes (`StorageQuery`), the wallet's own re-check uses plaintext strings.
 * Values are always bytes (ciphertext, or UTF-8 for plain tags; `like`
 * patterns are UTF-8 too).
 */
export type QueryNode<N> =
  | { op: 'and'; subs: QueryNode<N>[] }
  | { op: 'or'; subs: QueryNode<N>[] }
  | { op: 'not'; sub: QueryNode<N> }
  | { op: LeafOp; name: N; plain: boolean; value: Uint8Array }
  | { op: 'in'; name: N; plain: boolean; values: Uint8Array[] };

/** The query a storage backend evaluates. */
export type StorageQuery = QueryNode<Uint8Array>;

export interface SearchOptions {
  /** At most this many results (default: all). */
  limit?: number;
  /** Skip this many matches first (default 0). */
  offset?: number;
}

/**
 * What a backend stores. All methods may be called concurrently by one
 * wallet; each single call is atomic: after a crash either all of its writes
 * are visible or none are (backends document how they achieve it).
 *
 * Errors: `wallet.duplicate` (addItems with an existing type+id),
 * `wallet.not_found` (replaceItem of a missing item), `wallet.storage`
 * (the engine failed), `wallet.closed`.
 */
export interface WalletStorage {
  /** Backend name for messages and benchmarks: 'memory', 'kv', 'sqlite', 'postgres'. */
  readonly kind: string;

  /** A small metadata record (the wallet's key record lives under 'keys'). */
  getMeta(name: string): Promise<Uint8Array | undefined>;
  /** Creates `name` only if absent; false when it already existed. */
  initMeta(name: string, value: Uint8Array): Promise<boolean>;
  /**
   * Compare-and-swap: writes `value` only if the record still equals
   * `expected` (one write); false otherwise. Rekey uses it so two
   * concurrent rekeys cannot lose one another's key record.
   */
  swapMeta(name: string, expected: Uint8Array, value: Uint8Array): Promise<boolean>;

  getItem(type: Uint8Array, id: Uint8Array): Promise<StoredItem | undefined>;
  /** Adds all items or none (a batch is one transaction); any existing type+id fails the whole batch. */
  addItems(items: readonly StoredItem[]): Promise<void>;
  /** Replaces value and tags of an existing item. */
  replaceItem(item: StoredItem): Promise<void>;
  /** True when an item was deleted. */
  deleteItem(type: Uint8Array, id: Uint8Array): Promise<boolean>;
  /** Items of one type matching the query. Order is the backend's (insertion order where it has one). */
  searchItems(type: Uint8Array, query: StorageQuery, options?: SearchOptions): Promise<StoredItem[]>;
  /** Every item of every type (export); pages internally so large wallets stream. */
  scanItems(): AsyncIterable<StoredItem>;
  /** Number of items of every type. */
  countItems(): Promise<number>;

  close(): Promise<void>;
}
