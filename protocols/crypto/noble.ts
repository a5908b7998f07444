/**
 * The default CryptoProvider: pure JavaScript on @noble/hashes,
 * @noble/curves and @noble/ciphers, so it runs unchanged in Node, a browser
 * and XS. Every entry point validates argument lengths first (checks.ts) and
 * turns library exceptions into CryptoError codes, so callers never see a
 * bare Error from a primitive.
 */
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { CryptoError } from '../errors.ts';
import { a256cbcHs512 } from './a256cbc-hs512.ts';
import { aeskw, cbc, ed25519, gcm, hkdf, p256, p384, p521, secp256k1, sha256, sha512, x25519 } from './noble-stateful.ts';
import {
  orFail,
  orFalse,
  EC_FIELD_BYTES,
  MAX_RANDOM_BYTES,
  bytesArg,
  ecPublicLengths,
  type EcCurveName,
  guardedHash,
  hashName,
  hkdfLengthArg,
  ivArg,
  keyArg,
  lengthArg,
  unwrapArg,
  wrapKeyArg,
} from './checks.ts';
import type { Aead, AeadName, CryptoProvider, HashName } from './types.ts';

const hashFn = (name: HashName) => (name === 'sha256' ? sha256 : sha512);


/** An AEAD from a noble constructor producing ciphertext||tag (GCM, ChaCha20-Poly1305). */
function nobleAead(
  name: string,
  make: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) => { encrypt(p: Uint8Array): Uint8Array; decrypt(c: Uint8Array): Uint8Array },
  ivLength: number,
): Aead {
  const keyLength = 32;
  const tagLength = 16;
  return Object.freeze({
    keyLength,
    ivLength,
    tagLength,
    encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) {
      keyArg('key', key, keyLength);
      ivArg('iv', iv, ivLength);
      bytesArg('plaintext', plaintext);
      bytesArg('aad', aad);
      const sealed = make(key, iv, aad).encrypt(plaintext);
      const cut = sealed.length - tagLength;
      return { ciphertext: sealed.slice(0, cut), tag: sealed.slice(cut) };
    },
    decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array) {
      keyArg('key', key, keyLength);
      ivArg('iv', iv, ivLength);
      bytesArg('ciphertext', ciphertext);
      bytesArg('tag', tag);
      bytesArg('aad', aad);
      // Wrong tag length = authentication failure (never accept a truncated tag).
      if (tag.length !== tagLength) throw new CryptoError('crypto.decrypt_failed', `${name} authentication failed`);
      const sealed = new Uint8Array(ciphertext.length + tagLength);
      sealed.set(ciphertext);
      sealed.set(tag, ciphertext.length);
      return orFail('crypto.decrypt_failed', `${name} authentication failed`, () => make(key, iv, aad).decrypt(sealed));
    },
  });
}

const aead: Record<AeadName, Aead> = Object.freeze({
  'A256CBC-HS512': a256cbcHs512({
    cbcEncrypt: (key, iv, plaintext) => cbc(key, iv).encrypt(plaintext),
    cbcDecrypt: (key, iv, ciphertext) => cbc(key, iv).decrypt(ciphertext),
    hmacSha512: (key, data) => hmac(sha512, key, data),
  }),
  A256GCM: nobleAead('A256GCM', (k, n, a) => gcm(k, n, a), 12),
  C20P: nobleAead('C20P', (k, n, a) => chacha20poly1305(k, n, a), 12),
  XC20P: nobleAead('XC20P', (k, n, a) => xchacha20poly1305(k, n, a), 24),
});

const CURVES: Record<EcCurveName, typeof p256> = { 'P-256': p256, 'P-384': p384, 'P-521': p521, secp256k1 };

/** A private scalar of `name`: exactly the field size, in [1, n-1]. */
function ecSecret(name: EcCurveName, privateKey: Uint8Array): Uint8Array {
  keyArg('privateKey', privateKey, EC_FIELD_BYTES[name]);
  // 0 and values >= n are not keys.
  if (!CURVES[name].utils.isValidSecretKey(privateKey)) throw new CryptoError('crypto.invalid_key', `${name} private key out of range`);
  return privateKey;
}

/** SEC1 public key of a private scalar (uncompressed unless asked). */
const ecPublicKey = (name: EcCurveName) => (privateKey: Uint8Array, compressed = false) =>
  orFail('crypto.invalid_key', `invalid ${name} private key`, () => CURVES[name].getPublicKey(ecSecret(name, privateKey), compressed === true));

/** ECDH: the x coordinate of d*Q, field-size bytes. Point.fromBytes inside checks Q is on the curve. */
const ecSharedSecret = (name: EcCurveName) => (privateKey: Uint8Array, publicKey: Uint8Array) => {
  ecSecret(name, privateKey);
  keyArg('publicKey', publicKey, ...ecPublicLengths(name));
  // compressed output = 0x02/03 || x
  return orFail('crypto.invalid_key', `${name} public key is not a point on the curve`, () =>
    CURVES[name].getSharedSecret(privateKey, publicKey, true).slice(1),
  );
};

/** ECDSA with SHA-256 prehash, compact r||s; deterministic k (RFC 6979). */
const ecdsaSign = (name: 'P-256' | 'secp256k1', lowS: boolean) => (message: Uint8Array, privateKey: Uint8Array) =>
  CURVES[name].sign(bytesArg('message', message), ecSecret(name, privateKey), { prehash: true, lowS, format: 'compact' });

/** ECDSA verify; false (never a throw) for any malformed key or signature. High S accepted. */
const ecdsaVerify = (name: 'P-256' | 'secp256k1') => (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => {
  bytesArg('signature', signature);
  bytesArg('message', message);
  bytesArg('publicKey', publicKey);
  if (signature.length !== 64 || !ecPublicLengths(name).includes(publicKey.length)) return false;
  return orFalse(() => CURVES[name].verify(signature, message, publicKey, { prehash: true, lowS: false, format: 'compact' }));
};

/**
 * Randomness from the platform CSPRNG. Hosts without
 * globalThis.crypto.getRandomValues (XS/Moddable) install their own
 * randomBytes through installCrypto(); until then this throws
 * `crypto.no_random` rather than falling back to anything weaker.
 */
function randomBytes(length: number): Uint8Array {
  lengthArg('length', length, 0, MAX_RANDOM_BYTES);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (!c || typeof c.getRandomValues !== 'function') {
    throw new CryptoError('crypto.no_random', 'no randomness source: install randomBytes with installCrypto()');
  }
  const out = new Uint8Array(length);
  // Web Crypto fills at most 65536 bytes per call.
  for (let at = 0; at < length; at += 65536) c.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  return out;
}

/** The pure-JS default provider (see types.ts for the contract of each member). */
export const nobleCrypto: CryptoProvider = Object.freeze({
  sha256: (data: Uint8Array) => sha256(bytesArg('data', data)),
  sha512: (data: Uint8Array) => sha512(bytesArg('data', data)),
  createHash(name: HashName) {
    const h = hashFn(hashName(name)).create();
    return guardedHash(
      (data) => h.update(data),
      () => h.digest(),
    );
  },
  hmac: (name: HashName, key: Uint8Array, data: Uint8Array) =>
    hmac(hashFn(hashName(name)), bytesArg('key', key), bytesArg('data', data)),
  hkdf(name: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) {
    hkdfLengthArg(hashName(name), length);
    return hkdf(hashFn(name), bytesArg('ikm', ikm), bytesArg('salt', salt), bytesArg('info', info), length);
  },

  ed25519PublicKey: (seed: Uint8Array) => ed25519.getPublicKey(keyArg('seed', seed, 32)),
  ed25519Sign: (message: Uint8Array, seed: Uint8Array) => ed25519.sign(bytesArg('message', message), keyArg('seed', seed, 32)),
  /**
   * Strict RFC 8032 / FIPS 186-5 decoding (zip215: false): non-canonical
   * encodings and small-order public keys are rejected. ZIP-215's looser
   * rules exist for consensus systems, not for us.
   */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) {
    bytesArg('signature', signature);
    bytesArg('message', message);
    bytesArg('publicKey', publicKey);
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    return orFalse(() => ed25519.verify(signature, message, publicKey, { zip215: false }));
  },
  ed25519PublicToX25519(publicKey: Uint8Array) {
    keyArg('publicKey', publicKey, 32);
    return orFail('crypto.invalid_key', 'not a usable Ed25519 public key', () => {
      // Small-order points would map to low-order X25519 keys that every
      // key agreement refuses; reject them where the bad key enters.
      if (ed25519.Point.fromBytes(publicKey).isSmallOrder()) throw new CryptoError('crypto.invalid_key', 'small-order Ed25519 public key');
      return ed25519.utils.toMontgomery(publicKey);
    });
  },
  /** X25519 private key = clamped first half of SHA-512(seed) (RFC 8032 §5.1.5 / libsodium). */
  ed25519SeedToX25519: (seed: Uint8Array) => ed25519.utils.toMontgomerySecret(keyArg('seed', seed, 32)),

  x25519PublicKey: (privateKey: Uint8Array) => x25519.getPublicKey(keyArg('privateKey', privateKey, 32)),
  /**
   * noble refuses the low-order u values before running the ladder; those are
   * exactly the inputs that give RFC 7748 §6.1's all-zero secret.
   */
  x25519SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array) {
    keyArg('privateKey', privateKey, 32);
    keyArg('publicKey', publicKey, 32);
    return orFail('crypto.invalid_key', 'X25519 public key is of low order (all-zero shared secret)', () =>
      x25519.getSharedSecret(privateKey, publicKey),
    );
  },

  p256PublicKey: ecPublicKey('P-256'),
  p256SharedSecret: ecSharedSecret('P-256'),
  /**
   * Deterministic ECDSA (RFC 6979) and no low-S normalisation, so the output
   * equals RFC 6979 §A.2.5 byte for byte; JOSE ES256 does not require low-S.
   */
  es256Sign: ecdsaSign('P-256', false),
  es256Verify: ecdsaVerify('P-256'),

  p384PublicKey: ecPublicKey('P-384'),
  p384SharedSecret: ecSharedSecret('P-384'),
  p521PublicKey: ecPublicKey('P-521'),
  p521SharedSecret: ecSharedSecret('P-521'),

  secp256k1PublicKey: ecPublicKey('secp256k1'),
  /** RFC 6979 deterministic k, S normalised low (BIP-62 style), which every secp256k1 verifier accepts. */
  es256kSign: ecdsaSign('secp256k1', true),
  es256kVerify: ecdsaVerify('secp256k1'),

  aead,
  aesKeyWrap(kek: Uint8Array, key: Uint8Array) {
    keyArg('kek', kek, 32);
    return aeskw(kek).encrypt(wrapKeyArg(key));
  },
  aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array) {
    keyArg('kek', kek, 32);
    unwrapArg(wrapped);
    return orFail('crypto.unwrap_failed', 'AES key unwrap integrity check failed', () => aeskw(kek).decrypt(wrapped).slice());
  },

  randomBytes,
});

