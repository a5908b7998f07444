/**
 * How many simulated grinders one process holds (issue 8): memory per
 * device on the Node engine and on the XS engine, and start-up time for
 * 1,000 devices.
 *
 * Set-up, and why:
 * - The manufacturer service (HTTP, broker, SQLite) runs in this process;
 *   each fleet runs in a child process of its own (this file with
 *   `--child`, forked with --expose-gc), so the child's memory is the
 *   fleet's alone and an XS child can lock its realm down.
 * - Every device is complete: its own local HTTP endpoint (fastify), the
 *   device agent booted, provisioned through POST /api/provisioning/devices
 *   (certificate + contact installed), signed in to the broker over MQTT
 *   with its broker token. Storage is in memory (`--storage memory`: the
 *   file-backed store writes one file per wallet key; see README of the
 *   simulator); the grinder timer is off.
 * - Memory: RSS and V8 heapUsed of the child after a forced GC, before the
 *   devices and after, divided by N. XS: each device is also an xsnap
 *   worker process: their RSS (from /proc) is added per device, and the
 *   XS meter gives each worker's heap after its own GC (bytes obtained
 *   from the system, and live slots).
 * - Start-up: wall time from nothing to N devices provisioned and on the
 *   broker (`with provisioning`), and to N devices booted with their
 *   endpoints (`boot only`, no service).
 *
 * Run: `npm run bench:simulator [-- --node 50,200] [-- --xs 10,50] [-- --startup 1000] [-- --json]`
 * (`--xs 0` / `--startup 0` skip those parts).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestService, TEST_FACTORY_TOKEN } from '../tests/support/service.ts';
import { benchArgs, formatTable, log, printJson } from './support.ts';

interface ChildResult {
  engine: 'node' | 'xs';
  devices: number;
  provisioned: boolean;
  startupMs: number;
  rssPerDevice: number;
  heapPerDevice: number;
  /** XS: worker process RSS per device (bytes) and the XS heap of one worker after GC. */
  workerRss?: number;
  xsHeap?: { allocate: number; heapCount: number };
  connected: number;
}

const FACTORY_TOKEN = TEST_FACTORY_TOKEN;
const MB = 1024 * 1024;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) g?.();
}

/** RSS of this process's xsnap children, from /proc (Linux). */
function childrenRss(): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!/^PPid:\s+(\d+)$/m.test(status) || Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]) !== process.pid) continue;
      if (!/^Name:\s+xsnap/m.test(status)) continue;
      count++;
      bytes += Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return { count, bytes };
}

async function child(): Promise<void> {
  const a = benchArgs();
  const engine = (a.opt('--engine') ?? 'node') as 'node' | 'xs';
  const count = a.num('--devices', 50);
  const serviceUrl = a.opt('--service-url');
  const { startFleet } = await import('../simulator/fleet.ts');
  if (engine === 'xs') await (await import('../simulator/xs-device.ts')).xsPayloadCode(); // bundle before measuring
  gc();
  const before = process.memoryUsage();
  const dir = mkdtempSync(join(tmpdir(), 'ssiot-bench-sim-'));
  const start = performance.now();
  const fleet = await startFleet({
    count,
    engine,
    dataDir: dir,
    storage: 'memory',
    grindIntervalMs: 0,
    dashboard: false,
    concurrency: engine === 'xs' ? 4 : 16,
    serialPrefix: `SN-${engine.toUpperCase()}-${count}-`,
    service: serviceUrl ? { url: serviceUrl, factoryToken: FACTORY_TOKEN, brokerUrl: a.opt('--broker-url') as string } : undefined,
  });
  const startupMs = performance.now() - start;
  const views = await Promise.all(fleet.devices.map((d) => d.view()));
  gc();
  const after = process.memoryUsage();
  const result: ChildResult = {
    engine,
    devices: count,
    provisioned: !!serviceUrl,
    startupMs,
    rssPerDevice: (after.rss - before.rss) / count,
    heapPerDevice: (after.heapUsed - before.heapUsed) / count,
    connected: views.filter((v) => v.broker === 'connected').length,
  };
  if (engine === 'xs') {
    const workers = childrenRss();
    result.workerRss = workers.count > 0 ? workers.bytes / workers.count : 0;
    const first = fleet.devices[0] as unknown as { heap(): Promise<{ allocate: number; heapCount: number }> };
    result.xsHeap = await first.heap();
  }
  process.send?.(result);
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
}

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = fork(process.argv[1], ['--child', ...args], { execArgv: [...process.execArgv, '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let got: ChildResult | undefined;
    p.on('message', (m) => (got = m as ChildResult));
    p.on('exit', (code) => (got ? resolve(got) : reject(new Error(`bench child exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const a = benchArgs();
  const list = (name: string, dflt: string) =>
    (a.opt(name) ?? dflt)
      .split(',')
      .map(Number)
      .filter((n) => n > 0);
  const nodeSizes = list('--node', '50,200');
  const xsSizes = list('--xs', '10,50');
  const startup = list('--startup', '1000');
  const dir = mkdtempSync(join(tmpdir(), 'ssiot-bench-mfr-'));
  const s = await startTestService(dir);
  const service = ['--service-url', s.url, '--broker-url', s.brokerUrl];
  const rows: ChildResult[] = [];
  try {
    for (const n of nodeSizes) {
      log(`node engine, ${n} devices…`);
      rows.push(await runChild(['--engine', 'node', '--devices', String(n), ...service]));
    }
    for (const n of xsSizes) {
      log(`xs engine, ${n} devices…`);
      rows.push(await runChild(['--engine', 'xs', '--devices', String(n), ...service]));
    }
    for (const n of startup) {
      log(`start-up of ${n} devices, boot only…`);
      rows.push(await runChild(['--engine', 'node', '--devices', String(n)]));
      log(`start-up of ${n} devices, provisioned and on the broker…`);
      rows.push(await runChild(['--engine', 'node', '--devices', String(n), ...service]));
    }
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (a.flag('--json')) return printJson({ rows });
  const rate = (x: number) => x.toFixed(x < 10 ? 1 : 0);
  const mb = (b: number | undefined) => (b === undefined ? '-' : (b / MB).toFixed(2));
  console.log(
    formatTable(
      ['engine', 'devices', 'provisioned', 'start-up s', 'devices/s', 'on broker', 'RSS MB/dev', 'heap MB/dev', 'xsnap RSS MB/dev', 'XS heap KB (1 worker)'],
      rows.map((r) => [
        r.engine,
        String(r.devices),
        r.provisioned ? 'yes' : 'no',
        (r.startupMs / 1000).toFixed(1),
        rate(r.devices / (r.startupMs / 1000)),
        String(r.connected),
        mb(r.rssPerDevice),
        mb(r.heapPerDevice),
        mb(r.workerRss),
        r.xsHeap ? `${(r.xsHeap.allocate / 1024).toFixed(0)} (${r.xsHeap.heapCount} slots)` : '-',
      ]),
      3,
    ),
  );
  console.log('\nRSS/heap per device: growth of the fleet process after GC divided by N (memory storage, grinder idle).');
  console.log('XS: plus one xsnap worker process per device (its RSS) with the XS heap shown; Node keeps the transports.');
}

if (process.argv.includes('--child')) await child();
else await main();
