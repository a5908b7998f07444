/**
 * The wallet (Aries RFC 0050 design): items `{type, id, value, tags}` kept
 * encrypted in any WalletStorage, searched with WQL, opened with a passphrase
 * (Argon2id) or a raw device key, rekeyed with one write, exported to and
 * imported from an encrypted file, and holding private keys that are used in
 * place (`wallet.keys`).
 *
 *   const w = await Wallet.create(new MemoryStorage(), { passphrase });
 *   await w.add({ type: 'credential', id: 'c1', value: json, tags: { issuer: did, '~issued': '2025-01-01' } });
 *   await w.search('credential', { issuer: did, '~issued': { $gte: '2025' } });
 *
 * Errors (`wallet.*`): not_found (no wallet in the storage), exists,
 * wrong_passphrase / wrong_key, key_method_mismatch, invalid_key,
 * invalid_kdf, invalid_item, invalid_query, reserved_type, duplicate,
 * corrupted_item, concurrent_change, not_empty, closed; storage backends
 * add storage and item_too_large, export/import theirs (export.ts), keys
 * theirs (key-ops.ts).
 */
import { WalletError } from '../errors.ts';
import { type ColumnKeys, generateColumnKeys } from './column-crypto.ts';
import { exportItems, importItems, type ExportOptions } from './export.ts';
import { ItemCipher, plainQuery, plainTagLookup } from './item-cipher.ts';
import type { KeySource } from './kdf.ts';
import { KEY_RECORD_META, openKeyRecord, sealKeyRecord } from './key-record.ts';
import { evaluateQuery } from './match.ts';
import type { SearchOptions, StorageQuery, StoredItem, Tags, WalletItem, WalletStorage } from './types.ts';
import { checkId, checkTags, checkType, checkValue } from './validate.ts';
import { type ItemAccess, RESERVED_TYPE_PREFIX, WalletKeys } from './wallet-keys.ts';
import { type WqlInput, parseWql } from './wql.ts';

/** An item to add: tags are optional. */
export interface NewItem {
  type: string;
  id: string;
  value: string;
  tags?: Tags;
}

function checkItem(item: NewItem): WalletItem {
  if (typeof item !== 'object' || item === null) throw new WalletError('wallet.invalid_item', 'an item must be an object');
  checkType(item.type);
  checkId(item.id);
  checkValue(item.value);
  return { type: item.type, id: item.id, value: item.value, tags: checkTags(item.tags) };
}

function checkPublicType(type: unknown): string {
  checkType(type);
  if ((type as string).startsWith(RESERVED_TYPE_PREFIX)) {
    throw new WalletError('wallet.reserved_type', `item types starting with ${RESERVED_TYPE_PREFIX} belong to the wallet (use wallet.keys)`);
  }
  return type as string;
}

export class Wallet {
  /** The storage this wallet lives in (benchmarks and tests inspect it). */
  readonly storage: WalletStorage;
  /** Private keys held in the wallet, used by handle. */
  readonly keys: WalletKeys;
  private readonly cipher: ItemCipher;
  private readonly columnKeys: ColumnKeys;
  private closed = false;

  private constructor(storage: WalletStorage, columnKeys: ColumnKeys) {
    this.storage = storage;
    this.columnKeys = columnKeys;
    this.cipher = new ItemCipher(columnKeys);
    const internal: ItemAccess = {
      add: (item) => this.addChecked([checkItem(item)]),
      get: (type, id) => this.getChecked(type, id),
      search: (type, query, options) => this.searchChecked(type, query, options),
      delete: (type, id) => this.deleteChecked(type, id),
    };
    this.keys = new WalletKeys(internal);
  }

  /**
   * Creates a wallet in empty storage: fresh column keys wrapped under
   * `key` (passphrase → Argon2id, or a raw 32-byte device key).
   */
  static async create(storage: WalletStorage, key: KeySource): Promise<Wallet> {
    if ((await storage.getMeta(KEY_RECORD_META)) !== undefined) throw new WalletError('wallet.exists', 'this storage already holds a wallet');
    const columnKeys = generateColumnKeys();
    const record = sealKeyRecord(columnKeys, key);
    if (!(await storage.initMeta(KEY_RECORD_META, record))) throw new WalletError('wallet.exists', 'this storage already holds a wallet');
    return new Wallet(storage, columnKeys);
  }

  /** Opens the wallet in `storage`. Wrong key: `wallet.wrong_passphrase` / `wallet.wrong_key`, nothing changes. */
  static async open(storage: WalletStorage, key: KeySource): Promise<Wallet> {
    const record = await storage.getMeta(KEY_RECORD_META);
    if (record === undefined) throw new WalletError('wallet.not_found', 'no wallet in this storage (create it first)');
    return new Wallet(storage, openKeyRecord(record, key));
  }

  private live(): void {
    if (this.closed) throw new WalletError('wallet.closed', 'the wallet is closed');
  }

  // -------------------------------------------------------------- items

  /** Adds one item; `wallet.duplicate` when type+id exists. */
  async add(item: NewItem): Promise<void> {
    checkPublicType(item && item.type);
    await this.addChecked([checkItem(item)]);
  }

  /** Adds items in one atomic batch (all or none); faster than one by one on every backend. */
  async addMany(items: readonly NewItem[]): Promise<void> {
    if (!Array.isArray(items)) throw new WalletError('wallet.invalid_item', 'addMany takes an array of items');
    const checked = items.map((item) => {
      checkPublicType(item && item.type);
      return checkItem(item);
    });
    await this.addChecked(checked);
  }

  private async addChecked(items: WalletItem[]): Promise<void> {
    this.live();
    await this.storage.addItems(items.map((i) => this.cipher.encryptItem(i)));
  }

  /** The item, or undefined. A stored item that fails authentication is `wallet.corrupted_item`. */
  async get(type: string, id: string): Promise<WalletItem | undefined> {
    checkPublicType(type);
    return this.getChecked(type, id);
  }

  private async getChecked(type: string, id: string): Promise<WalletItem | undefined> {
    this.live();
    checkType(type);
    checkId(id);
    const stored = await this.storage.getItem(this.cipher.typeEnc(type), this.cipher.idEnc(id));
    if (!stored) return undefined;
    const item = this.cipher.decryptItem(stored, type);
    if (item.id !== id) throw new WalletError('wallet.corrupted_item', `item ${type}/${id} holds another item's data`);
    return item;
  }

  /**
   * Changes an item's value and/or tags (tags given = the new full set).
   * `wallet.not_found` when absent.
   */
  async update(type: string, id: string, changes: { value?: string; tags?: Tags }): Promise<void> {
    checkPublicType(type);
    const current = await this.getChecked(type, id);
    if (!current) throw new WalletError('wallet.not_found', `no item ${type}/${id}`);
    const next = checkItem({
      type,
      id,
      value: changes.value === undefined ? current.value : changes.value,
      tags: changes.tags === undefined ? current.tags : changes.tags,
    });
    await this.storage.replaceItem(this.cipher.encryptItem(next));
  }

  /** True when the item existed. */
  async delete(type: string, id: string): Promise<boolean> {
    checkPublicType(type);
    return this.deleteChecked(type, id);
  }

  private async deleteChecked(type: string, id: string): Promise<boolean> {
    this.live();
    checkType(type);
    checkId(id);
    return this.storage.deleteItem(this.cipher.typeEnc(type), this.cipher.idEnc(id));
  }

  /**
   * Items of `type` matching a WQL query (wql.ts documents the language and
   * its edge cases). Every hit is decrypted and re-checked against its sealed
   * tags; an index that disagrees is `wallet.corrupted_item`.
   */
  async search(type: string, query?: WqlInput, options?: SearchOptions): Promise<WalletItem[]> {
    checkPublicType(type);
    return this.searchChecked(type, query, options);
  }

  private async searchChecked(type: string, query: WqlInput, options?: SearchOptions): Promise<WalletItem[]> {
    this.live();
    checkType(type, 'wallet.invalid_query');
    const wql = parseWql(query);
    const hits = await this.storage.searchItems(this.cipher.typeEnc(type), this.cipher.encryptQuery(wql), options);
    const plain = plainQuery(wql);
    return hits.map((stored: StoredItem) => {
      const item = this.cipher.decryptItem(stored, type);
      if (!evaluateQuery(plain, plainTagLookup(item.tags))) {
        throw new WalletError('wallet.corrupted_item', `the tag index of an item of type ${type} disagrees with the item`);
      }
      return item;
    });
  }

  /**
   * The storage form of a type and id (encrypted, deterministic): for tests
   * and diagnostics that look at the raw storage. Reveals nothing secret.
   */
  storageKey(type: string, id: string): { type: Uint8Array; id: Uint8Array } {
    checkType(type);
    checkId(id);
    return { type: this.cipher.typeEnc(type), id: this.cipher.idEnc(id) };
  }

  /** The storage form of a type and WQL query (what a backend receives): tests, diagnostics, benchmarks. */
  storageQuery(type: string, query?: WqlInput): { type: Uint8Array; query: StorageQuery } {
    checkType(type, 'wallet.invalid_query');
    return { type: this.cipher.typeEnc(type), query: this.cipher.encryptQuery(parseWql(query)) };
  }

  /** Number of items of every type (keys included). */
  async count(): Promise<number> {
    this.live();
    return this.storage.countItems();
  }

  // -------------------------------------------------------------- keys

  /**
   * Re-wraps the column keys under a new passphrase or raw key. Items are
   * not touched: this is ONE storage write (a compare-and-swap of the key
   * record), whatever the wallet's size.
   */
  async rekey(newKey: KeySource): Promise<void> {
    this.live();
    const current = await this.storage.getMeta(KEY_RECORD_META);
    if (current === undefined) throw new WalletError('wallet.not_found', 'the key record disappeared');
    const next = sealKeyRecord(this.columnKeys, newKey);
    if (!(await this.storage.swapMeta(KEY_RECORD_META, current, next))) {
      throw new WalletError('wallet.concurrent_change', 'the key record changed during rekey; nothing was written');
    }
  }

  // -------------------------------------------------------------- export

  /** Every item (keys included) as an encrypted, chunked, authenticated export file (export.ts). */
  async export(key: KeySource, options?: ExportOptions): Promise<Uint8Array> {
    this.live();
    const cipher = this.cipher;
    async function* items(storage: WalletStorage): AsyncIterable<WalletItem> {
      for await (const stored of storage.scanItems()) yield cipher.decryptItem(stored);
    }
    return exportItems(items(this.storage), key, options);
  }

  /**
   * Imports an export file into this wallet, which must hold no items
   * (`wallet.not_empty`). The whole file is decrypted and verified before
   * the first write, and the items go in as one atomic batch: a wrong key,
   * a truncated or a modified file imports nothing. Returns the item count.
   */
  async import(file: Uint8Array, key: KeySource): Promise<number> {
    this.live();
    if ((await this.storage.countItems()) !== 0) throw new WalletError('wallet.not_empty', 'import goes into an empty wallet only');
    const items = importItems(file, key).map((item) => {
      try {
        return checkItem(item);
      } catch (e) {
        throw new WalletError('wallet.export_corrupted', 'the export holds an invalid item', { cause: e });
      }
    });
    if ((await this.storage.countItems()) !== 0) throw new WalletError('wallet.not_empty', 'import goes into an empty wallet only');
    await this.storage.addItems(items.map((i) => this.cipher.encryptItem(i)));
    return items.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.storage.close();
  }
}
