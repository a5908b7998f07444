/**
 * The prime-order groups SPAKE2+ runs in (RFC 9383 §4, "Ciphersuites"):
 * the NIST curves from @noble/curves, with the RFC's M and N points and the
 * strict decoding every received element goes through.
 *
 * Why a module of its own: the protocol math (spake2plus.ts) and the
 * registration step (registration.ts) both need scalars and points of the
 * same group, and the checks on them must be the same everywhere.
 */
import type { WeierstrassPoint, WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { p256, p384, p521 } from '../crypto/noble-stateful.ts';
import { hexToBytes } from '../encoding/bytes.ts';
import { PakeError } from '../errors.ts';

export type PakeCurve = 'P-256' | 'P-384' | 'P-521';
export type Point = WeierstrassPoint<bigint>;

/**
 * M and N as RFC 9383 §4 lists them (SEC1 compressed; the same seeds as
 * RFC 9382). They enter the transcript uncompressed, as the RFC's test
 * vectors show.
 */
const SEEDS: Readonly<Record<PakeCurve, { M: string; N: string }>> = Object.freeze({
  'P-256': {
    M: '02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f',
    N: '03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49',
  },
  'P-384': {
    M: '030ff0895ae5ebf6187080a82d82b42e2765e3b2f8749c7e05eba366434b363d3dc36f15314739074d2eb8613fceec2853',
    N: '02c72cf2e390853a1c1c4ad816a62fd15824f56078918f43f922ca21518f9c543bb252c5490214cf9aa3f0baab4b665c10',
  },
  'P-521': {
    M: '02003f06f38131b2ba2600791e82488e8d20ab889af753a41806c5db18d37d85608cfae06b82e4a72cd744c719193562a653ea1f119eef9356907edc9b56979962d7aa',
    N: '0200c7924b9ec017f3094562894336a53c50167ba8c5963876880542bc669e494b2532d76c5b53dfb349fdf69154b9e0048c58a42e8ed04cef052a3bc349d95575cd25',
  },
});

// The curves, not their Point classes: nothing here may touch a curve while
// the module loads (the Moddable firmware loads the curves on first use).
const CURVES: Readonly<Record<PakeCurve, { Point: WeierstrassPointCons<bigint> }>> = Object.freeze({
  'P-256': p256,
  'P-384': p384,
  'P-521': p521,
});

/** One curve as SPAKE2+ sees it. */
export interface Group {
  readonly curve: PakeCurve;
  readonly Point: WeierstrassPointCons<bigint>;
  /** Prime order of the group ("p" in RFC 9383), and its cofactor h (1 on every NIST curve). */
  readonly order: bigint;
  readonly cofactor: bigint;
  /** Bytes of a scalar (w0, w1, x, y: big-endian, fixed width) and of an uncompressed element. */
  readonly scalarBytes: number;
  readonly elementBytes: number;
  readonly M: Point;
  readonly N: Point;
  /** M and N as they enter the transcript (uncompressed SEC1). */
  readonly encodedM: Uint8Array;
  readonly encodedN: Uint8Array;
}

// A plain object, not a Map: preloaded on the Moddable firmware, a module-level
// Map is frozen into flash, while an object's properties can still be added.
const groups: Partial<Record<PakeCurve, Group>> = {};

/** True for the curve names this module knows (checked, not looked up: no prototype keys). */
export const isPakeCurve = (c: unknown): c is PakeCurve => c === 'P-256' || c === 'P-384' || c === 'P-521';

/** The group of `curve`, built once (decompressing M and N costs two square roots). */
export function group(curve: PakeCurve): Group {
  if (!isPakeCurve(curve)) throw new PakeError('pake.invalid_argument', 'unsupported SPAKE2+ group');
  const known = groups[curve];
  if (known) return known;
  const Point = CURVES[curve].Point;
  const { n, h } = Point.CURVE();
  const M = Point.fromBytes(hexToBytes(SEEDS[curve].M));
  const N = Point.fromBytes(hexToBytes(SEEDS[curve].N));
  const g: Group = Object.freeze({
    curve,
    Point,
    order: n,
    cofactor: h,
    scalarBytes: Point.Fn.BYTES,
    elementBytes: 1 + 2 * Point.Fp.BYTES,
    M,
    N,
    encodedM: M.toBytes(false),
    encodedN: N.toBytes(false),
  });
  groups[curve] = g;
  return g;
}

/**
 * A secret scalar given as bytes (w0, w1): big-endian, exactly the scalar
 * width, in [1, order-1]. RFC 9383 draws w0/w1 from [0, p-1]; 0 is refused
 * here because w1 = 0 makes L the identity (and the PBKDF yields it with
 * probability 2^-256 anyway). The message names the argument, never the value.
 */
export function decodeScalar(g: Group, name: string, bytes: unknown): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== g.scalarBytes) {
    throw new PakeError('pake.invalid_argument', `${name} must be a ${g.scalarBytes}-byte scalar`);
  }
  const k = bytesToNumberBE(bytes);
  if (k <= 0n || k >= g.order) throw new PakeError('pake.invalid_argument', `${name} is not a scalar in [1, order-1]`);
  return k;
}

export function encodeScalar(g: Group, k: bigint): Uint8Array {
  return numberToBytesBE(k, g.scalarBytes);
}

/**
 * A group element received from the peer or read from storage: exactly an
 * uncompressed SEC1 encoding, on the curve, in the prime-order subgroup,
 * not the identity (RFC 9383 §6: "MUST abort ... if any received public
 * value is not a member of the large prime-order subgroup"). Only the
 * uncompressed form is accepted because the transcript hashes the bytes as
 * sent: one element must have one encoding.
 */
export function decodeElement(g: Group, name: string, bytes: unknown): Point {
  if (!(bytes instanceof Uint8Array) || bytes.length !== g.elementBytes || bytes[0] !== 0x04) {
    throw new PakeError('pake.invalid_point', `${name} must be an uncompressed ${g.curve} point (${g.elementBytes} bytes)`);
  }
  let p: Point;
  try {
    p = g.Point.fromBytes(bytes); // checks the curve equation; 0x04 never decodes to the identity
  } catch {
    throw new PakeError('pake.invalid_point', `${name} is not a point on ${g.curve}`);
  }
  // h*P = identity is the RFC's small-subgroup test; with h = 1 it is the identity test.
  if (p.is0() || p.clearCofactor().is0() || !p.isTorsionFree()) {
    throw new PakeError('pake.invalid_point', `${name} is not in the prime-order subgroup of ${g.curve}`);
  }
  return p;
}

/**
 * An element we computed (Z, V) and must hash. The identity means the peer
 * sent X = w0*M or Y = w0*N (it knew or guessed w0): abort, as for any
 * invalid element, rather than hash an encoding the RFC does not define.
 */
export function encodeElement(g: Group, name: string, p: Point): Uint8Array {
  if (p.is0()) throw new PakeError('pake.invalid_point', `${name} is the identity`);
  return p.toBytes(false);
}
