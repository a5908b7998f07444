/** base58btc (draft-msporny-base58 vectors) and multibase (z / u). */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { bytesToHex, hexToBytes, utf8Encode } from './bytes.ts';
import { BASE58_MAX_CHARS, base58btcDecode, base58btcEncode, multibaseDecode, multibaseEncode, multibaseName } from './multibase.ts';

describe('base58btc', () => {
  // draft-msporny-base58-03 §5
  const vectors: [Uint8Array, string][] = [
    [utf8Encode('Hello World!'), '2NEpo7TZRRrLZSi2U'],
    [utf8Encode('The quick brown fox jumps over the lazy dog.'), 'USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z'],
    [hexToBytes('0000287fb4cd'), '11233QC4'],
    [new Uint8Array(0), ''],
    [hexToBytes('00'), '1'],
    [hexToBytes('39'), 'z'],
  ];
  for (const [bytes, text] of vectors) {
    it(`${bytesToHex(bytes) || '(empty)'} <-> ${text || '(empty)'}`, () => {
      expect(base58btcEncode(bytes)).toBe(text);
      expect(base58btcDecode(text)).toEqual(bytes);
    });
  }

  for (const bad of ['0', 'O', 'I', 'l', '2NEpo 7T', '2NEpo7T\n', '+', 'é']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      expectCode(() => base58btcDecode(bad), 'encoding.invalid_base58');
    });
  }

  it('refuses inputs longer than BASE58_MAX_CHARS (quadratic decode)', () => {
    expectCode(() => base58btcDecode('2'.repeat(BASE58_MAX_CHARS + 1)), 'encoding.invalid_base58');
  });
});

describe('multibase', () => {
  // multiformats/multibase test vectors for "yes mani !"
  const yesMani = utf8Encode('yes mani !');

  it('encodes and decodes base58btc (z)', () => {
    expect(multibaseEncode(yesMani)).toBe('z7paNL19xttacUY');
    expect(multibaseEncode(yesMani, 'base58btc')).toBe('z7paNL19xttacUY');
    expect(multibaseDecode('z7paNL19xttacUY')).toEqual(yesMani);
    expect(multibaseName('z7paNL19xttacUY')).toBe('base58btc');
  });

  it('encodes and decodes base64url (u)', () => {
    expect(multibaseEncode(yesMani, 'base64url')).toBe('ueWVzIG1hbmkgIQ');
    expect(multibaseDecode('ueWVzIG1hbmkgIQ')).toEqual(yesMani);
    expect(multibaseName('ueWVzIG1hbmkgIQ')).toBe('base64url');
  });

  it('round-trips empty and zero-led data', () => {
    for (const base of ['base58btc', 'base64url'] as const) {
      for (const b of [new Uint8Array(0), hexToBytes('0000ff'), hexToBytes('ed01')]) {
        expect(multibaseDecode(multibaseEncode(b, base))).toEqual(b);
      }
    }
  });

  it('rejects an empty string', () => {
    expectCode(() => multibaseDecode(''), 'encoding.invalid_multibase');
  });

  for (const s of ['f796573206d616e692021', 'mZWVzIG1hbmkgIQ', 'Z7paNL19xttacUY', 'U7paNL19xttacUY', '7paNL19xttacUY', ' z7paNL19xttacUY']) {
    it(`rejects unsupported prefix in ${JSON.stringify(s)}`, () => {
      expectCode(() => multibaseDecode(s), 'encoding.unsupported_multibase');
      expect(multibaseName(s)).toBeUndefined();
    });
  }

  it('reports a corrupt body with the body encoding code', () => {
    expectCode(() => multibaseDecode('z0OIl'), 'encoding.invalid_base58');
    expectCode(() => multibaseDecode('ueWVzIG1hbmkgIQ=='), 'encoding.invalid_base64url');
  });
});
