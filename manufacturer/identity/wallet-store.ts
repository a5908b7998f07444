/**
 * The identity's wallet inside the service's one SQLite database.
 *
 * Why not hosts/node/wallet/sqlite.ts: SqliteStorage opens its own file and
 * owns generic table names (`meta`, `items`, `tags`) and `user_version`, so
 * it cannot share the service's database. Keeping the keys in the same file
 * as the DID log matters: a backup (or a restore) of one file always holds a
 * log and the keys that control it; two files restored from different
 * moments could pair a log with keys that no longer match it, and a DID whose
 * committed next key is lost can never be rotated again.
 *
 * So the wallet runs on protocols/wallet's KeyValueStorage (the device's
 * storage layout: one item per key, a journal for batches) over a two-column
 * table `identity_wallet`, one row per key. Each write is one SQL statement,
 * atomic on its own, which is all KeyValueStorage asks of a host. Everything
 * in the table is ciphertext under the master key, exactly as on a device.
 * A caller that prefers a separate wallet file passes its own WalletStorage
 * (e.g. `SqliteStorage.open(path)`) to ManufacturerIdentity.open instead.
 */
import type Database from 'better-sqlite3';
import type { KeyValueStore } from '../../protocols/wallet/kv.ts';

export const WALLET_TABLE = 'identity_wallet';

/** Creates the wallet table (idempotent). */
export function migrateWalletTable(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${WALLET_TABLE} (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID`);
}

/** An ECMA-419-shaped key-value store (format "buffer") over one table of the service database. */
export class SqliteKeyValue implements KeyValueStore {
  private readonly stmt: {
    read: Database.Statement<[string], { value: Buffer | string }>;
    write: Database.Statement<[string, Buffer]>;
    delete: Database.Statement<[string]>;
    keys: Database.Statement<[], { key: string }>;
  };

  constructor(db: Database.Database) {
    migrateWalletTable(db);
    this.stmt = {
      read: db.prepare(`SELECT value FROM ${WALLET_TABLE} WHERE key = ?`),
      write: db.prepare(`INSERT INTO ${WALLET_TABLE} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      delete: db.prepare(`DELETE FROM ${WALLET_TABLE} WHERE key = ?`),
      keys: db.prepare(`SELECT key FROM ${WALLET_TABLE} ORDER BY key`),
    };
  }

  read(key: string): ArrayBuffer | undefined {
    const row = this.stmt.read.get(key);
    if (!row) return undefined;
    const b = typeof row.value === 'string' ? Buffer.from(row.value, 'utf8') : row.value;
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  write(key: string, value: ArrayBuffer | string): void {
    this.stmt.write.run(key, typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(new Uint8Array(value)));
  }

  delete(key: string): void {
    this.stmt.delete.run(key);
  }

  [Symbol.iterator](): Iterator<string> {
    // materialized: the store holds a handful of keys, and iterating while the
    // caller deletes (journal recovery) must not run over a live cursor
    return this.stmt.keys
      .all()
      .map((r) => r.key)
      [Symbol.iterator]();
  }
}
