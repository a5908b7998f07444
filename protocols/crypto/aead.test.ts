/**
 * The four JOSE content-encryption algorithms of the default provider.
 * Vectors:
 *  - A256CBC-HS512: RFC 7518 Appendix B.3
 *  - A256GCM: McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Test Case 16 (256-bit key, with AAD)
 *  - C20P: RFC 8439 §2.8.2
 *  - XC20P: draft-irtf-cfrg-xchacha-03 §A.3.1
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex as hex, hexToBytes as bytes } from '@noble/hashes/utils.js';
import { expectCode } from '../../tests/support/assert.ts';
import { a256cbcHs512 } from './a256cbc-hs512.ts';
import { nobleCrypto as c } from './noble.ts';
import type { AeadName } from './types.ts';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const range = (from: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const out = b.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
};

const SUNSCREEN = ascii(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);

const VECTORS: { alg: AeadName; key: Uint8Array; iv: string; aad: Uint8Array; plaintext: Uint8Array; ciphertext: string; tag: string }[] = [
  {
    alg: 'A256CBC-HS512',
    key: range(0, 64),
    iv: '1af38c2dc2b96ffdd86694092341bc04',
    aad: ascii('The second principle of Auguste Kerckhoffs'),
    plaintext: ascii(
      'A cipher system must not be required to be secret, and it must be able to fall into the hands of the enemy without inconvenience',
    ),
    ciphertext:
      '4affaaadb78c31c5da4b1b590d10ffbd3dd8d5d302423526912da037ecbcc7bd822c301dd67c373bccb584ad3e9279c2e6d12a1374b77f077553df829410446b' +
      '36ebd97066296ae6427ea75c2e0846a11a09ccf5370dc80bfecbad28c73f09b3a3b75e662a2594410ae496b2e2e6609e31e6e02cc837f053d21f37ff4f51950b' +
      'be2638d09dd7a4930930806d0703b1f6',
    tag: '4dd3b4c088a7f45c216839645b2012bf2e6269a8c56a816dbc1b267761955bc5',
  },
  {
    alg: 'A256GCM',
    key: bytes('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'),
    iv: 'cafebabefacedbaddecaf888',
    aad: bytes('feedfacedeadbeeffeedfacedeadbeefabaddad2'),
    plaintext: bytes(
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    ),
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
  {
    alg: 'C20P',
    key: range(0x80, 32),
    iv: '070000004041424344454647',
    aad: bytes('50515253c0c1c2c3c4c5c6c7'),
    plaintext: SUNSCREEN,
    ciphertext:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
      '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
    tag: '1ae10b594f09e26a7e902ecbd0600691',
  },
  {
    alg: 'XC20P',
    key: range(0x80, 32),
    iv: '404142434445464748494a4b4c4d4e4f5051525354555657',
    aad: bytes('50515253c0c1c2c3c4c5c6c7'),
    plaintext: SUNSCREEN,
    ciphertext:
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
      '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e',
    tag: 'c0875924c1c7987947deafd8780acf49',
  },
];

describe('AEAD known answers', () => {
  for (const v of VECTORS) {
    it(`${v.alg}: encrypt and decrypt the published vector`, () => {
      const aead = c.aead[v.alg];
      expect(aead.keyLength).toBe(v.key.length);
      expect(aead.ivLength).toBe(v.iv.length / 2);
      expect(aead.tagLength).toBe(v.tag.length / 2);
      const { ciphertext, tag } = aead.encrypt(v.key, bytes(v.iv), v.plaintext, v.aad);
      expect(hex(ciphertext)).toBe(v.ciphertext);
      expect(hex(tag)).toBe(v.tag);
      expect(hex(aead.decrypt(v.key, bytes(v.iv), bytes(v.ciphertext), bytes(v.tag), v.aad))).toBe(hex(v.plaintext));
    });
  }
});

describe('AEAD tampering and bad lengths', () => {
  for (const v of VECTORS) {
    const aead = c.aead[v.alg];
    const iv = bytes(v.iv);
    const ct = bytes(v.ciphertext);
    const tag = bytes(v.tag);

    it(`${v.alg}: a flipped bit in ciphertext, tag, iv or aad is crypto.decrypt_failed`, () => {
      for (const bit of [0, 77, ct.length * 8 - 1]) {
        expectCode(() => aead.decrypt(v.key, iv, flip(ct, bit), tag, v.aad), 'crypto.decrypt_failed');
      }
      for (const bit of [0, tag.length * 8 - 1]) {
        expectCode(() => aead.decrypt(v.key, iv, ct, flip(tag, bit), v.aad), 'crypto.decrypt_failed');
      }
      for (const bit of [0, iv.length * 8 - 1]) {
        expectCode(() => aead.decrypt(v.key, flip(iv, bit), ct, tag, v.aad), 'crypto.decrypt_failed');
      }
      expectCode(() => aead.decrypt(v.key, iv, ct, tag, flip(v.aad, 3)), 'crypto.decrypt_failed');
      expectCode(() => aead.decrypt(v.key, iv, ct, tag, new Uint8Array(0)), 'crypto.decrypt_failed');
      expectCode(() => aead.decrypt(flip(v.key, 200), iv, ct, tag, v.aad), 'crypto.decrypt_failed');
      // Truncated ciphertext and truncated / extended tags.
      expectCode(() => aead.decrypt(v.key, iv, ct.subarray(0, ct.length - 16), tag, v.aad), 'crypto.decrypt_failed');
      expectCode(() => aead.decrypt(v.key, iv, ct, tag.subarray(0, 12), v.aad), 'crypto.decrypt_failed');
      expectCode(() => aead.decrypt(v.key, iv, ct, new Uint8Array(tag.length + 1), v.aad), 'crypto.decrypt_failed');
    });

    it(`${v.alg}: wrong key / iv lengths are typed errors`, () => {
      const p = new Uint8Array(5);
      const a = new Uint8Array(0);
      for (const len of [0, 16, v.key.length - 1, v.key.length + 1]) {
        expectCode(() => aead.encrypt(new Uint8Array(len), iv, p, a), 'crypto.invalid_key_length');
        expectCode(() => aead.decrypt(new Uint8Array(len), iv, ct, tag, a), 'crypto.invalid_key_length');
      }
      for (const len of [0, iv.length - 1, iv.length + 1]) {
        expectCode(() => aead.encrypt(v.key, new Uint8Array(len), p, a), 'crypto.invalid_iv_length');
        expectCode(() => aead.decrypt(v.key, new Uint8Array(len), ct, tag, a), 'crypto.invalid_iv_length');
      }
    });

    it(`${v.alg}: empty plaintext and empty aad round-trip`, () => {
      const e = new Uint8Array(0);
      const sealed = aead.encrypt(v.key, iv, e, e);
      expect(sealed.tag).toHaveLength(aead.tagLength);
      expect(aead.decrypt(v.key, iv, sealed.ciphertext, sealed.tag, e)).toHaveLength(0);
      expectCode(() => aead.decrypt(v.key, iv, sealed.ciphertext, flip(sealed.tag, 1), e), 'crypto.decrypt_failed');
    });
  }
});

describe('A256CBC-HS512 composition', () => {
  it('checks the tag before decrypting', () => {
    let decrypts = 0;
    const spied = a256cbcHs512({
      cbcEncrypt: () => new Uint8Array(16),
      cbcDecrypt: () => {
        decrypts++;
        return new Uint8Array(0);
      },
      hmacSha512: (key, data) => c.hmac('sha512', key, data),
    });
    const key = range(0, 64);
    const iv = range(0, 16);
    const { ciphertext, tag } = spied.encrypt(key, iv, new Uint8Array(3), new Uint8Array(0));
    expectCode(() => spied.decrypt(key, iv, ciphertext, flip(tag, 0), new Uint8Array(0)), 'crypto.decrypt_failed');
    expect(decrypts).toBe(0);
    spied.decrypt(key, iv, ciphertext, tag, new Uint8Array(0));
    expect(decrypts).toBe(1);
  });

  it('a correctly tagged but badly padded ciphertext is crypto.decrypt_failed', () => {
    const aead = c.aead['A256CBC-HS512'];
    const key = range(0, 64);
    const iv = range(0, 16);
    // A 17-byte "ciphertext" with a valid tag: only the key holder can make one.
    const bogus = range(9, 17);
    const spied = a256cbcHs512({
      cbcEncrypt: () => bogus,
      cbcDecrypt: () => new Uint8Array(0),
      hmacSha512: (k, d) => c.hmac('sha512', k, d),
    });
    const { ciphertext, tag } = spied.encrypt(key, iv, new Uint8Array(0), new Uint8Array(0));
    expectCode(() => aead.decrypt(key, iv, ciphertext, tag, new Uint8Array(0)), 'crypto.decrypt_failed');
  });
});
