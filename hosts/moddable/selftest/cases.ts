/**
 * The X25519/Ed25519 cases both crypto paths of the firmware must pass: the
 * native one (libsodium, `ssiot/curve25519` through moddableCrypto) and the
 * pure-JS noble one. One list, run by tests/moddable-curve25519.test.ts in
 * Node (libsodium compiled to wasm standing in for the C module) and by the
 * selftest app (selftest/main.ts) inside the Moddable simulator against the
 * real C module, so "the same vectors test both" holds literally.
 *
 * Vectors: RFC 8032 §7.1 (shared/vectors/ed25519/rfc8032.json) and RFC 7748
 * §5.2 / §6.1 (shared/vectors/x25519/rfc7748.json); the negative cases are
 * those of protocols/crypto/{ed25519,x25519}.test.ts, plus two crafted
 * signatures on which libsodium's verify is deliberately stricter than
 * noble's (hosts/moddable/crypto.ts explains the choice).
 *
 * Platform-neutral: runs in XS (no Node built-ins).
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import type { CryptoProvider } from '../../../protocols/crypto/types.ts';
import { bytesToHex, concatBytes, hexToBytes, utf8Encode } from '../../../protocols/encoding/bytes.ts';
import { isSsiotError } from '../../../protocols/errors.ts';

/** The facade members a native curve25519 replaces. */
export type CurveOps = Pick<CryptoProvider, 'ed25519PublicKey' | 'ed25519Sign' | 'ed25519Verify' | 'x25519PublicKey' | 'x25519SharedSecret'>;

export interface Rfc8032 {
  vectors: { name: string; secret: string; public: string; message: string; signature: string }[];
}

export interface Rfc7748 {
  section5_2: {
    vectors: { scalar: string; u: string; output: string }[];
    iterated: { start: string; after1: string; after1000: string };
  };
  section6_1: { alicePrivate: string; alicePublic: string; bobPrivate: string; bobPublic: string; sharedSecret: string };
}

/** What a call gives, as a string both engines compare alike: hex bytes, `true`/`false`, or `error:<code>`. */
export type Outcome = string;

export interface CurveCase {
  name: string;
  run(c: CurveOps): Outcome;
  /** The pure-JS (noble) result. */
  expected: Outcome;
  /** The native (libsodium) result, where it differs on purpose; else `expected`. */
  nativeExpected?: Outcome;
}

export function outcome(fn: () => Uint8Array | boolean): Outcome {
  try {
    const r = fn();
    return typeof r === 'boolean' ? String(r) : bytesToHex(r);
  } catch (e) {
    return 'error:' + (isSsiotError(e) ? e.code : e instanceof Error ? e.name : 'thrown');
  }
}

const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const out = b.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
};

/** RFC 7748 §5.2: k = u = 9; repeat k, u = X25519(k, u), k. */
export function iterateX25519(c: CurveOps, start: string, times: number): Uint8Array {
  let k = hexToBytes(start);
  let u = k;
  for (let i = 0; i < times; i++) {
    const next = c.x25519SharedSecret(k, u);
    u = k;
    k = next;
  }
  return k;
}

/**
 * Two signatures by `seed` on `message` that satisfy the cofactored RFC 8032
 * equation (noble accepts them) but that libsodium refuses: R = the identity
 * (small order), and R = [r]B + T with T of order 8 (fails the cofactorless
 * equation). Built from the secret scalar, which an honest signer never does.
 */
export function craftedSignatures(seed: Uint8Array, message: Uint8Array): { smallOrderR: Uint8Array; torsionR: Uint8Array } {
  const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
  const Fn = ed25519.Point.Fn;
  const challenge = (R: Uint8Array) => Fn.create(bytesToNumberLE(sha512(concatBytes(R, pointBytes, message))));
  const sign = (R: Uint8Array, r: bigint) => concatBytes(R, numberToBytesLE(Fn.create(r + challenge(R) * scalar), 32));
  const identity = ed25519.Point.ZERO.toBytes();
  const r = Fn.create(bytesToNumberLE(sha512(utf8Encode('ssiot torsion nonce'))));
  const torsion = ed25519.Point.BASE.multiply(r).add(ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1])).toBytes();
  return { smallOrderR: sign(identity, 0n), torsionR: sign(torsion, r) };
}

const hex = (s: string) => hexToBytes(s);

/** Every case, in a stable order. `iterations` limits the §5.2 iterated test (1 and 1,000 by default). */
export function curveCases(ed: Rfc8032, x: Rfc7748, iterations: readonly (1 | 1000)[] = [1, 1000]): CurveCase[] {
  const cases: CurveCase[] = [];
  const add = (name: string, expected: Outcome, run: (c: CurveOps) => Uint8Array | boolean, nativeExpected?: Outcome) =>
    cases.push({ name, expected, run: (c) => outcome(() => run(c)), ...(nativeExpected === undefined ? {} : { nativeExpected }) });

  // RFC 8032 §7.1: key, signature, verify, and a flipped bit in R, S, the key, the message
  for (const v of ed.vectors) {
    const [seed, pub, msg, sig] = [hex(v.secret), hex(v.public), hex(v.message), hex(v.signature)];
    add(`ed25519 ${v.name}: public key`, v.public, (c) => c.ed25519PublicKey(seed));
    add(`ed25519 ${v.name}: sign`, v.signature, (c) => c.ed25519Sign(msg, seed));
    add(`ed25519 ${v.name}: verify`, 'true', (c) => c.ed25519Verify(sig, msg, pub));
    add(`ed25519 ${v.name}: R tampered`, 'false', (c) => c.ed25519Verify(flip(sig, 5), msg, pub));
    add(`ed25519 ${v.name}: S tampered`, 'false', (c) => c.ed25519Verify(flip(sig, 300), msg, pub));
    add(`ed25519 ${v.name}: key tampered`, 'false', (c) => c.ed25519Verify(sig, msg, flip(pub, 9)));
    add(`ed25519 ${v.name}: message tampered`, 'false', (c) => c.ed25519Verify(sig, msg.length > 0 ? flip(msg, 0) : new Uint8Array(1), pub));
  }

  // malformed input of the right type: false, never a throw
  const v1 = ed.vectors[1];
  const [seed1, pub1, msg1, sig1] = [hex(v1.secret), hex(v1.public), hex(v1.message), hex(v1.signature)];
  const bigS = sig1.slice();
  bigS.fill(0xff, 32);
  add('ed25519 verify: 63-byte signature', 'false', (c) => c.ed25519Verify(sig1.subarray(0, 63), msg1, pub1));
  add('ed25519 verify: 65-byte signature', 'false', (c) => c.ed25519Verify(new Uint8Array(65), msg1, pub1));
  add('ed25519 verify: 31-byte key', 'false', (c) => c.ed25519Verify(sig1, msg1, pub1.subarray(0, 31)));
  add('ed25519 verify: empty key', 'false', (c) => c.ed25519Verify(sig1, msg1, new Uint8Array(0)));
  add('ed25519 verify: S >= L', 'false', (c) => c.ed25519Verify(bigS, msg1, pub1));
  add('ed25519 verify: key y >= p', 'false', (c) => c.ed25519Verify(sig1, msg1, new Uint8Array(32).fill(0xff)));
  add('ed25519 verify: identity key (small order)', 'false', (c) => c.ed25519Verify(sig1, msg1, hex(ED25519_TORSION_SUBGROUP[0])));
  add('ed25519 verify: order-8 key', 'false', (c) => c.ed25519Verify(sig1, msg1, hex(ED25519_TORSION_SUBGROUP[1])));
  add('ed25519 verify: not bytes', 'error:crypto.invalid_input', (c) => c.ed25519Verify('sig' as unknown as Uint8Array, msg1, pub1));
  add('ed25519 public key: 31-byte seed', 'error:crypto.invalid_key_length', (c) => c.ed25519PublicKey(new Uint8Array(31)));
  add('ed25519 sign: 64-byte seed', 'error:crypto.invalid_key_length', (c) => c.ed25519Sign(new Uint8Array(1), new Uint8Array(64)));
  add('ed25519 sign: message not bytes', 'error:crypto.invalid_input', (c) => c.ed25519Sign([1] as unknown as Uint8Array, seed1));
  // views into larger buffers (the native module takes whole ArrayBuffers)
  const framed = new Uint8Array(100);
  framed.set(seed1, 3);
  framed.set(msg1, 40);
  add('ed25519 sign: seed and message as subarrays', v1.signature, (c) => c.ed25519Sign(framed.subarray(40, 40 + msg1.length), framed.subarray(3, 35)));

  // libsodium stricter than noble (zip215: false), on purpose: see hosts/moddable/crypto.ts
  const crafted = craftedSignatures(seed1, msg1);
  add('ed25519 verify: small-order R (libsodium refuses)', 'true', (c) => c.ed25519Verify(crafted.smallOrderR, msg1, pub1), 'false');
  add('ed25519 verify: R with a torsion part, cofactorless check (libsodium refuses)', 'true', (c) => c.ed25519Verify(crafted.torsionR, msg1, pub1), 'false');

  // RFC 7748 §5.2 and §6.1
  for (const [i, t] of x.section5_2.vectors.entries()) add(`x25519 §5.2 vector ${i + 1}`, t.output, (c) => c.x25519SharedSecret(hex(t.scalar), hex(t.u)));
  const it = x.section5_2.iterated;
  for (const n of iterations) add(`x25519 §5.2 iterated ${n}`, n === 1 ? it.after1 : it.after1000, (c) => iterateX25519(c, it.start, n));
  const s = x.section6_1;
  add('x25519 §6.1 Alice public', s.alicePublic, (c) => c.x25519PublicKey(hex(s.alicePrivate)));
  add('x25519 §6.1 Bob public', s.bobPublic, (c) => c.x25519PublicKey(hex(s.bobPrivate)));
  add('x25519 §6.1 Alice shared', s.sharedSecret, (c) => c.x25519SharedSecret(hex(s.alicePrivate), hex(s.bobPublic)));
  add('x25519 §6.1 Bob shared', s.sharedSecret, (c) => c.x25519SharedSecret(hex(s.bobPrivate), hex(s.alicePublic)));

  // low-order public keys: the all-zero secret is refused
  const lowOrder: [string, string][] = [
    ['0', '0000000000000000000000000000000000000000000000000000000000000000'],
    ['1', '0100000000000000000000000000000000000000000000000000000000000000'],
    ['p - 1', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['order 8', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'],
    ['p + 1 (non-canonical 1)', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['0 with the top bit set', '0000000000000000000000000000000000000000000000000000000000000080'],
  ];
  const alice = hex(s.alicePrivate);
  for (const [what, u] of lowOrder) add(`x25519 low-order key ${what}`, 'error:crypto.invalid_key', (c) => c.x25519SharedSecret(alice, hex(u)));
  add('x25519 public key: 31-byte key', 'error:crypto.invalid_key_length', (c) => c.x25519PublicKey(new Uint8Array(31)));
  add('x25519 shared: 33-byte public key', 'error:crypto.invalid_key_length', (c) => c.x25519SharedSecret(new Uint8Array(32).fill(1), new Uint8Array(33)));
  add('x25519 shared: empty private key', 'error:crypto.invalid_key_length', (c) => c.x25519SharedSecret(new Uint8Array(0), new Uint8Array(32).fill(9)));
  add('x25519 shared: not bytes', 'error:crypto.invalid_input', (c) => c.x25519SharedSecret(alice, 'u' as unknown as Uint8Array));
  return cases;
}

/** Runs every case through `c`; `name: outcome` of those whose outcome is not the one expected of that path. */
export function failures(cases: readonly CurveCase[], c: CurveOps, path: 'js' | 'native'): string[] {
  const failed: string[] = [];
  for (const k of cases) {
    const want = path === 'native' ? (k.nativeExpected ?? k.expected) : k.expected;
    const got = k.run(c);
    if (got !== want) failed.push(`${k.name}: ${got}`);
  }
  return failed;
}
