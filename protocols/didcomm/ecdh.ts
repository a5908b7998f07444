/**
 * Key agreement for DIDComm envelopes: X25519, P-256, P-384, P-521 through
 * the crypto facade, ephemeral key generation, and a bounded cache of
 * static-static results.
 *
 * Why the cache: authcrypt (ECDH-1PU) needs a static-static ECDH between the
 * sender's and the recipient's long-term keys on every message, although its
 * result never changes for that pair of keys. On a device each ECDH costs
 * seconds, so the result is kept per (own key, peer key) in an LRU of fixed
 * size: a steady conversation costs one ECDH per message (the ephemeral
 * one) instead of two. The cache holds secret material in memory only; it
 * is the same secret the private key already yields, so it adds no exposure
 * a memory reader would not already have.
 */
import { getCrypto } from '../crypto/index.ts';
import type { ParsedSecret, PrivateKey, PublicKey } from '../did/keys.ts';
import { bytesToHex } from '../encoding/bytes.ts';
import { DidcommError, isSsiotError } from '../errors.ts';
import { countPublicKeyOp } from './pkops.ts';

/** Curves DIDComm key agreement uses (spec §Curves: X25519, P-384, P-256 required, P-521 optional). */
export type AgreementCurve = 'X25519' | 'P-256' | 'P-384' | 'P-521';
export const AGREEMENT_CURVES: readonly AgreementCurve[] = ['X25519', 'P-256', 'P-384', 'P-521'];

export function isAgreementCurve(kind: string): kind is AgreementCurve {
  return (AGREEMENT_CURVES as readonly string[]).includes(kind);
}

const SCALAR_BYTES: Record<AgreementCurve, number> = { X25519: 32, 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/** The facade members of each curve: public key (uncompressed for EC) and shared secret. */
function curveOps(curve: AgreementCurve): { publicKey(d: Uint8Array): Uint8Array; sharedSecret(d: Uint8Array, q: Uint8Array): Uint8Array } {
  const c = getCrypto();
  switch (curve) {
    case 'X25519':
      return { publicKey: (d) => c.x25519PublicKey(d), sharedSecret: (d, q) => c.x25519SharedSecret(d, q) };
    case 'P-256':
      return { publicKey: (d) => c.p256PublicKey(d, false), sharedSecret: (d, q) => c.p256SharedSecret(d, q) };
    case 'P-384':
      return { publicKey: (d) => c.p384PublicKey(d, false), sharedSecret: (d, q) => c.p384SharedSecret(d, q) };
    case 'P-521':
      return { publicKey: (d) => c.p521PublicKey(d, false), sharedSecret: (d, q) => c.p521SharedSecret(d, q) };
  }
}

/**
 * Z = ECDH(privateKey, publicKey) (counted). Keys of different curves, or a
 * peer key the curve refuses (off the curve, low order), are
 * `didcomm.invalid_key`.
 */
export function ecdh(privateKey: PrivateKey, publicKey: PublicKey): Uint8Array {
  if (privateKey.kind !== publicKey.kind || !isAgreementCurve(publicKey.kind)) {
    throw new DidcommError('didcomm.invalid_key', `cannot agree a key between ${privateKey.kind} and ${publicKey.kind}`);
  }
  countPublicKeyOp('ecdh');
  try {
    return curveOps(publicKey.kind).sharedSecret(privateKey.bytes, publicKey.bytes);
  } catch (e) {
    throw new DidcommError('didcomm.invalid_key', `${publicKey.kind} key agreement failed: ${isSsiotError(e) ? e.code : 'error'}`, { cause: e });
  }
}

/**
 * A fresh ephemeral key pair on `curve` (counted as one keygen), randomness
 * from the facade. EC public keys are returned uncompressed: that is the form
 * the `epk` JWK needs (x and y), so no decompression is spent on it.
 */
export function generateEphemeral(curve: AgreementCurve): { privateKey: PrivateKey; publicKey: PublicKey } {
  countPublicKeyOp('keygen');
  const c = getCrypto();
  const ops = curveOps(curve);
  // A random string of the scalar size is a valid key except for 0 and >= n:
  // negligible for the 25519/P-256/P-384 sizes; for P-521 the 7 top bits of
  // 66 bytes are cleared first (n is just under 2^521), then any miss is redrawn.
  for (let attempt = 0; attempt < 64; attempt++) {
    const d = c.randomBytes(SCALAR_BYTES[curve]);
    if (curve === 'P-521') d[0] &= 0x01;
    try {
      return { privateKey: { kind: curve, bytes: d }, publicKey: { kind: curve, bytes: ops.publicKey(d) } };
    } catch (e) {
      if (!isSsiotError(e) || e.code !== 'crypto.invalid_key') throw e;
    }
  }
  throw new DidcommError('didcomm.internal', 'could not draw an ephemeral key (randomness source broken?)');
}

/** LRU of static-static ECDH results, bounded by entry count. */
export interface EcdhCache {
  get(key: string): Uint8Array | undefined;
  set(key: string, secret: Uint8Array): void;
  clear(): void;
  readonly size: number;
  readonly maxEntries: number;
}

/**
 * An LRU of at most `maxEntries` results. Memory bound: each entry is a key
 * string of about 4 × the public key size in characters (two hex-encoded keys,
 * ≤ 270 characters for P-521) plus a ≤ 66-byte secret, so under 1 KiB per
 * entry (32 entries ≈ 32 KiB at most, ≈ 6 KiB for X25519).
 */
export function createEcdhCache(maxEntries = 32): EcdhCache {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) throw new DidcommError('didcomm.invalid_argument', 'maxEntries must be a non-negative integer');
  // Made on first use, not here: sharedEcdhCache below is built while the module loads, and the
  // Moddable firmware preloads this module, which freezes a Map that exists by then.
  let entries: Map<string, Uint8Array> | undefined;
  const map = (): Map<string, Uint8Array> => (entries ??= new Map());
  return {
    get(key) {
      const m = map();
      const v = m.get(key);
      if (v !== undefined) {
        // Move to the most-recently-used end.
        m.delete(key);
        m.set(key, v);
      }
      return v;
    },
    set(key, secret) {
      if (maxEntries === 0) return;
      const m = map();
      m.delete(key);
      m.set(key, secret);
      while (m.size > maxEntries) m.delete(m.keys().next().value as string);
    },
    clear() {
      entries?.clear();
    },
    get size() {
      return entries?.size ?? 0;
    },
    maxEntries,
  };
}

/** The process-wide cache pack/unpack use unless given another (or `null` for none). */
export const sharedEcdhCache: EcdhCache = createEcdhCache(32);

/**
 * Static-static ECDH between our secret and a peer's public key, through
 * `cache` (`null` disables caching). A hit costs no public-key operation.
 */
export function staticEcdh(own: ParsedSecret, peer: PublicKey, cache: EcdhCache | null): Uint8Array {
  const key = `${peer.kind}:${bytesToHex(own.publicKey.bytes)}:${bytesToHex(peer.bytes)}`;
  const hit = cache?.get(key);
  if (hit) return hit;
  const z = ecdh(own.privateKey, peer);
  cache?.set(key, z);
  return z;
}
