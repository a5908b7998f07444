/** Unsigned varints (multiformats/unsigned-varint), the multicodec table and prefixes. */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { bytesToHex, hexToBytes } from './bytes.ts';
import { MULTICODEC, multicodecCode, multicodecDecode, multicodecEncode, multicodecName, varintDecode, varintEncode, type MulticodecName } from './multicodec.ts';

describe('varint', () => {
  // multiformats/unsigned-varint README examples, plus the 9-byte maximum
  const vectors: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [255, 'ff01'],
    [300, 'ac02'],
    [16384, '808001'],
    [0xed, 'ed01'],
    [0x1200, '8024'],
    [0xffffffff, 'ffffffff0f'],
    [2 ** 32, '8080808010'],
    [Number.MAX_SAFE_INTEGER, 'ffffffffffffff0f'],
  ];
  for (const [n, hex] of vectors) {
    it(`${n} <-> ${hex}`, () => {
      expect(bytesToHex(varintEncode(n))).toBe(hex);
      expect(varintDecode(hexToBytes(hex))).toEqual({ value: n, length: hex.length / 2 });
    });
  }

  it('decodes at an offset and ignores what follows', () => {
    expect(varintDecode(hexToBytes('ffac02ee'), 1)).toEqual({ value: 300, length: 2 });
  });

  const bad: [string, string][] = [
    ['', 'empty'],
    ['80', 'truncated'],
    ['ff80', 'truncated'],
    ['8100', 'non-minimal 1'],
    ['8000', 'non-minimal 0'],
    ['ff8000', 'non-minimal 127'],
    ['80808080808080808001', 'longer than 9 bytes'],
    ['ffffffffffffffff7f', '9 bytes but above 2^53 - 1'],
    ['8080808080808080', 'truncated after 8 bytes'],
  ];
  for (const [hex, why] of bad) {
    it(`rejects ${hex || '(empty)'} (${why})`, () => {
      expectCode(() => varintDecode(hexToBytes(hex)), 'encoding.invalid_varint');
    });
  }

  it('refuses to encode negative, fractional or unsafe numbers', () => {
    for (const n of [-1, 1.5, NaN, Infinity, 2 ** 53]) expectCode(() => varintEncode(n), 'encoding.invalid_varint');
  });
});

describe('multicodec', () => {
  it('has the table codes (multiformats/multicodec table.csv)', () => {
    const expected: [MulticodecName, number][] = [
      ['ed25519-pub', 0xed],
      ['x25519-pub', 0xec],
      ['secp256k1-pub', 0xe7],
      ['bls12_381-g2-pub', 0xeb],
      ['p256-pub', 0x1200],
      ['p384-pub', 0x1201],
      ['p521-pub', 0x1202],
      ['rsa-pub', 0x1205],
      ['ed25519-priv', 0x1300],
      ['x25519-priv', 0x1302],
      ['secp256k1-priv', 0x1301],
      ['p256-priv', 0x1306],
      ['sha2-256', 0x12],
      ['json', 0x0200],
    ];
    for (const [name, code] of expected) {
      expect(MULTICODEC[name]).toBe(code);
      expect(multicodecCode(name)).toBe(code);
      expect(multicodecName(code)).toBe(name);
    }
  });

  it('has no duplicate codes', () => {
    const codes = Object.values(MULTICODEC);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('prefixes and splits', () => {
    const key = hexToBytes('0102');
    expect(bytesToHex(multicodecEncode('ed25519-pub', key))).toBe('ed010102');
    expect(bytesToHex(multicodecEncode('p256-pub', key))).toBe('80240102');
    expect(multicodecDecode(hexToBytes('80240102'))).toEqual({ name: 'p256-pub', code: 0x1200, value: key });
    expect(multicodecDecode(hexToBytes('ed01'))).toEqual({ name: 'ed25519-pub', code: 0xed, value: new Uint8Array(0) });
  });

  it('rejects unknown codes and names', () => {
    expectCode(() => multicodecDecode(hexToBytes('ef010102')), 'encoding.unknown_multicodec'); // sr25519-pub: not in our table
    expectCode(() => multicodecDecode(hexToBytes('7f')), 'encoding.unknown_multicodec');
    expectCode(() => multicodecEncode('nope' as MulticodecName, new Uint8Array(1)), 'encoding.unknown_multicodec');
    expectCode(() => multicodecCode('toString' as MulticodecName), 'encoding.unknown_multicodec');
  });

  it('rejects a malformed prefix as a varint error', () => {
    expectCode(() => multicodecDecode(hexToBytes('ed')), 'encoding.invalid_varint');
    expectCode(() => multicodecDecode(hexToBytes('ed8100')), 'encoding.invalid_varint');
    expectCode(() => multicodecDecode(hexToBytes('8d8000')), 'encoding.invalid_varint');
  });
});
