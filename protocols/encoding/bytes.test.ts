/** UTF-8, hex, concatenation and constant-time comparison (protocols/encoding/bytes.ts). */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { bytesToHex, concatBytes, equalBytes, findLoneSurrogate, hexToBytes, isWellFormedString, utf8Decode, utf8Encode } from './bytes.ts';

describe('utf8Encode / utf8Decode', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['a', '61'],
    ['ü', 'c3bc'],
    ['水', 'e6b0b4'],
    ['\u{10151}', 'f0908591'],
    ['\u{1F600}x', 'f09f9880' + '78'],
    ['\uFEFFa', 'efbbbf61'],
  ];
  for (const [s, hex] of cases) {
    it(`round-trips ${JSON.stringify(s)}`, () => {
      expect(bytesToHex(utf8Encode(s))).toBe(hex);
      expect(utf8Decode(hexToBytes(hex))).toBe(s);
    });
  }

  it('keeps a leading BOM instead of stripping it', () => {
    expect(utf8Decode(hexToBytes('efbbbf41'))).toHaveLength(2);
  });

  it('refuses lone surrogates instead of writing U+FFFD', () => {
    expectCode(() => utf8Encode('a\uD800'), 'encoding.invalid_unicode');
    expectCode(() => utf8Encode('\uDC00b'), 'encoding.invalid_unicode');
    expectCode(() => utf8Encode('\uDBFF\uDBFF\uDC00'), 'encoding.invalid_unicode');
    expect(findLoneSurrogate('ab\uDC00')).toBe(2);
    expect(findLoneSurrogate('\uD83D\uDE00')).toBe(-1);
    expect(isWellFormedString('\uD83D')).toBe(false);
    expect(isWellFormedString('ok \u{1F600}')).toBe(true);
  });

  const invalid: [string, string][] = [
    ['ff', 'invalid byte'],
    ['c0af', 'overlong /'],
    ['e08080', 'overlong NUL'],
    ['c3', 'truncated 2-byte'],
    ['e6b0', 'truncated 3-byte'],
    ['eda080', 'encoded surrogate U+D800'],
    ['f4908080', 'above U+10FFFF'],
    ['80', 'lone continuation byte'],
  ];
  for (const [hex, why] of invalid) {
    it(`rejects ${hex} (${why})`, () => {
      expectCode(() => utf8Decode(hexToBytes(hex)), 'encoding.invalid_utf8');
    });
  }
});

describe('hex', () => {
  it('encodes lowercase and decodes either case', () => {
    expect(bytesToHex(Uint8Array.from([0x00, 0xab, 0xff, 0x10]))).toBe('00abff10');
    expect(hexToBytes('00ABff10')).toEqual(Uint8Array.from([0x00, 0xab, 0xff, 0x10]));
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
  });

  for (const bad of ['0', 'abc', 'zz', '0x00', ' 00', '00 ', 'g0']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      expectCode(() => hexToBytes(bad), 'encoding.invalid_hex');
    });
  }

  it('never quotes the input in the error', () => {
    let message = '';
    try {
      hexToBytes('secretzz');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toContain('zz');
    expect(message).not.toContain('secret');
  });
});

describe('concatBytes / equalBytes', () => {
  it('concatenates into a fresh array', () => {
    const a = Uint8Array.from([1, 2]);
    const out = concatBytes(a, new Uint8Array(0), Uint8Array.from([3]));
    expect(out).toEqual(Uint8Array.from([1, 2, 3]));
    out[0] = 9;
    expect(a[0]).toBe(1);
    expect(concatBytes()).toEqual(new Uint8Array(0));
  });

  it('compares by content', () => {
    expect(equalBytes(Uint8Array.from([1, 2, 3]), Uint8Array.from([1, 2, 3]))).toBe(true);
    expect(equalBytes(Uint8Array.from([1, 2, 3]), Uint8Array.from([1, 2, 4]))).toBe(false);
    expect(equalBytes(Uint8Array.from([0x80, 2, 3]), Uint8Array.from([0, 2, 3]))).toBe(false);
    expect(equalBytes(Uint8Array.from([1, 2]), Uint8Array.from([1, 2, 3]))).toBe(false);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
