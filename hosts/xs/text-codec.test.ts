/**
 * The fallback UTF-8 codecs (for engines without TextEncoder/TextDecoder)
 * must follow the WHATWG Encoding Standard byte for byte, malformed input
 * included. Expected values are fixed (taken from Node's WHATWG codecs) so
 * the file also runs in XS; the comparisons against the engine's own codecs
 * run in Node only, because xsnap's native codecs are not WHATWG-exact
 * (lone surrogates encode as WTF-8, replacement differs).
 */
import { describe, expect, it } from 'vitest';
import { engine } from '../../tests/support/vectors.ts';
import { installTextCodecs, utf8Decode, utf8Encode, Utf8TextDecoder, Utf8TextEncoder } from './text-codec.ts';

const WELL_FORMED = ['', 'ascii', 'é', '€', '☕ grinder', '𝄞 music', 'a\u0000b', '\uffff\u0800\u07ff\u0080\u007f'];

/** [input bytes, WHATWG decode] */
const MALFORMED: [number[], string][] = [
  [[0x80], '\ufffd'],
  [[0xc0, 0x80], '\ufffd\ufffd'],
  [[0xc2], '\ufffd'],
  [[0xe2, 0x82, 0x41], '\ufffdA'],
  [[0xe0, 0x80, 0x80], '\ufffd\ufffd\ufffd'],
  [[0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'],
  [[0xf0, 0x8f, 0xbf, 0xbf], '\ufffd\ufffd\ufffd\ufffd'],
  [[0xf4, 0x90, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'],
  [[0xf5, 0x41], '\ufffdA'],
  [[0xf0, 0x9f, 0x98], '\ufffd'],
  [[0xff, 0xfe, 0x41], '\ufffd\ufffdA'],
];

function xorshift(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  };
}

describe('fallback UTF-8 codec', () => {
  it('encodes every UTF-8 length class', () => {
    expect(utf8Encode('A')).toEqual(new Uint8Array([0x41]));
    expect(utf8Encode('é')).toEqual(new Uint8Array([0xc3, 0xa9]));
    expect(utf8Encode('€')).toEqual(new Uint8Array([0xe2, 0x82, 0xac]));
    expect(utf8Encode('𝄞')).toEqual(new Uint8Array([0xf0, 0x9d, 0x84, 0x9e]));
    expect(utf8Encode('')).toEqual(new Uint8Array(0));
  });

  it('encodes lone surrogates as U+FFFD', () => {
    expect(utf8Encode('\ud800')).toEqual(new Uint8Array([0xef, 0xbf, 0xbd]));
    expect(utf8Encode('x\udc00y')).toEqual(new Uint8Array([0x78, 0xef, 0xbf, 0xbd, 0x79]));
    expect(utf8Encode('\ud83d\ude00\ud83d')).toEqual(new Uint8Array([0xf0, 0x9f, 0x98, 0x80, 0xef, 0xbf, 0xbd]));
  });

  it('round-trips well-formed text', () => {
    for (const s of WELL_FORMED) expect(utf8Decode(utf8Encode(s))).toBe(s);
  });

  it('replaces each maximal invalid subsequence with one U+FFFD', () => {
    for (const [bytes, text] of MALFORMED) expect(utf8Decode(new Uint8Array(bytes))).toBe(text);
  });

  it('drops a leading BOM only', () => {
    expect(utf8Decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toBe('A');
    expect(utf8Decode(new Uint8Array([0x41, 0xef, 0xbb, 0xbf]))).toBe('A\ufeff');
  });

  it('throws a TypeError on malformed input in fatal mode', () => {
    for (const [bytes] of MALFORMED) expect(() => utf8Decode(new Uint8Array(bytes), true)).toThrow(TypeError);
    expect(() => new Utf8TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xc2]))).toThrow(TypeError);
  });

  it('decodes long text and views at an offset', () => {
    const s = '☕'.repeat(10_000) + '𝄞end';
    expect(utf8Decode(utf8Encode(s))).toBe(s);
    const view = new Uint8Array([0x41, 0xe2, 0x82, 0xac, 0x42]).subarray(1, 4);
    expect(new Utf8TextDecoder().decode(view)).toBe('€');
    expect(new Utf8TextDecoder().decode(view.slice().buffer)).toBe('€');
  });

  it('installs the classes only where missing', () => {
    const bare: { TextEncoder?: unknown; TextDecoder?: unknown } = {};
    expect(installTextCodecs(bare)).toEqual(['TextEncoder', 'TextDecoder']);
    expect(bare.TextEncoder).toBe(Utf8TextEncoder);
    expect(bare.TextDecoder).toBe(Utf8TextDecoder);
    expect(installTextCodecs(bare)).toEqual([]);
    expect(() => new Utf8TextDecoder('latin1')).toThrow(RangeError);
    expect(new Utf8TextEncoder().encode()).toEqual(new Uint8Array(0));
  });

  it.skipIf(engine() === 'xs')('agrees with the engine TextEncoder/TextDecoder on random bytes and strings', () => {
    const dec = new TextDecoder();
    const enc = new TextEncoder();
    const next = xorshift(0x12345678);
    for (let round = 0; round < 300; round++) {
      const b = new Uint8Array(1 + (round % 37)).map(() => next());
      expect(utf8Decode(b)).toBe(dec.decode(b));
      const s = String.fromCharCode(...Array.from(b, (x, i) => (i % 3 === 0 ? 0xd800 + x : x * 131)));
      expect(utf8Encode(s)).toEqual(enc.encode(s));
    }
  });
});
