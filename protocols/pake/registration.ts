/**
 * SPAKE2+ registration (RFC 9383 §3.2): from a setup code to w0 and w1
 * (prover) and to the verifier record (w0, L) the device keeps.
 *
 * PBKDF choice (the RFC leaves it to the application): scrypt (RFC 7914,
 * @noble/hashes) with the RFC's recommended (N, r, p) = (32768, 8, 1),
 * i.e. 32 MiB and about 0.1-0.3 s per derivation in Node. A memory-hard
 * function because setup codes carry only 26-33 bits: whoever reads a
 * verifier record out of a device can test codes offline, and scrypt makes
 * each test cost 32 MiB of memory traffic. The derivation runs on the
 * factory station (once per device) and on the phone (once per pairing),
 * never on the device, which only stores the result.
 *
 *   w0s || w1s = scrypt(len(pw) || pw || len(idProver) || idProver
 *                       || len(idVerifier) || idVerifier, salt, N, r, p)
 *   w0 = w0s mod p,  w1 = w1s mod p,  L = w1*P
 *
 * with "len" 8-byte little-endian as in the transcript, and each half
 * ceil(log2(p)/8) + 8 bytes long (k = 64 bits over the group order: 40
 * bytes on P-256), as RFC 9383 §3.2 requires to keep the reduction bias
 * below 2^-64. The registration identities may be empty (the factory does
 * not know the owner's phone); they are recorded with the salt and the
 * parameters, since the phone needs all of them to derive the same w0, w1.
 *
 * Parameters arriving from a peer (a device tells the phone its salt and
 * cost) are bounded (MAX_*), so a hostile device cannot make the phone
 * allocate gigabytes.
 */
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { scrypt } from '../crypto/noble-stateful.ts';
import { PakeError } from '../errors.ts';
import { encodeScalar, group } from './group.ts';
import { setupCodePassword } from './setup-code.ts';
import { computeL } from './spake2plus.ts';
import { lengthPrefixed, P256_SHA256, resolveSuite, SPAKE2PLUS_SUITES, type Spake2PlusSuite } from './suite.ts';

/** scrypt cost: N (a power of two), r, p as in RFC 7914. */
export interface PbkdfParams {
  alg: 'scrypt';
  N: number;
  r: number;
  p: number;
}

/** RFC 9383 §3.2's recommendation for scrypt: 32 MiB, one lane. */
export const DEFAULT_PBKDF: Readonly<PbkdfParams> = Object.freeze({ alg: 'scrypt', N: 32768, r: 8, p: 1 });
/** Cheapest accepted, for tests and XS only: never for a real device. */
export const TEST_PBKDF: Readonly<PbkdfParams> = Object.freeze({ alg: 'scrypt', N: 16, r: 1, p: 1 });
export const MAX_SCRYPT_N = 1 << 20;
export const MAX_SCRYPT_R = 16;
export const MAX_SCRYPT_P = 16;
/** scrypt needs 128*N*r bytes; a peer may not ask for more than this. */
export const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
export const MIN_SALT_BYTES = 16;
export const MAX_SALT_BYTES = 64;

/**
 * What the prover needs, besides the code, to derive w0 and w1: public,
 * the device sends it to the phone before the exchange.
 */
export interface Registration {
  /** Suite name (one of SPAKE2PLUS_SUITES). */
  suite: string;
  pbkdf: PbkdfParams;
  salt: Uint8Array;
  /** Identities hashed into w0s || w1s (may be empty; not necessarily those of the exchange). */
  idProver: Uint8Array;
  idVerifier: Uint8Array;
}

/** The device's record: never w1, never the code. */
export interface VerifierRecord {
  registration: Registration;
  w0: Uint8Array;
  L: Uint8Array;
}

/** The prover's secrets. */
export interface ProverSecrets {
  w0: Uint8Array;
  w1: Uint8Array;
}

export interface RegistrationOptions {
  suite?: Spake2PlusSuite | string;
  idProver?: Uint8Array;
  idVerifier?: Uint8Array;
}

/** Checks scrypt parameters from a caller or a peer (`pake.invalid_params`). */
export function checkPbkdfParams(params: unknown): PbkdfParams {
  const q = params as Partial<PbkdfParams> | null;
  const int = (x: unknown, lo: number, hi: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
  if (
    typeof q !== 'object' ||
    q === null ||
    q.alg !== 'scrypt' ||
    !int(q.N, 2, MAX_SCRYPT_N) ||
    (q.N & (q.N - 1)) !== 0 ||
    !int(q.r, 1, MAX_SCRYPT_R) ||
    !int(q.p, 1, MAX_SCRYPT_P) ||
    128 * q.N * q.r > MAX_SCRYPT_MEMORY
  ) {
    throw new PakeError('pake.invalid_params', `scrypt parameters out of range (N a power of two 2..${MAX_SCRYPT_N}, r 1..${MAX_SCRYPT_R}, p 1..${MAX_SCRYPT_P}, 128*N*r <= ${MAX_SCRYPT_MEMORY})`);
  }
  return { alg: 'scrypt', N: q.N, r: q.r, p: q.p };
}

function checkSalt(salt: unknown): Uint8Array {
  if (!(salt instanceof Uint8Array) || salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) {
    throw new PakeError('pake.invalid_params', `the salt must be ${MIN_SALT_BYTES}..${MAX_SALT_BYTES} bytes`);
  }
  return salt.slice();
}

function optionalBytes(name: string, v: unknown): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  if (!(v instanceof Uint8Array)) throw new PakeError('pake.invalid_argument', `${name} must be bytes`);
  return v.slice();
}

function registeredSuite(name: unknown): string {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(SPAKE2PLUS_SUITES, name)) {
    throw new PakeError('pake.invalid_params', 'unknown SPAKE2+ suite');
  }
  return name;
}

/** Checks a registration (from storage or from a peer) and returns a clean copy. */
export function checkRegistration(registration: unknown): Registration {
  const r = registration as Partial<Registration> | null;
  if (typeof r !== 'object' || r === null) throw new PakeError('pake.invalid_params', 'a SPAKE2+ registration is required');
  return {
    suite: registeredSuite(r.suite),
    pbkdf: checkPbkdfParams(r.pbkdf),
    salt: checkSalt(r.salt),
    idProver: optionalBytes('idProver', r.idProver),
    idVerifier: optionalBytes('idVerifier', r.idVerifier),
  };
}

/**
 * w0 and w1 from password bytes (RFC 9383 §3.2 with scrypt). Prefer
 * deriveProverSecrets(code, registration), which parses the code first.
 */
export function deriveSecretsFromPassword(password: Uint8Array, registration: Registration): ProverSecrets {
  if (!(password instanceof Uint8Array) || password.length === 0) throw new PakeError('pake.invalid_argument', 'the password must be non-empty bytes');
  const reg = checkRegistration(registration);
  const g = group(resolveSuite(reg.suite).curve);
  const half = g.scalarBytes + 8; // ceil(log2(p)/8) + k/8 with k = 64
  const input = lengthPrefixed([password, reg.idProver, reg.idVerifier]);
  const out = scrypt(input, reg.salt, { N: reg.pbkdf.N, r: reg.pbkdf.r, p: reg.pbkdf.p, dkLen: 2 * half, maxmem: MAX_SCRYPT_MEMORY + 1024 * 1024 });
  input.fill(0);
  const w0 = bytesToNumberBE(out.subarray(0, half)) % g.order;
  const w1 = bytesToNumberBE(out.subarray(half)) % g.order;
  out.fill(0);
  // Probability 2^-256 each; a zero scalar would make the exchange degenerate (L = identity).
  if (w0 === 0n || w1 === 0n) throw new PakeError('pake.invalid_params', 'degenerate SPAKE2+ secret: choose another salt');
  return { w0: encodeScalar(g, w0), w1: encodeScalar(g, w1) };
}

/** The phone's w0 and w1 for a typed setup code (`pake.invalid_code` on a typo). */
export function deriveProverSecrets(code: string, registration: Registration): ProverSecrets {
  const password = setupCodePassword(code);
  try {
    return deriveSecretsFromPassword(password, registration);
  } finally {
    password.fill(0);
  }
}

/**
 * The factory's step: the verifier record (w0, L and the public
 * registration) for a device's setup code. w1 exists only inside this call
 * and is wiped before it returns.
 */
export function createVerifierRecord(
  code: string,
  salt: Uint8Array,
  params: PbkdfParams = DEFAULT_PBKDF,
  options: RegistrationOptions = {},
): VerifierRecord {
  const suite = resolveSuite(options.suite ?? P256_SHA256);
  const registration = checkRegistration({ suite: suite.name, pbkdf: params, salt, idProver: options.idProver, idVerifier: options.idVerifier });
  const { w0, w1 } = deriveProverSecrets(code, registration);
  try {
    return { registration, w0, L: computeL(suite, w1) };
  } finally {
    w1.fill(0);
  }
}
