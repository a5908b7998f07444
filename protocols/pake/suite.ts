/**
 * SPAKE2+ ciphersuites (RFC 9383 §4): a group, a hash (which also names the
 * HKDF), and the MAC for key confirmation. ssiot pairs with
 * P256-SHA256-HKDF-SHA256-HMAC-SHA256; the other HMAC suites of the RFC's
 * table cost nothing more (same code, other curve or hash) and are kept so
 * every published vector can be checked.
 *
 * Hash, HKDF and HMAC go through the crypto facade, so a host with native
 * SHA-256 speeds up SPAKE2+ too. CMAC-AES-128 is not in the facade: a caller
 * that needs one of the CMAC suites passes its MAC to defineSuite().
 */
import { getCrypto, type HashName } from '../crypto/index.ts';
import { PakeError } from '../errors.ts';
import { isPakeCurve, type PakeCurve } from './group.ts';

/** The key-confirmation MAC of a suite. */
export interface ConfirmationMac {
  /** As in the suite name, e.g. 'HMAC-SHA256', 'CMAC-AES-128'. */
  readonly name: string;
  /** Length of each of K_confirmP and K_confirmV (hash length for HMAC, the AES key size for CMAC). */
  readonly keyLength: number;
  tag(key: Uint8Array, message: Uint8Array): Uint8Array;
}

export interface Spake2PlusSuite {
  /** RFC 9383 style, e.g. 'P256-SHA256-HKDF-SHA256-HMAC-SHA256'. */
  readonly name: string;
  readonly curve: PakeCurve;
  /** Hash() of the suite; KDF is HKDF with the same hash. */
  readonly hash: HashName;
  readonly mac: ConfirmationMac;
}

const HASH_TAG: Readonly<Record<HashName, string>> = Object.freeze({ sha256: 'SHA256', sha512: 'SHA512' });
const HASH_BYTES: Readonly<Record<HashName, number>> = Object.freeze({ sha256: 32, sha512: 64 });

/** Length of Hash() output in bytes (K_main and K_shared have this length). */
export const hashBytes = (hash: HashName): number => HASH_BYTES[hash];

/** HMAC with the suite hash; each confirmation key is one hash length (RFC 9383 §3.4's recommendation). */
export function hmacConfirmation(hash: HashName): ConfirmationMac {
  return Object.freeze({
    name: `HMAC-${HASH_TAG[hash]}`,
    keyLength: HASH_BYTES[hash],
    tag: (key: Uint8Array, message: Uint8Array) => getCrypto().hmac(hash, key, message),
  });
}

function checkParts(curve: unknown, hash: unknown, mac: Partial<ConfirmationMac> | undefined): void {
  if (!isPakeCurve(curve)) throw new PakeError('pake.invalid_argument', 'unsupported SPAKE2+ group');
  if (hash !== 'sha256' && hash !== 'sha512') throw new PakeError('pake.invalid_argument', 'unsupported SPAKE2+ hash');
  const n = mac?.keyLength;
  if (typeof mac?.tag !== 'function' || typeof mac.name !== 'string' || typeof n !== 'number' || !Number.isInteger(n) || n < 16 || n > 64) {
    throw new PakeError('pake.invalid_argument', 'a SPAKE2+ MAC needs a name, tag() and a key length of 16..64 bytes');
  }
}

/** A suite from its parts; `mac` defaults to HMAC with the suite hash. */
export function defineSuite(curve: PakeCurve, hash: HashName, mac: ConfirmationMac = hmacConfirmation(hash)): Spake2PlusSuite {
  checkParts(curve, hash, mac);
  const h = HASH_TAG[hash];
  return Object.freeze({ name: `${curve.replace('-', '')}-${h}-HKDF-${h}-${mac.name}`, curve, hash, mac });
}

/** The suite ssiot uses for manual setup codes. */
export const P256_SHA256: Spake2PlusSuite = defineSuite('P-256', 'sha256');

/** Every HMAC suite of RFC 9383 §4 on the NIST curves, by name. */
export const SPAKE2PLUS_SUITES: Readonly<Record<string, Spake2PlusSuite>> = Object.freeze(
  Object.fromEntries(
    [P256_SHA256, defineSuite('P-256', 'sha512'), defineSuite('P-384', 'sha256'), defineSuite('P-384', 'sha512'), defineSuite('P-521', 'sha512')].map(
      (s) => [s.name, s],
    ),
  ),
);

/** A suite object, or one of SPAKE2PLUS_SUITES by name (as a verifier record stores it). */
export function resolveSuite(suite: Spake2PlusSuite | string | undefined): Spake2PlusSuite {
  if (suite === undefined) return P256_SHA256;
  if (typeof suite === 'string') {
    const known = Object.prototype.hasOwnProperty.call(SPAKE2PLUS_SUITES, suite) ? SPAKE2PLUS_SUITES[suite] : undefined;
    if (!known) throw new PakeError('pake.invalid_argument', 'unknown SPAKE2+ suite');
    return known;
  }
  if (typeof suite !== 'object' || suite === null) throw new PakeError('pake.invalid_argument', 'not a SPAKE2+ suite');
  checkParts(suite.curve, suite.hash, suite.mac);
  return suite;
}

/**
 * `len(a) || a || len(b) || b || ...` with each length as 8 bytes,
 * little-endian (RFC 9383 §3.3 for the transcript, §3.2 for the PBKDF
 * input: "len" is the same encoding in both).
 */
export function lengthPrefixed(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += 8 + part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    let n = part.length;
    for (let i = 0; i < 8; i++) {
      out[at + i] = n % 256;
      n = Math.floor(n / 256);
    }
    out.set(part, at + 8);
    at += 8 + part.length;
  }
  return out;
}
