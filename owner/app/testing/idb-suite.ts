/**
 * The shared wallet storage suite (protocols/wallet/store-suite.ts, which
 * memory, key-value, SQLite and PostgreSQL pass) run against
 * IndexedDbStorage inside a real browser: tests/owner-app.test.ts bundles
 * this file and evaluates it in Chromium, then calls
 * `globalThis.ssiotIdbSuite()`. There is no IndexedDB in Node (and no fake
 * installed), so this is where the adapter is tested. Test-only: not part of
 * the app's bundle.
 */
import { installBrowserCrypto } from '../platform.ts';
import { IndexedDbStorage } from '../idb-storage.ts';
import { defineStorageSuite, type Matchers } from '../../../protocols/wallet/store-suite.ts';

export interface SuiteResult {
  name: string;
  ok: boolean;
  error?: string;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

const show = (v: unknown): string => {
  try {
    return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `bytes(${x.length})` : x))?.slice(0, 200) ?? String(v);
  } catch {
    return String(v);
  }
};

function matchers(actual: unknown, negate = false): Matchers {
  const check = (pass: boolean, what: string) => {
    if (pass === negate) throw new Error(`expected ${show(actual)} ${negate ? 'not ' : ''}${what}`);
  };
  const m: Matchers = {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(deepEqual(actual, e), `to equal ${show(e)}`),
    toHaveLength: (n) => check((actual as { length?: number })?.length === n, `to have length ${n}`),
    toBeUndefined: () => check(actual === undefined, 'to be undefined'),
    toBeGreaterThan: (n) => check((actual as number) > n, `to be greater than ${n}`),
    toBeTruthy: () => check(Boolean(actual), 'to be truthy'),
    get not() {
      return matchers(actual, !negate);
    },
  };
  return m;
}

async function run(): Promise<SuiteResult[]> {
  installBrowserCrypto();
  const tests: { name: string; fn: () => Promise<void> }[] = [];
  let prefix = '';
  let n = 0;
  defineStorageSuite(
    {
      describe: (name, fn) => {
        prefix = name;
        fn();
      },
      it: (name, fn) => void tests.push({ name: `${prefix} > ${name}`, fn }),
      expect: (actual) => matchers(actual),
    },
    {
      name: 'IndexedDB',
      fresh: async () => {
        const name = `suite-${Date.now()}-${n++}`;
        await IndexedDbStorage.destroy(name);
        return { storage: await IndexedDbStorage.open(name), reopen: () => IndexedDbStorage.open(name) };
      },
    },
  );
  const results: SuiteResult[] = [];
  for (const t of tests) {
    try {
      await t.fn();
      results.push({ name: t.name, ok: true });
    } catch (e) {
      results.push({ name: t.name, ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
    }
  }
  return results;
}

(globalThis as { ssiotIdbSuite?: () => Promise<SuiteResult[]> }).ssiotIdbSuite = run;
