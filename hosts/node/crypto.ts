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
  MAX_RANDOM_BYTES,
  P256_PUBLIC_LENGTHS,
  bytesArg,
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

function orFail<T>(code: `crypto.${string}`, message: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof CryptoError) throw cause;
    throw new CryptoError(code, message, { cause });
  }
}

function orFalse(fn: () => boolean): boolean {
  try {
    return fn() === true;
  } catch {
    return false;
  }
}

// DER framing of raw keys (RFC 8410 for the 25519 curves, RFC 5480 for P-256):
// a fixed prefix followed by the raw key bytes.
const DER = {
  ed25519Private: Buffer.from('302e020100300506032b657004220420', 'hex'),
  ed25519Public: Buffer.from('302a300506032b6570032100', 'hex'),
  x25519Private: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  x25519Public: Buffer.from('302a300506032b656e032100', 'hex'),
  p256PublicUncompressed: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
  p256PublicCompressed: Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
};

const privateDer = (prefix: Buffer, raw: Uint8Array): KeyObject =>
  createPrivateKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8' });
const publicDer = (prefix: Buffer, raw: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'spki' });
/** Raw 32-byte public key of a 25519 KeyObject: the tail of its SPKI encoding. */
const rawPublic25519 = (k: KeyObject): Uint8Array => u8(k.export({ format: 'der', type: 'spki' }).subarray(-32));

function p256Ecdh(privateKey: Uint8Array) {
  keyArg('privateKey', privateKey, 32);
  const ecdh = createECDH('prime256v1');
  // OpenSSL refuses 0 and values >= n here.
  orFail('crypto.invalid_key', 'P-256 private key out of range', () => ecdh.setPrivateKey(privateKey));
  return ecdh;
}

function p256PublicKeyObject(publicKey: Uint8Array): KeyObject {
  return publicDer(publicKey.length === 65 ? DER.p256PublicUncompressed : DER.p256PublicCompressed, publicKey);
}

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

  x25519PublicKey: (privateKey: Uint8Array) =>
    rawPublic25519(createPublicKey(privateDer(DER.x25519Private, keyArg('privateKey', privateKey, 32)))),
  x25519SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array) {
    keyArg('privateKey', privateKey, 32);
    keyArg('publicKey', publicKey, 32);
    const secret = orFail('crypto.invalid_key', 'X25519 public key is of low order (all-zero shared secret)', () =>
      u8(diffieHellman({ privateKey: privateDer(DER.x25519Private, privateKey), publicKey: publicDer(DER.x25519Public, publicKey) })),
    );
    // OpenSSL already fails on an all-zero result; checked again so this never depends on its version.
    if (secret.every((b) => b === 0)) throw new CryptoError('crypto.invalid_key', 'X25519 public key is of low order (all-zero shared secret)');
    return secret;
  },

  p256PublicKey: (privateKey: Uint8Array, compressed = false) =>
    u8(p256Ecdh(privateKey).getPublicKey(undefined, compressed === true ? 'compressed' : 'uncompressed')),
  p256SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array) {
    const ecdh = p256Ecdh(privateKey);
    keyArg('publicKey', publicKey, ...P256_PUBLIC_LENGTHS);
    return orFail('crypto.invalid_key', 'P-256 public key is not a point on the curve', () => u8(ecdh.computeSecret(publicKey)));
  },
  /** Randomised ECDSA (OpenSSL picks k): signatures differ from noble's RFC 6979 ones but verify the same. */
  es256Sign(message: Uint8Array, privateKey: Uint8Array) {
    bytesArg('message', message);
    const ecdh = p256Ecdh(privateKey);
    const pub = ecdh.getPublicKey();
    const key = createPrivateKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: Buffer.from(privateKey).toString('base64url'),
        x: pub.subarray(1, 33).toString('base64url'),
        y: pub.subarray(33, 65).toString('base64url'),
      },
      format: 'jwk',
    });
    return u8(nodeSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }));
  },
  es256Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) {
    bytesArg('signature', signature);
    bytesArg('message', message);
    bytesArg('publicKey', publicKey);
    if (signature.length !== 64 || !P256_PUBLIC_LENGTHS.includes(publicKey.length)) return false;
    return orFalse(() => nodeVerify('sha256', message, { key: p256PublicKeyObject(publicKey), dsaEncoding: 'ieee-p1363' }, signature));
  },

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
