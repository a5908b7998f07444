/**
 * Building and running a Moddable app in the SDK's lin simulator, shared by
 * the curve25519 selftest (moddable-selftest.ts) and the firmware run
 * (moddable-firmware.ts): what the machine needs, copying the sources a
 * manifest names into a scratch folder, `mcconfig` + `make`, an Xvfb
 * display, and mcsim under the SDK's xsbug-log (headless: the app's `trace`
 * output comes out on xsbug-log's stdout, one `[Thread n] …` line each).
 *
 * Everything is built outside the repository, into the caller's folders; the
 * `all` target of the lin makefile is never used (`mcconfig -m` would run it,
 * and it kills every mcsim on the machine), only `build`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ROOT } from './spawn-node.ts';

/**
 * Why a lin-simulator run cannot happen on this machine, or undefined when it
 * can. With an SDK there, the Debian packages a run needs (Xvfb, and
 * libsodium-dev for our native `ssiot/curve25519`) are installed when missing,
 * through scripts/apt-install.sh (idempotent, root only).
 */
export function simulatorUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const sdk = env.MODDABLE;
  if (!sdk) return 'MODDABLE is not set';
  const bin = join(sdk, 'build/bin/lin/release');
  for (const tool of ['mcconfig', 'mcsim']) if (!existsSync(join(bin, tool))) return `no ${tool} in ${bin} (build the SDK's lin tools)`;
  if (!existsSync(join(sdk, 'tools/xsbug-log/node_modules'))) return 'no npm modules in $MODDABLE/tools/xsbug-log';
  const hasXvfb = () => spawnSync('sh', ['-c', 'command -v Xvfb'], { stdio: 'ignore' }).status === 0;
  const hasSodium = () => existsSync('/usr/include/sodium.h');
  if (!hasXvfb() || !hasSodium()) spawnSync(join(ROOT, 'scripts/apt-install.sh'), ['xvfb', 'libsodium-dev'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!hasXvfb()) return 'no Xvfb (apt-get install xvfb)';
  if (!hasSodium()) return 'no libsodium headers (apt-get install libsodium-dev)';
  return undefined;
}

/** The environment the SDK's tools run in: its lin tools and our `tsc` (≥ 5.7) first on PATH. */
export function sdkEnv(sdk: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, MODDABLE: sdk, PATH: `${join(sdk, 'build/bin/lin/release')}:${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, ...extra };
}

/** Runs a build step; throws with the tail of its output when it fails. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
}

/**
 * The folders to copy for manifest module sources: an npm package
 * (`./node_modules/@noble/curves/…` → `node_modules/@noble/curves`) or a top
 * folder of ours (`./device/…`, `$(SSIOT)/hosts/…` → `device`, `hosts`).
 */
export function sourceFolders(sources: Iterable<string>): Set<string> {
  const folders = new Set<string>();
  for (const source of sources) {
    const m = /^(?:\.|\$\(SSIOT\))\/(node_modules\/(?:@[^/]+\/)?[^/]+|[^/]+)\//.exec(source);
    if (m) folders.add(m[1]);
  }
  return folders;
}

/** Copies the repository's `folders` into `src`. */
export function copyFolders(src: string, folders: Iterable<string>): void {
  for (const dir of folders) cpSync(join(ROOT, dir), join(src, dir), { recursive: true });
}

/** Where one debug lin build put its pieces. */
export interface LinBuild {
  /** The app's build folder (`out/tmp/lin/mc/debug/<name>`): modules/*.xsb, mc.xs.c, manifest_flat.json. */
  tmp: string;
  /** The app library mcsim loads (`out/bin/lin/mc/debug/<name>/mc.so`). */
  lib: string;
}

/**
 * A debug build (`-d`: `trace` reaches xsbug, instrumentation is on) of
 * `manifest` for lin into `out`; `settings` become mcconfig's `name=value`
 * config overrides, `env` variables the manifest reads.
 */
export function buildLin(o: { sdk: string; src: string; out: string; manifest: string; name: string; settings?: Record<string, string | number>; env?: NodeJS.ProcessEnv }): LinBuild {
  const env = sdkEnv(o.sdk, o.env);
  const settings = Object.entries(o.settings ?? {}).map(([k, v]) => `${k}=${v}`);
  // no -m: the lin `all` target would kill every mcsim on the machine
  run('mcconfig', ['-d', '-p', 'lin', '-o', o.out, o.manifest, ...settings], o.src, env);
  const tmp = join(o.out, 'tmp/lin/mc/debug', o.name);
  run('make', ['-j1', '-C', tmp, 'build'], o.src, env);
  const lib = join(o.out, 'bin/lin/mc/debug', o.name, 'mc.so');
  if (!existsSync(lib)) throw new Error(`no ${lib} after the build (have: ${readdirSync(dirname(lib)).join(', ')})`);
  return { tmp, lib };
}

/** Stops a process group we started (its leader's pid), politely then firmly. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGINT');
  } catch {
    return;
  }
  const late = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  }, 3000);
  await exited;
  clearTimeout(late);
}

/** Resolves when nothing listens on 127.0.0.1:`port`; throws when something does. */
async function ensurePortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((ok, fail) => {
    const server = createServer();
    server.once('error', () => fail(new Error(`${what}: port ${port} is in use (another simulator?)`)));
    server.listen(port, '127.0.0.1', () => server.close(() => ok()));
  });
}

/** An X display of our own for mcsim's window. */
export interface XDisplay {
  display: string;
  stop(): Promise<void>;
}

/**
 * Starts `Xvfb <display>` and waits for its socket. A display that is up
 * already (someone's Xvfb) is used as it is and left running: mcsim only
 * needs somewhere to put its window.
 */
export async function startXvfb(display: string): Promise<XDisplay> {
  const n = /^:(\d+)$/.exec(display)?.[1];
  if (n === undefined) throw new Error(`not an X display: ${display}`);
  if (existsSync(`/tmp/.X${n}-lock`) && existsSync(`/tmp/.X11-unix/X${n}`)) return { display, stop: async () => undefined };
  const xvfb = spawn('Xvfb', [display, '-nolisten', 'tcp'], { detached: true, stdio: 'ignore' });
  const end = Date.now() + 10_000;
  while (!existsSync(`/tmp/.X11-unix/X${n}`)) {
    if (xvfb.exitCode !== null) throw new Error(`Xvfb ${display} exited (${xvfb.exitCode})`);
    if (Date.now() > end) {
      await stopProcess(xvfb);
      throw new Error(`Xvfb ${display} did not come up`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { display, stop: () => stopProcess(xvfb) };
}

/** mcsim running an app under xsbug-log. */
export interface Simulator {
  child: ChildProcess;
  /** Calls `fn` with every complete output line (stdout and stderr, ANSI codes and the `(xsdb)` prompt removed). */
  onLine(fn: (line: string) => void): void;
  /** The last few KB of output, for error messages. */
  tail(): string;
  stop(): Promise<void>;
}

/**
 * Runs `lib` in mcsim on `display`, its xsbug connection on `xsbugPort`
 * through the SDK's xsbug-log (which prints what the app traces). The port
 * must be free: xsbug-log would otherwise ask on stdin whether to kill its holder.
 */
export async function launchSimulator(o: { sdk: string; lib: string; display: string; xsbugPort: number; cwd: string; env?: NodeJS.ProcessEnv }): Promise<Simulator> {
  await ensurePortFree(o.xsbugPort, 'xsbug-log');
  const port = String(o.xsbugPort);
  const child = spawn('node', ['xsbug-log', join(o.sdk, 'build/bin/lin/release/mcsim'), o.lib], {
    cwd: join(o.sdk, 'tools/xsbug-log'),
    // XSBUG_PROJECT: where xsbug-log would keep its .xsdb.json (not in the SDK tree)
    env: { ...sdkEnv(o.sdk, o.env), DISPLAY: o.display, XSBUG_HOST: 'localhost', XSBUG_PORT: port, XSBUG_LOG_PORT: port, XSBUG_PROJECT: o.cwd },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  let tail = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-4000);
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const raw of lines) {
      // eslint-disable-next-line no-control-regex
      const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^(\(xsdb\) )+/, '');
      for (const fn of listeners) fn(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    child,
    onLine: (fn) => listeners.push(fn),
    tail: () => tail,
    stop: () => stopProcess(child),
  };
}
