/**
 * What the Node benchmark drivers (bench/*.ts) share: command-line options,
 * progress logging, timing loops, the XS worker round trip with its
 * meter-calibrated batches, and the plain-text table. Node-only.
 */
import { join } from 'node:path';
import { bundleScript, ROOT } from '../hosts/xs/bundle.ts';
import type { MeterUsage, XsWorkerOptions } from '../hosts/xs/worker.ts';

/** The driver's command line: `flag('--no-xs')`, `num('--runs', 5)`, `opt('--sizes')`. */
export interface BenchArgs {
  flag(name: string): boolean;
  num(name: string, dflt: number): number;
  opt(name: string): string | undefined;
}

export function benchArgs(args: string[] = process.argv.slice(2)): BenchArgs {
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  return {
    flag: (name) => args.includes(name),
    opt,
    num: (name, dflt) => {
      const v = opt(name);
      return v !== undefined ? Number(v) : dflt;
    },
  };
}

/** Progress goes to stderr so stdout holds only the report. */
export const log = (s: string): void => {
  process.stderr.write(s + '\n');
};

/** "done in 12.3 s" on stderr, from a `performance.now()` start. */
export function logDone(start: number): void {
  log(`done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

export interface Timing {
  ops: number;
  ms: number;
}

/**
 * Times `fn` for about `budgetMs` after warming up: one call by default, or
 * calls for `warmupMs` (JIT, caches) when given. Sync operations get
 * `timeSync` so no await sits inside what is measured.
 */
export async function timeAsync(fn: () => Promise<unknown>, budgetMs: number, warmupMs?: number): Promise<Timing> {
  if (warmupMs === undefined) await fn();
  else {
    const warm = performance.now();
    do await fn();
    while (performance.now() - warm < warmupMs);
  }
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await fn();
    ops++;
    elapsed = performance.now() - start;
  } while (elapsed < budgetMs);
  return { ops, ms: elapsed };
}

/** `timeAsync` for a synchronous operation (one warm-up call). */
export function timeSync(fn: () => unknown, budgetMs: number): Timing {
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

/** The figures every timed row carries, whatever the benchmark. */
export interface RateRow {
  /** Operations timed. */
  ops: number;
  opsPerSec: number;
  msPerOp: number;
  /** Throughput in MB/s (10^6 bytes), for operations that process bytes. */
  mbPerSec?: number;
  /** XS only: compute-meter count per operation (deterministic). */
  computePerOp?: number;
}

/** A timed operation's figures: per op, per second, and MB/s (10^6 bytes) when it processes `bytes` each. */
export function rates(ops: number, ms: number, bytes?: number): { opsPerSec: number; msPerOp: number; mbPerSec?: number } {
  const msPerOp = ms / ops;
  const r: { opsPerSec: number; msPerOp: number; mbPerSec?: number } = { opsPerSec: 1000 / msPerOp, msPerOp };
  if (bytes) r.mbPerSec = bytes / 1e6 / (msPerOp / 1000);
  return r;
}

/** One reply from an XS payload with the meter of its crank. */
export interface XsReply<T> {
  value: T;
  compute: number;
  meter: MeterUsage;
}

export interface XsBench {
  /** Sends a JSON command; a reply with an `error` member (or `ok: false`) throws. */
  call<T = unknown>(cmd: object): Promise<XsReply<T>>;
}

/**
 * Bundles `payload` (a path under the repository), starts an xsnap worker
 * with it, runs `body`, and closes the worker whatever happens. Lockdown
 * (inside spawnXsWorker's first call) comes only after esbuild is done.
 */
export async function withXsPayload<R>(payload: string, options: XsWorkerOptions, body: (xs: XsBench) => Promise<R>): Promise<R> {
  const code = await bundleScript(join(ROOT, payload));
  const { spawnXsWorker } = await import('../hosts/xs/worker.ts');
  const worker = await spawnXsWorker({ meteringLimit: 0, ...options });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const xs: XsBench = {
    async call<T>(cmd: object) {
      const r = await worker.issueCommand(enc.encode(JSON.stringify(cmd)));
      const value = JSON.parse(dec.decode(r.reply)) as T & { ok?: boolean; error?: string };
      if (value && (value.error || value.ok === false)) throw new Error(`XS: ${value.error}`);
      return { value, compute: r.meterUsage.compute ?? 0, meter: r.meterUsage };
    },
  };
  try {
    await worker.evaluate(code);
    return await body(xs);
  } finally {
    await worker.close().catch(() => worker.terminate());
  }
}

/** What `meteredRun` measured for one operation. */
export interface MeteredRun<T> {
  iterations: number;
  ms: number;
  computePerOp: number;
  /** The reply of the single-iteration run (payload extras such as pkOps). */
  one: T;
}

/**
 * Runs the payload's `prepare` then `run` protocol for operation `name`:
 * a zero-iteration crank as the meter baseline, optionally a warm-up
 * iteration, one timed iteration, then as many as fit `budgetMs` (keeping
 * each crank's compute well below 2^32, which xsnap reports as a uint32).
 */
export async function meteredRun<T extends { ms: number }>(xs: XsBench, name: string, budgetMs: number, warmup: boolean): Promise<MeteredRun<T>> {
  await xs.call({ op: 'prepare', name });
  const base = (await xs.call({ op: 'run', name, iterations: 0 })).compute;
  if (warmup) await xs.call({ op: 'run', name, iterations: 1 }); // lazy tables and caches
  const one = await xs.call<T>({ op: 'run', name, iterations: 1 });
  const computeOne = one.compute - base;
  const maxByMeter = Math.max(1, Math.floor(3e9 / Math.max(1, computeOne)));
  const iterations = Math.max(1, Math.min(maxByMeter, Math.round(budgetMs / Math.max(0.01, one.value.ms))));
  const run = iterations === 1 ? one : await xs.call<T>({ op: 'run', name, iterations });
  return { iterations, ms: run.value.ms, computePerOp: Math.round((run.compute - base) / iterations), one: one.value };
}

/**
 * A plain-text table: the first `leftCols` columns left-aligned, the rest
 * right-aligned, two spaces between columns, a dashed rule under the head.
 */
export function formatTable(head: string[], body: string[][], leftCols = 2): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftCols ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The `--json` report: `fields` plus the Node version and the meter's name. */
export function printJson(fields: object): void {
  process.stdout.write(JSON.stringify({ ...fields, node: process.version, meter: 'xsnap compute (xs-meter-36)' }, null, 2) + '\n');
}
