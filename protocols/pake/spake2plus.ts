/**
 * SPAKE2+ (RFC 9383), the augmented PAKE behind ssiot's manual setup codes:
 * the phone (prover) knows the code, hence w0 and w1; the device (verifier)
 * stores only w0 and L = w1*P, so a device dump does not hand out the code
 * nor lets anyone act as the phone without first guessing it offline.
 *
 * Messages (RFC 9383 §3.3 and Appendix B):
 *   prover -> verifier   shareP
 *   verifier -> prover   shareV, confirmV
 *   prover -> verifier   confirmP
 * The verifier sends nothing else until confirmP checks out; the prover
 * sends confirmP only after confirmV checks out.
 *
 * The pure functions (shares, Z/V, transcript, key schedule, confirmations)
 * are exported for the test vectors and for callers that carry their own
 * state; the two classes are what protocol code uses: each refuses calls in
 * the wrong state, and any bad input (an invalid element, a wrong
 * confirmation) aborts it for good.
 */
import { getCrypto } from '../crypto/index.ts';
import { getMinHashLength, mapHashToField } from '../crypto/noble-stateful.ts';
import { equalBytes, utf8Encode } from '../encoding/bytes.ts';
import { PakeError } from '../errors.ts';
import { decodeElement, decodeScalar, encodeElement, encodeScalar, group, type Group, type Point } from './group.ts';
import { hashBytes, lengthPrefixed, resolveSuite, type Spake2PlusSuite } from './suite.ts';

// ------------------------------------------------------------------ math

/** Z and V, the two shared group elements (uncompressed SEC1). */
export interface SharedElements {
  Z: Uint8Array;
  V: Uint8Array;
}

/** Everything the key schedule yields (RFC 9383 §3.4). */
export interface KeySchedule {
  K_main: Uint8Array;
  K_confirmP: Uint8Array;
  K_confirmV: Uint8Array;
  K_shared: Uint8Array;
}

/** What the transcript TT binds, in RFC 9383 §3.3 order (M and N come from the suite). */
export interface TranscriptInput {
  context: Uint8Array;
  idProver: Uint8Array;
  idVerifier: Uint8Array;
  shareP: Uint8Array;
  shareV: Uint8Array;
  Z: Uint8Array;
  V: Uint8Array;
  w0: Uint8Array;
}

const suiteGroup = (suite: Spake2PlusSuite): Group => group(suite.curve);

/** shareP = x*P + w0*M (the prover's share). */
export function computeShareP(suite: Spake2PlusSuite, w0: Uint8Array, x: Uint8Array): Uint8Array {
  const g = suiteGroup(suite);
  return share(g, g.M, decodeScalar(g, 'w0', w0), decodeScalar(g, 'x', x));
}

/** shareV = y*P + w0*N (the verifier's share). */
export function computeShareV(suite: Spake2PlusSuite, w0: Uint8Array, y: Uint8Array): Uint8Array {
  const g = suiteGroup(suite);
  return share(g, g.N, decodeScalar(g, 'w0', w0), decodeScalar(g, 'y', y));
}

function share(g: Group, blind: Point, w0: bigint, eph: bigint): Uint8Array {
  // x, y and w0 are secret: constant-time multiply (never the *Unsafe variants).
  return encodeElement(g, 'share', g.Point.BASE.multiply(eph).add(blind.multiply(w0)));
}

/** L = w1*P, the registration record the verifier keeps instead of w1. */
export function computeL(suite: Spake2PlusSuite, w1: Uint8Array): Uint8Array {
  const g = suiteGroup(suite);
  return encodeElement(g, 'L', g.Point.BASE.multiply(decodeScalar(g, 'w1', w1)));
}

/**
 * The prover's Z = h*x*(shareV - w0*N) and V = h*w1*(shareV - w0*N).
 * shareV is checked first (`pake.invalid_point`).
 */
export function proverElements(suite: Spake2PlusSuite, w0: Uint8Array, w1: Uint8Array, x: Uint8Array, shareV: Uint8Array): SharedElements {
  const g = suiteGroup(suite);
  const Y = decodeElement(g, 'shareV', shareV);
  const base = unblind(g, Y, g.N, decodeScalar(g, 'w0', w0));
  return {
    Z: encodeElement(g, 'Z', base.multiply(decodeScalar(g, 'x', x))),
    V: encodeElement(g, 'V', base.multiply(decodeScalar(g, 'w1', w1))),
  };
}

/**
 * The verifier's Z = h*y*(shareP - w0*M) and V = h*y*L. shareP is checked
 * first (`pake.invalid_point`); L is checked too, as it comes from storage.
 */
export function verifierElements(suite: Spake2PlusSuite, w0: Uint8Array, L: Uint8Array, y: Uint8Array, shareP: Uint8Array): SharedElements {
  const g = suiteGroup(suite);
  const X = decodeElement(g, 'shareP', shareP);
  const yk = decodeScalar(g, 'y', y);
  const base = unblind(g, X, g.M, decodeScalar(g, 'w0', w0));
  return {
    Z: encodeElement(g, 'Z', base.multiply(yk)),
    V: encodeElement(g, 'V', decodeElement(g, 'L', L).clearCofactor().multiply(yk)),
  };
}

/**
 * h*(share - w0*blind). If that is the identity (the peer sent w0*M or
 * w0*N), Z and V would be too: abort as for an invalid element.
 */
function unblind(g: Group, received: Point, blind: Point, w0: bigint): Point {
  const base = received.subtract(blind.multiply(w0)).clearCofactor();
  if (base.is0()) throw new PakeError('pake.invalid_point', 'the peer share cancels out');
  return base;
}

/**
 * TT = len(Context)||Context || len(idProver)||idProver || len(idVerifier)||idVerifier
 *   || len(M)||M || len(N)||N || len(shareP)||shareP || len(shareV)||shareV
 *   || len(Z)||Z || len(V)||V || len(w0)||w0, lengths 8-byte little-endian.
 * The RFC lets the context (and its length) be omitted; here it is always
 * present, possibly empty, so TT has one layout.
 */
export function transcript(suite: Spake2PlusSuite, t: TranscriptInput): Uint8Array {
  const g = suiteGroup(suite);
  return lengthPrefixed([t.context, t.idProver, t.idVerifier, g.encodedM, g.encodedN, t.shareP, t.shareV, t.Z, t.V, t.w0]);
}

/**
 * K_main = Hash(TT); K_confirmP || K_confirmV = HKDF(salt = nil, K_main,
 * "ConfirmationKeys"); K_shared = HKDF(nil, K_main, "SharedKey").
 * "nil" salt = the empty string, which HKDF (RFC 5869 §2.2) treats as
 * HashLen zero bytes.
 */
export function keySchedule(suite: Spake2PlusSuite, TT: Uint8Array): KeySchedule {
  const c = getCrypto();
  const K_main = suite.hash === 'sha256' ? c.sha256(TT) : c.sha512(TT);
  const none = new Uint8Array(0);
  const n = suite.mac.keyLength;
  const confirm = c.hkdf(suite.hash, K_main, none, CONFIRMATION_KEYS, 2 * n);
  return {
    K_main,
    K_confirmP: confirm.slice(0, n),
    K_confirmV: confirm.slice(n),
    K_shared: c.hkdf(suite.hash, K_main, none, SHARED_KEY, hashBytes(suite.hash)),
  };
}

const CONFIRMATION_KEYS = utf8Encode('ConfirmationKeys');
const SHARED_KEY = utf8Encode('SharedKey');

/** confirmP = MAC(K_confirmP, shareV), sent by the prover. */
export const confirmP = (suite: Spake2PlusSuite, keys: KeySchedule, shareV: Uint8Array): Uint8Array => suite.mac.tag(keys.K_confirmP, shareV);
/** confirmV = MAC(K_confirmV, shareP), sent by the verifier. */
export const confirmV = (suite: Spake2PlusSuite, keys: KeySchedule, shareP: Uint8Array): Uint8Array => suite.mac.tag(keys.K_confirmV, shareP);

/**
 * A fresh ephemeral scalar (x or y) in [1, order-1] from the facade's
 * randomness. RFC 9383 says [0, p-1]; 0 would make the share w0*M, so it
 * is left out. noble's mapHashToField reduces getMinHashLength(order)
 * random bytes (1.5x the scalar size) mod (order-1) and adds 1: bias below
 * 2^-128.
 */
export function randomScalar(suite: Spake2PlusSuite): Uint8Array {
  const g = suiteGroup(suite);
  return mapHashToField(getCrypto().randomBytes(getMinHashLength(g.order)), g.order);
}

// ------------------------------------------------------------------ state machines

/**
 * Where an exchange stands, from one party's side:
 * - prover:   start -> shareP (shareP sent) -> confirm (shareV taken, waits for confirmV) -> finished
 * - verifier: start -> shareV (shareV and confirmV sent, waits for confirmP) -> finished
 * - either:   -> failed, on any invalid element or wrong confirmation; then every call is refused.
 */
export type PakeState = 'start' | 'shareP' | 'shareV' | 'confirm' | 'finished' | 'failed';

/** What both parties must agree on before the exchange. */
export interface SessionOptions {
  /** Default: P256-SHA256-HKDF-SHA256-HMAC-SHA256. A name resolves through SPAKE2PLUS_SUITES. */
  suite?: Spake2PlusSuite | string;
  /** Application context string (RFC 9383 §3.3), e.g. protocol name and version. UTF-8 when a string. */
  context: Uint8Array | string;
  /** Identities bound into TT; empty when absent (the RFC advises non-empty ones against unknown-key-share). */
  idProver?: Uint8Array | string;
  idVerifier?: Uint8Array | string;
}

export interface ProverOptions extends SessionOptions {
  w0: Uint8Array;
  w1: Uint8Array;
}

export interface VerifierOptions extends SessionOptions {
  w0: Uint8Array;
  /** L = w1*P from the verifier record. */
  L: Uint8Array;
}

/** The verifier's reply to shareP. */
export interface VerifierResponse {
  shareV: Uint8Array;
  confirmV: Uint8Array;
}

function textOrBytes(name: string, v: unknown, optional: boolean): Uint8Array {
  if (v === undefined && optional) return new Uint8Array(0);
  if (typeof v === 'string') return utf8Encode(v);
  if (v instanceof Uint8Array) return v.slice();
  throw new PakeError('pake.invalid_argument', `${name} must be a string or bytes`);
}

/**
 * The same error, with the same message, for every failed confirmation on
 * either side: it must not tell a guesser anything beyond "no".
 */
const badConfirmation = () => new PakeError('pake.bad_confirmation', 'SPAKE2+ key confirmation failed');

/** State, transitions and secret hygiene shared by both parties. */
abstract class Party {
  protected readonly suite: Spake2PlusSuite;
  protected readonly group: Group;
  protected readonly context: Uint8Array;
  protected readonly idProver: Uint8Array;
  protected readonly idVerifier: Uint8Array;
  protected readonly w0: Uint8Array;
  protected current: PakeState = 'start';
  /** K_shared once finished; confirmation keys while waiting for the peer's confirmation. */
  protected keys: KeySchedule | undefined;

  protected constructor(options: SessionOptions & { w0: Uint8Array }) {
    if (typeof options !== 'object' || options === null) throw new PakeError('pake.invalid_argument', 'SPAKE2+ options are required');
    this.suite = resolveSuite(options.suite);
    this.group = group(this.suite.curve);
    this.context = textOrBytes('context', options.context, false);
    this.idProver = textOrBytes('idProver', options.idProver, true);
    this.idVerifier = textOrBytes('idVerifier', options.idVerifier, true);
    decodeScalar(this.group, 'w0', options.w0);
    this.w0 = options.w0.slice();
  }

  /** Where the exchange stands (see PakeState). */
  get state(): PakeState {
    return this.current;
  }

  /**
   * K_shared (hash length), once both confirmations have been checked. A
   * copy: the caller derives its session keys from it and may wipe it.
   */
  sharedKey(): Uint8Array {
    if (this.current !== 'finished' || !this.keys) throw this.refusal('finished');
    return this.keys.K_shared.slice();
  }

  /**
   * Run one transition: refuse it unless the state is `from` (the call then
   * has no effect), otherwise move to `to`, or to 'failed' (secrets wiped)
   * if `step` throws.
   */
  protected transition<T>(from: PakeState, to: PakeState, step: () => T): T {
    if (this.current !== from) throw this.refusal(from);
    try {
      const out = step();
      this.current = to;
      return out;
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  private refusal(expected: PakeState): PakeError {
    if (this.current === 'failed') return new PakeError('pake.aborted', 'this SPAKE2+ exchange has failed; start a new one');
    return new PakeError('pake.out_of_order', `SPAKE2+ call not allowed in state ${this.current} (needs ${expected})`);
  }

  protected abort(): void {
    this.current = 'failed';
    this.wipe();
  }

  /**
   * Zero the byte secrets this party no longer needs (bigints cannot be
   * wiped). w0 is needed only until the transcript is built, i.e. never
   * after a wipe (our copy: the caller's record is untouched).
   */
  protected wipe(keepShared = false): void {
    this.w0.fill(0);
    if (this.keys) {
      this.keys.K_main.fill(0);
      this.keys.K_confirmP.fill(0);
      this.keys.K_confirmV.fill(0);
      if (!keepShared) this.keys.K_shared.fill(0);
    }
    if (!keepShared) this.keys = undefined;
  }

  protected schedule(shareP: Uint8Array, shareV: Uint8Array, shared: SharedElements): KeySchedule {
    const TT = transcript(this.suite, {
      context: this.context,
      idProver: this.idProver,
      idVerifier: this.idVerifier,
      shareP,
      shareV,
      Z: shared.Z,
      V: shared.V,
      w0: this.w0,
    });
    const keys = keySchedule(this.suite, TT);
    TT.fill(0); // TT holds Z, V and w0
    shared.Z.fill(0);
    shared.V.fill(0);
    return keys;
  }
}

/**
 * The prover (the phone, which knows the setup code):
 *   const shareP = prover.start();                 // send
 *   const confirmP = prover.finish(shareV, confirmV); // on the reply; send confirmP
 *   const key = prover.sharedKey();
 * finish() = receiveShareV() + confirm(), for transports that deliver the
 * verifier's two values separately.
 */
export class Spake2PlusProver extends Party {
  private readonly w1: Uint8Array;
  private x: Uint8Array | undefined;
  private shareP: Uint8Array | undefined;
  private shareV: Uint8Array | undefined;

  constructor(options: ProverOptions) {
    super(options);
    decodeScalar(this.group, 'w1', options.w1);
    this.w1 = options.w1.slice();
  }

  /** start -> shareP: a fresh x, and shareP to send. */
  start(): Uint8Array {
    return this.transition('start', 'shareP', () => {
      this.x = randomScalar(this.suite);
      this.shareP = computeShareP(this.suite, this.w0, this.x);
      return this.shareP.slice();
    });
  }

  /** shareP -> confirm: checks shareV (`pake.invalid_point`) and derives the keys. */
  receiveShareV(shareV: Uint8Array): void {
    this.transition('shareP', 'confirm', () => {
      const shared = proverElements(this.suite, this.w0, this.w1, this.x!, shareV);
      this.shareV = shareV.slice();
      this.keys = this.schedule(this.shareP!, this.shareV, shared);
      // x, w0 and w1 have done their work; only the confirmation keys and K_shared remain.
      this.x!.fill(0);
      this.x = undefined;
      this.w0.fill(0);
      this.w1.fill(0);
    });
  }

  /**
   * confirm -> finished: checks confirmV (`pake.bad_confirmation` with a
   * wrong code or a forged reply) and returns confirmP to send.
   */
  confirm(confirmV: Uint8Array): Uint8Array {
    return this.transition('confirm', 'finished', () => {
      const keys = this.keys!;
      const expected = this.suite.mac.tag(keys.K_confirmV, this.shareP!);
      if (!(confirmV instanceof Uint8Array) || !equalBytes(expected, confirmV)) throw badConfirmation();
      const out = this.suite.mac.tag(keys.K_confirmP, this.shareV!);
      this.wipe(true);
      return out;
    });
  }

  /** receiveShareV(shareV) then confirm(confirmV). */
  finish(shareV: Uint8Array, confirmV: Uint8Array): Uint8Array {
    this.receiveShareV(shareV);
    return this.confirm(confirmV);
  }

  protected override wipe(keepShared = false): void {
    super.wipe(keepShared);
    this.w1.fill(0);
    this.x?.fill(0);
    this.x = undefined;
  }
}

/**
 * The verifier (the device). It is built from w0 and L only, never w1 or
 * the code (options carrying `w1` are refused, so prover secrets cannot
 * end up on a device by mistake):
 *   const { shareV, confirmV } = verifier.respond(shareP); // send both
 *   verifier.finish(confirmP);                              // then trust the channel
 *   const key = verifier.sharedKey();
 */
export class Spake2PlusVerifier extends Party {
  private readonly L: Uint8Array;
  private expectedConfirmP: Uint8Array | undefined;

  constructor(options: VerifierOptions) {
    super(options);
    if ('w1' in options) throw new PakeError('pake.invalid_argument', 'a SPAKE2+ verifier takes w0 and L, never w1');
    decodeElement(this.group, 'L', options.L);
    this.L = options.L.slice();
  }

  /**
   * start -> shareV: checks shareP (`pake.invalid_point`), draws y, and
   * returns shareV with confirmV.
   */
  respond(shareP: Uint8Array): VerifierResponse {
    return this.transition('start', 'shareV', () => {
      const y = randomScalar(this.suite);
      const shared = verifierElements(this.suite, this.w0, this.L, y, shareP);
      const shareV = computeShareV(this.suite, this.w0, y);
      y.fill(0);
      const keys = (this.keys = this.schedule(shareP.slice(), shareV, shared));
      this.expectedConfirmP = this.suite.mac.tag(keys.K_confirmP, shareV);
      const reply = { shareV, confirmV: this.suite.mac.tag(keys.K_confirmV, shareP) };
      this.wipe(true); // the confirmation keys are no longer needed; K_shared waits for confirmP
      return reply;
    });
  }

  /** shareV -> finished: checks confirmP (`pake.bad_confirmation`). */
  finish(confirmP: Uint8Array): void {
    this.transition('shareV', 'finished', () => {
      if (!(confirmP instanceof Uint8Array) || !equalBytes(this.expectedConfirmP!, confirmP)) throw badConfirmation();
      this.expectedConfirmP = undefined;
    });
  }

  protected override wipe(keepShared = false): void {
    super.wipe(keepShared);
    if (!keepShared) {
      this.expectedConfirmP?.fill(0);
      this.expectedConfirmP = undefined;
    }
  }
}
