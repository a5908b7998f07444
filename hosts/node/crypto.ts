/**
 * Native (OpenSSL) primitives for the Node hosts: the service, the CLI and
 * the simulator install these over the pure-JS default with
 * `installCrypto(nodeCrypto)`. tests/crypto-providers.test.ts proves each
 * one gives the same results and the same error codes as nobleCrypto.
 *
 * Not here, so the noble default stays in force:
 *  - XC20P: node:crypto has no XChaCha20 (OpenSSL does not implement HChaCha20).
 *  - ed25519PublicToX25519 / ed25519SeedToX25519: no native birational map.
 *
 * Input validation goes through protocols/crypto/checks.ts, the same checks
 * the noble provider uses, so both refuse the same inputs with the same codes.
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash as nodeCreateHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes as nodeRandomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { CryptoError } from '../../protocols/errors.ts';
import { a256cbcHs512 } from '../../protocols/crypto/a256cbc-hs512.ts';
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
} from '../../protocols/crypto/checks.ts';
import { nobleCrypto } from '../../protocols/crypto/noble.ts';
import type { Aead, CryptoOverrides, HashName } from '../../protocols/crypto/types.ts';

/** A plain Uint8Array copy of a Buffer (callers compare and store these; no pooled slabs, no Buffer methods). */
const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b);

// DER framing of raw keys (RFC 8410 for the 25519 curves; EC curves below):
// a fixed prefix followed by the raw key bytes.
const DER = {
  ed25519Private: Buffer.from('302e020100300506032b657004220420', 'hex'),
  ed25519Public: Buffer.from('302a300506032b6570032100', 'hex'),
  x25519Private: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  x25519Public: Buffer.from('302a300506032b656e032100', 'hex'),
};

/**
 * OpenSSL 3 imports a DER key through its generic decoder framework, which
 * costs more (0.2-0.6 ms) than the X25519 or Ed25519 operation itself. A
 * small LRU of KeyObjects keyed by the DER bytes makes every later use of a
 * key free: our long-term keys, a peer's key, an ephemeral key used first
 * for its public key and then for its ECDH. Bounded at 64 keys; it holds
 * nothing the caller did not already hold (the key bytes).
 */
const KEY_CACHE_MAX = 64;
const keyCache = new Map<string, KeyObject>();

function cachedKey(der: Buffer, make: (der: Buffer) => KeyObject): KeyObject {
  const id = der.toString('base64');
  let k = keyCache.get(id);
  if (k) {
    keyCache.delete(id);
  } else {
    // Only keys that import are cached: a failing import throws here, every time.
    k = make(der);
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  }
  keyCache.set(id, k);
  return k;
}

const privateDer = (prefix: Buffer, raw: Uint8Array): KeyObject =>
  cachedKey(Buffer.concat([prefix, raw]), (key) => createPrivateKey({ key, format: 'der', type: 'pkcs8' }));
const publicDer = (prefix: Buffer, raw: Uint8Array): KeyObject =>
  cachedKey(Buffer.concat([prefix, raw]), (key) => createPublicKey({ key, format: 'der', type: 'spki' }));
/**
 * An X25519 private KeyObject, built from a JWK rather than PKCS#8 DER: the
 * DER import goes through OpenSSL 3's generic decoder (~0.5 ms, ten times the
 * X25519 itself, and every ephemeral key is new so the cache cannot help),
 * while a JWK import builds the key straight from `d`. Node insists the JWK
 * has an `x` member but builds the key from `d` alone; `x` is therefore set to
 * the base point (any well-formed value would do) and NEVER read back: the
 * public key is computed as X25519(d, 9) (x25519PublicKey below). Should a
 * Node release start checking `x`, the import throws and the DER path is used.
 */
const X25519_BASE_POINT = Buffer.alloc(32);
X25519_BASE_POINT[0] = 9;
function x25519PrivateKeyObject(raw: Uint8Array): KeyObject {
  return cachedKey(Buffer.concat([DER.x25519Private, raw]), (der) => {
    try {
      return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(raw).toString('base64url'), x: X25519_BASE_POINT.toString('base64url') }, format: 'jwk' });
    } catch {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    }
  });
}

/** Raw 32-byte public key of a 25519 KeyObject: the tail of its SPKI encoding. */
const rawPublic25519 = (k: KeyObject): Uint8Array => u8(k.export({ format: 'der', type: 'spki' }).subarray(-32));

/** OpenSSL names and SPKI DER prefixes (RFC 5480: id-ecPublicKey + named curve OID) per curve. */
const EC: Record<EcCurveName, { openssl: string; spkiUncompressed: Buffer; spkiCompressed: Buffer; order: bigint }> = {
  'P-256': {
    openssl: 'prime256v1',
    spkiUncompressed: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
    spkiCompressed: Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  'P-384': {
    openssl: 'secp384r1',
    spkiUncompressed: Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex'),
    spkiCompressed: Buffer.from('3046301006072a8648ce3d020106052b81040022033200', 'hex'),
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  'P-521': {
    openssl: 'secp521r1',
    spkiUncompressed: Buffer.from('30819b301006072a8648ce3d020106052b8104002303818600', 'hex'),
    spkiCompressed: Buffer.from('3058301006072a8648ce3d020106052b81040023034400', 'hex'),
    order: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
  secp256k1: {
    openssl: 'secp256k1',
    spkiUncompressed: Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex'),
    spkiCompressed: Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex'),
    order: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  },
};

/** An ECDH object holding a checked private scalar of `curve`. */
function ecEcdh(curve: EcCurveName, privateKey: Uint8Array) {
  keyArg('privateKey', privateKey, EC_FIELD_BYTES[curve]);
  const ecdh = createECDH(EC[curve].openssl);
  // OpenSSL refuses 0 and values >= n here.
  orFail('crypto.invalid_key', `${curve} private key out of range`, () => ecdh.setPrivateKey(privateKey));
  return ecdh;
}

function ecPublicKeyObject(curve: EcCurveName, publicKey: Uint8Array): KeyObject {
  const n = EC_FIELD_BYTES[curve];
  return publicDer(publicKey.length === 2 * n + 1 ? EC[curve].spkiUncompressed : EC[curve].spkiCompressed, publicKey);
}

const ecPublicKey = (curve: EcCurveName) => (privateKey: Uint8Array, compressed = false) =>
  u8(ecEcdh(curve, privateKey).getPublicKey(undefined, compressed === true ? 'compressed' : 'uncompressed'));

const ecSharedSecret = (curve: EcCurveName) => (privateKey: Uint8Array, publicKey: Uint8Array) => {
  const ecdh = ecEcdh(curve, privateKey);
  keyArg('publicKey', publicKey, ...ecPublicLengths(curve));
  return orFail('crypto.invalid_key', `${curve} public key is not a point on the curve`, () => u8(ecdh.computeSecret(publicKey)));
};

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/**
 * ECDSA with SHA-256 in IEEE P1363 form (r||s). OpenSSL picks k at random, so
 * signatures differ from noble's RFC 6979 ones but verify the same. `lowS`
 * normalises s to n - s when s > n/2 (noble's secp256k1 default).
 */
const ecdsaSign = (curve: 'P-256' | 'secp256k1', lowS: boolean) => (message: Uint8Array, privateKey: Uint8Array) => {
  bytesArg('message', message);
  const pub = ecEcdh(curve, privateKey).getPublicKey();
  const n = EC_FIELD_BYTES[curve];
  const key = createPrivateKey({
    key: { kty: 'EC', crv: curve, d: b64u(privateKey), x: b64u(pub.subarray(1, 1 + n)), y: b64u(pub.subarray(1 + n)) },
    format: 'jwk',
  });
  const sig = u8(nodeSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }));
  if (!lowS) return sig;
  const order = EC[curve].order;
  const s = BigInt('0x' + Buffer.from(sig.subarray(n)).toString('hex'));
  if (s <= order >> 1n) return sig;
  sig.set(Buffer.from((order - s).toString(16).padStart(2 * n, '0'), 'hex'), n);
  return sig;
};

const ecdsaVerify = (curve: 'P-256' | 'secp256k1') => (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => {
  bytesArg('signature', signature);
  bytesArg('message', message);
  bytesArg('publicKey', publicKey);
  if (signature.length !== 64 || !ecPublicLengths(curve).includes(publicKey.length)) return false;
  return orFalse(() => nodeVerify('sha256', message, { key: ecPublicKeyObject(curve, publicKey), dsaEncoding: 'ieee-p1363' }, signature));
};

type AeadCipher = 'aes-256-gcm' | 'chacha20-poly1305';

// One branch per cipher name: @types/node types each AEAD mode by its own overload.
const aeadCipher = (cipher: AeadCipher, key: Uint8Array, iv: Uint8Array) =>
  cipher === 'aes-256-gcm'
    ? createCipheriv(cipher, key, iv, { authTagLength: 16 })
    : createCipheriv(cipher, key, iv, { authTagLength: 16 });
const aeadDecipher = (cipher: AeadCipher, key: Uint8Array, iv: Uint8Array) =>
  cipher === 'aes-256-gcm'
    ? createDecipheriv(cipher, key, iv, { authTagLength: 16 })
    : createDecipheriv(cipher, key, iv, { authTagLength: 16 });

/** GCM / ChaCha20-Poly1305 through createCipheriv with a 16-byte tag. */
function nativeAead(name: string, cipher: AeadCipher, ivLength: number): Aead {
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
      const c = aeadCipher(cipher, key, iv);
      c.setAAD(aad);
      const ciphertext = u8(Buffer.concat([c.update(plaintext), c.final()]));
      return { ciphertext, tag: u8(c.getAuthTag()) };
    },
    decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array) {
      keyArg('key', key, keyLength);
      ivArg('iv', iv, ivLength);
      bytesArg('ciphertext', ciphertext);
      bytesArg('tag', tag);
      bytesArg('aad', aad);
      // Same rule as the noble provider: a tag of any other length is an authentication failure.
      if (tag.length !== tagLength) throw new CryptoError('crypto.decrypt_failed', `${name} authentication failed`);
      return orFail('crypto.decrypt_failed', `${name} authentication failed`, () => {
        const d = aeadDecipher(cipher, key, iv);
        d.setAAD(aad);
        d.setAuthTag(tag);
        return u8(Buffer.concat([d.update(ciphertext), d.final()]));
      });
    },
  });
}

/** RFC 3394 default initial value. */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** node:crypto replacements for every primitive OpenSSL provides natively. */
export const nodeCrypto: CryptoOverrides = Object.freeze({
  sha256: (data: Uint8Array) => u8(nodeCreateHash('sha256').update(bytesArg('data', data)).digest()),
  sha512: (data: Uint8Array) => u8(nodeCreateHash('sha512').update(bytesArg('data', data)).digest()),
  createHash(name: HashName) {
    const h = nodeCreateHash(hashName(name));
    return guardedHash(
      (data) => h.update(data),
      () => u8(h.digest()),
    );
  },
  hmac: (name: HashName, key: Uint8Array, data: Uint8Array) =>
    u8(createHmac(hashName(name), bytesArg('key', key)).update(bytesArg('data', data)).digest()),
  hkdf(name: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) {
    hkdfLengthArg(hashName(name), length);
    bytesArg('ikm', ikm);
    bytesArg('salt', salt);
    bytesArg('info', info);
    // Node caps `info` at 1024 bytes (RFC 5869 sets no cap): longer infos go to the noble HKDF.
    if (info.length > 1024) return nobleCrypto.hkdf(name, ikm, salt, info, length);
    return new Uint8Array(hkdfSync(name, ikm, salt, info, length));
  },

  ed25519PublicKey: (seed: Uint8Array) =>
    rawPublic25519(createPublicKey(privateDer(DER.ed25519Private, keyArg('seed', seed, 32)))),
  ed25519Sign: (message: Uint8Array, seed: Uint8Array) =>
    u8(nodeSign(null, bytesArg('message', message), privateDer(DER.ed25519Private, keyArg('seed', seed, 32)))),
  /**
   * OpenSSL's RFC 8032 verify. Inputs only an attacker crafts (small-order
   * or non-canonically encoded public keys) may be judged differently here
   * and by noble's strict mode, which refuses them; honest keys and
   * signatures never reach that difference.
   */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) {
    bytesArg('signature', signature);
    bytesArg('message', message);
    bytesArg('publicKey', publicKey);
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    return orFalse(() => nodeVerify(null, message, publicDer(DER.ed25519Public, publicKey), signature));
  },

  /** X25519(d, 9): the public key from the scalar alone (see x25519PrivateKeyObject). */
  x25519PublicKey: (privateKey: Uint8Array) =>
    u8(diffieHellman({ privateKey: x25519PrivateKeyObject(keyArg('privateKey', privateKey, 32)), publicKey: publicDer(DER.x25519Public, X25519_BASE_POINT) })),
  x25519SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array) {
    keyArg('privateKey', privateKey, 32);
    keyArg('publicKey', publicKey, 32);
    const secret = orFail('crypto.invalid_key', 'X25519 public key is of low order (all-zero shared secret)', () =>
      u8(diffieHellman({ privateKey: x25519PrivateKeyObject(privateKey), publicKey: publicDer(DER.x25519Public, publicKey) })),
    );
    // OpenSSL already fails on an all-zero result; checked again so this never depends on its version.
    if (secret.every((b) => b === 0)) throw new CryptoError('crypto.invalid_key', 'X25519 public key is of low order (all-zero shared secret)');
    return secret;
  },

  p256PublicKey: ecPublicKey('P-256'),
  p256SharedSecret: ecSharedSecret('P-256'),
  es256Sign: ecdsaSign('P-256', false),
  es256Verify: ecdsaVerify('P-256'),
  p384PublicKey: ecPublicKey('P-384'),
  p384SharedSecret: ecSharedSecret('P-384'),
  p521PublicKey: ecPublicKey('P-521'),
  p521SharedSecret: ecSharedSecret('P-521'),
  secp256k1PublicKey: ecPublicKey('secp256k1'),
  es256kSign: ecdsaSign('secp256k1', true),
  es256kVerify: ecdsaVerify('secp256k1'),

  aead: Object.freeze({
    'A256CBC-HS512': a256cbcHs512({
      cbcEncrypt: (key, iv, plaintext) => {
        const c = createCipheriv('aes-256-cbc', key, iv);
        return u8(Buffer.concat([c.update(plaintext), c.final()]));
      },
      cbcDecrypt: (key, iv, ciphertext) => {
        const d = createDecipheriv('aes-256-cbc', key, iv);
        return u8(Buffer.concat([d.update(ciphertext), d.final()]));
      },
      hmacSha512: (key, data) => u8(createHmac('sha512', key).update(data).digest()),
    }),
    A256GCM: nativeAead('A256GCM', 'aes-256-gcm', 12),
    C20P: nativeAead('C20P', 'chacha20-poly1305', 12),
  }),
  aesKeyWrap(kek: Uint8Array, key: Uint8Array) {
    keyArg('kek', kek, 32);
    wrapKeyArg(key);
    const c = createCipheriv('id-aes256-wrap', kek, KW_IV);
    return u8(Buffer.concat([c.update(key), c.final()]));
  },
  aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array) {
    keyArg('kek', kek, 32);
    unwrapArg(wrapped);
    return orFail('crypto.unwrap_failed', 'AES key unwrap integrity check failed', () => {
      const d = createDecipheriv('id-aes256-wrap', kek, KW_IV);
      return u8(Buffer.concat([d.update(wrapped), d.final()]));
    });
  },

  randomBytes(length: number) {
    lengthArg('length', length, 0, MAX_RANDOM_BYTES);
    return u8(nodeRandomBytes(length));
  },
});
