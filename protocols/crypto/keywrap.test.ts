/**
 * AES key wrap with a 256-bit KEK. Vector: RFC 3394 §4.6
 * "Wrap 256 bits of Key Data with a 256-bit KEK".
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex as hex, hexToBytes as bytes } from '@noble/hashes/utils.js';
import { expectCode } from '../../tests/support/assert.ts';
import { nobleCrypto as c } from './noble.ts';

const KEK = bytes('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const KEY = bytes('00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f');
const WRAPPED = '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21';

describe('AES key wrap (RFC 3394)', () => {
  it('§4.6 wraps and unwraps', () => {
    expect(hex(c.aesKeyWrap(KEK, KEY))).toBe(WRAPPED);
    expect(hex(c.aesKeyUnwrap(KEK, bytes(WRAPPED)))).toBe(hex(KEY));
  });

  it('tampering or the wrong KEK is crypto.unwrap_failed', () => {
    const w = bytes(WRAPPED);
    for (const i of [0, 8, w.length - 1]) {
      const t = w.slice();
      t[i] ^= 0x01;
      expectCode(() => c.aesKeyUnwrap(KEK, t), 'crypto.unwrap_failed');
    }
    const otherKek = KEK.slice();
    otherKek[31] ^= 0x80;
    expectCode(() => c.aesKeyUnwrap(otherKek, w), 'crypto.unwrap_failed');
    expectCode(() => c.aesKeyUnwrap(KEK, w.subarray(0, 36)), 'crypto.unwrap_failed'); // not whole blocks
    expectCode(() => c.aesKeyUnwrap(KEK, w.subarray(0, 16)), 'crypto.unwrap_failed'); // under 3 blocks
  });

  it('bad lengths are typed errors', () => {
    expectCode(() => c.aesKeyWrap(KEK.subarray(0, 16), KEY), 'crypto.invalid_key_length');
    expectCode(() => c.aesKeyUnwrap(KEK.subarray(0, 24), bytes(WRAPPED)), 'crypto.invalid_key_length');
    expectCode(() => c.aesKeyWrap(KEK, KEY.subarray(0, 8)), 'crypto.invalid_key_length');
    expectCode(() => c.aesKeyWrap(KEK, KEY.subarray(0, 20)), 'crypto.invalid_key_length');
    expectCode(() => c.aesKeyWrap(KEK, new Uint8Array(0)), 'crypto.invalid_key_length');
  });
});
