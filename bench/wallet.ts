/**
 * `npm run bench:wallet`: the wallet's figures.
 *  1. inserts per second, one by one and batched (addMany), per backend;
 *  2. WQL queries over N (default 100,000) items on SQLite: median and p99
 *     latency, end to end (encrypt query, SQL, decrypt and re-check hits);
 *  3. rekey time at N items (Argon2id default cost, and a raw key), with the
 *     number of storage writes it made (1);
 *  4. device footprint: key-value bytes per item, and the XS meter
 *     (allocate, heap slots, compute) of a search on a device-sized wallet.
 * The service host's node:crypto primitives are installed (XChaCha20 stays
 * noble: OpenSSL has none), as the manufacturer service runs them.
 *
 * Options: --items N (default 100000), --queries Q (default 200),
 * --device-items N (default 64), --postgres (also time PostgreSQL inserts,
 * starting a server with scripts/postgres.ts), --no-xs, --json.
 * Progress on stderr; the report on stdout.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrypto } from '../protocols/crypto/index.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { SqliteStorage } from '../hosts/node/wallet/sqlite.ts';
import { KeyValueStorage, MemoryKeyValue } from '../protocols/wallet/kv.ts';
import { MemoryStorage } from '../protocols/wallet/memory.ts';
import { countingStorage } from '../protocols/wallet/store-suite.ts';
import type { WalletStorage } from '../protocols/wallet/types.ts';
import { Wallet } from '../protocols/wallet/wallet.ts';
import { DEFAULT_ARGON2 } from '../protocols/wallet/kdf.ts';
import { benchArgs, log, logDone, withXsPayload } from './support.ts';
import { deviceItems, SERVICE_QUERIES, serviceItem } from './wallet-items.ts';

const { flag, num } = benchArgs();
const N = num('--items', 100_000);
const QUERIES = num('--queries', 200);
const DEVICE_N = num('--device-items', 64);
const RAW = { rawKey: new Uint8Array(32).fill(0x5a) };

installCrypto(nodeCrypto);
const dir = mkdtempSync(join(tmpdir(), 'ssiot-bench-wallet-'));

interface InsertRow {
  backend: string;
  mode: 'single' | 'batched';
  items: number;
  perSecond: number;
}
interface QueryRow {
  query: string;
  hits: number;
  medianMs: number;
  p99Ms: number;
}

const kib = (n: number) => (n / 1024).toFixed(0);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timeInserts(backend: string, make: () => Promise<WalletStorage>, single: number, batched: number): Promise<InsertRow[]> {
  const rows: InsertRow[] = [];
  {
    const w = await Wallet.create(await make(), RAW);
    const start = performance.now();
    for (let i = 0; i < single; i++) await w.add(serviceItem(i));
    const s = (performance.now() - start) / 1000;
    rows.push({ backend, mode: 'single', items: single, perSecond: single / s });
    await w.close();
  }
  {
    const w = await Wallet.create(await make(), RAW);
    const start = performance.now();
    for (let i = 0; i < batched; i += 1000) {
      const batch = [];
      for (let j = i; j < Math.min(batched, i + 1000); j++) batch.push(serviceItem(j));
      await w.addMany(batch);
    }
    const s = (performance.now() - start) / 1000;
    rows.push({ backend, mode: 'batched', items: batched, perSecond: batched / s });
    await w.close();
  }
  for (const r of rows) log(`  ${r.backend.padEnd(22)} ${r.mode.padEnd(8)} ${r.perSecond.toFixed(0)} items/s (${r.items} items)`);
  return rows;
}

let dbCount = 0;
const sqlitePath = () => join(dir, `b${dbCount++}.db`);

async function insertRates(): Promise<InsertRow[]> {
  log('inserts:');
  const rows: InsertRow[] = [];
  rows.push(...(await timeInserts('memory', async () => new MemoryStorage(), 5000, 20000)));
  rows.push(...(await timeInserts('kv (ECMA-419, in RAM)', async () => KeyValueStorage.open(new MemoryKeyValue()), 5000, 20000)));
  rows.push(...(await timeInserts('sqlite (sync FULL)', async () => SqliteStorage.open(sqlitePath()), 2000, 20000)));
  rows.push(...(await timeInserts('sqlite (sync NORMAL)', async () => SqliteStorage.open(sqlitePath(), { synchronous: 'NORMAL' }), 2000, 20000)));
  if (flag('--postgres')) {
    const { startPostgres } = await import('../scripts/postgres.ts');
    const { PostgresStorage } = await import('../hosts/node/wallet/postgres.ts');
    const server = await startPostgres();
    let schema = 0;
    try {
      rows.push(...(await timeInserts('postgres', async () => PostgresStorage.open({ connectionString: server.url, schema: `b${schema++}` }), 2000, 20000)));
    } finally {
      await server.stop();
    }
  }
  return rows;
}

async function sqliteAtScale(): Promise<{ build: InsertRow; queries: QueryRow[]; rekey: Record<string, number>; dbBytes: number }> {
  log(`SQLite with ${N} items:`);
  const path = sqlitePath();
  const { storage, writes } = countingStorage(SqliteStorage.open(path));
  const w = await Wallet.create(storage, { passphrase: 'bench passphrase' });
  const start = performance.now();
  for (let i = 0; i < N; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + 1000); j++) batch.push(serviceItem(j));
    await w.addMany(batch);
    if (i % 20000 === 0) log(`  … ${i} items`);
  }
  const buildS = (performance.now() - start) / 1000;
  const build: InsertRow = { backend: 'sqlite (sync FULL)', mode: 'batched', items: N, perSecond: N / buildS };
  log(`  built in ${buildS.toFixed(1)} s (${build.perSecond.toFixed(0)} items/s)`);
  const queries: QueryRow[] = [];
  for (const q of SERVICE_QUERIES) {
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < 5; i++) await w.search('credential', q.query); // warm
    for (let i = 0; i < QUERIES; i++) {
      const t = performance.now();
      hits = (await w.search('credential', q.query)).length;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const row = { query: q.name, hits, medianMs: percentile(times, 50), p99Ms: percentile(times, 99) };
    log(`  ${q.name.padEnd(36)} hits ${String(hits).padStart(4)}  median ${row.medianMs.toFixed(2)} ms  p99 ${row.p99Ms.toFixed(2)} ms`);
    queries.push(row);
  }
  const before = { ...writes };
  let t = performance.now();
  await w.rekey({ passphrase: 'new bench passphrase' });
  const passphraseMs = performance.now() - t;
  t = performance.now();
  await w.rekey(RAW);
  const rawMs = performance.now() - t;
  const rekeyWrites = Object.keys(writes).reduce((n, k) => n + writes[k] - before[k], 0);
  log(`  rekey at ${N} items: ${passphraseMs.toFixed(0)} ms with Argon2id m=${DEFAULT_ARGON2.m} t=${DEFAULT_ARGON2.t}, ${rawMs.toFixed(1)} ms with a raw key; ${rekeyWrites} storage writes for both`);
  await w.close();
  const dbBytes = statSync(path).size;
  return { build, queries, rekey: { passphraseMs, rawMs, writesForTwoRekeys: rekeyWrites }, dbBytes };
}

async function deviceFootprint(): Promise<Record<string, number>> {
  log('device footprint (key-value store):');
  const kv = new MemoryKeyValue();
  const w = await Wallet.create(await KeyValueStorage.open(kv), RAW);
  const base = kv.bytes();
  for (const item of deviceItems(DEVICE_N)) await w.add(item);
  const items = kv.bytes() - base;
  const beforeKeys = kv.bytes();
  await w.keys.create('Ed25519');
  await w.keys.create('X25519');
  const keyBytes = (kv.bytes() - beforeKeys) / 2;
  let plainBytes = 0;
  for (const item of deviceItems(DEVICE_N)) plainBytes += item.type.length + item.id.length + item.value.length + Object.entries(item.tags ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);
  const r = {
    items: DEVICE_N,
    keyRecordBytes: base,
    bytesPerItem: items / DEVICE_N,
    plaintextBytesPerItem: plainBytes / DEVICE_N,
    bytesPerKey: keyBytes,
  };
  log(`  ${r.bytesPerItem.toFixed(0)} bytes/item stored (plaintext ${r.plaintextBytesPerItem.toFixed(0)}), ${r.bytesPerKey.toFixed(0)} bytes/key, key record ${base} bytes`);
  return r;
}

async function xsSearch(): Promise<Record<string, number>> {
  log(`XS: search in a device wallet of ${DEVICE_N} items`);
  const { randomBytes } = await import('node:crypto');
  const dec = new TextDecoder();
  const handleCommand = (req: Uint8Array) => {
    const m = JSON.parse(dec.decode(req)) as { op: string; length: number };
    if (m.op === 'random') return new Uint8Array(randomBytes(m.length));
    throw new Error(`unexpected ${m.op}`);
  };
  type Reply = { ok: boolean; ms: number; value?: Record<string, number> };
  return withXsPayload('bench/wallet-xs.ts', { name: 'bench-wallet', handleCommand }, async (xs) => {
    const call = async (cmd: object) => {
      const r = await xs.call<Reply>(cmd);
      return { ...r.value, meter: r.meter };
    };
    const loaded = await call({ op: 'noop' });
    const setup = await call({ op: 'setup', items: DEVICE_N });
    await call({ op: 'search' }); // warm caches (encrypted type and tag names)
    const idle = await call({ op: 'noop' });
    const search = await call({ op: 'search' });
    const after = await call({ op: 'noop' });
    const r = {
      hits: search.value?.hits ?? 0,
      searchMs: search.ms,
      searchCompute: search.meter.compute ?? 0,
      /** xsnap `allocate` = heap space the machine has obtained so far (bytes; grows only). */
      heapBytesCodeLoaded: loaded.meter.allocate ?? 0,
      heapBytesWithWallet: idle.meter.allocate ?? 0,
      heapBytesGrowthDuringSearch: (search.meter.allocate ?? 0) - (idle.meter.allocate ?? 0),
      /** XS slots in use (16 bytes each on a 32-bit MCU, 32 on desktop): after a GC, right after the search (its garbage included), after the next GC. */
      slotsIdle: idle.meter.currentHeapCount ?? 0,
      slotsAfterSearch: search.meter.currentHeapCount ?? 0,
      slotsAfterGc: after.meter.currentHeapCount ?? 0,
      kvBytes: setup.value?.bytes ?? 0,
      setupMs: setup.ms,
    };
    log(
      `  search: ${r.hits} hits, ${r.searchMs.toFixed(1)} ms desktop-XS, compute ${r.searchCompute}; heap ${r.heapBytesCodeLoaded} bytes with code loaded, ${r.heapBytesWithWallet} with the wallet, +${r.heapBytesGrowthDuringSearch} during the search; slots ${r.slotsIdle} idle, ${r.slotsAfterSearch} after the search, ${r.slotsAfterGc} after GC`,
    );
    return r;
  });
}

const started = performance.now();
try {
  const inserts = await insertRates();
  const scale = await sqliteAtScale();
  const device = await deviceFootprint();
  const xs = flag('--no-xs') ? undefined : await xsSearch();
  const report = { node: process.version, items: N, inserts: [...inserts, scale.build], queries: scale.queries, rekey: scale.rekey, sqliteFileBytes: scale.dbBytes, device, xs };
  logDone(started);
  if (flag('--json')) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const lines: string[] = [];
    lines.push('inserts                         mode       items/s');
    for (const r of report.inserts) lines.push(`${r.backend.padEnd(31)} ${r.mode.padEnd(8)} ${r.perSecond.toFixed(0).padStart(9)}   (${r.items} items)`);
    lines.push('', `WQL on SQLite, ${N} items, ${QUERIES} runs each   hits   median ms   p99 ms`);
    for (const q of report.queries) lines.push(`${q.query.padEnd(44)} ${String(q.hits).padStart(5)} ${q.medianMs.toFixed(2).padStart(11)} ${q.p99Ms.toFixed(2).padStart(8)}`);
    lines.push(
      '',
      `rekey at ${N} items: ${scale.rekey.passphraseMs.toFixed(0)} ms (passphrase, Argon2id m=${DEFAULT_ARGON2.m} KiB t=${DEFAULT_ARGON2.t} p=${DEFAULT_ARGON2.p}), ${scale.rekey.rawMs.toFixed(1)} ms (raw key); storage writes for the two rekeys: ${scale.rekey.writesForTwoRekeys}`,
      `SQLite file: ${(scale.dbBytes / N).toFixed(0)} bytes/item`,
      '',
      `device (key-value): ${device.bytesPerItem.toFixed(0)} bytes/item stored for ${device.plaintextBytesPerItem.toFixed(0)} bytes of plaintext; ${device.bytesPerKey.toFixed(0)} bytes/key; key record ${device.keyRecordBytes} bytes`,
    );
    if (xs) {
      lines.push(
        `XS search (${DEVICE_N}-item device wallet, ${xs.hits} hits): ${xs.searchMs.toFixed(1)} ms desktop XS, compute ${xs.searchCompute.toLocaleString('en-US')}`,
        `XS heap: ${kib(xs.heapBytesCodeLoaded)} KiB with the code loaded, ${kib(xs.heapBytesWithWallet)} KiB with the wallet open, +${kib(xs.heapBytesGrowthDuringSearch)} KiB during the search; slots in use ${xs.slotsIdle.toLocaleString('en-US')} idle -> ${xs.slotsAfterSearch.toLocaleString('en-US')} right after the search (+${(xs.slotsAfterSearch - xs.slotsIdle).toLocaleString('en-US')} = ${kib((xs.slotsAfterSearch - xs.slotsIdle) * 16)} KiB at 16 B/slot) -> ${xs.slotsAfterGc.toLocaleString('en-US')} after GC`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
