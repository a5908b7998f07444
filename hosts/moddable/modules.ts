/**
 * The manifest's module lists, computed from the firmware's import graph
 * (esbuild's metafile) instead of written by hand: mcconfig's `*` wildcard
 * is per folder and would pull in every test file, and an npm package's
 * unused modules (bls12-381, …) would only bloat the XS archive.
 *
 *   npx tsx hosts/moddable/modules.ts           prints the computed sections
 *   npx tsx hosts/moddable/modules.ts --write   rewrites manifest.json's sections
 *
 * Naming (how XS will look each module up): our TypeScript by its path
 * without extension (relative imports are emitted with `.js`, which XS
 * strips); an npm file by the bare specifier it is imported with
 * (`@noble/hashes/sha2.js` → `@noble/hashes/sha2`), or by its path relative
 * to the importing package file's name for relative imports. The
 * platform-specific modules (stores, boot slots, reset button, native curve25519) differ per platform
 * family; what all families share goes into the common `modules`.
 * The `preload` lists come from the same graph: everything main imports
 * except NOT_PRELOADED, with the ON_DEMAND seam replaced by its lazy
 * stand-in, so the modules only the seam reaches load on first use
 * (README.md, "Preloading").
 * tests/moddable-manifest.test.ts checks manifest.json is up to date.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = 'hosts/moddable/main.ts';
/** Modules the SDK (or our native code) provides: not in the graph. */
const EXTERNAL = ['embedded:*', 'moddable:*', 'ssiot/*'];

/** Platform families: which source stands in for which module. */
export const FAMILIES = {
  esp32: {},
  mac: {
    'hosts/moddable/boot-slots.ts': 'hosts/moddable/boot-slots-sim.ts',
    'hosts/moddable/button.ts': 'hosts/moddable/button-sim.ts',
    // native X25519/Ed25519 only where libsodium is linked (ESP32, lin)
    'hosts/moddable/curve25519.ts': 'hosts/moddable/curve25519-none.ts',
  },
  lin: {
    'hosts/moddable/boot-slots.ts': 'hosts/moddable/boot-slots-sim.ts',
    'hosts/moddable/button.ts': 'hosts/moddable/button-sim.ts',
    'hosts/moddable/stores.ts': 'hosts/moddable/stores-preference.ts',
  },
  win: {
    'hosts/moddable/boot-slots.ts': 'hosts/moddable/boot-slots-sim.ts',
    'hosts/moddable/button.ts': 'hosts/moddable/button-sim.ts',
    'hosts/moddable/stores.ts': 'hosts/moddable/stores-preference.ts',
    'hosts/moddable/curve25519.ts': 'hosts/moddable/curve25519-none.ts',
  },
} as const satisfies Record<string, Record<string, string>>;
export type Family = keyof typeof FAMILIES;

/**
 * Loaded on first use instead of preloaded (why: hosts/moddable/noble-lazy.ts).
 * In the firmware the seam is replaced by its lazy stand-in; the real modules
 * behind the seam go into the archive but not into `preload`.
 */
export const ON_DEMAND: Readonly<Record<string, string>> = {
  'protocols/crypto/noble-stateful.ts': 'hosts/moddable/noble-lazy.ts',
};

/**
 * Modules of main's graph that are not preloaded: main runs the device
 * (native calls); the stores open storage when used, and on lin/win the SDK's
 * `preference` reads its file while it loads, which in the linker finds none
 * and would keep that empty state in flash.
 */
export const NOT_PRELOADED: readonly string[] = ['hosts/moddable/main', 'hosts/moddable/stores'];

/** Preloaded first: the globals (TextEncoder/TextDecoder, Error names) other modules use while they load. */
export const PRELOAD_FIRST = 'hosts/moddable/globals';

/**
 * Module name → source file, `./`-relative to the repository root. With its
 * extension: mcconfig takes every file of that base name otherwise, and
 * @scure/base ships index.ts next to index.js.
 */
export type ModuleMap = Record<string, string>;

const stripJs = (s: string): string => s.replace(/\.(m?js|ts)$/, '');

function substitute(map: Record<string, string>): Plugin {
  return {
    name: 'substitute',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const abs = resolve(args.resolveDir, args.path);
        const rel = relative(ROOT, abs).split('\\').join('/');
        const to = map[rel];
        return to ? { path: join(ROOT, to) } : undefined;
      });
    },
  };
}

/** The graph of one family, as module name → source (from the firmware's main, or another app's: the selftest). */
export async function familyModules(family: Family, entry: string = ENTRY): Promise<ModuleMap> {
  return (await familyGraph(family, entry)).modules;
}

/**
 * The graph of one family: module name → source, and the modules to preload,
 * which are main's graph less NOT_PRELOADED (for the firmware, with the
 * ON_DEMAND seams replaced: what only the seams reach is loaded on first use).
 */
export async function familyGraph(family: Family, entry: string = ENTRY): Promise<{ modules: ModuleMap; preload: string[] }> {
  const lazy = entry === ENTRY ? ON_DEMAND : {};
  const substitutes = { ...FAMILIES[family], ...lazy };
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry, ...Object.keys(lazy).map((seam) => join(ROOT, seam))], // absolute: not substituted
    outdir: 'out', // nothing is written; esbuild asks for it with two entry points
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['import', 'default'],
    external: EXTERNAL,
    logLevel: 'silent',
    plugins: [substitute(substitutes)],
  });
  const modules = namesOf(result.metafile, substitutes);
  const nameOf = new Map(Object.entries(modules).map(([name, source]) => [source.slice(2), name]));
  const reached = new Set<string>();
  for (const todo = [entry]; todo.length > 0; ) {
    const path = todo.pop()!;
    if (reached.has(path)) continue;
    reached.add(path);
    for (const imp of result.metafile.inputs[path]?.imports ?? []) if (!imp.external) todo.push(imp.path);
  }
  const preload: string[] = [];
  for (const path of reached) {
    const name = nameOf.get(path);
    if (name !== undefined && !NOT_PRELOADED.includes(name)) preload.push(name);
  }
  return { modules, preload: preload.sort() };
}

function namesOf(meta: Metafile, substitutes: Record<string, string>): ModuleMap {
  const reverse = new Map(Object.entries(substitutes).map(([from, to]) => [to, from]));
  const names = new Map<string, string>(); // input path → module name
  const pending: [string, string][] = []; // [importer path, import record index] resolved later
  for (const [path, input] of Object.entries(meta.inputs)) {
    // a replaced module (the ON_DEMAND seam, an entry point of its own) is named by its stand-in
    if (!path.startsWith('node_modules/') && substitutes[path] === undefined) names.set(path, stripJs(reverse.get(path) ?? path));
    for (const imp of input.imports) if (imp.path.startsWith('node_modules/')) pending.push([path, imp.path]);
  }
  // npm files: named by the bare specifier they are imported with, else relative to their importer's name
  for (let round = 0; round < 20 && pending.length > 0; round++) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const [importer, target] = pending[i];
      const imp = meta.inputs[importer].imports.find((x) => x.path === target);
      const original = imp?.original ?? '';
      let name: string | undefined;
      if (!original.startsWith('.')) name = stripJs(original);
      else if (names.has(importer)) name = stripJs(posix.join(posix.dirname(names.get(importer)!), original));
      if (name === undefined) continue;
      const known = names.get(target);
      if (known !== undefined && known !== name) throw new Error(`${target} is imported as both ${known} and ${name}`);
      names.set(target, name);
      pending.splice(i, 1);
    }
  }
  if (pending.length > 0) throw new Error(`no module name for ${pending.map((p) => p[1]).join(', ')}`);
  const out: ModuleMap = {};
  for (const [path, name] of [...names].sort((a, b) => (a[1] < b[1] ? -1 : 1))) out[name] = './' + path;
  return out;
}

/** Module names to preload: in manifest.json (PRELOAD_FIRST first) and per family. */
export interface Preloads {
  common: string[];
  families: Record<Family, string[]>;
}

/** Common modules and per-family extras, as they go into manifest.json, and what each preloads. */
export async function manifestModules(): Promise<{ common: ModuleMap; families: Record<Family, ModuleMap>; preload: Preloads }> {
  const families = {} as Record<Family, ModuleMap>;
  const preloaded = {} as Record<Family, string[]>;
  for (const f of Object.keys(FAMILIES) as Family[]) ({ modules: families[f], preload: preloaded[f] } = await familyGraph(f));
  const all = Object.values(families);
  const common: ModuleMap = {};
  for (const [name, source] of Object.entries(all[0])) if (all.every((m) => m[name] === source)) common[name] = source;
  const extras = {} as Record<Family, ModuleMap>;
  for (const f of Object.keys(families) as Family[]) {
    extras[f] = {};
    for (const [name, source] of Object.entries(families[f])) if (common[name] !== source) extras[f][name] = source;
  }
  const everywhere = Object.values(preloaded);
  const commonPreload = everywhere[0].filter((n) => common[n] !== undefined && everywhere.every((p) => p.includes(n)));
  const first = (names: string[]) => (names.includes(PRELOAD_FIRST) ? [PRELOAD_FIRST, ...names.filter((n) => n !== PRELOAD_FIRST)] : names);
  const preload: Preloads = { common: first(commonPreload), families: {} as Record<Family, string[]> };
  for (const f of Object.keys(families) as Family[]) {
    const own = preloaded[f].filter((n) => !commonPreload.includes(n));
    // a family manifest is merged before manifest.json: give it the globals first too
    preload.families[f] = own.length > 0 ? first([PRELOAD_FIRST, ...own]) : [];
  }
  return { common, families: extras, preload };
}

/** Where each family's modules go: a manifest the platform sections of manifest.json include. */
export const FAMILY_MANIFESTS: Readonly<Record<Family, string>> = {
  esp32: 'hosts/moddable/manifests/esp32.json',
  mac: 'hosts/moddable/manifests/mac.json',
  lin: 'hosts/moddable/manifests/lin.json',
  win: 'hosts/moddable/manifests/win.json',
};

type ManifestJson = { modules?: Record<string, unknown>; preload?: string[] } & Record<string, unknown>;

/** Module entries written by hand (the `*` list, our native `ssiot/*` modules), kept by --write. */
const handWritten = (modules: Record<string, unknown> = {}) => Object.fromEntries(Object.entries(modules).filter(([k]) => k === '*' || k.startsWith('ssiot/')));

/**
 * `map` as written in the manifest at `manifestPath`: the root manifest
 * takes `./` paths; an included manifest names sources through the root
 * manifest's build variable `SSIOT` (the repository root), since mcconfig
 * resolves `./` against the including file but not `../`.
 */
export function sourcesFor(manifestPath: string, map: ModuleMap): ModuleMap {
  if (manifestPath === 'manifest.json') return { ...map };
  const out: ModuleMap = {};
  for (const [name, source] of Object.entries(map)) out[name] = '$(SSIOT)/' + source.slice(2);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const computed = await manifestModules();
  if (process.argv.includes('--write')) {
    const ours = new Set([...Object.keys(computed.common), ...Object.values(computed.families).flatMap((m) => Object.keys(m))]);
    const update = (path: string, modules: ModuleMap, preload: string[]) => {
      const file = join(ROOT, path);
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as ManifestJson;
      manifest.modules = { ...handWritten(manifest.modules), ...sourcesFor(path, modules) };
      // preloads written by hand (native ssiot/*, SDK modules) stay, ahead of the computed ones
      const kept = (manifest.preload ?? []).filter((n) => !ours.has(n));
      if (kept.length + preload.length > 0) manifest.preload = [...kept, ...preload];
      else delete manifest.preload;
      writeFileSync(file, JSON.stringify(manifest, null, '\t') + '\n');
    };
    update('manifest.json', computed.common, computed.preload.common);
    for (const [family, path] of Object.entries(FAMILY_MANIFESTS) as [Family, string][]) update(path, computed.families[family], computed.preload.families[family]);
    console.log(`manifest.json: ${Object.keys(computed.common).length} common modules`);
  } else console.log(JSON.stringify(computed, null, 2));
}
