/**
 * SHA-2, HMAC and HKDF known answers for the default provider.
 * Vectors: FIPS 180-4 examples ("abc") and the empty-string digests,
 * RFC 4231 §4.2/§4.3 (HMAC test cases 1 and 2), RFC 5869 §A.1 (HKDF test case 1).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex as hex, hexToBytes as bytes } from '@noble/hashes/utils.js';
import { expectCode } from '../../tests/support/assert.ts';
import { nobleCrypto as c } from './noble.ts';
import type { HashName } from './types.ts';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

describe('SHA-256 / SHA-512 (FIPS 180-4)', () => {
  const kat: { name: HashName; input: string; digest: string }[] = [
    { name: 'sha256', input: 'abc', digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
    { name: 'sha256', input: '', digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    {
      name: 'sha512',
      input: 'abc',
      digest:
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    },
    {
      name: 'sha512',
      input: '',
      digest:
        'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    },
  ];
  for (const v of kat) {
    it(`${v.name}("${v.input}") one-shot and streaming`, () => {
      const data = ascii(v.input);
      expect(hex(c[v.name](data))).toBe(v.digest);
      expect(hex(c.createHash(v.name).update(data).digest())).toBe(v.digest);
      // No update at all is the empty message.
      if (v.input === '') expect(hex(c.createHash(v.name).digest())).toBe(v.digest);
    });
  }

  for (const name of ['sha256', 'sha512'] as HashName[]) {
    it(`${name}: odd-size chunks equal one-shot`, () => {
      // 1000 bytes crossing many block boundaries (64 / 128 bytes) at odd offsets.
      const data = new Uint8Array(1000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
      const h = c.createHash(name);
      const sizes = [1, 3, 63, 65, 127, 129, 0, 7, 200];
      let at = 0;
      for (let i = 0; at < data.length; i++) {
        const n = Math.min(sizes[i % sizes.length], data.length - at);
        expect(h.update(data.subarray(at, at + n))).toBe(h); // chains
        at += n;
      }
      expect(hex(h.digest())).toBe(hex(c[name](data)));
    });
  }

  it('a digested hash refuses further use', () => {
    const h = c.createHash('sha256');
    h.digest();
    expectCode(() => h.update(new Uint8Array(1)), 'crypto.hash_finalized');
    expectCode(() => h.digest(), 'crypto.hash_finalized');
  });

  it('unknown hash names and non-byte input get typed errors', () => {
    expectCode(() => c.createHash('md5' as HashName), 'crypto.unsupported_algorithm');
    expectCode(() => c.hmac('sha1' as HashName, new Uint8Array(1), new Uint8Array(1)), 'crypto.unsupported_algorithm');
    expectCode(() => c.sha256('abc' as unknown as Uint8Array), 'crypto.invalid_input');
  });
});

describe('HMAC (RFC 4231)', () => {
  const cases = [
    {
      name: 'test case 1',
      key: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
      data: ascii('Hi There'),
      sha256: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      sha512:
        '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    },
    {
      name: 'test case 2',
      key: hex(ascii('Jefe')),
      data: ascii('what do ya want for nothing?'),
      sha256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      sha512:
        '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    },
  ];
  for (const t of cases) {
    it(`${t.name} HMAC-SHA-256 and HMAC-SHA-512`, () => {
      expect(hex(c.hmac('sha256', bytes(t.key), t.data))).toBe(t.sha256);
      expect(hex(c.hmac('sha512', bytes(t.key), t.data))).toBe(t.sha512);
    });
  }
});

describe('HKDF (RFC 5869)', () => {
  it('A.1 test case 1 (SHA-256, 42 bytes)', () => {
    const okm = c.hkdf(
      'sha256',
      bytes('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'),
      bytes('000102030405060708090a0b0c'),
      bytes('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(hex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('refuses output lengths outside 1..255*HashLen', () => {
    const z = new Uint8Array(0);
    expect(c.hkdf('sha256', z, z, z, 255 * 32)).toHaveLength(255 * 32);
    expectCode(() => c.hkdf('sha256', z, z, z, 255 * 32 + 1), 'crypto.invalid_length');
    expectCode(() => c.hkdf('sha512', z, z, z, 0), 'crypto.invalid_length');
    expectCode(() => c.hkdf('sha512', z, z, z, 1.5), 'crypto.invalid_length');
  });
});
