/** RFC 8785 JSON Canonicalization (shared/vectors/jcs, cyberphone/json-canonicalization). */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { listVectors, readVectorText } from '../../tests/support/vectors.ts';
import { bytesToHex } from './bytes.ts';
import { canonicalize, canonicalizeToBytes } from './jcs.ts';
import { parseJson } from './json.ts';

describe('JCS: input -> output vectors', () => {
  const names = listVectors('jcs/input');

  it('has the six upstream cases', () => {
    expect(names).toEqual(['arrays.json', 'french.json', 'structures.json', 'unicode.json', 'values.json', 'weird.json']);
  });

  for (const name of names) {
    it(name, () => {
      const value = parseJson(readVectorText(`jcs/input/${name}`));
      // output files have no trailing newline: compare the whole text and the exact bytes
      expect(canonicalize(value)).toBe(readVectorText(`jcs/output/${name}`));
      const outhex = readVectorText(`jcs/outhex/${name.replace('.json', '.txt')}`).replace(/\s+/g, '');
      expect(bytesToHex(canonicalizeToBytes(value))).toBe(outhex);
    });
  }
});

/** A line's IEEE-754 bits (hex without leading zeros) as a double. */
function doubleFromHex(hex: string): number {
  const h = hex.padStart(16, '0');
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, parseInt(h.slice(0, 8), 16));
  view.setUint32(4, parseInt(h.slice(8), 16));
  return view.getFloat64(0);
}

describe('JCS: ES6 number serialization', () => {
  it('es6-numbers-first-10000.txt: every line', () => {
    const lines = readVectorText('jcs/es6-numbers-first-10000.txt').split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(10000);
    let padded = 0;
    const failures: string[] = [];
    for (const line of lines) {
      const comma = line.indexOf(',');
      const hex = line.slice(0, comma);
      if (hex.length < 16) padded++;
      const got = canonicalize(doubleFromHex(hex));
      if (got !== line.slice(comma + 1)) failures.push(`${line} -> ${got}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(padded).toBeGreaterThan(0);
  });

  it('known values from RFC 8785 Appendix B', () => {
    const cases: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, want] of cases) expect(canonicalize(doubleFromHex(hex))).toBe(want);
  });
});

describe('JCS: structure', () => {
  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3), recursively', () => {
    const input = { '\u20ac': 1, '\r': 2, '\ufb33': 3, '1': 4, '\ud83d\ude00': 5, '\u0080': 6, '\u00f6': 7, b: { z: [{ y: 1, x: 2 }], a: null } };
    expect(canonicalize(input)).toBe('{"\\r":2,"1":4,"b":{"a":null,"z":[{"x":2,"y":1}]},"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}');
  });

  it('escapes like JSON.stringify and has no whitespace', () => {
    expect(canonicalize({ s: '\u0000\b\t\n\f\r"\\/\u001f\u007f\u2028' })).toBe('{"s":"\\u0000\\b\\t\\n\\f\\r\\"\\\\/\\u001f\u007f\u2028"}');
    expect(canonicalize([1, [true, false, null], {}, [], ''])).toBe('[1,[true,false,null],{},[],""]');
  });

  it('accepts null-prototype objects and shared (acyclic) references', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 1;
    o.a = 2;
    expect(canonicalize(o)).toBe('{"a":2,"b":1}');
    const shared = { x: 1 };
    expect(canonicalize({ p: shared, q: [shared] })).toBe('{"p":{"x":1},"q":[{"x":1}]}');
  });

  it('canonicalizeToBytes is the UTF-8 of canonicalize', () => {
    expect(bytesToHex(canonicalizeToBytes({ '€': 'ö' }))).toBe('7b22e282ac223a22c3b6227d');
  });
});

describe('JCS: rejects what is not I-JSON data (encoding.invalid_json)', () => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: [string, unknown][] = [
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', [-Infinity]],
    ['undefined', undefined],
    ['undefined property', { a: undefined }],
    ['undefined element', [1, undefined]],
    ['array hole', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['function', { f: () => 1 }],
    ['symbol', [Symbol('s')]],
    ['bigint', { n: 1n }],
    ['lone high surrogate', 'a\ud800'],
    ['lone low surrogate', ['\udc00b']],
    ['lone surrogate in a key', { '\ud800': 1 }],
    ['Date', { d: new Date(0) }],
    ['Map', new Map()],
    ['Uint8Array', new Uint8Array(2)],
    ['class instance', new Point()],
    ['cycle', cyclic],
  ];
  for (const [name, value] of cases) {
    it(name, () => {
      expectCode(() => canonicalize(value), 'encoding.invalid_json');
      expectCode(() => canonicalizeToBytes(value), 'encoding.invalid_json');
    });
  }
});
