/**
 * CBOR: RFC 8949 Appendix A (shared/vectors/cbor/appendix_a.json), deterministic
 * encoding (§4.2.1) and the decoder's rejection of malformed input.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { engine, listVectors, readVectorJson, readVectorText } from '../../tests/support/vectors.ts';
import { base64Decode } from './base64url.ts';
import { bytesToHex, hexToBytes } from './bytes.ts';
import { CborSimple, CborTag, cborDecode, cborEncode, cborEncodeDeterministic } from './cbor.ts';

interface Entry {
  cbor: string;
  hex: string;
  roundtrip: boolean;
  decoded?: unknown;
  diagnostic?: string;
}

const entries = readVectorJson<Entry[]>('cbor/appendix_a.json');
const dec = (hex: string, options?: Parameters<typeof cborDecode>[1]): unknown => cborDecode(hexToBytes(hex), options);
const enc = (v: unknown): string => bytesToHex(cborEncodeDeterministic(v));

/** NOTES.md: these four exceed 2^53 and JSON.parse rounds them; the exact values, from the hex. */
const BIG: Record<string, bigint> = {
  '1bffffffffffffffff': 18446744073709551615n,
  c249010000000000000000: 18446744073709551616n,
  '3bffffffffffffffff': -18446744073709551616n,
  c349010000000000000000: -18446744073709551617n,
};

/** Entries using indefinite-length items (rejected unless allowIndefinite). */
const INDEFINITE = new Set([
  '5f42010243030405ff',
  '7f657374726561646d696e67ff',
  '9fff',
  '9f018202039f0405ffff',
  '9f01820203820405ff',
  '83018202039f0405ff',
  '83019f0203ff820405',
  '9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff',
  'bf61610161629f0203ffff',
  '826161bf61626163ff',
  'bf6346756ef563416d7421ff',
]);

/**
 * The `diagnostic`-only entries (and {1: 2, 3: 4}, which JSON cannot hold as
 * integer keys): the JS value we expect, or 'reject'. Every diagnostic entry
 * is listed; none is left unchecked.
 *  - simple(24) (f818): RFC 7049 listed it; RFC 8949 §3.3 made the two-byte
 *    form of simple values 0..31 not well-formed, so it must be rejected.
 *  - the six non-preferred infinities/NaNs (fa7f800000 ...) decode to the same
 *    JS numbers as the half-precision ones but are not re-encodable as given.
 */
const DIAGNOSTIC: Record<string, unknown> = {
  f97c00: Infinity,
  f97e00: NaN,
  f9fc00: -Infinity,
  fa7f800000: Infinity,
  fa7fc00000: NaN,
  faff800000: -Infinity,
  fb7ff0000000000000: Infinity,
  fb7ff8000000000000: NaN,
  fbfff0000000000000: -Infinity,
  f7: undefined,
  f0: new CborSimple(16),
  f818: 'reject',
  f8ff: new CborSimple(255),
  c074323031332d30332d32315432303a30343a30305a: new CborTag('2013-03-21T20:04:00Z', 0),
  c11a514b67b0: new CborTag(1363896240, 1),
  c1fb41d452d9ec200000: new CborTag(1363896240.5, 1),
  d74401020304: new CborTag(hexToBytes('01020304'), 23),
  d818456449455446: new CborTag(hexToBytes('6449455446'), 24),
  d82076687474703a2f2f7777772e6578616d706c652e636f6d: new CborTag('http://www.example.com', 32),
  '40': new Uint8Array(0),
  '4401020304': hexToBytes('01020304'),
  a201020304: new Map([
    [1, 2],
    [3, 4],
  ]),
  '5f42010243030405ff': hexToBytes('0102030405'),
};

/** The JS value an entry stands for (independent of our decoder). */
function expected(e: Entry): unknown {
  if (e.hex in DIAGNOSTIC) return DIAGNOSTIC[e.hex];
  if (e.hex in BIG) return BIG[e.hex];
  return e.decoded;
}

function sameValue(actual: unknown, want: unknown): void {
  if (typeof want === 'number') {
    if (Number.isNaN(want)) expect(Number.isNaN(actual)).toBe(true);
    else expect(Object.is(actual, want)).toBe(true);
  } else if (want instanceof CborTag) {
    expect(actual).toBeInstanceOf(CborTag);
    expect((actual as CborTag).tag).toBe(want.tag);
    sameValue((actual as CborTag).value, want.value);
  } else if (want instanceof CborSimple) {
    expect(actual).toBeInstanceOf(CborSimple);
    expect((actual as CborSimple).value).toBe(want.value);
  } else if (want instanceof Uint8Array) {
    expect(actual).toBeInstanceOf(Uint8Array);
    expect(bytesToHex(actual as Uint8Array)).toBe(bytesToHex(want));
  } else {
    expect(actual).toEqual(want);
  }
}

describe('CBOR Appendix A: decode', () => {
  it('has all 82 entries, each classified', () => {
    expect(entries).toHaveLength(82);
    for (const e of entries) expect('decoded' in e || e.hex in DIAGNOSTIC).toBe(true);
  });

  for (const e of entries) {
    const want = expected(e);
    if (want === 'reject') {
      it(`${e.hex}: rejected (${e.diagnostic}: not well-formed in RFC 8949)`, () => {
        expectCode(() => dec(e.hex), 'encoding.invalid_cbor');
      });
    } else if (INDEFINITE.has(e.hex)) {
      it(`${e.hex}: indefinite length, rejected by default, decoded with allowIndefinite`, () => {
        expectCode(() => dec(e.hex), 'encoding.invalid_cbor');
        sameValue(dec(e.hex, { allowIndefinite: true }), want);
      });
    } else {
      it(`${e.hex} -> ${e.diagnostic ?? JSON.stringify(e.decoded)}`, () => {
        // the base64 column and the hex column are the same bytes
        expect(bytesToHex(base64Decode(e.cbor))).toBe(e.hex);
        sameValue(dec(e.hex), want);
      });
    }
  }

  it('-0.0 (f98000) decodes to -0, 0.0 (f90000) to +0', () => {
    expect(Object.is(dec('f98000'), -0)).toBe(true);
    expect(Object.is(dec('f90000'), 0)).toBe(true);
  });

  it('integers beyond 2^53 are bigint, smaller 8-byte ones are numbers', () => {
    expect(dec('1bffffffffffffffff')).toBe(18446744073709551615n);
    expect(dec('1b000000e8d4a51000')).toBe(1000000000000);
    expect(dec('1b001fffffffffffff')).toBe(Number.MAX_SAFE_INTEGER);
    expect(dec('1b0020000000000000')).toBe(2n ** 53n);
    expect(dec('3b001ffffffffffffe')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(dec('c24101')).toBe(1);
    expect(dec('c240')).toBe(0);
  });
});

describe('CBOR Appendix A: deterministic encode', () => {
  for (const e of entries) {
    const want = expected(e);
    let skip: string | undefined;
    if (want === 'reject') skip = 'not well-formed in RFC 8949';
    else if (INDEFINITE.has(e.hex)) skip = 'indefinite-length encoding is never deterministic';
    else if (!e.roundtrip) skip = 'non-preferred float width';
    else if (/^f[9ab]/.test(e.hex) && Number.isSafeInteger(want) && !Object.is(want, -0)) skip = 'integral float: a JS number that is an integer encodes as an integer';
    if (skip) {
      const reason = skip;
      it(`${e.hex}: not re-encoded, ${reason}`, () => {
        // the skip is only legitimate if the entry really is such a case
        if (want === 'reject' || INDEFINITE.has(e.hex)) expectCode(() => dec(e.hex), 'encoding.invalid_cbor');
        else if (!e.roundtrip) expect(enc(dec(e.hex)).length).toBeLessThan(e.hex.length);
        else expect(cborEncodeDeterministic(want)[0]).toBeLessThan(0x40); // an integer head
      });
      continue;
    }
    it(`${e.hex}: encodes back from the JS value`, () => {
      expect(enc(want)).toBe(e.hex);
      expect(bytesToHex(cborEncode(want))).toBe(e.hex);
    });
  }

  it('integral floats encode as the integer (stated data-model choice)', () => {
    expect(enc(1.0)).toBe('01');
    expect(enc(65504)).toBe('19ffe0');
    expect(enc(-4.0)).toBe('23');
  });
});

describe('CBOR deterministic encoding (RFC 8949 §4.2.1)', () => {
  it('sorts text keys bytewise by encoded form (shorter first)', () => {
    expect(enc({ b: 1, a: 2, aa: 3 })).toBe('a3' + '616102' + '616201' + '62616103');
  });

  it('sorts mixed Map keys bytewise: 10, 100, -1, "z"', () => {
    const m = new Map<unknown, unknown>([
      [10, 'x'],
      [-1, 'y'],
      [100, 'z'],
      ['z', 0],
    ]);
    expect(enc(m)).toBe('a4' + '0a6178' + '1864617a' + '206179' + '617a00');
  });

  it('cborEncode keeps insertion order, with the same preferred heads', () => {
    expect(bytesToHex(cborEncode({ b: 1, a: 2 }))).toBe('a2616201616102');
    expect(enc({ b: 1, a: 2 })).toBe('a2616102616201');
  });

  it('sorts nested maps and COSE-style integer labels', () => {
    const protectedHeader = cborEncodeDeterministic(new Map([[1, -8]]));
    expect(bytesToHex(protectedHeader)).toBe('a10127');
    const sign1 = new CborTag([protectedHeader, new Map<number, unknown>([[4, hexToBytes('6b6964')], [1, -7]]), hexToBytes('7061796c6f6164'), new Uint8Array(64)], 18);
    const bytes = cborEncodeDeterministic(sign1);
    expect(bytesToHex(bytes).slice(0, 20)).toBe('d28443a10127a2012604');
    const back = cborDecode(bytes) as CborTag;
    expect(back).toBeInstanceOf(CborTag);
    expect(back.tag).toBe(18);
    expect(back.value[1]).toEqual(
      new Map<number, unknown>([
        [1, -7],
        [4, hexToBytes('6b6964')],
      ]),
    );
    expect(cborDecode(bytes, { deterministic: true })).toBeInstanceOf(CborTag);
  });

  it('uses the shortest integer heads', () => {
    const cases: [number | bigint, string][] = [
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [2 ** 32 - 1, '1affffffff'],
      [2 ** 32, '1b0000000100000000'],
      [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
      [-24, '37'],
      [-25, '3818'],
      [-(2 ** 32) - 1, '3b0000000100000000'],
      [-Number.MAX_SAFE_INTEGER, '3b001ffffffffffffe'],
      [0n, '00'],
      [5n, '05'],
      [-1n, '20'],
      [2n ** 53n, '1b0020000000000000'],
      [2n ** 64n - 1n, '1bffffffffffffffff'],
      [2n ** 64n, 'c249010000000000000000'],
      [-(2n ** 64n), '3bffffffffffffffff'],
      [-(2n ** 64n) - 1n, 'c349010000000000000000'],
      [2n ** 72n, 'c24a01' + '00'.repeat(9)],
    ];
    for (const [v, hex] of cases) expect(enc(v)).toBe(hex);
  });

  it('uses the shortest float that keeps the value', () => {
    const cases: [number, string][] = [
      [-0, 'f98000'],
      [0.5, 'f93800'],
      [1.5, 'f93e00'],
      [-1.5, 'f9be00'],
      [5.960464477539063e-8, 'f90001'],
      [2 ** -25, 'fa33000000'],
      [6.097555160522461e-5, 'f903ff'],
      [65504.5, 'fa477fe080'],
      [2 ** 53, 'fa5a000000'],
      [1e300, 'fb7e37e43c8800759c'],
      [0.1, 'fb3fb999999999999a'],
      [Infinity, 'f97c00'],
      [-Infinity, 'f9fc00'],
      [NaN, 'f97e00'],
      [3.4028234663852886e38, 'fa7f7fffff'],
      [5e-324, 'fb0000000000000001'],
    ];
    for (const [v, hex] of cases) expect(enc(v)).toBe(hex);
  });

  it('round-trips every half-precision value exactly', () => {
    for (let h = 0; h < 0x10000; h += 7) {
      const hex = 'f9' + h.toString(16).padStart(4, '0');
      const v = dec(hex) as number;
      if (Number.isNaN(v)) continue;
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) continue;
      expect(enc(v)).toBe(hex);
    }
  });

  it('writes Uint8Array as a byte string, never tag 64, and respects views', () => {
    expect(enc(Uint8Array.of(1, 2))).toBe('420102');
    const big = new Uint8Array(100).fill(7);
    expect(enc(big)).toBe('5864' + '07'.repeat(100));
    const view = Uint8Array.of(9, 9, 1, 2, 3, 9).subarray(2, 5);
    expect(enc(view)).toBe('43010203');
    expect(enc([Uint8Array.of(0xff), 'x', null, undefined, true, false])).toBe('8641ff6178f6f7f5f4');
    expect(enc({ u: undefined })).toBe('a16175f7');
  });

  it('encodes simple values and tags', () => {
    expect(enc(new CborSimple(0))).toBe('e0');
    expect(enc(new CborSimple(19))).toBe('f3');
    expect(enc(new CborSimple(32))).toBe('f820');
    expect(enc(new CborTag(new CborTag(1, 1), 55799))).toBe('d9d9f7c101');
    expect(enc(new CborTag(hexToBytes('01'), 2))).toBe('c24101');
  });

  it('refuses values without a CBOR form', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    class Thing {
      a = 1;
    }
    const bad: unknown[] = [() => 1, Symbol('s'), new Date(0), new Set([1]), new Thing(), cyclic, 'a\uD800', { ['\uDFFF']: 1 }, new Uint16Array(2), new ArrayBuffer(2)];
    for (const v of bad) {
      expectCode(() => cborEncodeDeterministic(v), 'encoding.invalid_cbor_value');
      expectCode(() => cborEncode(v), 'encoding.invalid_cbor_value');
    }
    expectCode(() => enc(new CborTag('x', 2)), 'encoding.invalid_cbor_value');
    expectCode(() => enc(new CborTag(1, -1)), 'encoding.invalid_cbor_value');
    expectCode(() => enc(new CborTag(1, 1.5)), 'encoding.invalid_cbor_value');
    expectCode(() => new CborSimple(20), 'encoding.invalid_cbor_value');
    expectCode(() => new CborSimple(24), 'encoding.invalid_cbor_value');
    expectCode(() => new CborSimple(256), 'encoding.invalid_cbor_value');
  });

  it('refuses two keys with the same encoding', () => {
    const m = new Map<unknown, unknown>([
      [1, 'a'],
      [1n, 'b'],
    ]);
    expectCode(() => cborEncodeDeterministic(m), 'encoding.invalid_cbor_value');
    expectCode(() => cborEncode(m), 'encoding.invalid_cbor_value');
  });

  it('every deterministic encoding of the Appendix A values passes the deterministic decoder', () => {
    let n = 0;
    for (const e of entries) {
      const want = expected(e);
      if (want === 'reject') continue;
      const bytes = cborEncodeDeterministic(want);
      sameValue(cborDecode(bytes, { deterministic: true }), want);
      n++;
    }
    expect(n).toBe(81);
  });
});

describe('CBOR decode: options and data model', () => {
  it('maps: text-keyed -> object, otherwise Map; maps: "map" forces Map', () => {
    expect(dec('a161610a')).toEqual({ a: 10 });
    expect(dec('a161610a', { maps: 'map' })).toEqual(new Map([['a', 10]]));
    expect(dec('a2616101' + '0102')).toEqual(
      new Map<unknown, unknown>([
        ['a', 1],
        [1, 2],
      ]),
    );
    expect(dec('a0')).toEqual({});
    expect(dec('a0', { maps: 'map' })).toEqual(new Map());
  });

  it('a "__proto__" key is an own property, not a prototype change', () => {
    const o = dec('a1695f5f70726f746f5f5f01') as Record<string, unknown>;
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('byte strings are fresh copies, not views of the input', () => {
    const input = hexToBytes('8243010203f6');
    const out = cborDecode(input) as [Uint8Array, null];
    input[2] = 0xee;
    expect(bytesToHex(out[0])).toBe('010203');
    expect(out[0].buffer.byteLength).toBe(3);
  });

  it('every tag other than 2/3 stays a CborTag (no Date, Set, typed array, shared reference)', () => {
    for (const [hex, tag] of [
      ['c0616a', 0],
      ['c100', 1],
      ['d81b82635265676178', 27],
      ['d81c80', 28],
      ['d81d00', 29],
      ['d8404401020304', 64],
      ['d8454401020304', 69],
      ['d9010280', 258],
      ['d90103a0', 259],
      ['d9d9f700', 55799],
      ['da0001000000', 65536],
    ] as [string, number][]) {
      const t = dec(hex);
      expect(t).toBeInstanceOf(CborTag);
      expect((t as CborTag).tag).toBe(tag);
    }
    expect((dec('d8404401020304') as CborTag).value).toEqual(hexToBytes('01020304'));
  });

  it('decodes with a length limit and a depth limit', () => {
    expect(dec('8181818100', { maxDepth: 4 })).toEqual([[[[0]]]]);
    expectCode(() => dec('8181818100', { maxDepth: 3 }), 'encoding.invalid_cbor');
    expect(dec('00', { maxDepth: 0 })).toBe(0);
    expectCode(() => dec('c100', { maxDepth: 0 }), 'encoding.invalid_cbor');
    expectCode(() => dec('a1 01 a1 01 a1 01 00'.replace(/ /g, ''), { maxDepth: 2 }), 'encoding.invalid_cbor');
    expect(dec('190100', { maxBytes: 3 })).toBe(256);
    expectCode(() => dec('190100', { maxBytes: 2 }), 'encoding.invalid_cbor');
  });

  it('a decode error leaves the decoder usable', () => {
    expectCode(() => dec('a2010001'), 'encoding.invalid_cbor');
    expect(dec('a10102')).toEqual(new Map([[1, 2]]));
  });
});

describe('CBOR decode: rejects malformed input (encoding.invalid_cbor)', () => {
  const cases: [string, string][] = [
    ['', 'empty input'],
    ['18', 'truncated argument'],
    ['1900', 'truncated argument'],
    ['1a000000', 'truncated argument'],
    ['1b00000000000000', 'truncated argument'],
    ['6261', 'truncated text'],
    ['4401', 'truncated bytes'],
    ['5a00000001', 'truncated bytes'],
    ['5bffffffffffffffff', 'length beyond input'],
    ['830102', 'truncated array'],
    ['9bffffffffffffffff00', 'array count beyond input'],
    ['a2010203', 'truncated map'],
    ['a1', 'map without entries'],
    ['c0', 'tag without content'],
    ['f900', 'truncated half float'],
    ['fa000000', 'truncated float'],
    ['fb00', 'truncated double'],
    ['0000', 'trailing byte'],
    ['8000', 'trailing byte'],
    ['f6f6', 'trailing byte'],
    ['a0ff', 'trailing break'],
    ['ff', 'break outside indefinite item'],
    ['81ff', 'break as array element'],
    ['1f', 'indefinite unsigned'],
    ['3f', 'indefinite negative'],
    ['df00', 'indefinite tag'],
    ['9fff', 'indefinite array (strict default)'],
    ['bfff', 'indefinite map (strict default)'],
    ['5fff', 'indefinite bytes (strict default)'],
    ['7fff', 'indefinite text (strict default)'],
    ['8201' + '9f01ff', 'nested indefinite array (strict default)'],
    ['62c328', 'invalid UTF-8'],
    ['61ff', 'invalid UTF-8'],
    ['63eda080', 'UTF-8 encoded surrogate'],
    ['a2010001' + '00', 'duplicate key, same bytes'],
    ['a2616100616101', 'duplicate text key'],
    ['a20100' + '180100', 'duplicate key, non-minimal spelling'],
    ['a2f93c0000' + '0100', 'keys 1.0 and 1 collide in JS'],
    ['a21b000000000000000100' + '0100', '8-byte 1 and 1 collide'],
    ['c201', 'bignum of an integer'],
    ['c36161', 'bignum of a text string'],
    ['f800', 'two-byte simple 0'],
    ['f814', 'two-byte false'],
    ['f81f', 'two-byte simple 31'],
    ['db000000010000000000', 'tag number >= 2^32'],
    ['d8e100', 'packed-CBOR tag 225'],
    ['d8d800', 'packed-CBOR tag 216'],
    ['d9702000', 'packed-CBOR tag 28704'],
    ['d9dfff00', 'cbor-x record tag 0xdfff'],
    ['d9dff900', 'cbor-x bundled strings tag 0xdff9'],
    ['da5368726400', 'cbor-x shared-data tag'],
  ];
  for (let ai = 28; ai <= 30; ai++) {
    for (let major = 0; major < 8; major++) cases.push([((major << 5) | ai).toString(16).padStart(2, '0') + '00', `reserved additional info ${ai}, major ${major}`]);
  }
  for (const [hex, why] of cases) {
    it(`${hex || '(empty)'}: ${why}`, () => {
      expectCode(() => dec(hex), 'encoding.invalid_cbor');
    });
  }

  it('over-deep nesting is rejected at the default limit (16)', () => {
    expect(dec('81'.repeat(16) + '00')).toBeTruthy();
    expectCode(() => dec('81'.repeat(17) + '00'), 'encoding.invalid_cbor');
    expect(dec('81'.repeat(40) + '00', { maxDepth: 40 })).toBeTruthy();
    expectCode(() => dec('c6'.repeat(100) + '00'), 'encoding.invalid_cbor');
    expectCode(() => dec('a101'.repeat(100) + '00'), 'encoding.invalid_cbor');
  });

  it.skipIf(engine() === 'xs')('a depth limit larger than the call stack still gives the typed error', () => {
    expectCode(() => dec('81'.repeat(200000) + '00', { maxDepth: 1e9 }), 'encoding.invalid_cbor');
  });

  it('rejects non-byte input and bignums over the size cap', () => {
    expectCode(() => cborDecode('00' as unknown as Uint8Array), 'encoding.invalid_cbor');
    expectCode(() => dec('c2591001' + '01'.repeat(4097)), 'encoding.invalid_cbor');
    expect(typeof dec('c2591000' + '01'.repeat(4096))).toBe('bigint');
    expectCode(() => dec('c25f591001' + '01'.repeat(4097) + 'ff', { allowIndefinite: true }), 'encoding.invalid_cbor');
    expect(typeof dec('c2590100' + '01'.repeat(256))).toBe('bigint');
  });

  it('allowIndefinite still checks chunks', () => {
    const opt = { allowIndefinite: true };
    expect(dec('5f4101420203ff', opt)).toEqual(hexToBytes('010203'));
    expect(dec('7f6161ff', opt)).toBe('a');
    expect(dec('bf0102ff', opt)).toEqual(new Map([[1, 2]]));
    expectCode(() => dec('5f6161ff', opt), 'encoding.invalid_cbor'); // text chunk in a byte string
    expectCode(() => dec('5f5f4101ffff', opt), 'encoding.invalid_cbor'); // nested indefinite chunk
    expectCode(() => dec('7f61c361bcff', opt), 'encoding.invalid_cbor'); // UTF-8 split across chunks
    expectCode(() => dec('5f41', opt), 'encoding.invalid_cbor'); // no break
    expectCode(() => dec('bf01ff', opt), 'encoding.invalid_cbor'); // key without value
    expectCode(() => dec('bf0100' + '0100' + 'ff', opt), 'encoding.invalid_cbor'); // duplicate key
    expectCode(() => dec('9fff', { allowIndefinite: true, deterministic: true }), 'encoding.invalid_cbor');
  });
});

describe('CBOR decode: deterministic option', () => {
  const notDeterministic: [string, string][] = [
    ['1817', 'non-minimal 23'],
    ['1900ff', 'non-minimal 255'],
    ['1a0000ffff', 'non-minimal 65535'],
    ['1b00000000ffffffff', 'non-minimal 2^32 - 1'],
    ['3800', 'non-minimal -1'],
    ['5800', 'non-minimal length'],
    ['d80100', 'non-minimal tag'],
    ['fa3fc00000', '1.5 as float32'],
    ['fb3ff8000000000000', '1.5 as float64'],
    ['fb3ff0000000000000', '1.0 as float64'],
    ['fa7fc00000', 'NaN as float32'],
    ['f97e01', 'NaN with payload'],
    ['a2616201616102', 'keys out of order'],
    ['a2626161016162' + '02', 'longer key first'],
  ];
  for (const [hex, why] of notDeterministic) {
    it(`${hex}: ${why}`, () => {
      expect(() => dec(hex)).not.toThrow();
      expectCode(() => dec(hex, { deterministic: true }), 'encoding.invalid_cbor');
    });
  }

  it('accepts core deterministic input, including integral half floats', () => {
    for (const hex of ['f93c00', 'f97e00', 'fa47c35000', 'fb3ff199999999999a', 'a2616102616201', 'a3' + '0a00' + '186400' + '2000', '1b0000000100000000']) {
      expect(() => dec(hex, { deterministic: true })).not.toThrow();
    }
  });
});

describe('CBOR real-world data: SUIT envelopes (shared/vectors/suit/*.hex)', () => {
  const files = listVectors('suit').filter((f) => f.endsWith('.hex'));

  it('has the 13 example envelopes', () => {
    expect(files).toHaveLength(13);
  });

  for (const f of files) {
    it(`${f}: decodes (also as deterministic) and both encoders give the bytes back`, () => {
      const hex = readVectorText(`suit/${f}`).replace(/\s+/g, '');
      const value = dec(hex);
      expect(value).toBeInstanceOf(CborTag);
      expect((value as CborTag).tag).toBe(107); // SUIT_Envelope_Tagged
      expect((value as CborTag).value).toBeInstanceOf(Map); // integer labels
      expect(() => dec(hex, { deterministic: true })).not.toThrow();
      expect(bytesToHex(cborEncode(value))).toBe(hex);
      expect(enc(value)).toBe(hex);
    });
  }
});
