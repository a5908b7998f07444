/**
 * Crypto overrides for Moddable (DESIGN.md §3): SHA-256/512 on the `crypt`
 * module's native `Digest` (pure-JS SHA-256 is minutes per MiB on an
 * ESP32) and random bytes from the platform's hardware source (our native
 * `ssiot/random`: `esp_fill_random` on ESP32, getrandom/arc4random on the
 * desktop simulators; `Math.random` and crypt's RC4 `RNG` are not fit for
 * keys). On the builds that have libsodium (lin simulator, ESP32: see
 * hosts/moddable/curve25519.ts) X25519 and Ed25519 run natively too
 * (`ssiot/curve25519`): in pure JS on an ESP32 they take seconds per
 * operation. Everything else stays on the pure-JS noble provider, including
 * the cheap Ed25519 → X25519 maps (a field inversion, a SHA-512).
 *
 * The platform pieces are passed in, so this module imports nothing from
 * Moddable and runs under Node against fakes (tests/moddable-manifest.test.ts).
 * Argument checks and error codes are the shared ones of
 * protocols/crypto/checks.ts, so both providers refuse the same inputs alike.
 */
import { MAX_RANDOM_BYTES, bytesArg, guardedHash, hashName, keyArg, lengthArg, orFalse } from '../../protocols/crypto/checks.ts';
import { CryptoError } from '../../protocols/errors.ts';
import type { CryptoOverrides, Hash, HashName } from '../../protocols/crypto/types.ts';

/** The members of Moddable's `crypt` Digest this host uses (typings/crypt.d.ts). */
export interface NativeDigest {
  write(message: ArrayBuffer): void;
  close(): ArrayBuffer;
}

export interface ModdableCryptoPlatform {
  /** `new Digest("SHA256" | "SHA512")` from `crypt`. */
  digest(type: 'SHA256' | 'SHA512'): NativeDigest;
  /** Fills the buffer with hardware random bytes (`ssiot/random` fill). */
  fillRandom(buffer: ArrayBuffer): void;
  /** Native X25519/Ed25519 (`ssiot/curve25519`, libsodium); absent where the build has none (win, mac). */
  curve25519?: NativeCurve25519;
}

/**
 * The members of our native `ssiot/curve25519` (native/curve25519.js, on
 * libsodium). ArrayBuffers in and out; lengths are checked here first (the C
 * side checks them again and throws a RangeError).
 */
export interface NativeCurve25519 {
  /** crypto_scalarmult_curve25519_base. */
  x25519PublicKey(secret: ArrayBuffer): ArrayBuffer;
  /** crypto_scalarmult_curve25519; all zero when libsodium refuses (low-order public key). */
  x25519(secret: ArrayBuffer, publicKey: ArrayBuffer): ArrayBuffer;
  /** crypto_sign_ed25519_seed_keypair's public key. */
  ed25519PublicKey(seed: ArrayBuffer): ArrayBuffer;
  /** crypto_sign_ed25519_detached, the key pair derived from the seed. */
  ed25519Sign(message: ArrayBuffer, seed: ArrayBuffer): ArrayBuffer;
  /** crypto_sign_ed25519_verify_detached == 0. */
  ed25519Verify(signature: ArrayBuffer, message: ArrayBuffer, publicKey: ArrayBuffer): boolean;
}

const DIGEST_TYPE: Readonly<Record<HashName, 'SHA256' | 'SHA512'>> = { sha256: 'SHA256', sha512: 'SHA512' };

/** The bytes of `data` as an ArrayBuffer of exactly that length (Digest.write takes ArrayBuffer). */
function exactBuffer(data: Uint8Array): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  return data.slice().buffer as ArrayBuffer;
}

const isAllZero = (b: Uint8Array): boolean => {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i];
  return acc === 0;
};

/**
 * The facade's X25519/Ed25519 members on the native module, with the
 * contracts of protocols/crypto/noble.ts: the same argument checks and codes
 * (checks.ts), verify never throws on malformed input of the right type,
 * an all-zero X25519 secret is crypto.invalid_key.
 *
 * Verify is libsodium's, which is stricter than noble's strict mode
 * (`zip215: false`) in two ways, both allowed by RFC 8032 §5.1.7 (the
 * cofactorless equation is "sufficient, but not required"): it refuses a
 * small-order R, and it checks [S]B = R + [k]A without the cofactor, so a
 * signature whose R carries a torsion component fails here but passes
 * noble. Neither can come from an honest signer (R = [r]B), so the native
 * path is kept as libsodium made it rather than loosened; both paths refuse
 * non-canonical S and A and small-order A alike.
 * (selftest/cases.ts crafts both kinds of signature; the shared cases check
 * both paths' answers in tests/moddable-curve25519.test.ts and in the simulator.)
 */
function curveOverrides(native: NativeCurve25519): CryptoOverrides {
  return {
    ed25519PublicKey: (seed: Uint8Array) => new Uint8Array(native.ed25519PublicKey(exactBuffer(keyArg('seed', seed, 32)))),
    ed25519Sign(message: Uint8Array, seed: Uint8Array) {
      bytesArg('message', message);
      keyArg('seed', seed, 32);
      return new Uint8Array(native.ed25519Sign(exactBuffer(message), exactBuffer(seed)));
    },
    ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) {
      bytesArg('signature', signature);
      bytesArg('message', message);
      bytesArg('publicKey', publicKey);
      if (signature.length !== 64 || publicKey.length !== 32) return false;
      return orFalse(() => native.ed25519Verify(exactBuffer(signature), exactBuffer(message), exactBuffer(publicKey)));
    },
    x25519PublicKey: (privateKey: Uint8Array) => new Uint8Array(native.x25519PublicKey(exactBuffer(keyArg('privateKey', privateKey, 32)))),
    /** libsodium refuses the low-order u values (RFC 7748 §6.1's all-zero secret); the module answers all zero then. */
    x25519SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array) {
      keyArg('privateKey', privateKey, 32);
      keyArg('publicKey', publicKey, 32);
      const secret = new Uint8Array(native.x25519(exactBuffer(privateKey), exactBuffer(publicKey)));
      if (isAllZero(secret)) throw new CryptoError('crypto.invalid_key', 'X25519 public key is of low order (all-zero shared secret)');
      return secret;
    },
  };
}

/** CryptoOverrides over the native digest, the hardware RNG and (when given) native X25519/Ed25519. */
export function moddableCrypto(platform: ModdableCryptoPlatform): CryptoOverrides {
  const createHash = (name: HashName): Hash => {
    const d = platform.digest(DIGEST_TYPE[hashName(name)]);
    return guardedHash(
      (data) => {
        if (data.length > 0) d.write(exactBuffer(data));
      },
      () => new Uint8Array(d.close()),
    );
  };
  const oneShot = (name: HashName) => (data: Uint8Array) => createHash(name).update(bytesArg('data', data)).digest();
  return {
    ...(platform.curve25519 ? curveOverrides(platform.curve25519) : {}),
    createHash,
    sha256: oneShot('sha256'),
    sha512: oneShot('sha512'),
    randomBytes(length: number) {
      lengthArg('length', length, 0, MAX_RANDOM_BYTES);
      const buffer = new ArrayBuffer(length);
      if (length > 0) platform.fillRandom(buffer);
      return new Uint8Array(buffer);
    },
  };
}
