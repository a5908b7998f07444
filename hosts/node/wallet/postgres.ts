/**
 * Wallet storage in PostgreSQL (`pg`): for the manufacturer service when it
 * runs as several instances over one database.
 *
 * - Tables live in their own schema (default `ssiot_wallet`), so several
 *   wallets share a database by using several schemas; creation runs under
 *   an advisory lock, so instances starting together do not race.
 * - Every WalletStorage call is one transaction (batches are atomic; a
 *   duplicate rolls the whole batch back). Batches insert with `unnest`
 *   arrays: two statements per 1000 items, not two per item.
 * - Searches run in SQL (sql-query.ts) on the index tags(name, value):
 *   bytea comparison is bytewise, which is WQL's order. `$like` runs as
 *   `convert_from(value, 'UTF8') LIKE pattern ESCAPE ''` (no escape
 *   character, `_` = one character): the database must be UTF8.
 */
import pg from 'pg';
import { WalletError } from '../../../protocols/errors.ts';
import { utf8Decode } from '../../../protocols/encoding/bytes.ts';
import type { SearchOptions, StorageQuery, StoredItem, StoredTag, WalletStorage } from '../../../protocols/wallet/types.ts';
import { pageWindow } from '../../../protocols/wallet/memory.ts';
import { type SqlDialect, queryToSql } from './sql-query.ts';

export interface PostgresStorageOptions {
  /** A pool to use (not closed by close()), or a connection string for a pool of our own. */
  pool?: pg.Pool;
  connectionString?: string;
  /** Schema holding this wallet's tables (lowercase identifier; default 'ssiot_wallet'). */
  schema?: string;
  /** Items per batch statement (default 1000). */
  batchSize?: number;
}

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

const pgDialect: SqlDialect = {
  param(params, value) {
    params.push(value);
    return `$${params.length}`;
  },
  like(column, pattern, params) {
    params.push(utf8Decode(pattern));
    return `convert_from(${column}, 'UTF8') LIKE $${params.length} ESCAPE ''`;
  },
  bytes: buf,
};

function storageError(what: string, e: unknown): WalletError {
  if (e instanceof WalletError) return e;
  const code = (e as { code?: string }).code ?? '';
  if (code === '23505') return new WalletError('wallet.duplicate', 'an item with this type and id already exists');
  return new WalletError('wallet.storage', `PostgreSQL failed to ${what}: ${code ? `SQLSTATE ${code}` : (e as Error).message}`, { cause: e });
}

interface ItemRow {
  id: string;
  type: Buffer;
  name: Buffer;
  value: Buffer;
}

export class PostgresStorage implements WalletStorage {
  readonly kind = 'postgres';
  readonly pool: pg.Pool;
  private readonly ownPool: boolean;
  private readonly s: string;
  private readonly batchSize: number;
  private closed = false;

  private constructor(pool: pg.Pool, ownPool: boolean, schema: string, batchSize: number) {
    this.pool = pool;
    this.ownPool = ownPool;
    this.s = `"${schema}"`;
    this.batchSize = batchSize;
  }

  /** Connects and creates the schema and tables if needed. */
  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const schema = options.schema ?? 'ssiot_wallet';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new WalletError('wallet.storage', 'schema must be a lowercase SQL identifier');
    const batchSize = options.batchSize ?? 1000;
    let pool = options.pool;
    const own = !pool;
    if (!pool) {
      if (!options.connectionString) throw new WalletError('wallet.storage', 'PostgreSQL needs a pool or a connection string');
      pool = new pg.Pool({ connectionString: options.connectionString, max: 4 });
      pool.on('error', () => {
        /* idle client errors surface on the next query */
      });
    }
    const storage = new PostgresStorage(pool, own, schema, batchSize);
    try {
      await storage.init(schema);
    } catch (e) {
      if (own) await pool.end().catch(() => undefined);
      throw storageError('create the wallet schema', e);
    }
    return storage;
  }

  private async init(schema: string): Promise<void> {
    const s = this.s;
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ssiot-wallet:${schema}`]);
      const enc = await c.query("SELECT current_setting('server_encoding') AS e");
      if (enc.rows[0].e !== 'UTF8') throw new WalletError('wallet.storage', 'the wallet database must use UTF8 encoding');
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.meta (name text PRIMARY KEY, value bytea NOT NULL)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.items (
        id bigserial PRIMARY KEY, type bytea NOT NULL, name bytea NOT NULL, value bytea NOT NULL, UNIQUE (type, name))`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.tags (
        item_id bigint NOT NULL REFERENCES ${s}.items(id) ON DELETE CASCADE,
        name bytea NOT NULL, plain boolean NOT NULL, value bytea NOT NULL, PRIMARY KEY (item_id, name))`);
      await c.query(`CREATE INDEX IF NOT EXISTS items_type ON ${s}.items (type, id)`);
      await c.query(`CREATE INDEX IF NOT EXISTS tags_name_value ON ${s}.tags (name, value, item_id)`);
    });
  }

  private live(): void {
    if (this.closed) throw new WalletError('wallet.closed', 'storage is closed');
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async query<T extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<T>> {
    this.live();
    try {
      return await this.pool.query<T>(sql, params);
    } catch (e) {
      throw storageError(what, e);
    }
  }

  private async toItems(rows: ItemRow[], c?: pg.PoolClient): Promise<StoredItem[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const sql = `SELECT item_id, name, plain, value FROM ${this.s}.tags WHERE item_id = ANY($1::bigint[])`;
    const tagRows = (c ? await c.query(sql, [ids]) : await this.query('read tags', sql, [ids])).rows as { item_id: string; name: Buffer; plain: boolean; value: Buffer }[];
    const byItem = new Map<string, StoredTag[]>();
    for (const t of tagRows) {
      let list = byItem.get(t.item_id);
      if (!list) byItem.set(t.item_id, (list = []));
      list.push({ name: u8(t.name), plain: t.plain, value: u8(t.value) });
    }
    return rows.map((r) => ({ type: u8(r.type), id: u8(r.name), value: u8(r.value), tags: byItem.get(r.id) ?? [] }));
  }

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    const r = await this.query<{ value: Buffer }>('read meta', `SELECT value FROM ${this.s}.meta WHERE name = $1`, [name]);
    return r.rows[0] && u8(r.rows[0].value);
  }

  async initMeta(name: string, value: Uint8Array): Promise<boolean> {
    const r = await this.query('write meta', `INSERT INTO ${this.s}.meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, buf(value)]);
    return r.rowCount === 1;
  }

  async swapMeta(name: string, expected: Uint8Array, value: Uint8Array): Promise<boolean> {
    const r = await this.query('write meta', `UPDATE ${this.s}.meta SET value = $1 WHERE name = $2 AND value = $3`, [buf(value), name, buf(expected)]);
    return r.rowCount === 1;
  }

  async getItem(type: Uint8Array, id: Uint8Array): Promise<StoredItem | undefined> {
    const r = await this.query<ItemRow>('read an item', `SELECT id, type, name, value FROM ${this.s}.items WHERE type = $1 AND name = $2`, [buf(type), buf(id)]);
    return (await this.toItems(r.rows))[0];
  }

  private async insertBatch(c: pg.PoolClient, items: readonly StoredItem[]): Promise<void> {
    const ins = await c.query<{ id: string; type: Buffer; name: Buffer }>(
      `INSERT INTO ${this.s}.items (type, name, value)
       SELECT t, n, v FROM unnest($1::bytea[], $2::bytea[], $3::bytea[]) WITH ORDINALITY AS x(t, n, v, ord) ORDER BY ord
       RETURNING id, type, name`,
      [items.map((i) => buf(i.type)), items.map((i) => buf(i.id)), items.map((i) => buf(i.value))],
    );
    // RETURNING order is not guaranteed: match rows back by (type, name).
    const idOf = new Map<string, string>();
    for (const r of ins.rows) idOf.set(`${r.type.toString('hex')}.${r.name.toString('hex')}`, r.id);
    const ids: string[] = [];
    const names: Buffer[] = [];
    const plains: boolean[] = [];
    const values: Buffer[] = [];
    for (const item of items) {
      const id = idOf.get(`${buf(item.type).toString('hex')}.${buf(item.id).toString('hex')}`);
      if (id === undefined) throw new WalletError('wallet.storage', 'PostgreSQL did not return an inserted item');
      for (const t of item.tags) {
        ids.push(id);
        names.push(buf(t.name));
        plains.push(t.plain);
        values.push(buf(t.value));
      }
    }
    if (ids.length) {
      await c.query(`INSERT INTO ${this.s}.tags (item_id, name, plain, value) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::boolean[], $4::bytea[])`, [
        ids,
        names,
        plains,
        values,
      ]);
    }
  }

  async addItems(items: readonly StoredItem[]): Promise<void> {
    this.live();
    if (items.length === 0) return;
    try {
      await this.tx(async (c) => {
        for (let i = 0; i < items.length; i += this.batchSize) await this.insertBatch(c, items.slice(i, i + this.batchSize));
      });
    } catch (e) {
      throw storageError('add items', e);
    }
  }

  async replaceItem(item: StoredItem): Promise<void> {
    this.live();
    try {
      await this.tx(async (c) => {
        const r = await c.query<{ id: string }>(`UPDATE ${this.s}.items SET value = $1 WHERE type = $2 AND name = $3 RETURNING id`, [
          buf(item.value),
          buf(item.type),
          buf(item.id),
        ]);
        if (r.rows.length === 0) throw new WalletError('wallet.not_found', 'no item with this type and id');
        const id = r.rows[0].id;
        await c.query(`DELETE FROM ${this.s}.tags WHERE item_id = $1`, [id]);
        for (const t of item.tags) {
          await c.query(`INSERT INTO ${this.s}.tags (item_id, name, plain, value) VALUES ($1, $2, $3, $4)`, [id, buf(t.name), t.plain, buf(t.value)]);
        }
      });
    } catch (e) {
      throw storageError('replace an item', e);
    }
  }

  async deleteItem(type: Uint8Array, id: Uint8Array): Promise<boolean> {
    const r = await this.query('delete an item', `DELETE FROM ${this.s}.items WHERE type = $1 AND name = $2`, [buf(type), buf(id)]);
    return r.rowCount === 1;
  }

  /** The SQL and parameters of a search (EXPLAIN in tests). */
  searchSql(type: Uint8Array, query: StorageQuery, options?: SearchOptions): { sql: string; params: unknown[] } {
    const { offset, limit } = pageWindow(options);
    const params: unknown[] = [buf(type)];
    const { where } = queryToSql(query, pgDialect, params, `${this.s}.tags`);
    params.push(limit === Number.POSITIVE_INFINITY ? null : limit, offset);
    const n = params.length;
    return {
      sql: `SELECT i.id, i.type, i.name, i.value FROM ${this.s}.items i WHERE i.type = $1 AND ${where} ORDER BY i.id LIMIT $${n - 1} OFFSET $${n}`,
      params,
    };
  }

  async searchItems(type: Uint8Array, query: StorageQuery, options?: SearchOptions): Promise<StoredItem[]> {
    const { sql, params } = this.searchSql(type, query, options);
    const r = await this.query<ItemRow>('search', sql, params);
    return this.toItems(r.rows);
  }

  async *scanItems(): AsyncIterable<StoredItem> {
    let after = '0';
    for (;;) {
      const r = await this.query<ItemRow>('scan', `SELECT id, type, name, value FROM ${this.s}.items WHERE id > $1 ORDER BY id LIMIT 1000`, [after]);
      if (r.rows.length === 0) return;
      after = r.rows[r.rows.length - 1].id;
      for (const item of await this.toItems(r.rows)) yield item;
    }
  }

  async countItems(): Promise<number> {
    const r = await this.query<{ n: string }>('count', `SELECT count(*) AS n FROM ${this.s}.items`);
    return Number(r.rows[0].n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownPool) await this.pool.end();
  }
}
