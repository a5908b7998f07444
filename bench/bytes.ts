/**
 * Deterministic pseudo-random bytes for the benchmarks (xorshift32), shared
 * by the Node drivers and the XS payloads: fixed inputs make every engine do
 * the same work and the XS meter counts repeatable run to run. Platform-
 * neutral. Never a source of keys outside a benchmark.
 */

/** Fills `out[0..end)` from xorshift32 state `state`; returns the state to continue from. */
export function fillXorshift(out: Uint8Array, state: number, end: number = out.length): number {
  let x = state;
  for (let i = 0; i < end; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return x;
}

/** `length` bytes from seed `seed` (0 counts as 1: xorshift's state must not be zero). */
export function filled(length: number, seed: number): Uint8Array {
  const b = new Uint8Array(length);
  fillXorshift(b, seed >>> 0 || 1);
  return b;
}

/** An unsigned 32-bit xorshift generator (the same sequence `filled` takes its low bytes from). */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
