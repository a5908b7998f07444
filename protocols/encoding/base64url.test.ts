/** base64 / base64url (RFC 4648 §10 test vectors, strictness rules). */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { base64Decode, base64Encode, base64urlDecode, base64urlEncode } from './base64url.ts';
import { bytesToHex, utf8Encode } from './bytes.ts';

// RFC 4648 §10
const RFC4648: [string, string][] = [
  ['', ''],
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
];

describe('base64 (RFC 4648 §4, padded)', () => {
  for (const [plain, b64] of RFC4648) {
    it(`BASE64("${plain}") = "${b64}"`, () => {
      expect(base64Encode(utf8Encode(plain))).toBe(b64);
      expect(base64Decode(b64)).toEqual(utf8Encode(plain));
    });
  }

  it('uses + and /', () => {
    expect(base64Encode(Uint8Array.from([0xfb, 0xff]))).toBe('+/8=');
    expect(bytesToHex(base64Decode('+/8='))).toBe('fbff');
  });

  const bad: [string, string][] = [
    ['Zg', 'missing padding'],
    ['Zg=', 'short padding'],
    ['Zh==', 'non-zero trailing bits'],
    ['Zm9=', 'non-zero trailing bits'],
    ['Z===', 'excess padding'],
    ['-_8=', 'url alphabet'],
    ['Zm9v\n', 'newline'],
    ['Zm 9v', 'space'],
  ];
  for (const [s, why] of bad) {
    it(`rejects ${JSON.stringify(s)} (${why})`, () => {
      expectCode(() => base64Decode(s), 'encoding.invalid_base64');
    });
  }
});

describe('base64url (RFC 4648 §5, no padding)', () => {
  for (const [plain, b64] of RFC4648) {
    const url = b64.replace(/=+$/, '');
    it(`BASE64URL("${plain}") = "${url}"`, () => {
      expect(base64urlEncode(utf8Encode(plain))).toBe(url);
      expect(base64urlDecode(url)).toEqual(utf8Encode(plain));
    });
  }

  it('uses - and _', () => {
    expect(base64urlEncode(Uint8Array.from([0xfb, 0xff]))).toBe('-_8');
    expect(bytesToHex(base64urlDecode('-_8'))).toBe('fbff');
  });

  it('round-trips every length and byte value', () => {
    for (let n = 0; n < 70; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 37 + n * 11) & 0xff;
      expect(base64urlDecode(base64urlEncode(b))).toEqual(b);
      expect(base64Decode(base64Encode(b))).toEqual(b);
    }
  });

  // The canonical-form choice (see base64url.ts): one byte string, one spelling.
  const bad: [string, string][] = [
    ['Zg==', 'padding'],
    ['Zg=', 'partial padding'],
    ['Zh', 'non-zero trailing bits'],
    ['Zm9', 'non-zero trailing bits'],
    ['Z', 'length 1 mod 4'],
    ['Zm9vY', 'length 1 mod 4'],
    ['+/8', 'standard alphabet'],
    ['Zm9v\n', 'newline'],
    [' Zm9v', 'leading space'],
    ['Zm\t9v', 'tab'],
    ['Zm9v=', 'trailing ='],
    ['Zm9v.', 'dot'],
  ];
  for (const [s, why] of bad) {
    it(`rejects ${JSON.stringify(s)} (${why})`, () => {
      expectCode(() => base64urlDecode(s), 'encoding.invalid_base64url');
    });
  }

  it('rejects non-strings with the typed error', () => {
    expectCode(() => base64urlDecode(42 as unknown as string), 'encoding.invalid_base64url');
    expectCode(() => base64Decode(undefined as unknown as string), 'encoding.invalid_base64');
  });
});
