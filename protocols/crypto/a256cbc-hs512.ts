/**
 * AES_256_CBC_HMAC_SHA_512 (RFC 7518 §5.2.5, built per §5.2.2): the JOSE
 * "A256CBC-HS512" content encryption DIDComm v2 authcrypt requires.
 *
 * The composition is written once here and parameterised by its three
 * building blocks, so a host with native AES-CBC and HMAC (node:crypto)
 * reuses exactly the same tag layout, constant-time comparison and
 * check-the-tag-before-decrypting order instead of re-deriving them.
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { CryptoError } from '../errors.ts';
import { bytesArg, ivArg, keyArg } from './checks.ts';
import type { Aead } from './types.ts';

/** The primitives the composite is built from. */
export interface CbcHmacParts {
  /** AES-256-CBC with PKCS#7 padding (RFC 7518 §5.2.2.1 step 3). */
  cbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Inverse of cbcEncrypt; may throw anything on bad padding (it is mapped to `crypto.decrypt_failed`). */
  cbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array;
}

const KEY_LENGTH = 64;
const IV_LENGTH = 16;
const TAG_LENGTH = 32;

/** AL: the AAD length in BITS as a 64-bit big-endian integer (RFC 7518 §5.2.2.1 step 4). */
function aadBitLength(aad: Uint8Array): Uint8Array {
  const al = new Uint8Array(8);
  const view = new DataView(al.buffer);
  const bits = aad.length * 8; // < 2^53: exact in a JS number
  view.setUint32(0, Math.floor(bits / 4294967296));
  view.setUint32(4, bits >>> 0);
  return al;
}

function computeTag(parts: CbcHmacParts, macKey: Uint8Array, aad: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const al = aadBitLength(aad);
  const input = new Uint8Array(aad.length + iv.length + ciphertext.length + al.length);
  let at = 0;
  for (const part of [aad, iv, ciphertext, al]) {
    input.set(part, at);
    at += part.length;
  }
  // T = first T_LEN (= 32) bytes of HMAC-SHA-512(MAC_KEY, A || IV || E || AL).
  return parts.hmacSha512(macKey, input).slice(0, TAG_LENGTH);
}

/** Build the A256CBC-HS512 Aead from CBC and HMAC primitives. */
export function a256cbcHs512(parts: CbcHmacParts): Aead {
  return Object.freeze({
    keyLength: KEY_LENGTH,
    ivLength: IV_LENGTH,
    tagLength: TAG_LENGTH,
    encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) {
      keyArg('key', key, KEY_LENGTH);
      ivArg('iv', iv, IV_LENGTH);
      bytesArg('plaintext', plaintext);
      bytesArg('aad', aad);
      // MAC_KEY = first 32 bytes, ENC_KEY = last 32 bytes (§5.2.2.1 step 2).
      const macKey = key.subarray(0, 32);
      const encKey = key.subarray(32, 64);
      const ciphertext = parts.cbcEncrypt(encKey, iv, plaintext);
      return { ciphertext, tag: computeTag(parts, macKey, aad, iv, ciphertext) };
    },
    decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array) {
      keyArg('key', key, KEY_LENGTH);
      ivArg('iv', iv, IV_LENGTH);
      bytesArg('ciphertext', ciphertext);
      bytesArg('tag', tag);
      bytesArg('aad', aad);
      // A tag of the wrong length is an authentication failure, not a usage error:
      // accepting a truncated tag would weaken the MAC.
      const expected = computeTag(parts, key.subarray(0, 32), aad, iv, ciphertext);
      // Constant-time comparison, and BEFORE any decryption (§5.2.2.2): no padding oracle.
      if (tag.length !== TAG_LENGTH || !equalBytes(expected, tag)) {
        throw new CryptoError('crypto.decrypt_failed', 'A256CBC-HS512 authentication failed');
      }
      try {
        return parts.cbcDecrypt(key.subarray(32, 64), iv, ciphertext);
      } catch (cause) {
        // Only reachable for a correctly-tagged but malformed ciphertext (the key holder built it).
        throw new CryptoError('crypto.decrypt_failed', 'A256CBC-HS512 decryption failed', { cause });
      }
    },
  });
}
