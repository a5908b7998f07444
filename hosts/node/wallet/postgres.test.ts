/**
 * The shared storage suite on PostgreSQL, against a real server that
 * scripts/postgres.ts installs (apt-get, if missing) and starts for this file.
 * If it cannot, beforeAll throws and every test here fails with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../../../scripts/postgres.ts';
import { defineStorageSuite, RAW_KEY } from '../../../protocols/wallet/store-suite.ts';
import { Wallet } from '../../../protocols/wallet/wallet.ts';
import { PostgresStorage } from './postgres.ts';

let server: PostgresServer | undefined;
let pool: pg.Pool | undefined;
let n = 0;

beforeAll(async () => {
  server = await startPostgres();
  pool = new pg.Pool({ connectionString: server.url, max: 8 });
}, 600_000);

afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

function need(): pg.Pool {
  if (!pool) throw new Error('PostgreSQL did not start (see beforeAll)');
  return pool;
}

defineStorageSuite(
  { describe, it, expect },
  {
    name: 'postgres',
    fresh: async () => {
      const schema = `w${n++}`;
      return {
        storage: await PostgresStorage.open({ pool: need(), schema }),
        reopen: async () => PostgresStorage.open({ pool: need(), schema }),
      };
    },
  },
);

describe('postgres specifics', () => {
  it('two instances over one schema see each other and a concurrent duplicate fails atomically', async () => {
    const a = await PostgresStorage.open({ connectionString: server!.url, schema: 'shared' });
    const b = await PostgresStorage.open({ connectionString: server!.url, schema: 'shared' });
    const wa = await Wallet.create(a, { rawKey: RAW_KEY });
    const wb = await Wallet.open(b, { rawKey: RAW_KEY });
    await wa.add({ type: 't', id: '1', value: 'from a', tags: { '~x': '1' } });
    expect((await wb.get('t', '1'))?.value).toBe('from a');
    const results = await Promise.allSettled([
      wa.addMany([{ type: 't', id: 'x', value: 'a' }, { type: 't', id: 'a-only', value: 'a' }]),
      wb.addMany([{ type: 't', id: 'x', value: 'b' }, { type: 't', id: 'b-only', value: 'b' }]),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await wa.count()).toBe(3);
    await wa.close();
    await wb.close();
  });

  it('searches through the tag index', async () => {
    const storage = await PostgresStorage.open({ pool: need(), schema: 'plan' });
    const w = await Wallet.create(storage, { rawKey: RAW_KEY });
    const items = [];
    for (let i = 0; i < 2000; i++) items.push({ type: 't', id: String(i), value: 'v', tags: { color: `c${i % 50}`, '~n': String(i).padStart(5, '0') } });
    await w.addMany(items);
    await need().query('ANALYZE plan.tags');
    await need().query('ANALYZE plan.items');
    const { type, query } = w.storageQuery('t', { color: 'c7', '~n': { $lt: '00100' } });
    const { sql, params } = storage.searchSql(type, query);
    const plan = (await need().query(`EXPLAIN ${sql}`, params)).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/tags_name_value/);
    expect((await w.search('t', { color: 'c7', '~n': { $lt: '00100' } })).map((i) => i.id).sort()).toEqual(['57', '7']);
  });
});
