/**
 * The primitives the benchmark measures, written once for every engine:
 * bench/primitives.ts runs them in Node (noble and node:crypto providers),
 * bench/xs-payload.ts inside XS. Platform-neutral: only the crypto facade.
 * Inputs are fixed bytes (no randomness) so every engine does the same work.
 */
import type { CryptoProvider } from '../protocols/crypto/index.ts';
import { filled } from './bytes.ts';

export interface BenchOp {
  readonly name: string;
  /** Bytes processed per operation, for throughput (hashes). */
  readonly bytes?: number;
  /** Untimed preparation (keys, signatures); returns the timed operation. */
  prepare(c: CryptoProvider): () => unknown;
}

const MiB = 1 << 20;

/** A P-256 private scalar: any 32 bytes below the group order; a small leading byte keeps it there. */
function p256Scalar(seed: number): Uint8Array {
  const k = filled(32, seed);
  k[0] = 0x11;
  return k;
}

/** What is signed: 100 bytes, the size class of a short JWS signing input. */
const MESSAGE = filled(100, 7);

export const BENCH_OPS: readonly BenchOp[] = [
  {
    name: 'Ed25519 sign',
    prepare(c) {
      const seed = filled(32, 1);
      return () => c.ed25519Sign(MESSAGE, seed);
    },
  },
  {
    name: 'Ed25519 verify',
    prepare(c) {
      const seed = filled(32, 1);
      const pub = c.ed25519PublicKey(seed);
      const sig = c.ed25519Sign(MESSAGE, seed);
      return () => {
        if (!c.ed25519Verify(sig, MESSAGE, pub)) throw new Error('benchmark signature did not verify');
      };
    },
  },
  {
    name: 'X25519 ECDH',
    prepare(c) {
      const a = filled(32, 2);
      const bPub = c.x25519PublicKey(filled(32, 3));
      return () => c.x25519SharedSecret(a, bPub);
    },
  },
  {
    name: 'P-256 ECDH',
    prepare(c) {
      const a = p256Scalar(4);
      const bPub = c.p256PublicKey(p256Scalar(5));
      return () => c.p256SharedSecret(a, bPub);
    },
  },
  {
    name: 'SHA-256 1 MiB',
    bytes: MiB,
    prepare(c) {
      const data = filled(MiB, 6);
      return () => c.sha256(data);
    },
  },
  {
    name: 'SHA-512 1 MiB',
    bytes: MiB,
    prepare(c) {
      const data = filled(MiB, 6);
      return () => c.sha512(data);
    },
  },
];
