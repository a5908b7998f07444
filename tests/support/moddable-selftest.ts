/**
 * Builds and runs the curve25519 selftest app (hosts/moddable/selftest) in
 * the Moddable lin simulator and returns its JSON line. Used by
 * tests/moddable-selftest.test.ts, and by hand:
 *
 *   MODDABLE=/path/to/moddable npx tsx tests/support/moddable-selftest.ts [scratch dir]
 *
 * Needs the SDK with its lin tools built ($MODDABLE/build/bin/lin/release:
 * mcconfig, mcsim), tools/xsbug-log's npm modules, Xvfb and the system
 * libsodium (Debian: xvfb, libsodium-dev; installed by scripts/apt-install.sh
 * when missing). Everything is built in a scratch copy
 * outside the repository: the sources the app imports (module list computed
 * from its import graph by hosts/moddable/modules.ts) and the vector files
 * (shared/vectors, embedded as resources). The simulator runs under its own
 * X display and xsbug port (SSIOT_SELFTEST_DISPLAY, SSIOT_SELFTEST_XSBUG_PORT)
 * and is stopped as soon as the line is out.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { familyModules } from '../../hosts/moddable/modules.ts';
import { buildLin, copyFolders, launchSimulator, simulatorUnavailable, sourceFolders, startXvfb, type Simulator } from './moddable-sim.ts';
import { ROOT } from './spawn-node.ts';
import { vectorsDir } from './setup-node.ts';

const ENTRY = 'hosts/moddable/selftest/main.ts';
const NAME = 'ssiot-selftest';

export interface SelftestResult {
  selftest: 'curve25519';
  error?: string;
  libsodium?: string;
  cases?: number;
  native?: { pass: number; fail: number; failed: string[] };
  js?: { pass: number; fail: number; failed: string[] };
  casesMs?: number;
  usPerOp?: Record<string, { native: number; js: number }>;
}

/**
 * Why the selftest cannot run on this machine, or undefined when it can
 * (the simulator's needs, moddable-sim.ts, plus the vector files).
 */
export function selftestUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const why = simulatorUnavailable(env);
  if (why) return why;
  if (!existsSync(join(vectorsDir, 'ed25519/rfc8032.json'))) return `no vectors at ${vectorsDir}`;
  return undefined;
}

/** Copies what the app imports into `src` and writes its manifest there; returns the manifest's path. */
async function prepare(src: string): Promise<string> {
  const modules = await familyModules('lin', ENTRY);
  // the folders the sources are in (an npm package, or a top folder of ours), plus the app and the native modules
  copyFolders(src, new Set(['hosts/moddable', ...sourceFolders(Object.values(modules))]));
  // the firmware's TypeScript settings (emit only, .ts imports rewritten)
  const { typescript } = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as { typescript: unknown };
  const manifest = join(src, 'selftest.json');
  writeFileSync(
    manifest,
    JSON.stringify({ build: { NAME, SSIOT: './' }, include: ['./hosts/moddable/selftest/manifest.json'], modules, typescript }, null, '\t') + '\n',
  );
  return manifest;
}

/** Waits for the simulator's JSON line. */
function awaitLine(sim: Simulator, timeoutMs: number): Promise<SelftestResult> {
  return new Promise((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error(`no selftest line within ${timeoutMs} ms; output:\n${sim.tail()}`)), timeoutMs);
    sim.onLine((line) => {
      const at = line.indexOf('{"selftest"');
      if (at < 0) return;
      clearTimeout(timer);
      try {
        resolveLine(JSON.parse(line.slice(at)) as SelftestResult);
      } catch (e) {
        reject(new Error(`unreadable selftest line: ${line.slice(0, 300)}`, { cause: e }));
      }
    });
    sim.child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited (${code}) before the selftest line; output:\n${sim.tail()}`));
    });
  });
}

/**
 * Builds the app in `scratch` (debug build: `trace` reaches xsbug-log) and
 * runs it once. Without `scratch`, a temporary folder, removed afterwards.
 */
export async function runSelftest(scratch?: string, timeoutMs = 240_000): Promise<SelftestResult> {
  if (scratch !== undefined) return buildAndRun(scratch, timeoutMs);
  const temporary = mkdtempSync(join(tmpdir(), 'ssiot-selftest-'));
  try {
    return await buildAndRun(temporary, timeoutMs);
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}

async function buildAndRun(scratch: string, timeoutMs: number): Promise<SelftestResult> {
  const sdk = process.env.MODDABLE!;
  const src = join(scratch, 'src');
  const out = join(scratch, 'out');
  mkdirSync(src, { recursive: true });
  mkdirSync(out, { recursive: true });
  const manifest = await prepare(src);
  // the app's manifest embeds the vector files from SSIOT_VECTORS
  const { lib } = buildLin({ sdk, src, out, manifest, name: NAME, env: { SSIOT_VECTORS: vectorsDir } });
  const x = await startXvfb(process.env.SSIOT_SELFTEST_DISPLAY ?? ':61');
  try {
    const sim = await launchSimulator({ sdk, lib, display: x.display, xsbugPort: Number(process.env.SSIOT_SELFTEST_XSBUG_PORT ?? '5061'), cwd: scratch });
    try {
      return await awaitLine(sim, timeoutMs);
    } finally {
      await sim.stop();
    }
  } finally {
    await x.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const why = selftestUnavailable();
  if (why) {
    console.error(`selftest cannot run: ${why}`);
    process.exit(2);
  }
  const result = await runSelftest(process.argv[2]);
  console.log(JSON.stringify(result));
  process.exit(result.error || result.native?.fail || result.js?.fail ? 1 : 0);
}
