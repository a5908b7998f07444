/**
 * Spawning xsnap workers (the real XS engine) from Node.
 *
 * @agoric/xsnap's driver needs SES: `@endo/init` locks down the whole realm
 * (frozen intrinsics), so it must run in a Node process of its own (never a
 * vitest worker) and only after anything that dislikes a frozen realm (the
 * esbuild bundling) is done. `loadXsnap()` does the lockdown on first use.
 */
import type { MeterUsage, RunResult, XSnap } from '@agoric/xsnap';

export type { MeterUsage, RunResult, XSnap };

let loaded: Promise<typeof import('@agoric/xsnap')> | undefined;

/** Locks the realm down (once) and returns the xsnap module. Call after bundling. */
export function loadXsnap(): Promise<typeof import('@agoric/xsnap')> {
  loaded ??= (async () => {
    await import('@endo/init');
    return import('@agoric/xsnap');
  })();
  return loaded;
}

export interface XsWorkerOptions {
  name: string;
  /** Answers the child's synchronous `issueCommand(bytes)`. */
  handleCommand?: (request: Uint8Array) => Promise<Uint8Array> | Uint8Array;
  /** Per-crank compute limit (xsnap parses it with atoi: must stay < 2^31); 0 = none. */
  meteringLimit?: number;
  /** Child stdout (XS `print`) and stderr, as text chunks. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

export interface XsWorker extends XSnap {
  /** The last few KiB the child wrote to stderr (crash reports). */
  stderrTail(): string;
}

/** Spawns one xsnap-worker process. */
export async function spawnXsWorker(options: XsWorkerOptions): Promise<XsWorker> {
  const { xsnap } = await loadXsnap();
  const [{ spawn }, os, fs] = await Promise.all([import('node:child_process'), import('node:os'), import('node:fs')]);
  let tail = '';
  const keep = (text: string) => {
    tail = (tail + text).slice(-4096);
  };
  // xsnap hides its ChildProcess; a wrapping spawn lets us drain the pipes
  // (an unread pipe would block the child) and keep stderr for crash reports.
  const wrappedSpawn = ((command: string, args: readonly string[], opts: object) => {
    const child = spawn(command, args, opts as Parameters<typeof spawn>[2]);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (t: string) => options.onOutput?.('stdout', t));
    child.stderr?.on('data', (t: string) => {
      keep(t);
      options.onOutput?.('stderr', t);
    });
    return child;
  }) as unknown as typeof spawn;
  const handle = options.handleCommand;
  const worker = await xsnap({
    name: options.name.replace(/^-+/, ''),
    os: os.type(),
    spawn: wrappedSpawn,
    fs: { ...fs, ...fs.promises },
    meteringLimit: options.meteringLimit ?? 0,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {},
    handleCommand: handle ? async (req) => handle(req) : undefined,
  });
  return Object.freeze({ ...worker, stderrTail: () => tail });
}
