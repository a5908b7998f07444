/**
 * P-256 ECDH and ES256.
 * Vectors: RFC 6979 §A.2.5 (P-256 key, SHA-256 "sample" and "test"
 * signatures: deterministic, so signing must reproduce them) and NIST CAVS
 * KAS ECC CDH primitive test vectors (P-256, COUNT = 0).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex as hex, hexToBytes as bytes } from '@noble/hashes/utils.js';
import { expectCode } from '../../tests/support/assert.ts';
import { nobleCrypto as c } from './noble.ts';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

// RFC 6979 §A.2.5
const X = 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721';
const UX = '60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6';
const UY = '7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299';
const SIGS = [
  {
    msg: 'sample',
    r: 'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716',
    s: 'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8',
  },
  {
    msg: 'test',
    r: 'f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367',
    s: '019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083',
  },
];

// NIST CAVS 14.1 ecccdhtestvectors.zip, KAS_ECC_CDH_PrimitiveTest.txt, [P-256] COUNT = 0
const CDH = {
  peerX: '700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287',
  peerY: 'db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac',
  d: '7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534',
  qX: 'ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230',
  qY: '28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141',
  z: '46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b',
};

const uncompressed = '04' + UX + UY;
const compressed = '03' + UX; // UY is odd

describe('P-256 keys and ECDH', () => {
  it('derives the RFC 6979 public key (uncompressed by default, compressed on request)', () => {
    expect(hex(c.p256PublicKey(bytes(X)))).toBe(uncompressed);
    expect(hex(c.p256PublicKey(bytes(X), true))).toBe(compressed);
    expect(hex(c.p256PublicKey(bytes(CDH.d)))).toBe('04' + CDH.qX + CDH.qY);
  });

  it('NIST CDH vector: shared x coordinate, with the peer key in both SEC1 forms', () => {
    const peer = bytes('04' + CDH.peerX + CDH.peerY);
    expect(hex(c.p256SharedSecret(bytes(CDH.d), peer))).toBe(CDH.z);
    const prefix = (bytes(CDH.peerY)[31] & 1) === 1 ? '03' : '02';
    expect(hex(c.p256SharedSecret(bytes(CDH.d), bytes(prefix + CDH.peerX)))).toBe(CDH.z);
  });

  it('both directions agree', () => {
    const a = bytes(X);
    const b = bytes(CDH.d);
    const ab = c.p256SharedSecret(a, c.p256PublicKey(b));
    const ba = c.p256SharedSecret(b, c.p256PublicKey(a, true));
    expect(ab).toHaveLength(32);
    expect(hex(ab)).toBe(hex(ba));
  });

  it('rejects bad keys with typed errors', () => {
    const peer = bytes('04' + CDH.peerX + CDH.peerY);
    expectCode(() => c.p256PublicKey(new Uint8Array(31)), 'crypto.invalid_key_length');
    expectCode(() => c.p256PublicKey(new Uint8Array(32)), 'crypto.invalid_key'); // 0
    expectCode(() => c.p256PublicKey(new Uint8Array(32).fill(0xff)), 'crypto.invalid_key'); // >= n
    expectCode(() => c.p256SharedSecret(bytes(CDH.d), peer.subarray(0, 64)), 'crypto.invalid_key_length');
    const offCurve = peer.slice();
    offCurve[64] ^= 1;
    expectCode(() => c.p256SharedSecret(bytes(CDH.d), offCurve), 'crypto.invalid_key');
    const badPrefix = peer.slice();
    badPrefix[0] = 0x05;
    expectCode(() => c.p256SharedSecret(bytes(CDH.d), badPrefix), 'crypto.invalid_key');
  });
});

describe('ES256 (RFC 7518 §3.4)', () => {
  for (const s of SIGS) {
    it(`RFC 6979 §A.2.5 SHA-256 "${s.msg}": sign reproduces, verify accepts`, () => {
      const sig = c.es256Sign(ascii(s.msg), bytes(X));
      expect(hex(sig)).toBe(s.r + s.s);
      expect(c.es256Verify(bytes(s.r + s.s), ascii(s.msg), bytes(uncompressed))).toBe(true);
      expect(c.es256Verify(bytes(s.r + s.s), ascii(s.msg), bytes(compressed))).toBe(true);
      expect(c.es256Verify(bytes(s.r + s.s), ascii(s.msg + '!'), bytes(uncompressed))).toBe(false);
    });
  }

  it('sign/verify round trip with a second key', () => {
    const msg = ascii('round trip');
    const sig = c.es256Sign(msg, bytes(CDH.d));
    expect(sig).toHaveLength(64);
    expect(c.es256Verify(sig, msg, c.p256PublicKey(bytes(CDH.d)))).toBe(true);
    expect(c.es256Verify(sig, msg, bytes(uncompressed))).toBe(false);
  });

  it('accepts high-S signatures (not required to be low-S)', () => {
    // "sample"'s s is above n/2; the mirrored (n - s) form must verify too.
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const lowS = (n - BigInt('0x' + SIGS[0].s)).toString(16).padStart(64, '0');
    expect(c.es256Verify(bytes(SIGS[0].r + lowS), ascii('sample'), bytes(uncompressed))).toBe(true);
  });

  it('verify returns false (never throws) on malformed input', () => {
    const sig = bytes(SIGS[0].r + SIGS[0].s);
    const msg = ascii('sample');
    const pub = bytes(uncompressed);
    const flipped = sig.slice();
    flipped[10] ^= 0x40;
    expect(c.es256Verify(flipped, msg, pub)).toBe(false);
    expect(c.es256Verify(sig.subarray(0, 63), msg, pub)).toBe(false);
    expect(c.es256Verify(new Uint8Array(64), msg, pub)).toBe(false); // r = s = 0
    expect(c.es256Verify(new Uint8Array(64).fill(0xff), msg, pub)).toBe(false); // r, s >= n
    expect(c.es256Verify(sig, msg, pub.subarray(0, 64))).toBe(false);
    const offCurve = pub.slice();
    offCurve[64] ^= 1;
    expect(c.es256Verify(sig, msg, offCurve)).toBe(false);
  });

  it('sign refuses bad private keys', () => {
    expectCode(() => c.es256Sign(new Uint8Array(1), new Uint8Array(33)), 'crypto.invalid_key_length');
    expectCode(() => c.es256Sign(new Uint8Array(1), new Uint8Array(32)), 'crypto.invalid_key');
  });
});
