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
import { BENCH_OPS, type BenchOp } from './ops.ts';
import { benchArgs, formatTable, log, logDone, meteredRun, printJson, rates, timeSync, withXsPayload, type RateRow } from './support.ts';

/** A row; `mbPerSec` for the hashes only. */
export interface BenchRow extends RateRow {
  primitive: string;
  engine: 'node (noble)' | 'node (node:crypto)' | 'xs (noble)';
  /** XS only: how many times slower than Node with the same (noble) code. */
  xsOverNode?: number;
}

const { flag, num } = benchArgs();
const NODE_BUDGET_MS = num('--node-budget', 400);
const XS_BUDGET_MS = num('--xs-budget', 1500);

function row(op: BenchOp, engine: BenchRow['engine'], ops: number, ms: number, computePerOp?: number): BenchRow {
  const r: BenchRow = { primitive: op.name, engine, ops, ...rates(ops, ms, op.bytes) };
  if (computePerOp !== undefined) r.computePerOp = computePerOp;
  return r;
}

function benchNode(engine: 'node (noble)' | 'node (node:crypto)'): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const op of BENCH_OPS) {
    const { ops, ms } = timeSync(op.prepare(getCrypto()), NODE_BUDGET_MS);
    const r = row(op, engine, ops, ms);
    log(`  ${engine.padEnd(19)} ${op.name.padEnd(15)} ${r.msPerOp.toFixed(3)} ms/op`);
    rows.push(r);
  }
  return rows;
}

async function benchXs(): Promise<BenchRow[]> {
  return withXsPayload('bench/xs-payload.ts', { name: 'bench' }, async (xs) => {
    const rows: BenchRow[] = [];
    for (const op of BENCH_OPS) {
      const m = await meteredRun(xs, op.name, XS_BUDGET_MS, true);
      const r = row(op, 'xs (noble)', m.iterations, m.ms, m.computePerOp);
      log(`  ${'xs (noble)'.padEnd(19)} ${op.name.padEnd(15)} ${r.msPerOp.toFixed(3)} ms/op, compute ${r.computePerOp}/op`);
      rows.push(r);
    }
    return rows;
  });
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
  return formatTable(head, body);
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
logDone(start);
if (flag('--json')) printJson({ rows });
else process.stdout.write(table(rows) + '\n');
