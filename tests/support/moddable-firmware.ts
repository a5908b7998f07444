/**
 * The real firmware (the root manifest.json: hosts/moddable/main.ts and the
 * device agent) built for the Moddable lin simulator and run against a
 * manufacturer service: used by tests/moddable-firmware.test.ts and
 * bench/moddable-firmware.ts, and by hand:
 *
 *   MODDABLE=/path/to/moddable npx tsx tests/support/moddable-firmware.ts [scratch dir]
 *
 * (starts a test service, runs the firmware until it is on the broker,
 * prints the archive figures and the device's log lines).
 *
 * The build happens in a scratch copy outside the repository (the manifest,
 * the folders its modules come from, the npm packages it maps), as a debug
 * build (`trace` reaches xsbug-log, the heap figures need instrumentation)
 * with `reportHeap=1`, the service's URLs and factory token, and a local
 * pairing port of its own. The device's state (`preference`, on lin a JSON
 * file under `config.file.root`, by default /tmp/ and so shared by every
 * simulator on the machine) goes to `<scratch>/prefs/`: each run starts
 * factory-new, and a relaunch boots the same device again. The simulator
 * runs on its own X display and xsbug port (SSIOT_FIRMWARE_DISPLAY,
 * SSIOT_FIRMWARE_XSBUG_PORT; defaults :63 and 5063).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HeapFigures } from '../../hosts/moddable/heap.ts';
import { freePort } from '../../manufacturer/service/app.ts';
import { buildLin, copyFolders, launchSimulator, simulatorUnavailable, sourceFolders, startXvfb, type LinBuild, type Simulator, type XDisplay } from './moddable-sim.ts';
import { ROOT } from './spawn-node.ts';

const NAME = 'ssiot';

/** The manufacturer service the device is built against. */
export interface FirmwareService {
  url: string;
  brokerUrl: string;
  factoryToken: string;
}

export interface RunFirmwareOptions {
  service: FirmwareService;
  /** Build and prefs folder; a temporary one (removed by stop()) when absent. */
  scratch?: string;
  /** Port of the device's local pairing endpoint; a free one when absent. */
  localPort?: number;
  /** More mcconfig `name=value` settings (they override the ones made here). */
  settings?: Record<string, string | number>;
  display?: string;
  xsbugPort?: number;
}

/** One JSON line the firmware logged, with when it reached us (ms since the launch). */
export interface FirmwareLog {
  at: number;
  level: string;
  message: string;
  /** The whole parsed line. */
  data: Record<string, unknown>;
}

/** The figures of one `heap` line (hosts/moddable/heap.ts) and its phase (loaded, boot, manufactured, broker). */
export type HeapLine = HeapFigures & { phase: string };

export interface SizeCount {
  count: number;
  bytes: number;
}

/** What the build put into the XS archive, and how much of it is preloaded. */
export interface ArchiveFigures {
  /** Compiled modules (.xsb under the build's modules folder): all, ours (repository sources), npm packages, the SDK's. */
  modules: SizeCount & { ours: SizeCount; npm: SizeCount; sdk: SizeCount };
  /** Modules matched by the merged manifest's preload list. */
  preloaded: { count: number; ours: number; npm: number; sdk: number };
  /** mc.xs.c (the linked archive as C) and mc.so (the app library mcsim loads), bytes. */
  mcXsC: number;
  mcSo: number;
}

/** One launch of the simulator. */
export interface FirmwareBoot {
  /** performance.now() when the simulator was started. */
  launchedAt: number;
  /** The JSON lines so far. */
  logs: FirmwareLog[];
  /** Calls `fn` for every JSON line from now on. */
  onLog(fn: (log: FirmwareLog) => void): void;
  /**
   * The first line (logged already or to come) that `match` accepts; rejects
   * on timeout, when the simulator exits, or when the firmware logs that it stopped.
   */
  waitFor(what: string, match: (log: FirmwareLog) => boolean, timeoutMs?: number): Promise<FirmwareLog>;
  /** The pairing label's URL (https://…?_oob=…) once printed, and when (ms since the launch). */
  label(timeoutMs?: number): Promise<{ url: string; at: number }>;
  /** The heap lines so far. */
  heap(): HeapLine[];
  /** The last few KB of the simulator's output. */
  tail(): string;
  stop(): Promise<void>;
}

export interface FirmwareRun {
  archive: ArchiveFigures;
  /** Wall time of mcconfig + make, ms. */
  buildMs: number;
  /** The device's local pairing endpoint. */
  endpoint: string;
  /** The current launch. */
  boot: FirmwareBoot;
  /** Stops the current launch and starts the firmware again over the same prefs (the same device). */
  relaunch(): Promise<FirmwareBoot>;
  /** Stops the simulator and the display; removes a temporary scratch folder. */
  stop(): Promise<void>;
}

/**
 * Copies the repository's manifest.json (with a private preference root)
 * and what its modules and the platform manifests name into `src`.
 */
function prepare(src: string, prefs: string): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as { modules: Record<string, string>; config: Record<string, unknown> };
  const sources = Object.values(manifest.modules);
  const platforms = join(ROOT, 'hosts/moddable/manifests');
  for (const file of readdirSync(platforms).filter((f) => f.endsWith('.json'))) {
    const m = JSON.parse(readFileSync(join(platforms, file), 'utf8')) as { modules?: Record<string, string> };
    sources.push(...Object.values(m.modules ?? {}));
  }
  copyFolders(src, new Set(['hosts', ...sourceFolders(sources)]));
  // the SDK's lin preference module keeps its file at config.file.root + "modpreferences.json"
  manifest.config.file = { root: prefs.endsWith('/') ? prefs : prefs + '/' };
  const path = join(src, 'manifest.json');
  writeFileSync(path, JSON.stringify(manifest, null, '\t') + '\n');
  return path;
}

/** Sizes of the compiled modules by origin, and what the merged manifest preloads. */
export function measureArchive(build: LinBuild, src: string): ArchiveFigures {
  const flat = JSON.parse(readFileSync(join(build.tmp, 'manifest_flat.json'), 'utf8')) as { modules: Record<string, string | string[]>; preload: string[] };
  const modulesDir = join(build.tmp, 'modules');
  const npmDir = join(src, 'node_modules') + '/';
  const zero = (): SizeCount => ({ count: 0, bytes: 0 });
  const modules = { ...zero(), ours: zero(), npm: zero(), sdk: zero() };
  const preloaded = { count: 0, ours: 0, npm: 0, sdk: 0 };
  const preloads = (name: string): boolean => flat.preload.some((p) => p === name || (p.endsWith('/*') && name.startsWith(p.slice(0, -1))));
  for (const file of readdirSync(modulesDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.xsb')).map((f) => join(modulesDir, f))) {
    const bytes = statSync(file).size;
    // `~.embedded/network/…` is how the build names `embedded:network/…`
    const name = relative(modulesDir, file).slice(0, -'.xsb'.length).replace(/^~\.([^/]+)\//, '$1:');
    const source = [flat.modules[name] ?? []].flat()[0] ?? '';
    const origin = source.startsWith(npmDir) ? 'npm' : source.startsWith(src + '/') ? 'ours' : 'sdk';
    modules.count++;
    modules.bytes += bytes;
    modules[origin].count++;
    modules[origin].bytes += bytes;
    if (preloads(name)) {
      preloaded.count++;
      preloaded[origin]++;
    }
  }
  return { modules, preloaded, mcXsC: statSync(join(build.tmp, 'mc.xs.c')).size, mcSo: statSync(build.lib).size };
}

const HEAP_FIELDS: readonly (keyof HeapFigures)[] = ['slotHeap', 'chunkHeap', 'keys', 'modules', 'collections', 'stackPeak'];

/** The figures of a `heap` line, or undefined when it has none (a build without instrumentation). */
export function heapLine(log: FirmwareLog): HeapLine | undefined {
  if (log.message !== 'heap' || typeof log.data.phase !== 'string') return undefined;
  for (const f of HEAP_FIELDS) if (typeof log.data[f] !== 'number') return undefined;
  return log.data as unknown as HeapLine;
}

const LABEL_URL = /(https?:\/\/[^\s"]*[?&]_oob=[^\s"]+)/;

/** Starts the simulator on `lib` and follows its output. */
async function launch(o: { sdk: string; lib: string; display: string; xsbugPort: number; cwd: string }): Promise<FirmwareBoot> {
  const launchedAt = performance.now();
  const sim: Simulator = await launchSimulator(o);
  const logs: FirmwareLog[] = [];
  const logListeners: ((log: FirmwareLog) => void)[] = [];
  let label: { url: string; at: number } | undefined;
  const labelListeners: (() => void)[] = [];
  let ended: string | undefined;
  const endListeners: (() => void)[] = [];
  const end = (why: string): void => {
    if (ended !== undefined) return;
    ended = why;
    for (const fn of endListeners.splice(0)) fn();
  };
  sim.onLine((raw) => {
    const at = performance.now() - launchedAt;
    const line = raw.replace(/^\[Thread \d+\] /, '');
    const url = LABEL_URL.exec(line)?.[1];
    if (url && !label) {
      label = { url, at };
      for (const fn of labelListeners.splice(0)) fn();
    }
    if (!line.startsWith('{')) return;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof data.level !== 'string' || typeof data.message !== 'string') return;
    const log: FirmwareLog = { at, level: data.level, message: data.message, data };
    logs.push(log);
    for (const fn of logListeners) fn(log);
    if (log.level === 'error' && log.message === 'firmware stopped') end(`the firmware stopped: ${line}`);
  });
  sim.child.on('exit', (code, signal) => end(`the simulator exited (${code ?? signal})`));

  /** Resolves when `ready()` gives a value; rejects on timeout or when the run ends. */
  const waitUntil = <T>(what: string, ready: () => T | undefined, subscribe: (fn: () => void) => void, timeoutMs: number): Promise<T> =>
    new Promise((ok, fail) => {
      const now = ready();
      if (now !== undefined) return ok(now);
      let done = false;
      const finish = (error?: string): void => {
        if (done) return;
        const value = ready();
        if (value === undefined && error === undefined) return;
        done = true;
        clearTimeout(timer);
        if (value !== undefined) ok(value);
        else fail(new Error(`${what}: ${error}; output:\n${sim.tail()}`));
      };
      const timer = setTimeout(() => finish(`not within ${timeoutMs} ms`), timeoutMs);
      subscribe(() => finish());
      if (ended !== undefined) finish(ended);
      else endListeners.push(() => finish(ended));
    });

  return {
    launchedAt,
    logs,
    onLog: (fn) => logListeners.push(fn),
    waitFor: (what, match, timeoutMs = 120_000) =>
      waitUntil(what, () => logs.find(match), (fn) => logListeners.push(() => fn()), timeoutMs),
    label: (timeoutMs = 120_000) => waitUntil('the pairing label', () => label, (fn) => labelListeners.push(fn), timeoutMs),
    heap: () => logs.map(heapLine).filter((h): h is HeapLine => h !== undefined),
    tail: () => sim.tail(),
    stop: () => sim.stop(),
  };
}

/**
 * Builds the firmware against `service` and launches it (factory-new). The
 * caller stops it. Throws when the build fails (mcconfig's or make's output in
 * the message).
 */
export async function runFirmware(o: RunFirmwareOptions): Promise<FirmwareRun> {
  const sdk = process.env.MODDABLE;
  if (!sdk) throw new Error('MODDABLE is not set');
  const temporary = o.scratch === undefined;
  const scratch = o.scratch ?? mkdtempSync(join(tmpdir(), 'ssiot-firmware-'));
  const src = join(scratch, 'src');
  const out = join(scratch, 'out');
  const prefs = join(scratch, 'prefs');
  let x: XDisplay | undefined;
  try {
    rmSync(prefs, { recursive: true, force: true }); // factory-new
    for (const d of [src, out, prefs]) mkdirSync(d, { recursive: true });
    const manifest = prepare(src, prefs);
    const localPort = o.localPort ?? (await freePort('127.0.0.1'));
    // the service names itself `localhost`; the device's HTTP client is given the address (no name lookup needed)
    const factoryUrl = o.service.url.replace(/^(https?:\/\/)localhost(?=[:/]|$)/, '$1127.0.0.1');
    const started = performance.now();
    const build = buildLin({
      sdk,
      src,
      out,
      manifest,
      name: NAME,
      settings: { factoryUrl, factoryToken: o.service.factoryToken, brokerUrl: o.service.brokerUrl, localPort, corsOrigins: '*', reportHeap: 1, ...o.settings },
    });
    const buildMs = performance.now() - started;
    const archive = measureArchive(build, src);
    x = await startXvfb(o.display ?? process.env.SSIOT_FIRMWARE_DISPLAY ?? ':63');
    const target = { sdk, lib: build.lib, display: x.display, xsbugPort: o.xsbugPort ?? Number(process.env.SSIOT_FIRMWARE_XSBUG_PORT ?? '5063'), cwd: scratch };
    const display = x;
    const run: FirmwareRun = {
      archive,
      buildMs,
      endpoint: `http://127.0.0.1:${localPort}/didcomm`,
      boot: await launch(target),
      async relaunch() {
        await run.boot.stop();
        run.boot = await launch(target);
        return run.boot;
      },
      async stop() {
        await run.boot.stop();
        await display.stop();
        if (temporary) rmSync(scratch, { recursive: true, force: true });
      },
    };
    return run;
  } catch (e) {
    await x?.stop();
    if (temporary) rmSync(scratch, { recursive: true, force: true });
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const why = simulatorUnavailable();
  if (why) {
    console.error(`the firmware cannot run here: ${why}`);
    process.exit(2);
  }
  const { startTestService, TEST_FACTORY_TOKEN } = await import('./service.ts');
  const data = mkdtempSync(join(tmpdir(), 'ssiot-firmware-mfr-'));
  const service = await startTestService(data);
  let status = 0;
  try {
    const run = await runFirmware({ service: { url: service.url, brokerUrl: service.brokerUrl, factoryToken: TEST_FACTORY_TOKEN }, scratch: process.argv[2] });
    const print = (l: FirmwareLog): void => console.log(JSON.stringify({ at: Math.round(l.at), ...l.data }));
    run.boot.logs.forEach(print);
    run.boot.onLog(print);
    try {
      console.log(JSON.stringify({ archive: run.archive, buildMs: Math.round(run.buildMs), endpoint: run.endpoint }));
      await run.boot.waitFor('the broker connection', (l) => l.message === 'broker connected', 180_000);
      console.log(JSON.stringify({ label: await run.boot.label(1000) }));
    } catch (e) {
      console.error(String(e));
      status = 1;
    } finally {
      await run.stop();
    }
  } finally {
    await service.close();
    rmSync(data, { recursive: true, force: true });
  }
  process.exit(status);
}
