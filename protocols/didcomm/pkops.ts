/**
 * Counts the public-key operations envelope code performs (ECDH, key
 * generation, signing, verification), so tests and benchmarks can hold
 * pack/unpack to the minimum an envelope needs: on an ESP32 each one costs
 * seconds (DESIGN.md §3), far more than all the symmetric work.
 *
 * One process-wide counter, read with publicKeyOps() (a copy) and zeroed
 * with resetPublicKeyOps(). Only envelope code (ecdh.ts, jws.ts) counts.
 */
export interface PublicKeyOps {
  /** Diffie-Hellman shared-secret computations (cache hits are not counted). */
  ecdh: number;
  /** Ephemeral key pairs generated (one scalar multiplication each). */
  keygen: number;
  sign: number;
  verify: number;
}

const counts: PublicKeyOps = { ecdh: 0, keygen: 0, sign: 0, verify: 0 };

/** A snapshot of the counters. */
export function publicKeyOps(): PublicKeyOps {
  return { ...counts };
}

/** Back to zero (a test or benchmark starting a measurement). */
export function resetPublicKeyOps(): void {
  counts.ecdh = 0;
  counts.keygen = 0;
  counts.sign = 0;
  counts.verify = 0;
}

/** Internal: one more operation of `kind`. */
export function countPublicKeyOp(kind: keyof PublicKeyOps): void {
  counts[kind]++;
}
