/**
 * Input checks shared by every CryptoProvider implementation (noble here,
 * node:crypto in hosts/node), so that both reject the same inputs with the
 * same stable codes. Messages name the argument and its expected length,
 * never its contents.
 */
import { CryptoError } from '../errors.ts';
import type { Hash, HashName } from './types.ts';

/** True for a Uint8Array (or a subclass such as a host Buffer). */
export function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** Any byte argument that is not a Uint8Array: a programming error, still typed. */
export function bytesArg(name: string, x: unknown): Uint8Array {
  if (!isBytes(x)) throw new CryptoError('crypto.invalid_input', `${name} must be a Uint8Array`);
  return x;
}

/** A key/seed of exactly `len` bytes, else `crypto.invalid_key_length`. */
export function keyArg(name: string, x: unknown, ...lens: number[]): Uint8Array {
  const b = bytesArg(name, x);
  if (!lens.includes(b.length)) {
    throw new CryptoError('crypto.invalid_key_length', `${name} must be ${lens.join(' or ')} bytes, got ${b.length}`);
  }
  return b;
}

/** An IV/nonce of exactly `len` bytes, else `crypto.invalid_iv_length`. */
export function ivArg(name: string, x: unknown, len: number): Uint8Array {
  const b = bytesArg(name, x);
  if (b.length !== len) throw new CryptoError('crypto.invalid_iv_length', `${name} must be ${len} bytes, got ${b.length}`);
  return b;
}

/** Hash output length in bytes; anything but sha256/sha512 is `crypto.unsupported_algorithm`. */
export function hashLength(name: unknown): 32 | 64 {
  if (name === 'sha256') return 32;
  if (name === 'sha512') return 64;
  throw new CryptoError('crypto.unsupported_algorithm', 'hash must be sha256 or sha512');
}

export function hashName(name: unknown): HashName {
  hashLength(name);
  return name as HashName;
}

/**
 * An output length: integer in [min, max], else `crypto.invalid_length`.
 * (Not one of the brief's listed codes: a length that is not a key/iv length
 * needed a code of its own.)
 */
export function lengthArg(name: string, n: unknown, min: number, max: number): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CryptoError('crypto.invalid_length', `${name} must be an integer in [${min}, ${max}]`);
  }
  return n;
}

/** Output length bounds of HKDF (RFC 5869 §2.3: L <= 255*HashLen). 0 is refused: it is always a caller bug. */
export function hkdfLengthArg(name: HashName, length: unknown): number {
  return lengthArg('length', length, 1, 255 * hashLength(name));
}

/** Largest randomBytes request; bigger asks are bugs, not needs. */
export const MAX_RANDOM_BYTES = 1 << 20;

/**
 * Wraps a streaming hash so that use after digest() throws
 * `crypto.hash_finalized` the same way on every provider.
 */
export function guardedHash(update: (data: Uint8Array) => void, digest: () => Uint8Array): Hash {
  let done = false;
  const finalized = (): never => {
    throw new CryptoError('crypto.hash_finalized', 'hash already digested');
  };
  const h: Hash = {
    update(data: Uint8Array) {
      if (done) finalized();
      update(bytesArg('data', data));
      return h;
    },
    digest() {
      if (done) finalized();
      done = true;
      return digest();
    },
  };
  return h;
}

/** Expected byte length of a SEC1 P-256 public key: compressed 33 or uncompressed 65. */
export const P256_PUBLIC_LENGTHS = [33, 65];

/** The short-Weierstrass curves of the facade and their scalar/field size in bytes. */
export type EcCurveName = 'P-256' | 'P-384' | 'P-521' | 'secp256k1';
export const EC_FIELD_BYTES: Readonly<Record<EcCurveName, number>> = Object.freeze({ 'P-256': 32, 'P-384': 48, 'P-521': 66, secp256k1: 32 });

/** SEC1 public key lengths of a curve: compressed (1 + n) and uncompressed (1 + 2n). */
export function ecPublicLengths(curve: EcCurveName): number[] {
  const n = EC_FIELD_BYTES[curve];
  return [n + 1, 2 * n + 1];
}

/** Wrong-length RFC 3394 inputs: at least two 64-bit blocks, whole blocks only. */
export function wrapKeyArg(key: unknown): Uint8Array {
  const b = bytesArg('key', key);
  if (b.length < 16 || b.length % 8 !== 0) {
    throw new CryptoError('crypto.invalid_key_length', `key to wrap must be a multiple of 8 bytes, at least 16, got ${b.length}`);
  }
  return b;
}

export function unwrapArg(wrapped: unknown): Uint8Array {
  const b = bytesArg('wrapped', wrapped);
  if (b.length < 24 || b.length % 8 !== 0) throw new CryptoError('crypto.unwrap_failed', 'wrapped key has an invalid length');
  return b;
}

/** Run `fn`; any library error becomes CryptoError(code). */
export function orFail<T>(code: `crypto.${string}`, message: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof CryptoError) throw cause;
    throw new CryptoError(code, message, { cause });
  }
}

/** Run a verification; any exception (malformed key or signature) is just "not valid". */
export function orFalse(fn: () => boolean): boolean {
  try {
    return fn() === true;
  } catch {
    return false;
  }
}
