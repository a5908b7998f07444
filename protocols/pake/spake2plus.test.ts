/**
 * SPAKE2+ (RFC 9383): every published vector (RFC 9383 Appendix C and the
 * seven suites of its source draft), both state machines, a round trip from
 * a setup code, a wrong code, out-of-order calls, invalid elements, and a
 * check that the verifier never holds w1.
 */
import { describe, expect, it } from 'vitest';
import { cmac } from '@noble/ciphers/aes.js';
import { getMinHashLength } from '@noble/curves/abstract/modular.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { getCrypto, installCrypto, resetCrypto, type HashName } from '../crypto/index.ts';
import { bytesToHex as hex, hexToBytes as unhex, utf8Encode } from '../encoding/bytes.ts';
import { group, type PakeCurve } from './group.ts';
import { createVerifierRecord, deriveProverSecrets, TEST_PBKDF } from './registration.ts';
import { generateSetupCode, verhoeffCheckDigit } from './setup-code.ts';
import {
  computeL,
  computeShareP,
  computeShareV,
  confirmP,
  confirmV,
  keySchedule,
  proverElements,
  Spake2PlusProver,
  Spake2PlusVerifier,
  transcript,
  verifierElements,
} from './spake2plus.ts';
import { defineSuite, P256_SHA256, SPAKE2PLUS_SUITES, type ConfirmationMac, type Spake2PlusSuite } from './suite.ts';

interface Vector {
  suite: string;
  context: string;
  idProver: string;
  idVerifier: string;
  M: string;
  N: string;
  w0: string;
  w1: string;
  L: string;
  x: string;
  shareP: string;
  y: string;
  shareV: string;
  Z: string;
  V: string;
  TT: string;
  K_main: string;
  K_confirmP: string;
  K_confirmV: string;
  confirmP: string;
  confirmV: string;
  K_shared: string;
}

const RFC_FILE = 'spake2plus/rfc9383-P256-SHA256-HKDF-SHA256-HMAC-SHA256.json';
const ALL_FILE = 'spake2plus/spake2plus-all-suites.json';

/**
 * CMAC-AES-128 is not a facade primitive; the draft's two CMAC suites are
 * checked with noble's AES-CMAC passed in as the suite MAC.
 */
const CMAC_AES_128: ConfirmationMac = { name: 'CMAC-AES-128', keyLength: 16, tag: (key, message) => cmac(message, key) };

function suiteOf(name: string): Spake2PlusSuite {
  if (SPAKE2PLUS_SUITES[name]) return SPAKE2PLUS_SUITES[name];
  const [curve, hash] = name.split('-');
  expect(name.endsWith('-CMAC-AES-128')).toBe(true);
  return defineSuite(`P-${curve.slice(1)}` as PakeCurve, hash.toLowerCase() as HashName, CMAC_AES_128);
}

/** Runs `fn` with the facade's randomBytes answering from `chunks` in order (each of the asked length). */
function withRandom<T>(chunks: Uint8Array[], fn: () => T): T {
  const before = getCrypto();
  installCrypto({
    randomBytes(n: number) {
      const next = chunks.shift();
      if (!next || next.length !== n) throw new Error(`test random: unexpected request for ${n} bytes`);
      return next;
    },
  });
  try {
    return fn();
  } finally {
    resetCrypto();
    installCrypto(before);
  }
}

/** The random bytes from which randomScalar() yields exactly `scalar` (mapHashToField: (seed mod (n-1)) + 1). */
function seedFor(suite: Spake2PlusSuite, scalar: string): Uint8Array {
  const { order } = group(suite.curve);
  return numberToBytesBE(bytesToNumberBE(unhex(scalar)) - 1n, getMinHashLength(order));
}

const session = (v: Vector) => ({ context: v.context, idProver: v.idProver, idVerifier: v.idVerifier });

function checkVector(v: Vector): void {
  const suite = suiteOf(v.suite);
  expect(suite.name).toBe(v.suite);
  const g = group(suite.curve);
  expect(hex(g.encodedM)).toBe(v.M);
  expect(hex(g.encodedN)).toBe(v.N);
  const [w0, w1, x, y] = [v.w0, v.w1, v.x, v.y].map(unhex);
  expect(hex(computeL(suite, w1))).toBe(v.L);
  const shareP = computeShareP(suite, w0, x);
  const shareV = computeShareV(suite, w0, y);
  expect(hex(shareP)).toBe(v.shareP);
  expect(hex(shareV)).toBe(v.shareV);
  // Both sides reach the same Z and V by their own formulas.
  const prover = proverElements(suite, w0, w1, x, shareV);
  const verifier = verifierElements(suite, w0, unhex(v.L), y, shareP);
  for (const side of [prover, verifier]) {
    expect(hex(side.Z)).toBe(v.Z);
    expect(hex(side.V)).toBe(v.V);
  }
  const TT = transcript(suite, { context: utf8Encode(v.context), idProver: utf8Encode(v.idProver), idVerifier: utf8Encode(v.idVerifier), shareP, shareV, Z: prover.Z, V: prover.V, w0 });
  expect(hex(TT)).toBe(v.TT);
  const keys = keySchedule(suite, TT);
  expect(hex(keys.K_main)).toBe(v.K_main);
  expect(hex(keys.K_confirmP)).toBe(v.K_confirmP);
  expect(hex(keys.K_confirmV)).toBe(v.K_confirmV);
  expect(hex(keys.K_shared)).toBe(v.K_shared);
  expect(hex(confirmP(suite, keys, shareV))).toBe(v.confirmP);
  expect(hex(confirmV(suite, keys, shareP))).toBe(v.confirmV);
}

describe('SPAKE2+ RFC 9383 vectors', () => {
  it('RFC 9383 Appendix C, P256-SHA256-HKDF-SHA256-HMAC-SHA256: shares, Z, V, TT, keys, confirmations', () => {
    const v = readVectorJson<{ vector: Vector }>(RFC_FILE).vector;
    expect(v.suite).toBe(P256_SHA256.name);
    checkVector(v);
  });

  const all = readVectorJson<{ vectors: Vector[] }>(ALL_FILE).vectors;
  it('the draft lists seven suites', () => {
    expect(all.map((v) => v.suite)).toEqual([
      'P256-SHA256-HKDF-SHA256-HMAC-SHA256',
      'P256-SHA512-HKDF-SHA512-HMAC-SHA512',
      'P384-SHA256-HKDF-SHA256-HMAC-SHA256',
      'P384-SHA512-HKDF-SHA512-HMAC-SHA512',
      'P521-SHA512-HKDF-SHA512-HMAC-SHA512',
      'P256-SHA256-HKDF-SHA256-CMAC-AES-128',
      'P256-SHA512-HKDF-SHA512-CMAC-AES-128',
    ]);
  });
  for (const v of all) {
    it(`${v.suite}: every intermediate value`, () => checkVector(v));
  }

  it('the verifier state machine reproduces the RFC exchange (device side: respond + finish)', () => {
    const v = readVectorJson<{ vector: Vector }>(RFC_FILE).vector;
    const verifier = new Spake2PlusVerifier({ ...session(v), w0: unhex(v.w0), L: unhex(v.L) });
    const reply = withRandom([seedFor(P256_SHA256, v.y)], () => verifier.respond(unhex(v.shareP)));
    expect(hex(reply.shareV)).toBe(v.shareV);
    expect(hex(reply.confirmV)).toBe(v.confirmV);
    expect(verifier.state).toBe('shareV');
    verifier.finish(unhex(v.confirmP));
    expect(verifier.state).toBe('finished');
    expect(hex(verifier.sharedKey())).toBe(v.K_shared);
  });

  it('the prover state machine reproduces the RFC exchange', () => {
    const v = readVectorJson<{ vector: Vector }>(RFC_FILE).vector;
    const prover = new Spake2PlusProver({ ...session(v), w0: unhex(v.w0), w1: unhex(v.w1) });
    expect(prover.state).toBe('start');
    const shareP = withRandom([seedFor(P256_SHA256, v.x)], () => prover.start());
    expect(hex(shareP)).toBe(v.shareP);
    expect(prover.state).toBe('shareP');
    prover.receiveShareV(unhex(v.shareV));
    expect(prover.state).toBe('confirm');
    expect(hex(prover.confirm(unhex(v.confirmV)))).toBe(v.confirmP);
    expect(prover.state).toBe('finished');
    expect(hex(prover.sharedKey())).toBe(v.K_shared);
  });
});

// ------------------------------------------------------------------ exchanges from setup codes

const SALT = utf8Encode('ssiot test salt!');
const CONTEXT = 'ssiot pairing test v1';
const IDS = { idProver: 'phone', idVerifier: 'device' };

function registered(code: string) {
  return createVerifierRecord(code, SALT, TEST_PBKDF);
}

function verifierFor(record: ReturnType<typeof registered>) {
  return new Spake2PlusVerifier({ suite: record.registration.suite, context: CONTEXT, ...IDS, w0: record.w0, L: record.L });
}

function proverFor(code: string, record: ReturnType<typeof registered>) {
  return new Spake2PlusProver({ context: CONTEXT, ...IDS, ...deriveProverSecrets(code, record.registration) });
}

/** What goes wrong where, as {code, message}, so both sides can be compared. */
function failure(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error('expected a failure');
}

describe('SPAKE2+ exchange from a setup code', () => {
  it('the right code: both sides finish with the same 32-byte key', () => {
    const code = generateSetupCode(11);
    const record = registered(code);
    const verifier = verifierFor(record);
    // The phone's user types the code with the printed hyphens.
    const prover = proverFor(`${code.slice(0, 4)}-${code.slice(4, 7)}-${code.slice(7)}`, record);
    const reply = verifier.respond(prover.start());
    const confirmation = prover.finish(reply.shareV, reply.confirmV);
    verifier.finish(confirmation);
    expect(prover.state).toBe('finished');
    expect(verifier.state).toBe('finished');
    const key = verifier.sharedKey();
    expect(key).toHaveLength(32);
    expect(hex(prover.sharedKey())).toBe(hex(key));
  });

  it('an 8-digit code works the same way, and two exchanges give different keys', () => {
    const code = generateSetupCode(8);
    const record = registered(code);
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const verifier = verifierFor(record);
      const prover = proverFor(code, record);
      const reply = verifier.respond(prover.start());
      verifier.finish(prover.finish(reply.shareV, reply.confirmV));
      keys.push(hex(verifier.sharedKey()));
      expect(hex(prover.sharedKey())).toBe(keys[i]);
    }
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('a wrong code fails key confirmation on both sides, with one and the same error', () => {
    const code = '12345678902';
    const wrong = `1234567891${verhoeffCheckDigit('1234567891')}`; // a well-formed code, one digit off
    const record = registered(code);
    const verifier = verifierFor(record);
    const wrongSecrets = deriveProverSecrets(wrong, record.registration);
    const prover = new Spake2PlusProver({ context: CONTEXT, ...IDS, ...wrongSecrets });
    const x = '11'.repeat(32);
    const shareP = withRandom([seedFor(P256_SHA256, x)], () => prover.start());
    const reply = verifier.respond(shareP);

    // The phone refuses the device's confirmation and sends nothing more.
    const atProver = failure(() => prover.finish(reply.shareV, reply.confirmV));
    expect(prover.state).toBe('failed');

    // Had it answered anyway, its confirmation (from its own key schedule) is refused by the device.
    const own = proverElements(P256_SHA256, wrongSecrets.w0, wrongSecrets.w1, unhex(x), reply.shareV);
    const TT = transcript(P256_SHA256, {
      context: utf8Encode(CONTEXT),
      idProver: utf8Encode(IDS.idProver),
      idVerifier: utf8Encode(IDS.idVerifier),
      shareP,
      shareV: reply.shareV,
      ...own,
      w0: wrongSecrets.w0,
    });
    const atVerifier = failure(() => verifier.finish(confirmP(P256_SHA256, keySchedule(P256_SHA256, TT), reply.shareV)));
    expect(verifier.state).toBe('failed');

    expect(atProver.code).toBe('pake.bad_confirmation');
    expect(atVerifier).toEqual(atProver);
    expect(atProver.message).not.toMatch(/[0-9]{4}/);

    // A failed exchange stays failed: no second try on the same session, no key.
    expectCode(() => verifier.finish(reply.confirmV), 'pake.aborted');
    expectCode(() => verifier.sharedKey(), 'pake.aborted');
    expectCode(() => prover.sharedKey(), 'pake.aborted');
  });

  it('a reflected or truncated confirmation is refused', () => {
    const code = generateSetupCode();
    const record = registered(code);
    const verifier = verifierFor(record);
    const prover = proverFor(code, record);
    const reply = verifier.respond(prover.start());
    // the device's own confirmV sent back as confirmP
    expectCode(() => verifier.finish(reply.confirmV), 'pake.bad_confirmation');
    const v2 = verifierFor(record);
    const p2 = proverFor(code, record);
    const r2 = v2.respond(p2.start());
    const good = p2.finish(r2.shareV, r2.confirmV);
    expectCode(() => v2.finish(good.subarray(0, 16)), 'pake.bad_confirmation');
    expectCode(() => v2.finish(good), 'pake.aborted');
  });
});

describe('SPAKE2+ state machines refuse what is out of order', () => {
  const record = registered('12345678902');

  it('prover: each call only in its state; a refused call changes nothing', () => {
    const prover = proverFor('12345678902', record);
    const verifier = verifierFor(record);
    expectCode(() => prover.receiveShareV(new Uint8Array(65)), 'pake.out_of_order');
    expectCode(() => prover.confirm(new Uint8Array(32)), 'pake.out_of_order');
    expectCode(() => prover.sharedKey(), 'pake.out_of_order');
    expect(prover.state).toBe('start');
    const shareP = prover.start();
    expectCode(() => prover.start(), 'pake.out_of_order');
    expectCode(() => prover.confirm(new Uint8Array(32)), 'pake.out_of_order');
    expect(prover.state).toBe('shareP');
    const reply = verifier.respond(shareP);
    prover.receiveShareV(reply.shareV);
    expectCode(() => prover.receiveShareV(reply.shareV), 'pake.out_of_order');
    expectCode(() => prover.sharedKey(), 'pake.out_of_order');
    verifier.finish(prover.confirm(reply.confirmV));
    expectCode(() => prover.confirm(reply.confirmV), 'pake.out_of_order');
    expect(hex(prover.sharedKey())).toBe(hex(verifier.sharedKey()));
  });

  it('verifier: confirmP before shareP, a replayed shareP, a second confirmP', () => {
    const prover = proverFor('12345678902', record);
    const verifier = verifierFor(record);
    expectCode(() => verifier.finish(new Uint8Array(32)), 'pake.out_of_order');
    expect(verifier.state).toBe('start');
    const shareP = prover.start();
    const reply = verifier.respond(shareP);
    // A replay of the first message neither answers again nor kills the exchange.
    expectCode(() => verifier.respond(shareP), 'pake.out_of_order');
    expect(verifier.state).toBe('shareV');
    const confirmation = prover.finish(reply.shareV, reply.confirmV);
    verifier.finish(confirmation);
    expectCode(() => verifier.finish(confirmation), 'pake.out_of_order');
    expect(verifier.state).toBe('finished');
  });
});

describe('SPAKE2+ refuses invalid elements', () => {
  const record = registered('12345678902');
  const g = group('P-256');

  /** Encodings that are not a valid element of P-256's prime-order group. */
  function badElements(valid: Uint8Array): Record<string, unknown> {
    const offCurve = valid.slice();
    offCurve[64] ^= 1;
    const xTooBig = valid.slice();
    xTooBig.fill(0xff, 1, 33);
    return {
      offCurve,
      xTooBig,
      compressed: valid.slice(0, 33).map((b, i) => (i === 0 ? 2 + (valid[64] & 1) : b)),
      identity: new Uint8Array([0]),
      allZero: new Uint8Array(65),
      hybrid: valid.map((b, i) => (i === 0 ? 6 + (valid[64] & 1) : b)),
      truncated: valid.subarray(0, 64),
      tooLong: new Uint8Array([...valid, 0]),
      empty: new Uint8Array(0),
      notBytes: hex(valid),
    };
  }

  it('the device refuses a bad shareP and aborts the exchange', () => {
    const good = proverFor('12345678902', record).start();
    for (const [name, bad] of Object.entries(badElements(good))) {
      const verifier = verifierFor(record);
      const seen = failure(() => verifier.respond(bad as Uint8Array));
      expect(`${name}: ${seen.code}`).toBe(`${name}: pake.invalid_point`);
      expect(verifier.state).toBe('failed');
      expectCode(() => verifier.respond(good), 'pake.aborted');
    }
  });

  it('the phone refuses a bad shareV and aborts the exchange', () => {
    const reply = verifierFor(record).respond(proverFor('12345678902', record).start());
    for (const [name, bad] of Object.entries(badElements(reply.shareV))) {
      const prover = proverFor('12345678902', record);
      prover.start();
      const seen = failure(() => prover.receiveShareV(bad as Uint8Array));
      expect(`${name}: ${seen.code}`).toBe(`${name}: pake.invalid_point`);
      expect(prover.state).toBe('failed');
    }
  });

  it('a share that cancels the blinding (w0*M or w0*N) is refused, not hashed as the identity', () => {
    const w0 = bytesToNumberBE(record.w0);
    const verifier = verifierFor(record);
    expectCode(() => verifier.respond(g.M.multiply(w0).toBytes(false)), 'pake.invalid_point');
    const prover = proverFor('12345678902', record);
    prover.start();
    expectCode(() => prover.receiveShareV(g.N.multiply(w0).toBytes(false)), 'pake.invalid_point');
  });

  it('constructors check their secrets and the stored L', () => {
    const n = numberToBytesBE(g.order, 32);
    const base = { context: CONTEXT, w0: record.w0, L: record.L };
    expectCode(() => new Spake2PlusVerifier({ ...base, L: record.L.slice(0, 33) }), 'pake.invalid_point');
    expectCode(() => new Spake2PlusVerifier({ ...base, w0: n }), 'pake.invalid_argument');
    expectCode(() => new Spake2PlusVerifier({ ...base, w0: new Uint8Array(32) }), 'pake.invalid_argument');
    expectCode(() => new Spake2PlusVerifier({ ...base, w0: record.w0.subarray(1) }), 'pake.invalid_argument');
    expectCode(() => new Spake2PlusVerifier({ ...base, suite: 'P256-SHA1' }), 'pake.invalid_argument');
    expectCode(() => new Spake2PlusVerifier({ ...base, context: 7 as unknown as string }), 'pake.invalid_argument');
    expectCode(() => new Spake2PlusProver({ context: CONTEXT, w0: record.w0, w1: n }), 'pake.invalid_argument');
    const odd = { ...P256_SHA256, curve: 'toString' } as unknown as Spake2PlusSuite;
    expectCode(() => new Spake2PlusVerifier({ ...base, suite: odd }), 'pake.invalid_argument');
    expectCode(() => defineSuite('P-192' as PakeCurve, 'sha256'), 'pake.invalid_argument');
    expectCode(() => defineSuite('P-256', 'sha256', { ...CMAC_AES_128, keyLength: 8 }), 'pake.invalid_argument');
  });
});

describe('the verifier never holds w1', () => {
  /** Every place under `root` (own properties, arrays, bytes) where `needle` bytes or the scalar `k` sit. */
  function find(root: unknown, needle: Uint8Array, k: bigint): string[] {
    const hits: string[] = [];
    const seen = new Set<unknown>();
    const contains = (hay: Uint8Array) => {
      outer: for (let i = 0; i + needle.length <= hay.length; i++) {
        for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
        return true;
      }
      return false;
    };
    const walk = (v: unknown, path: string, depth: number) => {
      if (typeof v === 'bigint') {
        if (v === k) hits.push(path);
        return;
      }
      if (v instanceof Uint8Array) {
        if (contains(v)) hits.push(path);
        return;
      }
      if (typeof v !== 'object' || v === null || seen.has(v) || depth > 8) return;
      seen.add(v);
      for (const key of Object.getOwnPropertyNames(v)) walk((v as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    };
    walk(root, '$', 0);
    return hits;
  }

  it('in its record, its state at every step, and every message it sends', () => {
    const code = generateSetupCode();
    const record = createVerifierRecord(code, SALT, TEST_PBKDF);
    const { w1 } = deriveProverSecrets(code, record.registration);
    const w1k = bytesToNumberBE(w1);
    const password = utf8Encode(code);
    expect(Object.keys(record).sort()).toEqual(['L', 'registration', 'w0']);

    const verifier = verifierFor(record);
    const prover = new Spake2PlusProver({ context: CONTEXT, ...IDS, ...deriveProverSecrets(code, record.registration) });
    // Positive control: the search does find w1 where it is (the prover).
    expect(find(prover, w1, w1k).length).toBeGreaterThan(0);

    const clean = (thing: unknown) => {
      expect(find(thing, w1, w1k)).toEqual([]);
      expect(find(thing, password, -1n)).toEqual([]);
    };
    clean(record);
    clean(verifier);
    const reply = verifier.respond(prover.start());
    clean(verifier);
    clean(reply);
    verifier.finish(prover.finish(reply.shareV, reply.confirmV));
    expect(verifier.state).toBe('finished');
    clean(verifier);
    clean(verifier.sharedKey());
    // The prover drops its copies of w0 and w1 once the transcript is built.
    expect(find(prover, w1, w1k)).toEqual([]);
    // And the device's V = y*L is the prover's w1*(shareV - w0*N): L suffices.
    expect(hex(prover.sharedKey())).toBe(hex(verifier.sharedKey()));
  });

  it('a verifier given w1 refuses it', () => {
    const code = generateSetupCode();
    const record = registered(code);
    const { w1 } = deriveProverSecrets(code, record.registration);
    const options = { context: CONTEXT, w0: record.w0, L: record.L, w1 };
    expectCode(() => new Spake2PlusVerifier(options), 'pake.invalid_argument');
  });
});
