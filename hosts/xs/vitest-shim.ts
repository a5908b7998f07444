/**
 * A small stand-in for `vitest`, so the platform-neutral test files
 * (protocols/**, device/**) run unchanged inside the XS engine, where the
 * real vitest (Node built-ins, workers, chai) cannot load. hosts/xs/bundle.ts
 * aliases the `vitest` import to this module.
 *
 * It implements the subset the project's test rules allow (see
 * /work/briefs/common.md): describe/it (nested, async, skip/skipIf/runIf/todo),
 * hooks, and `expect` with `.not`, `.resolves`, `.rejects` and the listed
 * matchers. Semantics follow vitest where they matter for correctness:
 * `toEqual` ignores undefined properties and compares classes by
 * Object.prototype.toString, typed arrays/Map/Set by content (same
 * constructor), Dates by time, Errors by name and message; `toStrictEqual`
 * also checks undefined properties, sparseness and constructors.
 * Where vitest's `toEqual` would call two ArrayBuffers of different contents
 * equal (it has no keys to compare), this shim compares their bytes: a test
 * that relied on the laxer rule would be asserting nothing.
 *
 * Tests are registered when the test module evaluates and run later, one at
 * a time (`runRegisteredTest(id)`), so the XS driver can meter each test in
 * its own crank. Written for ES2020 and no host APIs beyond `Date.now`.
 */

export type TestStatus = 'passed' | 'failed' | 'skipped';

/** One test as the driver sees it before running: its describe path + name. */
export interface RegisteredTest {
  readonly id: number;
  /** describe names from the outermost, then the test name. */
  readonly name: readonly string[];
  /** Statically skipped (it.skip, it.skipIf(true), todo, inside a skipped describe). */
  readonly skip: boolean;
}

export interface TestResult {
  readonly id: number;
  readonly name: readonly string[];
  readonly status: TestStatus;
  /** Failure message (assertion text, or error name/code/message and a short stack). */
  readonly error?: string;
  readonly durationMs: number;
}

export interface TestContext {
  /** Marks the running test skipped (like vitest's `ctx.skip()`). */
  skip(note?: string): never;
}

export type TestFunction = (context: TestContext) => unknown;
type HookFunction = () => unknown;
type TestOptions = { skip?: boolean; timeout?: number } | number;

export interface ItApi {
  (name: string, fn?: TestFunction, options?: TestOptions): void;
  (name: string, options: TestOptions, fn?: TestFunction): void;
  skip(name: string, fn?: TestFunction, options?: TestOptions): void;
  todo(name: string, fn?: TestFunction): void;
  skipIf(condition: unknown): (name: string, fn?: TestFunction, options?: TestOptions) => void;
  runIf(condition: unknown): (name: string, fn?: TestFunction, options?: TestOptions) => void;
}

export interface DescribeApi {
  (name: string, fn: () => void): void;
  skip(name: string, fn: () => void): void;
  skipIf(condition: unknown): (name: string, fn: () => void) => void;
  runIf(condition: unknown): (name: string, fn: () => void) => void;
}

/** A registry of tests: the module-level exports below use one default suite. */
export interface Suite {
  describe: DescribeApi;
  it: ItApi;
  test: ItApi;
  beforeAll(fn: HookFunction): void;
  afterAll(fn: HookFunction): void;
  beforeEach(fn: HookFunction): void;
  afterEach(fn: HookFunction): void;
  listRegisteredTests(): RegisteredTest[];
  runRegisteredTest(id: number): Promise<TestResult>;
  runRegisteredTests(): Promise<TestResult[]>;
}

/** Thrown by a failed expectation; its message is the whole report. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

class SkipSignal extends Error {
  constructor(note?: string) {
    super(note ?? 'skipped');
    this.name = 'SkipSignal';
  }
}

// ---------------------------------------------------------------- registry

interface Scope {
  readonly name: string | undefined;
  readonly parent: Scope | undefined;
  readonly skip: boolean;
  readonly beforeAll: HookFunction[];
  readonly afterAll: HookFunction[];
  readonly beforeEach: HookFunction[];
  readonly afterEach: HookFunction[];
  /** Tests (ids) that will run under this scope; afterAll runs after the last. */
  readonly runnable: number[];
  beforeAllState: 'pending' | 'done' | { error: unknown };
}

interface TestEntry {
  readonly id: number;
  readonly name: string[];
  readonly scope: Scope;
  readonly fn: TestFunction | undefined;
  readonly skip: boolean;
}

function newScope(name: string | undefined, parent: Scope | undefined, skip: boolean): Scope {
  return { name, parent, skip, beforeAll: [], afterAll: [], beforeEach: [], afterEach: [], runnable: [], beforeAllState: 'pending' };
}

function scopeChain(scope: Scope): Scope[] {
  const chain: Scope[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) chain.unshift(s);
  return chain;
}

function now(): number {
  return typeof Date === 'function' && typeof Date.now === 'function' ? Date.now() : 0;
}

/** Creates an isolated registry (the shim's own tests use fresh ones). */
export function createSuite(): Suite {
  const root = newScope(undefined, undefined, false);
  const tests: TestEntry[] = [];
  let current = root;
  let running = false;

  function register(name: string, a?: unknown, b?: unknown, forceSkip = false): void {
    if (running) throw new Error(`it("${name}") called while tests are running; declare tests at module or describe level`);
    let fn: TestFunction | undefined;
    let options: TestOptions | undefined;
    if (typeof a === 'function') {
      fn = a as TestFunction;
      options = b as TestOptions | undefined;
    } else {
      options = a as TestOptions | undefined;
      fn = typeof b === 'function' ? (b as TestFunction) : undefined;
    }
    const optSkip = typeof options === 'object' && options !== null && options.skip === true;
    const skip = forceSkip || optSkip || fn === undefined || scopeChain(current).some((s) => s.skip);
    const names = scopeChain(current).map((s) => s.name).filter((n): n is string => n !== undefined);
    const entry: TestEntry = { id: tests.length, name: [...names, String(name)], scope: current, fn, skip };
    tests.push(entry);
    if (!skip) for (const s of scopeChain(current)) s.runnable.push(entry.id);
  }

  const it = ((name: string, a?: unknown, b?: unknown) => register(name, a, b)) as ItApi;
  it.skip = (name, fn, options) => register(name, fn, options, true);
  it.todo = (name) => register(name, undefined, undefined, true);
  it.skipIf = (condition) => (name, fn, options) => register(name, fn, options, Boolean(condition));
  it.runIf = (condition) => (name, fn, options) => register(name, fn, options, !condition);

  function declare(name: string, fn: () => void, skip: boolean): void {
    if (running) throw new Error(`describe("${name}") called while tests are running`);
    const parent = current;
    const scope = newScope(String(name), parent, skip);
    current = scope;
    try {
      const r = fn() as unknown;
      if (r && typeof (r as { then?: unknown }).then === 'function') {
        throw new Error('describe() callbacks must be synchronous (register tests, then return)');
      }
    } catch (e) {
      // vitest fails the whole file when a describe body throws; here the
      // error becomes one failing test so the other suites still report.
      const err = e;
      tests.push({ id: tests.length, name: [...scopeChain(scope).map((s) => s.name as string).filter(Boolean), '(describe body)'], scope, fn: () => { throw err; }, skip: false });
      for (const s of scopeChain(scope)) s.runnable.push(tests.length - 1);
    } finally {
      current = parent;
    }
  }
  const describe = ((name: string, fn: () => void) => declare(name, fn, false)) as DescribeApi;
  describe.skip = (name, fn) => declare(name, fn, true);
  describe.skipIf = (condition) => (name, fn) => declare(name, fn, Boolean(condition));
  describe.runIf = (condition) => (name, fn) => declare(name, fn, !condition);

  const context: TestContext = {
    skip(note?: string): never {
      throw new SkipSignal(note);
    },
  };

  async function runHooks(hooks: HookFunction[]): Promise<void> {
    for (const h of hooks) await h();
  }

  async function runRegisteredTest(id: number): Promise<TestResult> {
    const t = tests[id];
    if (!t) throw new Error(`no test with id ${id}`);
    if (t.skip) return { id, name: t.name, status: 'skipped', durationMs: 0 };
    running = true;
    const start = now();
    let status = 'passed' as TestStatus;
    let error: unknown;
    const fail = (e: unknown) => {
      if (status === 'passed') {
        status = 'failed';
        error = e;
      }
    };
    const chain = scopeChain(t.scope);
    try {
      for (const s of chain) {
        if (s.beforeAllState === 'pending') {
          try {
            await runHooks(s.beforeAll);
            s.beforeAllState = 'done';
          } catch (e) {
            s.beforeAllState = { error: e };
          }
        }
        if (s.beforeAllState !== 'done') throw (s.beforeAllState as { error: unknown }).error;
      }
      let eachDone = 0;
      try {
        for (const s of chain) {
          await runHooks(s.beforeEach);
          eachDone++;
        }
        await (t.fn as TestFunction)(context);
      } catch (e) {
        if (e instanceof SkipSignal) status = 'skipped';
        else fail(e);
      }
      for (let i = eachDone - 1; i >= 0; i--) {
        try {
          await runHooks(chain[i].afterEach);
        } catch (e) {
          fail(e);
        }
      }
    } catch (e) {
      fail(e);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const s = chain[i];
      if (s.runnable[s.runnable.length - 1] === id && s.beforeAllState === 'done') {
        try {
          await runHooks(s.afterAll);
        } catch (e) {
          fail(e);
        }
      }
    }
    running = false;
    const durationMs = now() - start;
    return status === 'failed' ? { id, name: t.name, status, error: describeError(error), durationMs } : { id, name: t.name, status, durationMs };
  }

  return {
    describe,
    it,
    test: it,
    beforeAll: (fn) => current.beforeAll.push(fn),
    afterAll: (fn) => current.afterAll.push(fn),
    beforeEach: (fn) => current.beforeEach.push(fn),
    afterEach: (fn) => current.afterEach.push(fn),
    listRegisteredTests: () => tests.map((t) => ({ id: t.id, name: t.name, skip: t.skip })),
    runRegisteredTest,
    async runRegisteredTests() {
      const results: TestResult[] = [];
      for (const t of tests) results.push(await runRegisteredTest(t.id));
      return results;
    },
  };
}

/** ` [code]` for errors that carry a stable string code (SsiotError and friends), else ''. */
function errorCode(e: Error): string {
  const code = (e as unknown as { code?: unknown }).code;
  return typeof code === 'string' ? ` [${code}]` : '';
}

/** Human text for a failure: assertion text as is; other errors with name, code and a short stack. */
export function describeError(e: unknown): string {
  if (e instanceof AssertionError) return e.message;
  if (e instanceof Error) {
    const code = errorCode(e);
    let text = `${e.name}${code}: ${e.message}`;
    const stack = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s*at\s|\(.*:\d+\)|^\s+\S+ \(/.test(l)) : [];
    if (stack.length) text += '\n' + stack.slice(0, 6).join('\n');
    return text;
  }
  return `thrown non-Error value: ${format(e)}`;
}

const defaultSuite = createSuite();
export const describe: DescribeApi = defaultSuite.describe;
export const suite: DescribeApi = defaultSuite.describe;
export const it: ItApi = defaultSuite.it;
export const test: ItApi = defaultSuite.it;
export const beforeAll = defaultSuite.beforeAll;
export const afterAll = defaultSuite.afterAll;
export const beforeEach = defaultSuite.beforeEach;
export const afterEach = defaultSuite.afterEach;
export const listRegisteredTests = defaultSuite.listRegisteredTests;
export const runRegisteredTest = defaultSuite.runRegisteredTest;
export const runRegisteredTests = defaultSuite.runRegisteredTests;

// ---------------------------------------------------------------- formatting

const MAX_ITEMS = 12;

function ctorName(v: object): string {
  const c = (v as { constructor?: { name?: unknown } }).constructor;
  return c && typeof c.name === 'string' ? c.name : '';
}

function isTypedArray(v: unknown): v is ArrayLike<number | bigint> & ArrayBufferView {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** Short, one-line rendering of a value for failure messages. */
export function format(v: unknown, depth = 0): string {
  const s = formatInner(v, depth, []);
  return s.length > 400 ? s.slice(0, 397) + '...' : s;
}

function formatInner(v: unknown, depth: number, seen: unknown[]): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 200 ? v.slice(0, 200) + '…' : v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return String(v);
    case 'symbol':
      return v.toString();
    case 'function':
      return `[Function ${(v as { name?: string }).name || 'anonymous'}]`;
  }
  if (v === null) return 'null';
  const o = v as object;
  if (seen.includes(o)) return '[Circular]';
  if (o instanceof Error) {
    return `${o.name}${errorCode(o)}: ${o.message}`;
  }
  if (o instanceof Date) return isNaN(o.getTime()) ? 'Invalid Date' : `Date(${o.toISOString()})`;
  if (o instanceof RegExp) return String(o);
  if (o instanceof ArrayBuffer) return `ArrayBuffer(${o.byteLength}) ${formatInner(new Uint8Array(o), depth, seen)}`;
  if (depth > 3) return Array.isArray(o) ? '[Array]' : `[${ctorName(o) || 'Object'}]`;
  const next = seen.concat([o]);
  const items = (list: unknown[], total: number, render: (x: unknown) => string) => {
    const shown = list.slice(0, MAX_ITEMS).map(render);
    if (total > MAX_ITEMS) shown.push(`… +${total - MAX_ITEMS} more`);
    return shown.join(', ');
  };
  if (isTypedArray(o)) {
    const arr = Array.prototype.slice.call(o, 0, MAX_ITEMS) as unknown[];
    return `${ctorName(o)}(${o.length}) [ ${items(arr, o.length, (x) => formatInner(x, depth + 1, next))} ]`;
  }
  if (Array.isArray(o)) return `[ ${items(o, o.length, (x) => formatInner(x, depth + 1, next))} ]`;
  if (o instanceof Map) {
    const entries = Array.from(o.entries()).slice(0, MAX_ITEMS);
    return `Map(${o.size}) { ${items(entries, o.size, (e) => { const [k, val] = e as [unknown, unknown]; return `${formatInner(k, depth + 1, next)} => ${formatInner(val, depth + 1, next)}`; })} }`;
  }
  if (o instanceof Set) return `Set(${o.size}) { ${items(Array.from(o).slice(0, MAX_ITEMS), o.size, (x) => formatInner(x, depth + 1, next))} }`;
  const keys = Object.keys(o);
  const name = ctorName(o);
  const prefix = name && name !== 'Object' ? `${name} ` : '';
  if (keys.length === 0) return `${prefix}{}`;
  return `${prefix}{ ${items(keys, keys.length, (k) => `${/^[A-Za-z_$][\w$]*$/.test(k as string) ? k : JSON.stringify(k)}: ${formatInner((o as Record<string, unknown>)[k as string], depth + 1, next)}`)} }`;
}

// ---------------------------------------------------------------- equality

type Mode = 'equal' | 'strict' | 'subset';

interface Difference {
  path: string;
  expected: unknown;
  received: unknown;
  reason?: string;
}

function keyPath(path: string, k: string | symbol): string {
  if (typeof k === 'symbol') return `${path}[${k.toString()}]`;
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
}

function tag(v: unknown): string {
  return Object.prototype.toString.call(v);
}

function ownKeys(o: object, mode: Mode): (string | symbol)[] {
  const keys: (string | symbol)[] = Object.keys(o).filter((k) => mode === 'strict' || (o as Record<string, unknown>)[k] !== undefined);
  for (const s of Object.getOwnPropertySymbols(o)) {
    const d = Object.getOwnPropertyDescriptor(o, s);
    if (d && d.enumerable) keys.push(s);
  }
  return keys;
}

function hasPropertyInChain(o: unknown, k: string | symbol): boolean {
  for (let p = o; p !== null && p !== undefined && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (typeof p !== 'object' && typeof p !== 'function') return k in Object(p);
    if (Object.prototype.hasOwnProperty.call(p, k)) return true;
  }
  return false;
}

function bytesOf(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * First difference between `received` and `expected` (undefined when equal).
 * `subset` mode is toMatchObject: expected objects may omit keys.
 */
function difference(received: unknown, expected: unknown, mode: Mode, path: string, rs: unknown[], es: unknown[]): Difference | undefined {
  const diff = (reason?: string): Difference => ({ path, expected, received, reason });
  if (Object.is(received, expected)) return undefined;
  if (received === null || expected === null || typeof received !== 'object' || typeof expected !== 'object') {
    const tr = tag(received);
    if (typeof received === 'object' && typeof expected !== 'object' && received !== null) return diff();
    if (tr === tag(expected) && (tr === '[object Number]' || tr === '[object String]' || tr === '[object Boolean]') && typeof received === 'object' && typeof expected === 'object') {
      return Object.is((received as { valueOf(): unknown }).valueOf(), (expected as { valueOf(): unknown }).valueOf()) ? undefined : diff();
    }
    return diff();
  }
  const r = received as object;
  const e = expected as object;
  const cls = tag(r);
  if (cls !== tag(e)) return diff(`${cls.slice(8, -1)} vs ${tag(e).slice(8, -1)}`);
  if (mode === 'strict' && (r as { constructor?: unknown }).constructor !== (e as { constructor?: unknown }).constructor) return diff('different constructors');
  if (r instanceof Date && e instanceof Date) {
    const a = r.getTime();
    const b = e.getTime();
    return a === b || (isNaN(a) && isNaN(b)) ? undefined : diff();
  }
  if (r instanceof RegExp && e instanceof RegExp) return r.source === e.source && r.flags === e.flags ? undefined : diff();
  // circular structures: equal when they cycle at the same depth
  for (let i = rs.length - 1; i >= 0; i--) {
    if (rs[i] === r) return es[i] === e ? undefined : diff('circular');
    if (es[i] === e) return diff('circular');
  }
  const rs2 = rs.concat([r]);
  const es2 = es.concat([e]);

  if (r instanceof Error && e instanceof Error) {
    if (r.name !== e.name) return { path: `${path}.name`, expected: e.name, received: r.name };
    if (r.message !== e.message) return { path: `${path}.message`, expected: e.message, received: r.message };
    if (mode === 'subset') return subsetKeys(r, e, path, rs2, es2);
    return objectKeys(r, e, mode, path, rs2, es2);
  }
  if ((r instanceof ArrayBuffer && e instanceof ArrayBuffer) || (r instanceof DataView && e instanceof DataView)) {
    const a = bytesOf(r);
    const b = bytesOf(e);
    if (a.length !== b.length) return diff(`byteLength ${a.length} vs ${b.length}`);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return { path: `${path}[byte ${i}]`, expected: b[i], received: a[i] };
    return undefined;
  }
  if (isTypedArray(r) && isTypedArray(e)) {
    if (r.constructor !== e.constructor) return diff('different constructors');
    if (r.length !== e.length) return diff(`length ${r.length} vs ${e.length}`);
    for (let i = 0; i < r.length; i++) if (!Object.is(r[i], e[i])) return { path: `${path}[${i}]`, expected: e[i], received: r[i] };
    return undefined;
  }
  if (r instanceof Map && e instanceof Map) {
    if (mode !== 'strict' && r.constructor !== e.constructor) return diff('different constructors');
    if (r.size !== e.size) return diff(`size ${r.size} vs ${e.size}`);
    const inner: Mode = mode === 'subset' ? 'equal' : mode;
    for (const [k, v] of e) {
      if (r.has(k)) {
        const d = difference(r.get(k), v, inner, `${path}.get(${format(k)})`, rs2, es2);
        if (d) return d;
        continue;
      }
      let found = false;
      for (const [rk, rv] of r) {
        if (!difference(rk, k, inner, '', rs2, es2) && !difference(rv, v, inner, '', rs2, es2)) {
          found = true;
          break;
        }
      }
      if (!found) return { path: `${path}.get(${format(k)})`, expected: v, received: undefined, reason: 'missing key' };
    }
    return undefined;
  }
  if (r instanceof Set && e instanceof Set) {
    if (mode !== 'strict' && r.constructor !== e.constructor) return diff('different constructors');
    if (r.size !== e.size) return diff(`size ${r.size} vs ${e.size}`);
    const inner: Mode = mode === 'subset' ? 'equal' : mode;
    for (const v of e) {
      if (r.has(v)) continue;
      let found = false;
      for (const rv of r) {
        if (!difference(rv, v, inner, '', rs2, es2)) {
          found = true;
          break;
        }
      }
      if (!found) return { path, expected, received, reason: `missing ${format(v)}` };
    }
    return undefined;
  }
  if (Array.isArray(r) && Array.isArray(e)) {
    if (r.length !== e.length) return diff(`length ${r.length} vs ${e.length}`);
    for (let i = 0; i < r.length; i++) {
      if (mode === 'strict' && i in r !== i in e) return { path: `${path}[${i}]`, expected: e[i], received: r[i], reason: 'sparseness' };
      const d = difference(r[i], e[i], mode, `${path}[${i}]`, rs2, es2);
      if (d) return d;
    }
    return undefined;
  }
  if (mode === 'subset') return subsetKeys(r, e, path, rs2, es2);
  return objectKeys(r, e, mode, path, rs2, es2);
}

function objectKeys(r: object, e: object, mode: Mode, path: string, rs: unknown[], es: unknown[]): Difference | undefined {
  const rk = ownKeys(r, mode);
  const ek = ownKeys(e, mode);
  for (const k of ek) {
    if (!rk.includes(k)) return { path: keyPath(path, k), expected: (e as Record<string | symbol, unknown>)[k as string], received: undefined, reason: 'missing property' };
  }
  for (const k of rk) {
    if (!ek.includes(k)) return { path: keyPath(path, k), expected: undefined, received: (r as Record<string | symbol, unknown>)[k as string], reason: 'unexpected property' };
  }
  for (const k of ek) {
    const d = difference((r as Record<string | symbol, unknown>)[k as string], (e as Record<string | symbol, unknown>)[k as string], mode, keyPath(path, k), rs, es);
    if (d) return d;
  }
  return undefined;
}

function subsetKeys(r: object, e: object, path: string, rs: unknown[], es: unknown[]): Difference | undefined {
  for (const k of Object.keys(e)) {
    const ev = (e as Record<string, unknown>)[k];
    if (!hasPropertyInChain(r, k)) return { path: keyPath(path, k), expected: ev, received: undefined, reason: 'missing property' };
    const d = difference((r as Record<string, unknown>)[k], ev, 'subset', keyPath(path, k), rs, es);
    if (d) return d;
  }
  return undefined;
}

/** Deep equality with vitest's `toEqual` (or `toStrictEqual` when strict) rules. */
export function deepEqual(a: unknown, b: unknown, strict = false): boolean {
  return difference(a, b, strict ? 'strict' : 'equal', '', [], []) === undefined;
}

function explain(d: Difference | undefined): string {
  if (!d || d.path === '') return d && d.reason ? ` (${d.reason})` : '';
  return `\n  first difference at ${d.path}${d.reason ? ` (${d.reason})` : ''}: expected ${format(d.expected)}, received ${format(d.received)}`;
}

// ---------------------------------------------------------------- expect

type Matchers = Record<string, (...args: any[]) => any>;

interface ChainState {
  readonly actual: unknown;
  readonly message: string | undefined;
  readonly negated: boolean;
  readonly promise: 'resolves' | 'rejects' | undefined;
}

const NO_THROW = Symbol('no throw');

function build(state: ChainState): Matchers {
  const fail = (text: string): never => {
    throw new AssertionError(state.message ? `${state.message}: ${text}` : text);
  };
  /** `pass` is the un-negated outcome; `text` words the failure for the current polarity. */
  const check = (pass: boolean, text: string, notText: string) => {
    if (pass === state.negated) fail(state.negated ? notText : text);
  };
  const sync = (value: unknown, thrown: unknown): Matchers => {
    const v = value;
    const rv = format(v);
    const compare = (name: string, op: (a: number | bigint, b: number | bigint) => boolean, word: string) =>
      (n: number | bigint) => {
        if ((typeof v !== 'number' && typeof v !== 'bigint') || (typeof n !== 'number' && typeof n !== 'bigint')) fail(`${name}: expected numbers, received ${rv} and ${format(n)}`);
        const pass = op(v as number | bigint, n);
        check(pass, `expected ${rv} to be ${word} ${format(n)}`, `expected ${rv} not to be ${word} ${format(n)}`);
      };
    const m: Matchers = {
      toBe(expected: unknown) {
        const pass = Object.is(v, expected);
        const hint = !pass && !state.negated && typeof v === 'object' && v !== null && deepEqual(v, expected, true) ? '\n  (deeply equal but not the same reference: use toEqual)' : '';
        check(pass, `expected ${rv} to be ${format(expected)} // Object.is equality${hint}`, `expected ${rv} not to be ${format(expected)}`);
      },
      toEqual(expected: unknown) {
        const d = difference(v, expected, 'equal', '', [], []);
        check(!d, `expected ${rv} to deeply equal ${format(expected)}${explain(d)}`, `expected ${rv} not to deeply equal ${format(expected)}`);
      },
      toStrictEqual(expected: unknown) {
        const d = difference(v, expected, 'strict', '', [], []);
        check(!d, `expected ${rv} to strictly equal ${format(expected)}${explain(d)}`, `expected ${rv} not to strictly equal ${format(expected)}`);
      },
      toMatchObject(expected: unknown) {
        if (typeof expected !== 'object' || expected === null) fail(`toMatchObject: expected must be an object, got ${format(expected)}`);
        if (typeof v !== 'object' || v === null) fail(`toMatchObject: received value must be an object, got ${rv}`);
        const d = difference(v, expected, 'subset', '', [], []);
        check(!d, `expected ${rv} to match object ${format(expected)}${explain(d)}`, `expected ${rv} not to match object ${format(expected)}`);
      },
      toBeTruthy() {
        check(Boolean(v), `expected ${rv} to be truthy`, `expected ${rv} not to be truthy`);
      },
      toBeFalsy() {
        check(!v, `expected ${rv} to be falsy`, `expected ${rv} not to be falsy`);
      },
      toBeDefined() {
        check(v !== undefined, `expected value to be defined`, `expected ${rv} to be undefined`);
      },
      toBeUndefined() {
        check(v === undefined, `expected ${rv} to be undefined`, `expected value not to be undefined`);
      },
      toBeNull() {
        check(v === null, `expected ${rv} to be null`, `expected value not to be null`);
      },
      toBeNaN() {
        check(typeof v === 'number' && isNaN(v), `expected ${rv} to be NaN`, `expected value not to be NaN`);
      },
      toBeTypeOf(type: string) {
        check(typeof v === type, `expected ${rv} to be of type ${type} (is ${typeof v})`, `expected ${rv} not to be of type ${type}`);
      },
      toBeInstanceOf(cls: unknown) {
        if (typeof cls !== 'function') fail(`toBeInstanceOf: expected a class, got ${format(cls)}`);
        const name = (cls as { name?: string }).name || 'anonymous class';
        const got = typeof v === 'object' && v !== null ? ctorName(v) || 'object' : typeof v;
        check(v instanceof (cls as new (...a: any[]) => unknown), `expected ${rv} to be an instance of ${name} (is ${got})`, `expected ${rv} not to be an instance of ${name}`);
      },
      toHaveLength(n: number) {
        const len = v !== null && v !== undefined ? (v as { length?: unknown }).length : undefined;
        if (typeof len !== 'number') fail(`expected ${rv} to have a length property`);
        check(len === n, `expected ${rv} to have length ${n} (has ${len as number})`, `expected ${rv} not to have length ${n}`);
      },
      toContain(item: unknown) {
        let pass: boolean;
        if (typeof v === 'string') {
          if (typeof item !== 'string') fail(`toContain on a string needs a string, got ${format(item)}`);
          pass = v.includes(item as string);
        } else if (v instanceof Set) pass = v.has(item);
        else if (v !== null && v !== undefined && typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
          pass = Array.from(v as Iterable<unknown>).some((x) => x === item);
        } else return fail(`toContain: ${rv} is not a string or iterable`);
        check(pass, `expected ${rv} to contain ${format(item)}`, `expected ${rv} not to contain ${format(item)}`);
      },
      toMatch(pattern: RegExp | string) {
        if (typeof v !== 'string') fail(`toMatch: expected a string, received ${rv}`);
        const pass = typeof pattern === 'string' ? (v as string).includes(pattern) : pattern.test(v as string);
        check(pass, `expected ${rv} to match ${format(pattern)}`, `expected ${rv} not to match ${format(pattern)}`);
      },
      toHaveProperty(path: string | (string | number)[], ...rest: unknown[]) {
        const parts = Array.isArray(path) ? path.map(String) : String(path).split('.');
        let cur: unknown = v;
        let has = true;
        for (const p of parts) {
          if (cur === null || cur === undefined || !hasPropertyInChain(cur, p)) {
            has = false;
            break;
          }
          cur = (cur as Record<string, unknown>)[p];
        }
        const withValue = rest.length > 0;
        const pass = has && (!withValue || deepEqual(cur, rest[0]));
        const what = `property ${parts.join('.')}${withValue ? ` = ${format(rest[0])}` : ''}`;
        check(pass, `expected ${rv} to have ${what}${has && withValue ? ` (is ${format(cur)})` : ''}`, `expected ${rv} not to have ${what}`);
      },
      toBeCloseTo(n: number, digits = 2) {
        if (typeof v !== 'number') fail(`toBeCloseTo: expected a number, received ${rv}`);
        const pass = Math.abs((v as number) - n) < Math.pow(10, -digits) / 2;
        check(pass, `expected ${rv} to be close to ${n} (${digits} digits)`, `expected ${rv} not to be close to ${n}`);
      },
      toBeGreaterThan: compare('toBeGreaterThan', (a, b) => a > b, 'greater than'),
      toBeGreaterThanOrEqual: compare('toBeGreaterThanOrEqual', (a, b) => a >= b, 'greater than or equal to'),
      toBeLessThan: compare('toBeLessThan', (a, b) => a < b, 'less than'),
      toBeLessThanOrEqual: compare('toBeLessThanOrEqual', (a, b) => a <= b, 'less than or equal to'),
      toThrow(expected?: unknown) {
        let t = thrown;
        if (state.promise === undefined) {
          if (typeof v !== 'function') fail(`toThrow: expected a function, received ${rv}`);
          t = NO_THROW;
          try {
            (v as () => unknown)();
          } catch (e) {
            t = e;
          }
        }
        const didThrow = t !== NO_THROW;
        if (!didThrow) {
          if (!state.negated) fail(state.promise ? 'expected promise to reject, but it resolved' : 'expected function to throw an error, but it did not');
          return;
        }
        const got = format(t);
        if (expected === undefined) {
          if (state.negated) fail(`expected function not to throw, but it threw ${got}`);
          return;
        }
        const msg = typeof t === 'string' ? t : t !== null && typeof t === 'object' ? String((t as { message?: unknown }).message) : String(t);
        if (typeof expected === 'string') {
          check(msg.includes(expected), `expected error message to include ${format(expected)}; thrown ${got}`, `expected error message not to include ${format(expected)}; thrown ${got}`);
        } else if (expected instanceof RegExp) {
          check(expected.test(msg), `expected error message to match ${String(expected)}; thrown ${got}`, `expected error message not to match ${String(expected)}; thrown ${got}`);
        } else if (typeof expected === 'function') {
          const name = (expected as { name?: string }).name || 'class';
          check(t instanceof (expected as new () => unknown), `expected error to be an instance of ${name}; thrown ${got}`, `expected error not to be an instance of ${name}; thrown ${got}`);
        } else if (expected instanceof Error) {
          const pass = t instanceof Error && t.message === expected.message;
          check(pass, `expected thrown error to be ${format(expected)}; thrown ${got}`, `expected thrown error not to be ${format(expected)}`);
        } else {
          const d = difference(t, expected, 'subset', '', [], []);
          check(!d, `expected thrown value to match ${format(expected)}; thrown ${got}${explain(d)}`, `expected thrown value not to match ${format(expected)}`);
        }
      },
    };
    m.toThrowError = m.toThrow;
    return m;
  };

  if (state.promise === undefined) return sync(state.actual, NO_THROW);

  // .resolves / .rejects: every matcher returns a promise to await.
  const asyncMatchers: Matchers = {};
  const names = Object.keys(sync(undefined, NO_THROW));
  for (const name of names) {
    asyncMatchers[name] = (...args: unknown[]) => {
      const p = state.actual as PromiseLike<unknown>;
      if (!p || typeof p.then !== 'function') fail(`${state.promise}: expected a promise, received ${format(p)}`);
      return Promise.resolve(p).then(
        (value) => {
          if (state.promise === 'rejects') {
            if ((name === 'toThrow' || name === 'toThrowError') && state.negated) return undefined;
            return fail(`expected promise to reject, but it resolved with ${format(value)}`);
          }
          return sync(value, NO_THROW)[name](...args);
        },
        (reason) => {
          if (state.promise === 'resolves') return fail(`expected promise to resolve, but it rejected with ${format(reason)}`);
          return sync(reason, reason)[name](...args);
        },
      );
    };
  }
  return asyncMatchers;
}

function chain(state: ChainState): Matchers {
  const matchers = build(state);
  const target: Matchers = { ...matchers };
  Object.defineProperty(target, 'not', { get: () => chain({ ...state, negated: !state.negated }) });
  Object.defineProperty(target, 'resolves', { get: () => chain({ ...state, promise: 'resolves' }) });
  Object.defineProperty(target, 'rejects', { get: () => chain({ ...state, promise: 'rejects' }) });
  // An unsupported matcher names itself instead of failing with "not a function".
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && !(prop in t) && prop !== 'then' && prop !== 'constructor' && prop !== 'toJSON') {
        throw new Error(`vitest-shim: matcher .${prop} is not supported in XS (see hosts/xs/vitest-shim.ts)`);
      }
      return Reflect.get(t, prop, receiver);
    },
  });
}

export interface ExpectStatic {
  (actual: unknown, message?: string): any;
  /** Fails the test when reached. */
  unreachable(message?: string): never;
}

/** `expect(value, message?)` with vitest's chain: `.not`, `.resolves`, `.rejects`. */
export const expect: ExpectStatic = Object.assign(
  (actual: unknown, message?: string) => chain({ actual, message, negated: false, promise: undefined }),
  {
    unreachable(message?: string): never {
      throw new AssertionError(message ?? 'expected this line not to be reached');
    },
  },
);
