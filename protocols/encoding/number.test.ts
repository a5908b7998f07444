/** ecmaNumberToString: engine-independent Number::toString (the JCS number form). */
import { describe, expect, it } from 'vitest';
import { engine } from '../../tests/support/vectors.ts';
import { ecmaNumberToString, shortestDigits } from './number.ts';

function fromBits(hi: number, lo: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, hi >>> 0);
  v.setUint32(4, lo >>> 0);
  return v.getFloat64(0);
}

describe('ecmaNumberToString', () => {
  it('special values and integers', () => {
    expect(ecmaNumberToString(0)).toBe('0');
    expect(ecmaNumberToString(-0)).toBe('0');
    expect(ecmaNumberToString(NaN)).toBe('NaN');
    expect(ecmaNumberToString(Infinity)).toBe('Infinity');
    expect(ecmaNumberToString(-Infinity)).toBe('-Infinity');
    expect(ecmaNumberToString(42)).toBe('42');
    expect(ecmaNumberToString(-9007199254740991)).toBe('-9007199254740991');
    expect(ecmaNumberToString(9007199254740992)).toBe('9007199254740992');
    expect(ecmaNumberToString(1e21)).toBe('1e+21');
    expect(ecmaNumberToString(123e18)).toBe('123000000000000000000');
  });

  it('layout rules of ECMA-262 Number::toString', () => {
    expect(ecmaNumberToString(0.5)).toBe('0.5');
    expect(ecmaNumberToString(0.000001)).toBe('0.000001');
    expect(ecmaNumberToString(1e-7)).toBe('1e-7');
    expect(ecmaNumberToString(1.5e-7)).toBe('1.5e-7');
    expect(ecmaNumberToString(123.456)).toBe('123.456');
    expect(ecmaNumberToString(-1.25e300)).toBe('-1.25e+300');
    expect(ecmaNumberToString(5e-324)).toBe('5e-324');
    expect(ecmaNumberToString(1.7976931348623157e308)).toBe('1.7976931348623157e+308');
    expect(ecmaNumberToString(0.1 + 0.2)).toBe('0.30000000000000004');
  });

  it('gets right what the XS engine gets wrong', () => {
    // from es6-numbers-first-10000.txt; XS (xsnap 0.15) prints the commented values
    expect(ecmaNumberToString(fromBits(0x44b52d02, 0xc7e14af6))).toBe('1e+23'); // XS: 9.999999999999999e+22
    expect(ecmaNumberToString(fromBits(0x44b52d02, 0xc7e14af7))).toBe('1.0000000000000001e+23'); // XS: 1e+23
    expect(ecmaNumberToString(fromBits(0x43143ff3, 0xc1cb0959))).toBe('1424953923781206.2'); // XS: ...206.3
    expect(ecmaNumberToString(fromBits(0xc3529f0a, 0xf15cafc1))).toBe('-20965675714658052'); // XS: ...050
    expect(ecmaNumberToString(fromBits(0x436b4e85, 0xd78cc1a6))).toBe('61489289001045300'); // XS: ...296
  });

  it('shortestDigits returns digits without trailing zeros and the decimal exponent', () => {
    expect(shortestDigits(1e23)).toEqual({ digits: '1', n: 24 });
    expect(shortestDigits(0.001)).toEqual({ digits: '1', n: -2 });
    expect(shortestDigits(9.5)).toEqual({ digits: '95', n: 1 });
    expect(shortestDigits(2 ** -1074)).toEqual({ digits: '5', n: -323 });
  });

  it.skipIf(engine() === 'xs')('matches V8 on 30,000 pseudo-random doubles', () => {
    let x = 0x2545f491;
    let y = 0x9e3779b9;
    const next = (): number => {
      // xorshift32 pair: deterministic, no crypto needed for test inputs
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      y ^= y << 13;
      y ^= y >>> 17;
      y ^= y << 5;
      return x >>> 0;
    };
    const mismatches: string[] = [];
    for (let i = 0; i < 30000; i++) {
      const hi = next();
      const v = i % 3 === 0 ? fromBits(hi, y) : i % 3 === 1 ? (hi / 2 ** 32) * 10 ** ((y >>> 0) % 40 - 20) : Math.round(hi * 1000) / 1000;
      if (!Number.isFinite(v)) continue;
      if (ecmaNumberToString(v) !== String(v)) mismatches.push(String(v));
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
