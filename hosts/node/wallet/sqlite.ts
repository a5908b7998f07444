/**
 * Wallet storage in one SQLite file (better-sqlite3): the manufacturer
 * service's embedded default and the CLI's.
 *
 * - WAL journal, `synchronous = FULL` by default: a committed add survives
 *   power loss (a wallet that loses a just-created key after publishing its
 *   DID is worse than a slower insert); pass `synchronous: 'NORMAL'` to trade.
 * - Every WalletStorage call is one transaction, so batches are atomic.
 * - Tag search runs in SQL (sql-query.ts): a tag lookup on the index
 *   tags(name, value) drives (equality on encrypted tags, ranges and like
 *   prefixes on plaintext ones), other conditions probe tags' primary key.
 *   `tags` is WITHOUT ROWID, clustered by (item_id, name), so an item's tags
 *   sit together and deleting an item (ON DELETE CASCADE) is one range.
 */
import Database from 'better-sqlite3';
import { WalletError } from '../../../protocols/errors.ts';
import { utf8Decode } from '../../../protocols/encoding/bytes.ts';
import type { SearchOptions, StorageQuery, StoredItem, StoredTag, WalletStorage } from '../../../protocols/wallet/types.ts';
import { pageWindow } from '../../../protocols/wallet/memory.ts';
import { type SqlDialect, likeToGlob, queryToSql } from './sql-query.ts';

export interface SqliteStorageOptions {
  /** 'FULL' (default) or 'NORMAL' (faster commits; the last ones may be lost on power failure, never corrupted). */
  synchronous?: 'FULL' | 'NORMAL';
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY,
  type BLOB NOT NULL,
  name BLOB NOT NULL,
  value BLOB NOT NULL,
  UNIQUE (type, name)
);
CREATE INDEX IF NOT EXISTS items_type ON items (type);
CREATE TABLE IF NOT EXISTS tags (
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  name BLOB NOT NULL,
  plain INTEGER NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (item_id, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_name_value ON tags (name, value, item_id);
`;

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

const sqliteDialect: SqlDialect = {
  param(params, value) {
    params.push(value);
    return '?';
  },
  like(column, pattern, params) {
    params.push(likeToGlob(utf8Decode(pattern)));
    return `CAST(${column} AS TEXT) GLOB ?`;
  },
  bytes: buf,
};

function storageError(what: string, e: unknown): WalletError {
  if (e instanceof WalletError) return e;
  const code = (e as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_CONSTRAINT')) return new WalletError('wallet.duplicate', 'an item with this type and id already exists');
  return new WalletError('wallet.storage', `SQLite failed to ${what}: ${code || (e as Error).message}`, { cause: e });
}

interface ItemRow {
  id: number;
  type: Buffer;
  name: Buffer;
  value: Buffer;
}
interface TagRow {
  item_id: number;
  name: Buffer;
  plain: number;
  value: Buffer;
}

export class SqliteStorage implements WalletStorage {
  readonly kind = 'sqlite';
  /** The database handle (benchmarks run EXPLAIN QUERY PLAN through it). */
  readonly db: Database.Database;
  private closed = false;
  private readonly stmt: {
    getMeta: Database.Statement;
    initMeta: Database.Statement;
    swapMeta: Database.Statement;
    getItem: Database.Statement;
    insertItem: Database.Statement;
    insertTag: Database.Statement;
    updateItem: Database.Statement;
    deleteTags: Database.Statement;
    deleteItem: Database.Statement;
    count: Database.Statement;
    scan: Database.Statement;
  };
  private readonly insertBatch: (items: readonly StoredItem[]) => void;
  private readonly replace: (item: StoredItem) => void;

  private constructor(db: Database.Database, options: SqliteStorageOptions) {
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new WalletError('wallet.storage', `wallet database schema ${version} is newer than this software (${SCHEMA_VERSION})`);
    if (version < SCHEMA_VERSION) {
      // Only a new (or older) database is written to: opening an existing wallet changes nothing.
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
    this.stmt = {
      getMeta: db.prepare('SELECT value FROM meta WHERE name = ?'),
      initMeta: db.prepare('INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)'),
      swapMeta: db.prepare('UPDATE meta SET value = ? WHERE name = ? AND value = ?'),
      getItem: db.prepare('SELECT id, type, name, value FROM items WHERE type = ? AND name = ?'),
      insertItem: db.prepare('INSERT INTO items (type, name, value) VALUES (?, ?, ?)'),
      insertTag: db.prepare('INSERT INTO tags (item_id, name, plain, value) VALUES (?, ?, ?, ?)'),
      updateItem: db.prepare('UPDATE items SET value = ? WHERE type = ? AND name = ? RETURNING id'),
      deleteTags: db.prepare('DELETE FROM tags WHERE item_id = ?'),
      deleteItem: db.prepare('DELETE FROM items WHERE type = ? AND name = ?'),
      count: db.prepare('SELECT count(*) AS n FROM items'),
      scan: db.prepare('SELECT id, type, name, value FROM items WHERE id > ? ORDER BY id LIMIT ?'),
    };
    const insertTags = (itemId: number | bigint, tags: readonly StoredTag[]) => {
      for (const t of tags) this.stmt.insertTag.run(itemId, buf(t.name), t.plain ? 1 : 0, buf(t.value));
    };
    this.insertBatch = db.transaction((items: readonly StoredItem[]) => {
      for (const item of items) {
        const r = this.stmt.insertItem.run(buf(item.type), buf(item.id), buf(item.value));
        insertTags(r.lastInsertRowid, item.tags);
      }
    });
    this.replace = db.transaction((item: StoredItem) => {
      const row = this.stmt.updateItem.get(buf(item.value), buf(item.type), buf(item.id)) as { id: number } | undefined;
      if (!row) throw new WalletError('wallet.not_found', 'no item with this type and id');
      this.stmt.deleteTags.run(row.id);
      insertTags(row.id, item.tags);
    });
  }

  /** Opens (creating if needed) the wallet database at `path` (':memory:' for a throwaway one). */
  static open(path: string, options: SqliteStorageOptions = {}): SqliteStorage {
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (e) {
      throw storageError(`open ${path}`, e);
    }
    try {
      return new SqliteStorage(db, options);
    } catch (e) {
      db.close();
      if ((e as { code?: string }).code === 'SQLITE_NOTADB') throw new WalletError('wallet.storage', `${path} is not a wallet database`, { cause: e });
      throw storageError('initialise the schema', e);
    }
  }

  private live(): void {
    if (this.closed) throw new WalletError('wallet.closed', 'storage is closed');
  }

  private run<T>(what: string, fn: () => T): T {
    this.live();
    try {
      return fn();
    } catch (e) {
      throw storageError(what, e);
    }
  }

  /** Tags of many items in one query, grouped by item id. */
  private tagsOf(ids: readonly number[]): Map<number, StoredTag[]> {
    const out = new Map<number, StoredTag[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const slice = ids.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT item_id, name, plain, value FROM tags WHERE item_id IN (${slice.map(() => '?').join(',')})`).all(...slice) as TagRow[];
      for (const r of rows) {
        let list = out.get(r.item_id);
        if (!list) out.set(r.item_id, (list = []));
        list.push({ name: u8(r.name), plain: r.plain === 1, value: u8(r.value) });
      }
    }
    return out;
  }

  private toItems(rows: ItemRow[]): StoredItem[] {
    const tags = this.tagsOf(rows.map((r) => r.id));
    return rows.map((r) => ({ type: u8(r.type), id: u8(r.name), value: u8(r.value), tags: tags.get(r.id) ?? [] }));
  }

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    return this.run('read meta', () => {
      const row = this.stmt.getMeta.get(name) as { value: Buffer } | undefined;
      return row && u8(row.value);
    });
  }

  async initMeta(name: string, value: Uint8Array): Promise<boolean> {
    return this.run('write meta', () => this.stmt.initMeta.run(name, buf(value)).changes === 1);
  }

  async swapMeta(name: string, expected: Uint8Array, value: Uint8Array): Promise<boolean> {
    return this.run('write meta', () => this.stmt.swapMeta.run(buf(value), name, buf(expected)).changes === 1);
  }

  async getItem(type: Uint8Array, id: Uint8Array): Promise<StoredItem | undefined> {
    return this.run('read an item', () => {
      const row = this.stmt.getItem.get(buf(type), buf(id)) as ItemRow | undefined;
      return row && this.toItems([row])[0];
    });
  }

  async addItems(items: readonly StoredItem[]): Promise<void> {
    this.run('add items', () => this.insertBatch(items));
  }

  async replaceItem(item: StoredItem): Promise<void> {
    this.run('replace an item', () => this.replace(item));
  }

  async deleteItem(type: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.run('delete an item', () => this.stmt.deleteItem.run(buf(type), buf(id)).changes === 1);
  }

  /** The SQL and parameters for a search (also used by the benchmark's EXPLAIN QUERY PLAN). */
  searchSql(type: Uint8Array, query: StorageQuery, options?: SearchOptions): { sql: string; params: unknown[] } {
    const { offset, limit } = pageWindow(options);
    const params: unknown[] = [buf(type)];
    const { where, driven } = queryToSql(query, sqliteDialect, params, 'tags');
    params.push(limit === Number.POSITIVE_INFINITY ? -1 : limit, offset);
    // When a tag lookup drives, `+` keeps SQLite (which may have no statistics) from
    // scanning the type index instead; otherwise items_type(type, rowid) scans in id order.
    const typeTerm = driven ? '+i.type' : 'i.type';
    return { sql: `SELECT i.id, i.type, i.name, i.value FROM items i WHERE ${typeTerm} = ? AND ${where} ORDER BY i.id LIMIT ? OFFSET ?`, params };
  }

  async searchItems(type: Uint8Array, query: StorageQuery, options?: SearchOptions): Promise<StoredItem[]> {
    const { sql, params } = this.searchSql(type, query, options);
    return this.run('search', () => this.toItems(this.db.prepare(sql).all(...params) as ItemRow[]));
  }

  async *scanItems(): AsyncIterable<StoredItem> {
    let after = 0;
    for (;;) {
      const rows = this.run('scan', () => this.stmt.scan.all(after, 1000) as ItemRow[]);
      if (rows.length === 0) return;
      after = rows[rows.length - 1].id;
      for (const item of this.run('scan', () => this.toItems(rows))) yield item;
    }
  }

  async countItems(): Promise<number> {
    return this.run('count', () => (this.stmt.count.get() as { n: number }).n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.pragma('optimize'); // keeps planner statistics current (SQLite's advice for long-lived files)
    } catch {
      /* read-only or busy: statistics are an optimisation */
    }
    this.db.close();
  }
}
