/**
 * `npm run bench:didcomm`: DIDComm pack and unpack per second (authcrypt
 * and anoncrypt, one recipient key, X25519, A256CBC-HS512) in Node with the
 * pure-JS noble provider and with node:crypto installed through the facade,
 * inside XS (ms and the deterministic compute-meter count per operation),
 * and the same operations with didcomm-node (didcomm-rust compiled to WASM)
 * measured in the same run, with the ratio ssiot / didcomm-node printed.
 *
 * Public-key operations per message are printed too (ECDH + key
 * generation + sign/verify, from protocols/didcomm/pkops.ts).
 *
 * Progress on stderr, the table on stdout; `--json` prints the rows.
 * Options: --node-budget MS (per op and engine, default 600),
 * --xs-budget MS (per op, default 3000), --no-xs, --no-node.
 */
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { installCrypto, resetCrypto } from '../protocols/crypto/index.ts';
import { publicKeyOps, resetPublicKeyOps, type PublicKeyOps } from '../protocols/didcomm/pkops.ts';
import { didcommNode, theirResolver, theirSecrets } from '../tests/support/didcomm-node.ts';
import { benchMessage, benchParties, DIDCOMM_BENCH_OPS } from './didcomm-ops.ts';
import { benchArgs, formatTable, log, logDone, meteredRun, printJson, timeAsync, withXsPayload, type RateRow } from './support.ts';

type Engine = 'node (noble)' | 'node (node:crypto)' | 'xs (noble)' | 'didcomm-node (wasm)';

interface Row extends RateRow {
  op: string;
  engine: Engine;
  /** Public-key operations per message (ssiot rows). */
  pkOps?: PublicKeyOps;
  /** Node rows: ssiot ops/s ÷ didcomm-node ops/s for the same operation. */
  vsDidcommNode?: number;
}

const { flag, num } = benchArgs();
const NODE_BUDGET_MS = num('--node-budget', 600);
const XS_BUDGET_MS = num('--xs-budget', 3000);

/** Times `fn` for about `budgetMs`, after a third of that spent warming up (JIT, caches). */
const time = (fn: () => Promise<unknown>, budgetMs: number) => timeAsync(fn, budgetMs, budgetMs / 3);

function row(op: string, engine: Engine, ops: number, ms: number, extra: Partial<Row> = {}): Row {
  return { op, engine, ops, opsPerSec: (1000 * ops) / ms, msPerOp: ms / ops, ...extra };
}

async function benchSsiotNode(engine: 'node (noble)' | 'node (node:crypto)'): Promise<Row[]> {
  const rows: Row[] = [];
  for (const op of DIDCOMM_BENCH_OPS) {
    const fn = await op.prepare();
    resetPublicKeyOps();
    await fn();
    const pkOps = publicKeyOps();
    const { ops, ms } = await time(fn, NODE_BUDGET_MS);
    const r = row(op.name, engine, ops, ms, { pkOps });
    log(`  ${engine.padEnd(20)} ${op.name.padEnd(26)} ${r.msPerOp.toFixed(3)} ms/op`);
    rows.push(r);
  }
  return rows;
}

/** The same four operations through didcomm-node (it has no ECDH cache, so no "cached" rows). */
async function benchDidcommNode(): Promise<Row[]> {
  const { Message } = didcommNode;
  const { alice, bob, resolver } = benchParties();
  const theirs = theirResolver(resolver);
  const aliceSecrets = theirSecrets(alice.secrets);
  const bobSecrets = theirSecrets(bob.secrets);
  const pack = async (from: string | null) => {
    const [packed] = await new Message({ ...benchMessage(alice.did, bob.did), typ: 'application/didcomm-plain+json' } as ConstructorParameters<typeof Message>[0]).pack_encrypted(bob.did, from, null, theirs, aliceSecrets, {
      forward: false,
      enc_alg_anon: 'A256cbcHs512EcdhEsA256kw',
    });
    return packed;
  };
  const ops: [string, () => Promise<unknown>][] = [];
  for (const mode of ['authcrypt', 'anoncrypt'] as const) {
    const from = mode === 'authcrypt' ? alice.did : null;
    ops.push([`${mode} pack`, () => pack(from)]);
    // Distinct messages in turn, as for ssiot (see DidcommBenchOp.prepare).
    const pool: string[] = [];
    for (let i = 0; i < 96; i++) pool.push(await pack(from));
    let next = 0;
    ops.push([`${mode} unpack`, () => Message.unpack(pool[next++ % pool.length], theirs, bobSecrets, {})]);
  }
  const rows: Row[] = [];
  for (const [name, fn] of ops) {
    const { ops: n, ms } = await time(fn, NODE_BUDGET_MS);
    const r = row(name, 'didcomm-node (wasm)', n, ms);
    log(`  ${'didcomm-node (wasm)'.padEnd(20)} ${name.padEnd(26)} ${r.msPerOp.toFixed(3)} ms/op`);
    rows.push(r);
  }
  return rows;
}

async function benchXs(): Promise<Row[]> {
  return withXsPayload('bench/didcomm-xs-payload.ts', { name: 'bench-didcomm' }, async (xs) => {
    const rows: Row[] = [];
    for (const op of DIDCOMM_BENCH_OPS) {
      const m = await meteredRun<{ ms: number; pkOps: PublicKeyOps }>(xs, op.name, XS_BUDGET_MS, false);
      const r = row(op.name, 'xs (noble)', m.iterations, m.ms, { computePerOp: m.computePerOp, pkOps: m.one.pkOps });
      log(`  ${'xs (noble)'.padEnd(20)} ${op.name.padEnd(26)} ${r.msPerOp.toFixed(2)} ms/op, compute ${r.computePerOp}/op`);
      rows.push(r);
    }
    return rows;
  });
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}

function table(rows: Row[]): string {
  const head = ['operation', 'engine', 'ops/s', 'ms/op', 'ECDH+keygen', 'XS compute/op', 'vs didcomm-node'];
  const body = rows.map((r) => [
    r.op,
    r.engine,
    fmt(r.opsPerSec),
    r.msPerOp < 0.1 ? r.msPerOp.toFixed(4) : r.msPerOp.toFixed(3),
    r.pkOps ? `${r.pkOps.ecdh}+${r.pkOps.keygen}` : '',
    r.computePerOp === undefined ? '' : r.computePerOp.toLocaleString('en-US'),
    r.vsDidcommNode === undefined ? '' : `${r.vsDidcommNode.toFixed(2)}x`,
  ]);
  return formatTable(head, body);
}

const start = performance.now();
const rows: Row[] = [];
if (!flag('--no-node')) {
  log('ssiot in Node, noble (pure JS) provider:');
  resetCrypto();
  rows.push(...(await benchSsiotNode('node (noble)')));
  log('ssiot in Node, node:crypto installed over noble:');
  installCrypto(nodeCrypto);
  rows.push(...(await benchSsiotNode('node (node:crypto)')));
  resetCrypto();
  log('didcomm-node (didcomm-rust, WASM):');
  rows.push(...(await benchDidcommNode()));
  for (const r of rows) {
    if (!r.engine.startsWith('node')) continue;
    const theirs = rows.find((t) => t.engine === 'didcomm-node (wasm)' && t.op === r.op);
    if (theirs) r.vsDidcommNode = r.opsPerSec / theirs.opsPerSec;
  }
}
if (!flag('--no-xs')) {
  log('ssiot in XS (xsnap), noble provider:');
  rows.push(...(await benchXs()));
}
const order = DIDCOMM_BENCH_OPS.map((o) => o.name);
const engines: Engine[] = ['node (noble)', 'node (node:crypto)', 'didcomm-node (wasm)', 'xs (noble)'];
rows.sort((a, b) => order.indexOf(a.op) - order.indexOf(b.op) || engines.indexOf(a.engine) - engines.indexOf(b.engine));
logDone(start);
if (flag('--json')) printJson({ rows });
else {
  process.stdout.write(table(rows) + '\n');
  process.stdout.write('vs didcomm-node = ssiot ops/s ÷ didcomm-node ops/s (same operation, same run; >1 means ssiot is faster).\n');
}
