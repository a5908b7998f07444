/**
 * Bundles platform-neutral test files for the XS engine: one self-contained
 * script per test file (hosts/xs/test-prelude.ts first, then the test), so a
 * file that fails to bundle, throws at load, or crashes its worker cannot
 * hide the results of the others.
 *
 * esbuild settings are dictated by the xsnap XS build (DESIGN.md §3): IIFE
 * (xsnap evaluates scripts), target es2020 (its XS rejects a class static
 * field that references the class, which noble-curves uses; es2020 lowers
 * those), platform neutral (no Node shims may sneak in). `vitest` is aliased
 * to the shim.
 *
 * This module must not be imported after `@endo/init` has locked the realm
 * down: bundle first, then lock down (hosts/xs/driver.ts does so).
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (two levels above hosts/xs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHIM = join(ROOT, 'hosts/xs/vitest-shim.ts');
export const PRELUDE = join(ROOT, 'hosts/xs/test-prelude.ts');
/** Bundles are also written here, for reading when a test fails in XS only. */
export const CACHE_DIR = join(ROOT, '.cache/xs');

/** Folders whose tests run in XS (the platform-neutral code). */
export const XS_TEST_DIRS = ['protocols', 'device'];
/**
 * Also run in XS: the shim's own tests (which then check the shim with itself
 * on the real engine) and the fallback codec's (against xsnap's native codecs).
 */
export const XS_EXTRA_TESTS = ['hosts/xs/text-codec.test.ts', 'hosts/xs/vitest-shim.test.ts'];

export interface TestBundle {
  /** Test file, relative to the repository root, with forward slashes. */
  readonly file: string;
  /** The script to evaluate in XS; absent when bundling failed. */
  readonly code?: string;
  /** Source map (JSON) of `code`, to turn XS stack lines back into .ts lines. */
  readonly map?: string;
  /** esbuild's error text when bundling failed. */
  readonly error?: string;
  readonly bytes: number;
  readonly ms: number;
}

/** The esbuild options every XS bundle shares. */
export function xsBuildOptions(): BuildOptions {
  return {
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['import', 'default'],
    alias: { vitest: SHIM },
    logLevel: 'silent',
    legalComments: 'none',
    charset: 'utf8',
    absWorkingDir: ROOT,
  };
}

/** Every `*.test.ts` under the neutral folders, sorted, relative to the root. */
export function findTestFiles(root = ROOT, dirs = XS_TEST_DIRS): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.ts')) out.push(toRel(root, p));
    }
  };
  for (const d of dirs) walk(join(root, d));
  if (dirs === XS_TEST_DIRS) out.push(...XS_EXTRA_TESTS);
  return out.sort();
}

function toRel(root: string, p: string): string {
  return relative(root, p).split(sep).join('/');
}

const ENTRY_NS = 'ssiot-xs-entry';

/** A virtual entry per test file: `import prelude; import test;` (ES order = evaluation order). */
function entryPlugin(root: string): Plugin {
  return {
    name: 'ssiot-xs-entry',
    setup(b) {
      b.onResolve({ filter: /^ssiot-xs-entry:/ }, (args) => ({ path: args.path.slice(ENTRY_NS.length + 1), namespace: ENTRY_NS }));
      b.onLoad({ filter: /.*/, namespace: ENTRY_NS }, (args) => ({
        contents: `import ${JSON.stringify(PRELUDE)};\nimport ${JSON.stringify(join(root, args.path))};\n`,
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
}

/** Bundles one test file with the prelude. Never throws: failures come back in `error`. */
export async function bundleTestFile(file: string, root = ROOT): Promise<TestBundle> {
  const start = performance.now();
  const rel = file.startsWith('/') ? toRel(root, file) : file;
  try {
    const result = await build({
      ...xsBuildOptions(),
      entryPoints: [`${ENTRY_NS}:${rel}`],
      plugins: [entryPlugin(root)],
      outfile: join(ROOT, 'bundle.js'),
      sourcemap: 'external',
      sourcesContent: false,
    });
    const code = (result.outputFiles ?? []).find((f) => f.path.endsWith('.js'))?.text ?? '';
    const map = (result.outputFiles ?? []).find((f) => f.path.endsWith('.map'))?.text;
    try {
      const out = join(CACHE_DIR, 'bundles', rel.replace(/\//g, '__').replace(/\.ts$/, '.js'));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, code);
    } catch {
      /* the copy on disk is a convenience */
    }
    return { file: rel, code, map, bytes: code.length, ms: performance.now() - start };
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    const error = errors && errors.length
      ? errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text)).join('\n')
      : String(e);
    return { file: rel, error: `bundling failed: ${error}`, bytes: 0, ms: performance.now() - start };
  }
}

/** Bundles many test files concurrently (esbuild parallelises internally). */
export async function bundleTestFiles(files: readonly string[], root = ROOT): Promise<TestBundle[]> {
  return Promise.all(files.map((f) => bundleTestFile(f, root)));
}

/**
 * Bundles an arbitrary neutral script (e.g. the benchmark payload) for XS.
 * Throws on esbuild errors.
 */
export async function bundleScript(entry: string): Promise<string> {
  const result = await build({ ...xsBuildOptions(), entryPoints: [entry], outfile: join(ROOT, 'bundle.js') });
  const out = result.outputFiles?.[0];
  if (!out) throw new Error(`esbuild produced no output for ${entry}`);
  return out.text;
}
