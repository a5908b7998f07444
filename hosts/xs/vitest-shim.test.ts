/**
 * The XS vitest shim, exercised in Node against real vitest: if the shim
 * passed a wrong assertion, the XS run would report green for broken code.
 */
import { describe, expect, it } from 'vitest';
import { AssertionError, createSuite, deepEqual, expect as shim, format } from './vitest-shim.ts';

/** The shim assertion must fail, with a message matching `pattern`. */
function fails(fn: () => unknown, pattern?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(AssertionError);
  if (pattern) expect((thrown as Error).message).toMatch(pattern);
}

async function failsAsync(fn: () => Promise<unknown>, pattern?: RegExp): Promise<void> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(AssertionError);
  if (pattern) expect((thrown as Error).message).toMatch(pattern);
}

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

describe('vitest shim: registering and running', () => {
  it('reports passing, failing and skipped tests with their describe path', async () => {
    const s = createSuite();
    s.describe('outer', () => {
      s.it('passes', () => shim(1 + 1).toBe(2));
      s.it('fails', () => shim({ a: 1 }).toEqual({ a: 2 }));
      s.describe('inner', () => {
        s.it.skipIf(true)('skipped by skipIf', () => {
          throw new Error('must not run');
        });
        s.it.skipIf(false)('runs under skipIf(false)', () => shim(true).toBe(true));
        s.it.skip('skipped by skip', () => {
          throw new Error('must not run');
        });
        s.it.todo('a todo');
      });
    });
    s.describe.skip('skipped suite', () => {
      s.it('inside', () => {
        throw new Error('must not run');
      });
    });
    s.it('skips itself', (ctx) => ctx.skip());
    const results = await s.runRegisteredTests();
    expect(results.map((r) => [r.name.join(' > '), r.status])).toEqual([
      ['outer > passes', 'passed'],
      ['outer > fails', 'failed'],
      ['outer > inner > skipped by skipIf', 'skipped'],
      ['outer > inner > runs under skipIf(false)', 'passed'],
      ['outer > inner > skipped by skip', 'skipped'],
      ['outer > inner > a todo', 'skipped'],
      ['skipped suite > inside', 'skipped'],
      ['skips itself', 'skipped'],
    ]);
    const failed = results[1];
    expect(failed.error).toContain('expected { a: 1 } to deeply equal { a: 2 }');
    expect(failed.error).toContain('first difference at .a: expected 2, received 1');
    expect(s.listRegisteredTests().filter((t) => t.skip)).toHaveLength(4); // ctx.skip() is decided at run time
  });

  it('catches async rejections and errors thrown after an await', async () => {
    const s = createSuite();
    s.it('rejects', async () => {
      await Promise.resolve();
      throw Object.assign(new Error('late failure'), { code: 'encoding.bad' });
    });
    s.it('returns a rejected promise', () => Promise.reject(new TypeError('nope')));
    s.it('awaits an expectation', async () => {
      await shim(Promise.resolve(3)).resolves.toBe(4);
    });
    const [a, b, c] = await s.runRegisteredTests();
    expect(a.status).toBe('failed');
    expect(a.error).toMatch(/^Error \[encoding\.bad\]: late failure/);
    expect(b.status).toBe('failed');
    expect(b.error).toMatch(/^TypeError: nope/);
    expect(c.status).toBe('failed');
    expect(c.error).toContain('expected 3 to be 4');
  });

  it('runs hooks in order, and a failing beforeAll fails the tests of its scope', async () => {
    const s = createSuite();
    const log: string[] = [];
    s.describe('a', () => {
      s.beforeAll(() => void log.push('beforeAll'));
      s.beforeEach(() => void log.push('beforeEach'));
      s.afterEach(() => void log.push('afterEach'));
      s.afterAll(() => void log.push('afterAll'));
      s.it('one', () => void log.push('one'));
      s.it('two', () => void log.push('two'));
    });
    s.describe('b', () => {
      s.beforeAll(() => {
        throw new Error('setup broke');
      });
      s.it('three', () => void log.push('three'));
    });
    const results = await s.runRegisteredTests();
    expect(log).toEqual(['beforeAll', 'beforeEach', 'one', 'afterEach', 'beforeEach', 'two', 'afterEach', 'afterAll']);
    expect(results[2].status).toBe('failed');
    expect(results[2].error).toContain('setup broke');
  });

  it('turns a throwing describe body into one failing test instead of losing the file', async () => {
    const s = createSuite();
    s.describe('broken', () => {
      s.it('declared before the throw', () => {});
      throw new Error('vector missing');
    });
    s.it('after', () => {});
    const results = await s.runRegisteredTests();
    expect(results.map((r) => r.status)).toEqual(['passed', 'failed', 'passed']);
    expect(results[1].name).toEqual(['broken', '(describe body)']);
    expect(results[1].error).toContain('vector missing');
  });
});

describe('vitest shim: deep equality', () => {
  it('compares Uint8Array by content and type', () => {
    shim(new Uint8Array([1, 2, 3])).toEqual(new Uint8Array([1, 2, 3]));
    fails(() => shim(new Uint8Array([1, 2, 3])).toEqual(new Uint8Array([1, 2, 4])), /first difference at \[2\]: expected 4, received 3/);
    fails(() => shim(new Uint8Array([1, 2])).toEqual(new Uint8Array([1, 2, 3])), /length 2 vs 3/);
    fails(() => shim(new Uint8Array([1, 2])).toEqual([1, 2]), /Uint8Array vs Array/);
    fails(() => shim(new Uint8Array([1])).toEqual(new Uint16Array([1])));
    shim(new Uint8Array([1, 2]).subarray(1)).toEqual(new Uint8Array([2]));
    shim(new Uint8Array([9])).not.toEqual(new Uint8Array([8]));
  });

  it('compares Map and Set regardless of insertion order', () => {
    shim(new Map<unknown, unknown>([['a', 1], ['b', { c: [2] }]])).toEqual(new Map<unknown, unknown>([['b', { c: [2] }], ['a', 1]]));
    fails(() => shim(new Map([['a', 1]])).toEqual(new Map([['a', 2]])), /\.get\("a"\)/);
    fails(() => shim(new Map([['a', 1]])).toEqual(new Map([['b', 1]])));
    shim(new Set([1, { x: 1 }])).toEqual(new Set([{ x: 1 }, 1]));
    fails(() => shim(new Set([1, 2])).toEqual(new Set([1, 3])));
    fails(() => shim(new Set([1])).toEqual(new Map([[1, 1]])));
  });

  it('compares Dates by time, RegExps by source and flags, ArrayBuffers by bytes', () => {
    shim(new Date('2025-01-01T00:00:00Z')).toEqual(new Date(Date.UTC(2025, 0, 1)));
    fails(() => shim(new Date(1)).toEqual(new Date(2)));
    shim(/a+/g).toEqual(/a+/g);
    fails(() => shim(/a+/g).toEqual(/a+/i));
    shim(new Uint8Array([1, 2]).buffer).toEqual(new Uint8Array([1, 2]).buffer);
    fails(() => shim(new Uint8Array([1, 2]).buffer).toEqual(new Uint8Array([1, 3]).buffer), /byte 1/);
  });

  it('follows toEqual vs toStrictEqual rules', () => {
    shim({ a: 1, b: undefined }).toEqual({ a: 1 });
    fails(() => shim({ a: 1, b: undefined }).toStrictEqual({ a: 1 }), /unexpected property/);
    shim(new Point(1, 2)).toEqual({ x: 1, y: 2 });
    fails(() => shim(new Point(1, 2)).toStrictEqual({ x: 1, y: 2 }), /different constructors/);
    shim(new Point(1, 2)).toStrictEqual(new Point(1, 2));
    // eslint-disable-next-line no-sparse-arrays
    fails(() => shim([, 1]).toStrictEqual([undefined, 1]), /sparseness/);
    shim([[1, [2, [3]]], { deep: { deeper: [new Uint8Array([7])] } }]).toEqual([[1, [2, [3]]], { deep: { deeper: [new Uint8Array([7])] } }]);
    fails(() => shim({ deep: { deeper: [1, 2] } }).toEqual({ deep: { deeper: [1, 2, 3] } }), /at \.deep\.deeper \(length 2 vs 3\)/);
    fails(() => shim({ a: 1 }).toEqual({ a: 1, b: 2 }), /at \.b \(missing property\)/);
    shim(NaN).toEqual(NaN);
    fails(() => shim(0).toEqual(-0));
    fails(() => shim(1n).toEqual(1));
    shim(new Error('x')).toEqual(new Error('x'));
    fails(() => shim(new Error('x')).toEqual(new Error('y')));
    fails(() => shim(new TypeError('x')).toEqual(new RangeError('x')));
    const a: { self?: unknown } = {};
    a.self = a;
    const b: { self?: unknown } = {};
    b.self = b;
    shim(a).toEqual(b);
    expect(deepEqual({ a: [1] }, { a: [1] })).toBe(true);
    expect(deepEqual({ a: undefined }, {}, true)).toBe(false);
  });

  it('toMatchObject checks a subset, recursively, with arrays matched by length', () => {
    shim({ a: 1, b: { c: 2, d: 3 }, e: [{ f: 1, g: 2 }] }).toMatchObject({ b: { c: 2 }, e: [{ f: 1 }] });
    fails(() => shim({ a: 1, b: { c: 2 } }).toMatchObject({ b: { c: 3 } }), /at \.b\.c/);
    fails(() => shim({ e: [1, 2] }).toMatchObject({ e: [1] }));
    fails(() => shim({ a: 1 }).toMatchObject({ z: undefined }), /missing property/);
    shim(new Point(1, 2)).toMatchObject({ x: 1 });
    shim({ a: 1 }).not.toMatchObject({ a: 2 });
  });
});

describe('vitest shim: matchers', () => {
  it('toBe uses Object.is and hints at toEqual for equal objects', () => {
    shim('a').toBe('a');
    fails(() => shim({}).toBe({}), /use toEqual/);
    fails(() => shim(0).toBe(-0));
    shim(1).not.toBe(2);
    fails(() => shim(1).not.toBe(1), /not to be 1/);
  });

  it('truthiness, definedness, null', () => {
    shim(1).toBeTruthy();
    fails(() => shim(0).toBeTruthy());
    shim('').toBeFalsy();
    fails(() => shim('x').toBeFalsy());
    shim(0).toBeDefined();
    fails(() => shim(undefined).toBeDefined());
    shim(undefined).toBeUndefined();
    fails(() => shim(null).toBeUndefined());
    shim(null).toBeNull();
    fails(() => shim(undefined).toBeNull());
    shim(undefined).not.toBeNull();
  });

  it('toBeInstanceOf, toHaveLength, toContain, toMatch', () => {
    shim(new Point(0, 0)).toBeInstanceOf(Point);
    fails(() => shim({}).toBeInstanceOf(Point), /instance of Point/);
    shim([1, 2, 3]).toHaveLength(3);
    shim('abc').toHaveLength(3);
    fails(() => shim(new Uint8Array(4)).toHaveLength(3), /has 4/);
    shim([1, 2]).toContain(2);
    shim('hello').toContain('ell');
    shim(new Uint8Array([5, 6])).toContain(6);
    shim(new Set(['x'])).toContain('x');
    fails(() => shim([{ a: 1 }]).toContain({ a: 1 }));
    shim([1]).not.toContain(2);
    shim('did:key:z6Mk').toMatch(/^did:key:z/);
    shim('did:key:z6Mk').toMatch('key');
    fails(() => shim('did:web:x').toMatch(/^did:key:/));
    fails(() => shim(1).toMatch(/1/));
  });

  it('number comparisons (number and bigint)', () => {
    shim(2).toBeGreaterThan(1);
    fails(() => shim(1).toBeGreaterThan(1));
    shim(1).toBeGreaterThanOrEqual(1);
    fails(() => shim(0).toBeGreaterThanOrEqual(1));
    shim(1).toBeLessThan(2);
    fails(() => shim(2).toBeLessThan(2));
    shim(2).toBeLessThanOrEqual(2);
    fails(() => shim(3).toBeLessThanOrEqual(2));
    shim(10n).toBeGreaterThan(9n);
    fails(() => shim('2').toBeGreaterThan(1), /expected numbers/);
  });

  it('toThrow with no argument, a string, a RegExp, a class, and negated', () => {
    const boom = () => {
      throw new RangeError('value out of range');
    };
    shim(boom).toThrow();
    shim(boom).toThrow('out of');
    shim(boom).toThrow(/^value/);
    shim(boom).toThrow(RangeError);
    shim(boom).toThrow(new RangeError('value out of range'));
    shim(boom).toThrowError('range');
    fails(() => shim(boom).toThrow('other'), /to include "other"/);
    fails(() => shim(boom).toThrow(/^x/));
    fails(() => shim(boom).toThrow(TypeError));
    fails(() => shim(() => 1).toThrow(), /did not/);
    shim(() => 1).not.toThrow();
    fails(() => shim(boom).not.toThrow(), /not to throw/);
    shim(boom).not.toThrow('other');
    fails(() => shim(42).toThrow(), /expected a function/);
  });

  it('resolves and rejects', async () => {
    await shim(Promise.resolve({ a: 1 })).resolves.toEqual({ a: 1 });
    await shim(Promise.reject(new Error('bad tag'))).rejects.toThrow('bad tag');
    await shim(Promise.reject(new Error('bad tag'))).rejects.toThrow();
    await shim(Promise.reject(new Error('x'))).rejects.toBeInstanceOf(Error);
    await shim(Promise.resolve(1)).resolves.not.toBe(2);
    await failsAsync(() => shim(Promise.resolve(1)).rejects.toThrow(), /resolved with 1/);
    await failsAsync(() => shim(Promise.reject(new Error('e'))).resolves.toBe(1), /rejected with Error: e/);
    await failsAsync(() => shim(Promise.reject(new Error('e'))).rejects.toThrow('other'));
  });

  it('prefixes the message given to expect(value, message)', () => {
    fails(() => shim(undefined, 'expected an error with code did.invalid').toBeInstanceOf(Error), /^expected an error with code did\.invalid: /);
  });

  it('names an unsupported matcher instead of failing obscurely', () => {
    expect(() => (shim(1) as { toMatchSnapshot(): void }).toMatchSnapshot()).toThrow(/matcher \.toMatchSnapshot is not supported/);
  });

  it('formats values briefly', () => {
    expect(format(new Uint8Array([1, 2]))).toBe('Uint8Array(2) [ 1, 2 ]');
    expect(format(new Map([['k', 1]]))).toBe('Map(1) { "k" => 1 }');
    expect(format(new Date(0))).toBe('Date(1970-01-01T00:00:00.000Z)');
    expect(format(Object.assign(new Error('m'), { code: 'did.invalid' }))).toBe('Error [did.invalid]: m');
    expect(format(new Uint8Array(100))).toContain('+88 more');
    expect(format('x'.repeat(1000)).length).toBeLessThanOrEqual(400);
  });
});
