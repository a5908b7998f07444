/**
 * The shared storage suite on SQLite, plus what only SQLite has: WAL, the
 * tag index actually used by searches, a non-wallet file refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineStorageSuite, RAW_KEY } from '../../../protocols/wallet/store-suite.ts';
import { Wallet } from '../../../protocols/wallet/wallet.ts';
import { expectCodeAsync } from '../../../tests/support/assert.ts';
import { SqliteStorage } from './sqlite.ts';
import { likePrefix, likeToGlob, prefixUpperBound } from './sql-query.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssiot-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

defineStorageSuite(
  { describe, it, expect },
  {
    name: 'sqlite',
    fresh: async () => {
      const path = join(dir, `w${n++}.db`);
      return { storage: SqliteStorage.open(path), reopen: async () => SqliteStorage.open(path) };
    },
  },
);

describe('sqlite specifics', () => {
  it('uses WAL and the tag index for searches', async () => {
    const storage = SqliteStorage.open(join(dir, 'plan.db'));
    const w = await Wallet.create(storage, { rawKey: RAW_KEY });
    await w.add({ type: 't', id: '1', value: 'v', tags: { color: 'red', '~n': '5' } });
    expect(storage.db.pragma('journal_mode', { simple: true })).toBe('wal');
    for (const q of [{ color: 'red' }, { '~n': { $gt: '3' } }, { color: { $in: ['red', 'blue'] } }]) {
      const { type, query } = w.storageQuery('t', q);
      const { sql, params } = storage.searchSql(type, query);
      const plan = (storage.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n');
      expect(plan).toMatch(/tags USING (COVERING )?INDEX tags_name_value/);
    }
    await w.close();
  });

  it('turns WQL $like into a GLOB with literal metacharacters bracketed, narrowed by its prefix', () => {
    expect(likeToGlob('a%b_c')).toBe('a*b?c');
    expect(likeToGlob('*?[]')).toBe('[*][?][[]]');
    expect(likePrefix('SN-00_%')).toBe('SN-00');
    expect(likePrefix('%x')).toBe('');
    expect(likePrefix('\u{1F600}ab_')).toBe('\u{1F600}ab');
    expect(Array.from(prefixUpperBound(new Uint8Array([0x61, 0xff, 0xff])) ?? [])).toEqual([0x62]);
    expect(prefixUpperBound(new Uint8Array([0xff]))).toBeUndefined();
  });

  it('drives searches from the tag index and probes the rest by primary key (no full scans)', async () => {
    const storage = SqliteStorage.open(join(dir, 'plan2.db'));
    const w = await Wallet.create(storage, { rawKey: RAW_KEY });
    const plans: Record<string, string> = {};
    const cases: Record<string, Record<string, unknown>> = {
      and: { color: 'red', '~n': { $gte: '5' }, $not: { size: 'L' } },
      like: { '~name': { $like: 'ab%' } },
      or: { $or: [{ color: 'red' }, { size: { $in: ['S'] } }] },
      all: {},
    };
    for (const [name, q] of Object.entries(cases)) {
      const { type, query } = w.storageQuery('t', q);
      const { sql, params } = storage.searchSql(type, query);
      plans[name] = (storage.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    }
    expect(plans.and).toMatch(/SEARCH i USING INTEGER PRIMARY KEY/);
    expect(plans.and).toMatch(/SEARCH t .*USING PRIMARY KEY \(item_id=\? AND name=\?\)/);
    expect(plans.like).toMatch(/tags_name_value \(name=\? AND value>\? AND value<\?\)/);
    expect(plans.or).toMatch(/MULTI-INDEX OR/);
    expect(plans.all).toMatch(/items_type/);
    for (const p of Object.values(plans)) expect(p).not.toMatch(/SCAN (i|tags)\b/);
    await w.close();
  });

  it('refuses a file that is not a wallet database', async () => {
    const path = join(dir, 'not-a-db');
    writeFileSync(path, 'this is not sqlite, just some text long enough to be a header............................................');
    await expectCodeAsync(async () => SqliteStorage.open(path), 'wallet.storage');
  });
});
