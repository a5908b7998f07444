/**
 * `npm run bench`: speed of the public-key and hash primitives the device
 * and the services lean on, in Node (pure-JS noble default, then node:crypto
 * installed through the facade) and inside the XS engine (xsnap, noble).
 * XS rows also give the deterministic compute-meter count per operation,
 * the figure to compare across machines and runs (DESIGN.md §3); its
 * milliseconds are desktop-XS wall-clock (an ESP32 is ~30-50x slower).
 *
 * Progress on stderr, the table on stdout; `--json` prints the rows as JSON.
 * Options: --node-budget MS (per op and provider, default 400),
 * --xs-budget MS (per op, default 1500), --no-xs, --no-node.
 */
import { getCrypto, installCrypto, resetCrypto } from '../protocols/crypto/index.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { bundleScript, ROOT } from '../hosts/xs/bundle.ts';
import { BENCH_OPS, type BenchOp } from './ops.ts';
import { join } from 'node:path';

export interface BenchRow {
  primitive: string;
  engine: 'node (noble)' | 'node (node:crypto)' | 'xs (noble)';
  /** Operations timed. */
  ops: number;
  opsPerSec: number;
  msPerOp: number;
  /** Hashes only: throughput in MB/s (10^6 bytes). */
  mbPerSec?: number;
  /** XS only: compute-meter count per operation (deterministic). */
  computePerOp?: number;
  /** XS only: how many times slower than Node with the same (noble) code. */
  xsOverNode?: number;
}

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const num = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const NODE_BUDGET_MS = num('--node-budget', 400);
const XS_BUDGET_MS = num('--xs-budget', 1500);
const log = (s: string) => process.stderr.write(s + '\n');

function row(op: BenchOp, engine: BenchRow['engine'], ops: number, ms: number, computePerOp?: number): BenchRow {
  const msPerOp = ms / ops;
  const r: BenchRow = { primitive: op.name, engine, ops, opsPerSec: 1000 / msPerOp, msPerOp };
  if (op.bytes) r.mbPerSec = op.bytes / 1e6 / (msPerOp / 1000);
  if (computePerOp !== undefined) r.computePerOp = computePerOp;
  return r;
}

/** Times `fn` for about `budgetMs` after one warm-up call. */
function timeNode(fn: () => unknown, budgetMs: number): { ops: number; ms: number } {
  fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    ops++;
    elapsed = performance.now() - start;
  } while (elapsed < budgetMs);
  return { ops, ms: elapsed };
}

function benchNode(engine: 'node (noble)' | 'node (node:crypto)'): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const op of BENCH_OPS) {
    const { ops, ms } = timeNode(op.prepare(getCrypto()), NODE_BUDGET_MS);
    const r = row(op, engine, ops, ms);
    log(`  ${engine.padEnd(19)} ${op.name.padEnd(15)} ${r.msPerOp.toFixed(3)} ms/op`);
    rows.push(r);
  }
  return rows;
}

async function benchXs(): Promise<BenchRow[]> {
  const code = await bundleScript(join(ROOT, 'bench/xs-payload.ts'));
  // Lockdown (inside spawnXsWorker's first call) only after esbuild is done.
  const { spawnXsWorker } = await import('../hosts/xs/worker.ts');
  const worker = await spawnXsWorker({ name: 'bench', meteringLimit: 0 });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const call = async (cmd: object) => {
    const r = await worker.issueCommand(enc.encode(JSON.stringify(cmd)));
    return { value: JSON.parse(dec.decode(r.reply)) as { ms: number } | null, compute: r.meterUsage.compute ?? 0 };
  };
  const rows: BenchRow[] = [];
  try {
    await worker.evaluate(code);
    for (const op of BENCH_OPS) {
      await call({ op: 'prepare', name: op.name });
      const base = (await call({ op: 'run', name: op.name, iterations: 0 })).compute;
      await call({ op: 'run', name: op.name, iterations: 1 }); // warm-up: lazy tables, JIT-less but caches
      const one = await call({ op: 'run', name: op.name, iterations: 1 });
      const computePerOp = one.compute - base;
      // xsnap reports compute as a uint32 per crank: keep each crank well below 2^32.
      const maxByMeter = Math.max(1, Math.floor(3e9 / Math.max(1, computePerOp)));
      const iterations = Math.max(1, Math.min(maxByMeter, Math.round(XS_BUDGET_MS / Math.max(0.01, one.value!.ms))));
      const run = iterations === 1 ? one : await call({ op: 'run', name: op.name, iterations });
      const r = row(op, 'xs (noble)', iterations, run.value!.ms, Math.round((run.compute - base) / iterations));
      log(`  ${'xs (noble)'.padEnd(19)} ${op.name.padEnd(15)} ${r.msPerOp.toFixed(3)} ms/op, compute ${r.computePerOp}/op`);
      rows.push(r);
    }
  } finally {
    await worker.close().catch(() => worker.terminate());
  }
  return rows;
}

function fmt(n: number | undefined, digits = 2): string {
  if (n === undefined) return '';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 100) return n.toFixed(0);
  return n.toFixed(digits);
}

function table(rows: BenchRow[]): string {
  const head = ['primitive', 'engine', 'ops/s', 'ms/op', 'MB/s', 'XS compute/op', 'XS / Node'];
  const body = rows.map((r) => [
    r.primitive,
    r.engine,
    fmt(r.opsPerSec),
    r.msPerOp < 0.1 ? r.msPerOp.toFixed(4) : r.msPerOp.toFixed(2),
    fmt(r.mbPerSec),
    r.computePerOp === undefined ? '' : r.computePerOp.toLocaleString('en-US'),
    r.xsOverNode === undefined ? '' : `${r.xsOverNode.toFixed(0)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const start = performance.now();
const rows: BenchRow[] = [];
if (!flag('--no-node')) {
  log('Node, noble (pure JS) provider:');
  resetCrypto();
  rows.push(...benchNode('node (noble)'));
  log('Node, node:crypto installed over noble:');
  installCrypto(nodeCrypto);
  rows.push(...benchNode('node (node:crypto)'));
  resetCrypto();
}
if (!flag('--no-xs')) {
  log('XS (xsnap), noble provider:');
  rows.push(...(await benchXs()));
}
for (const r of rows) {
  if (r.engine !== 'xs (noble)') continue;
  const node = rows.find((n) => n.engine === 'node (noble)' && n.primitive === r.primitive);
  if (node) r.xsOverNode = r.msPerOp / node.msPerOp;
}
const order = BENCH_OPS.map((o) => o.name);
rows.sort((a, b) => order.indexOf(a.primitive) - order.indexOf(b.primitive));
log(`done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
if (flag('--json')) process.stdout.write(JSON.stringify({ rows, node: process.version, meter: 'xsnap compute (xs-meter-36)' }, null, 2) + '\n');
else process.stdout.write(table(rows) + '\n');
