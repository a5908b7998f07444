/**
 * Runs the platform-neutral test suite (protocols/**, device/** `*.test.ts`)
 * inside the real XS engine: each test file is bundled with the prelude and
 * the vitest shim (hosts/xs/bundle.ts), evaluated in an xsnap worker of its
 * own, and its tests are run one crank each, so every test gets a
 * deterministic compute-meter reading and a crash or hang costs one test,
 * not the file (the worker is respawned and the remaining tests go on).
 *
 * Runs in a plain Node process (hosts/xs/run-tests.ts): bundling happens
 * first, then `@endo/init` locks the realm down for xsnap.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { bundleTestFiles, findTestFiles, ROOT, type TestBundle } from './bundle.ts';
import type { RegisteredTest, TestResult } from './vitest-shim.ts';
import { spawnXsWorker, type XsWorker } from './worker.ts';

export type XsStatus = 'passed' | 'failed' | 'skipped';

export interface XsTestReport {
  /** describe names then the test name. */
  name: string[];
  status: XsStatus;
  error?: string;
  /** xsnap compute meter for the test's crank (null when the worker died). */
  compute: number | null;
  /**
   * xsnap reports compute as a uint32 per crank, so it wraps past 2^32
   * (about 10 s of desktop XS at the ~0.4e9/s measured for noble hashing):
   * set when the test ran long enough for that to be possible.
   */
  computeMayWrap?: true;
  /** Wall-clock for the crank, as the driver saw it. */
  ms: number;
}

export interface XsFileReport {
  /** Relative to the repository root. */
  file: string;
  /** failed when the file itself could not bundle or load, or any test failed. */
  status: XsStatus;
  /** File-level failure: bundling, loading (top-level throw), worker crash while loading. */
  error?: string;
  tests: XsTestReport[];
  /** Compute to evaluate the bundle (module top level). */
  loadCompute: number | null;
  /** loadCompute + every test's compute. */
  compute: number;
  ms: number;
  bundleBytes: number;
  /** console output of the tests (the prelude forwards console.* to the driver). */
  logs: string[];
}

export interface XsRunReport {
  engine: 'xs';
  files: XsFileReport[];
  /** Counts over tests; a file-level error counts as one failure. */
  passed: number;
  failed: number;
  skipped: number;
  /** Wall-clock of the whole run, and of the bundling step within it. */
  ms: number;
  bundleMs: number;
  concurrency: number;
}

export interface XsRunOptions {
  /** Test files or folders (relative to the root or absolute) or substrings of test paths; default: all of protocols/ and device/. */
  patterns?: string[];
  /** Files running at once (each in its own worker). */
  concurrency?: number;
  /** Per-test wall-clock limit; the worker is killed and respawned after it. */
  testTimeoutMs?: number;
  /** Per-crank xsnap compute limit, 0 = none (xsnap parses it with atoi, so < 2^31). */
  meteringLimit?: number;
  /** Called as each file finishes (progress). */
  onFile?: (report: XsFileReport, done: number, total: number) => void;
  /** Called for each console line a test prints. */
  onLog?: (file: string, line: string) => void;
}

/** Where the public vectors live: same rule as tests/support/setup-node.ts. */
export const VECTORS_DIR: string =
  process.env.SSIOT_VECTORS ?? [join(ROOT, '../shared/vectors'), join(ROOT, 'shared/vectors')].find((p) => existsSync(p)) ?? join(ROOT, '../shared/vectors');

const DEFAULT_TIMEOUT_MS = 120_000;
/** Crank wall-clock beyond which the uint32 compute meter could have wrapped (fastest rate seen ~0.7e9/s). */
const WRAP_RISK_MS = 5_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Test files selected by `patterns` (see XsRunOptions.patterns). */
export function selectTestFiles(patterns: readonly string[] = []): string[] {
  const all = findTestFiles();
  if (patterns.length === 0) return all;
  const picked = new Set<string>();
  for (const p of patterns) {
    const abs = isAbsolute(p) ? p : resolve(ROOT, p);
    const rel = relative(ROOT, abs).split(sep).join('/');
    if (existsSync(abs) && statSync(abs).isDirectory()) all.filter((f) => f.startsWith(rel.replace(/\/$/, '') + '/')).forEach((f) => picked.add(f));
    else if (existsSync(abs)) picked.add(rel);
    else all.filter((f) => f.includes(p)).forEach((f) => picked.add(f));
  }
  return [...picked].sort();
}

/** Answers the child's synchronous requests (see test-prelude.ts for the wire format). */
function parentHandler(file: string, logs: string[], onLog?: (file: string, line: string) => void) {
  const json = (value: unknown) => enc.encode(JSON.stringify(value));
  const inVectors = (rel: string) => {
    const abs = resolve(VECTORS_DIR, rel);
    if (abs !== VECTORS_DIR && !abs.startsWith(VECTORS_DIR + sep)) throw new Error(`path escapes shared/vectors: ${rel}`);
    return abs;
  };
  return (request: Uint8Array): Uint8Array => {
    const msg = JSON.parse(dec.decode(request)) as { op: string; path?: string; dir?: string; length?: number; level?: string; text?: string };
    try {
      switch (msg.op) {
        case 'readVector':
          return json({ ok: true, value: readFileSync(inVectors(String(msg.path)), 'utf8') });
        case 'listVectors':
          return json({ ok: true, value: readdirSync(inVectors(String(msg.dir))).sort() });
        case 'random':
          return new Uint8Array(randomBytes(Number(msg.length)));
        case 'log': {
          const line = `${msg.level === 'log' ? '' : `[${msg.level}] `}${msg.text}`;
          if (logs.length < 500) logs.push(line);
          onLog?.(file, line);
          return json({ ok: true, value: null });
        }
        default:
          return json({ ok: false, error: `unknown request ${msg.op}` });
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const text = err.code === 'ENOENT' ? `vector not found: ${msg.path ?? msg.dir}` : String(err.message ?? e);
      return json({ ok: false, error: text });
    }
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<'timeout'>((res) => {
    timer = setTimeout(() => {
      onTimeout();
      res('timeout');
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * XS names an evaluated script `#0` and gives only line numbers in stacks
 * (`at fn (#0:123)`); map them back to `file.ts:line` through the bundle's
 * source map (the first mapping on the line is close enough: the bundle is
 * not minified, so lines map one to one).
 */
function stackMapper(map: string | undefined): (text: string) => string {
  if (!map) return (t) => t;
  let sm: SourceMap;
  try {
    sm = new SourceMap(JSON.parse(map) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    return (t) => t;
  }
  return (text) =>
    text.replace(/\(#0:(\d+)\)/g, (whole, line: string) => {
      const entry = sm.findEntry(Number(line) - 1, 0) as { originalSource?: string; originalLine?: number };
      if (!entry || entry.originalSource === undefined || entry.originalLine === undefined) return whole;
      const src = entry.originalSource.startsWith('file://') ? relative(ROOT, new URL(entry.originalSource).pathname) : entry.originalSource;
      return `(${src}:${entry.originalLine + 1})`;
    });
}

/** Runs one bundled test file in its own worker(s). */
async function runFile(bundle: TestBundle, options: XsRunOptions): Promise<XsFileReport> {
  const start = performance.now();
  const logs: string[] = [];
  const report: XsFileReport = { file: bundle.file, status: 'passed', tests: [], loadCompute: null, compute: 0, ms: 0, bundleBytes: bundle.bytes, logs };
  const finish = (): XsFileReport => {
    report.ms = performance.now() - start;
    report.compute = (report.loadCompute ?? 0) + report.tests.reduce((s, t) => s + (t.compute ?? 0), 0);
    if (report.error || report.tests.some((t) => t.status === 'failed')) report.status = 'failed';
    else if (report.tests.length > 0 && report.tests.every((t) => t.status === 'skipped')) report.status = 'skipped';
    return report;
  };
  if (!bundle.code) {
    report.error = bundle.error ?? 'no bundle';
    return finish();
  }
  const code = bundle.code;
  const timeoutMs = options.testTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const handler = parentHandler(bundle.file, logs, options.onLog);
  const mapStack = stackMapper(bundle.map);

  let worker: XsWorker | undefined;
  const start1 = async (): Promise<{ worker: XsWorker; compute: number | null }> => {
    const w = await spawnXsWorker({ name: bundle.file.replace(/[^\w.-]/g, '_'), handleCommand: handler, meteringLimit: options.meteringLimit ?? 0 });
    try {
      const r = await w.evaluate(code);
      return { worker: w, compute: r.meterUsage.compute };
    } catch (e) {
      await w.terminate();
      const tail = w.stderrTail().trim();
      throw new Error(mapStack(`${errorText(e).replace(/^Uncaught exception in [^:]*: /, '')}${tail ? `\n${tail}` : ''}`));
    }
  };

  let tests: RegisteredTest[];
  try {
    const s = await start1();
    worker = s.worker;
    report.loadCompute = s.compute;
    const listed = await worker.issueCommand(enc.encode(JSON.stringify({ op: 'list' })));
    tests = JSON.parse(dec.decode(listed.reply)) as RegisteredTest[];
  } catch (e) {
    report.error = `failed to load in XS: ${errorText(e)}`;
    if (worker) await worker.terminate();
    return finish();
  }
  if (tests.length === 0) report.error = 'no tests registered';

  for (const t of tests) {
    if (t.skip) {
      report.tests.push({ name: [...t.name], status: 'skipped', compute: 0, ms: 0 });
      continue;
    }
    if (!worker) {
      try {
        worker = (await start1()).worker;
      } catch (e) {
        report.tests.push({ name: [...t.name], status: 'failed', error: `could not restart the XS worker: ${errorText(e)}`, compute: null, ms: 0 });
        continue;
      }
    }
    const w = worker;
    const t0 = performance.now();
    try {
      const pending = w.issueCommand(enc.encode(JSON.stringify({ op: 'run', id: t.id })));
      pending.catch(() => {}); // after a timeout the killed worker rejects it; nobody listens then
      const outcome = await withTimeout(pending, timeoutMs, () => void w.terminate());
      const ms = performance.now() - t0;
      if (outcome === 'timeout') {
        report.tests.push({ name: [...t.name], status: 'failed', error: `timed out after ${timeoutMs / 1000} s in XS (worker killed)`, compute: null, ms });
        worker = undefined;
        continue;
      }
      const text = dec.decode(outcome.reply);
      if (text === '') {
        report.tests.push({
          name: [...t.name],
          status: 'failed',
          error: 'the test never settled in XS: it awaited something that did not resolve before the job queue emptied (xsnap has no setTimeout; only promise jobs and setImmediate run)',
          compute: outcome.meterUsage.compute,
          ms,
        });
        continue;
      }
      const r = JSON.parse(text) as TestResult;
      report.tests.push({
        name: [...t.name],
        status: r.status,
        ...(r.error !== undefined ? { error: mapStack(r.error) } : {}),
        compute: outcome.meterUsage.compute,
        ...(ms > WRAP_RISK_MS ? { computeMayWrap: true as const } : {}),
        ms,
      });
    } catch (e) {
      const tail = w.stderrTail().trim();
      report.tests.push({ name: [...t.name], status: 'failed', error: `XS worker failed: ${errorText(e)}${tail ? `\n${tail}` : ''}`, compute: null, ms: performance.now() - t0 });
      await w.terminate();
      worker = undefined;
    }
  }
  if (worker) await worker.close().catch(() => worker?.terminate());
  return finish();
}

/** Bundles and runs the selected test files in XS. */
export async function runXsTests(options: XsRunOptions = {}): Promise<XsRunReport> {
  const start = performance.now();
  const files = selectTestFiles(options.patterns);
  const bundles = await bundleTestFiles(files);
  const bundleMs = performance.now() - start;
  const concurrency = Math.max(1, options.concurrency ?? Math.min(4, availableParallelism()));
  const reports: XsFileReport[] = new Array(bundles.length);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < bundles.length) {
      const i = next++;
      let r: XsFileReport;
      try {
        r = await runFile(bundles[i], options);
      } catch (e) {
        r = { file: bundles[i].file, status: 'failed', error: `driver error: ${errorText(e)}`, tests: [], loadCompute: null, compute: 0, ms: 0, bundleBytes: bundles[i].bytes, logs: [] };
      }
      reports[i] = r;
      options.onFile?.(r, ++done, bundles.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, bundles.length)) }, lane));
  const count = (s: XsStatus) => reports.reduce((n, f) => n + f.tests.filter((t) => t.status === s).length, 0);
  return {
    engine: 'xs',
    files: reports,
    passed: count('passed'),
    failed: count('failed') + reports.filter((f) => f.error !== undefined).length,
    skipped: count('skipped'),
    ms: performance.now() - start,
    bundleMs,
    concurrency,
  };
}

// ------------------------------------------------------------------ CLI

const USAGE = `usage: run-tests.ts [--json] [-j N | --concurrency N] [--timeout SECONDS] [--meter-limit N] [--quiet] [files|folders|substrings...]
Runs protocols/** and device/** *.test.ts (and the hosts/xs shim and codec tests) inside the XS engine (xsnap).
  --json          print the full report as JSON on stdout (progress still on stderr)
  --concurrency   test files running at once, each in its own XS worker (default: min(4, cores))
  --timeout       per-test wall-clock limit in seconds (default ${DEFAULT_TIMEOUT_MS / 1000})
  --meter-limit   per-crank xsnap compute limit (default none)
  --quiet         no per-file progress`;

function fmtCompute(n: number | null): string {
  if (n === null) return '?';
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

function indent(text: string, by = '      '): string {
  return text.split('\n').map((l) => by + l).join('\n');
}

/** The closing line every runner prints: `N passed, N failed, N skipped`. */
export function summaryLine(r: Pick<XsRunReport, 'passed' | 'failed' | 'skipped'>): string {
  return `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
}

/** CLI entry: returns the exit code (non-zero on any failure). */
export async function main(argv: string[]): Promise<number> {
  let json = false;
  let quiet = false;
  const options: XsRunOptions = { patterns: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) throw new Error(`${flag} needs a number`);
      return Number(v);
    };
    switch (flag) {
      case '--json':
        json = true;
        break;
      case '--quiet':
        quiet = true;
        break;
      case '-j':
      case '--concurrency':
        options.concurrency = value();
        break;
      case '--timeout':
        options.testTimeoutMs = value() * 1000;
        break;
      case '--meter-limit':
        options.meteringLimit = value();
        break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE + '\n');
        return 0;
      default:
        if (a.startsWith('-')) {
          process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
          return 2;
        }
        options.patterns!.push(a);
    }
  }
  const err = (s: string) => process.stderr.write(s + '\n');
  options.onLog = (file, line) => err(`  [xs console] ${file}: ${line}`);
  options.onFile = (f, done, total) => {
    if (quiet) return;
    const n = (s: XsStatus) => f.tests.filter((t) => t.status === s).length;
    const mark = f.status === 'failed' ? '✗' : f.status === 'skipped' ? '↓' : '✓';
    err(`${mark} [${done}/${total}] ${f.file}  ${n('passed')} passed${n('failed') ? `, ${n('failed')} failed` : ''}${n('skipped') ? `, ${n('skipped')} skipped` : ''}  ${(f.ms / 1000).toFixed(2)} s  compute ${fmtCompute(f.compute)}`);
  };
  if (!quiet) err(`XS: bundling ${selectTestFiles(options.patterns).length} test file(s)...`);
  const report = await runXsTests(options);
  if (json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    err(summaryLine(report));
  } else {
    const failures: string[] = [];
    for (const f of report.files) {
      if (f.error) failures.push(`✗ ${f.file}\n${indent(f.error)}`);
      for (const t of f.tests) if (t.status === 'failed') failures.push(`✗ ${f.file} > ${t.name.join(' > ')}\n${indent(t.error ?? '')}`);
    }
    if (failures.length) process.stdout.write(`\nFailures in XS:\n${failures.join('\n')}\n\n`);
    const compute = report.files.reduce((s, f) => s + f.compute, 0);
    process.stdout.write(`XS: ${report.files.length} file(s) in ${(report.ms / 1000).toFixed(1)} s (bundling ${(report.bundleMs / 1000).toFixed(1)} s, ${report.concurrency} at once), compute ${fmtCompute(compute)}\n`);
    process.stdout.write(summaryLine(report) + '\n');
  }
  return report.failed > 0 ? 1 : 0;
}
