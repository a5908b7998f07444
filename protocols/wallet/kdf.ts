/**
 * Turning what the opener holds into a 256-bit master key.
 *
 * - Service and phone: a passphrase through Argon2id (RFC 9106, @noble/hashes).
 *   Default m = 19456 KiB (19 MiB), t = 2, p = 1: the OWASP Password Storage
 *   Cheat Sheet's first Argon2id configuration; about 0.3 s in Node with the
 *   pure-JS implementation, a few times that on a phone browser.
 * - Device: a raw 32-byte key from its host (flash-encryption / secure
 *   element); a KDF that needs megabytes of RAM does not fit an ESP32, and a
 *   random key needs no stretching.
 *
 * Parameters travel with the data (key record, export header), so they can
 * be raised later without breaking old wallets; opening refuses parameters
 * beyond MAX_* (a planted record must not make us allocate gigabytes).
 * Passphrases are used as their UTF-8 bytes, without Unicode normalization
 * (XS has no reliable `normalize`); type them the same way everywhere.
 */
import { argon2id } from '../crypto/noble-stateful.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { WalletError } from '../errors.ts';

export interface Argon2Params {
  /** Memory in KiB. */
  m: number;
  /** Passes. */
  t: number;
  /** Lanes. */
  p: number;
}

/** OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. */
export const DEFAULT_ARGON2: Readonly<Argon2Params> = Object.freeze({ m: 19456, t: 2, p: 1 });
/** Cheapest accepted (tests, XS): RFC 9106 allows m >= 8p KiB. Never use for real secrets. */
export const MIN_ARGON2: Readonly<Argon2Params> = Object.freeze({ m: 8, t: 1, p: 1 });
export const MAX_ARGON2_M = 1024 * 1024; // 1 GiB
export const MAX_ARGON2_T = 64;
export const MAX_ARGON2_P = 16;
export const SALT_BYTES = 16;

/** KDF description stored in a key record or export header. */
export type KdfParams = ({ alg: 'argon2id'; salt: Uint8Array } & Argon2Params) | { alg: 'raw' };

/** What opens a wallet or an export: a passphrase (+ optional Argon2 cost), or a raw key. */
export type KeySource = { passphrase: string; argon2?: Argon2Params } | { rawKey: Uint8Array };

export function isPassphrase(source: KeySource): source is { passphrase: string; argon2?: Argon2Params } {
  return typeof (source as { passphrase?: unknown }).passphrase === 'string';
}

/** Checks Argon2 parameters (from a caller or from a stored record). */
export function checkArgon2(params: unknown, code: 'wallet.invalid_kdf' = 'wallet.invalid_kdf'): Argon2Params {
  const p = params as Partial<Argon2Params> | null;
  const int = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
  if (typeof p !== 'object' || p === null || !int(p.p, 1, MAX_ARGON2_P) || !int(p.t, 1, MAX_ARGON2_T) || !int(p.m, 8 * (p.p as number), MAX_ARGON2_M)) {
    throw new WalletError(code, `Argon2id parameters out of range (m 8p..${MAX_ARGON2_M} KiB, t 1..${MAX_ARGON2_T}, p 1..${MAX_ARGON2_P})`);
  }
  return { m: p.m as number, t: p.t as number, p: p.p as number };
}

function checkSource(source: KeySource): void {
  if (typeof source !== 'object' || source === null) throw new WalletError('wallet.invalid_key', 'a passphrase or a raw key is required');
  if (isPassphrase(source)) {
    if (source.passphrase.length === 0) throw new WalletError('wallet.invalid_key', 'the passphrase must not be empty');
    return;
  }
  const raw = (source as { rawKey?: unknown }).rawKey;
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new WalletError('wallet.invalid_key', 'a raw wallet key must be 32 bytes');
}

/** Fresh KDF parameters for `source` (random salt for passphrases). */
export function newKdfParams(source: KeySource, randomBytes: (n: number) => Uint8Array): KdfParams {
  checkSource(source);
  if (!isPassphrase(source)) return { alg: 'raw' };
  return { alg: 'argon2id', ...checkArgon2(source.argon2 ?? DEFAULT_ARGON2), salt: randomBytes(SALT_BYTES) };
}

/**
 * The 32-byte key for `source` under `kdf`. A passphrase opener for a raw-key
 * record (or the reverse) is `wallet.key_method_mismatch`.
 */
export function deriveKey(source: KeySource, kdf: KdfParams): Uint8Array {
  checkSource(source);
  if (kdf.alg === 'raw') {
    if (isPassphrase(source)) throw new WalletError('wallet.key_method_mismatch', 'this wallet opens with a raw key, not a passphrase');
    return (source as { rawKey: Uint8Array }).rawKey;
  }
  if (!isPassphrase(source)) throw new WalletError('wallet.key_method_mismatch', 'this wallet opens with a passphrase, not a raw key');
  const { m, t, p } = checkArgon2(kdf);
  if (!(kdf.salt instanceof Uint8Array) || kdf.salt.length < 8 || kdf.salt.length > 64) {
    throw new WalletError('wallet.invalid_kdf', 'Argon2id salt must be 8..64 bytes');
  }
  let password: Uint8Array;
  try {
    password = utf8Encode(source.passphrase);
  } catch (e) {
    throw new WalletError('wallet.invalid_key', 'the passphrase is not well-formed Unicode', { cause: e });
  }
  return argon2id(password, kdf.salt, { m, t, p, dkLen: 32, maxmem: (MAX_ARGON2_M + 1) * 1024 });
}

/** KDF parameters as a CBOR-friendly record (and back), for key records and export headers. */
export function kdfToRecord(kdf: KdfParams): Record<string, unknown> {
  return kdf.alg === 'raw' ? { alg: 'raw' } : { alg: 'argon2id', m: kdf.m, t: kdf.t, p: kdf.p, salt: kdf.salt };
}

export function kdfFromRecord(r: unknown, code: 'wallet.invalid_key_record' | 'wallet.export_corrupted'): KdfParams {
  const o = r as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) throw new WalletError(code, 'KDF parameters missing');
  if (o.alg === 'raw') return { alg: 'raw' };
  if (o.alg !== 'argon2id') throw new WalletError(code, 'unsupported KDF');
  const params = checkArgon2(o);
  if (!(o.salt instanceof Uint8Array)) throw new WalletError(code, 'KDF salt missing');
  return { alg: 'argon2id', ...params, salt: o.salt };
}
