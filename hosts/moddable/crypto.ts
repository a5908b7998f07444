/**
 * Crypto overrides for Moddable (DESIGN.md §3): SHA-256/512 on the `crypt`
 * module's native `Digest` (pure-JS SHA-256 is minutes per MiB on an
 * ESP32) and random bytes from the platform's hardware source (our native
 * `ssiot/random`: `esp_fill_random` on ESP32, getrandom/arc4random on the
 * desktop simulators; `Math.random` and crypt's RC4 `RNG` are not fit for
 * keys). Everything else stays on the pure-JS noble provider.
 *
 * The platform pieces are passed in, so this module imports nothing from
 * Moddable and runs under Node against fakes (tests/moddable-manifest.test.ts).
 * Argument checks and error codes are the shared ones of
 * protocols/crypto/checks.ts, so both providers refuse the same inputs alike.
 */
import { MAX_RANDOM_BYTES, bytesArg, guardedHash, hashName, lengthArg } from '../../protocols/crypto/checks.ts';
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
}

const DIGEST_TYPE: Readonly<Record<HashName, 'SHA256' | 'SHA512'>> = { sha256: 'SHA256', sha512: 'SHA512' };

/** The bytes of `data` as an ArrayBuffer of exactly that length (Digest.write takes ArrayBuffer). */
function exactBuffer(data: Uint8Array): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  return data.slice().buffer as ArrayBuffer;
}

/** CryptoOverrides over the native digest and the hardware RNG. */
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
