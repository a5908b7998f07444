/**
 * Staff password hashing: Argon2id (RFC 9106), the memory-hard KDF OWASP
 * recommends for passwords, from @noble/hashes. Stored as a PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, base64 without padding),
 * the format libargon2 and every other Argon2 library read, so the hashes
 * survive a change of library and carry their own parameters: raising the
 * cost later leaves old hashes verifiable (and `needsRehash` says when to
 * upgrade one at the next sign-in).
 *
 * The async variant yields to the event loop while it works (a 19 MiB hash
 * takes ~0.3 s in Node), so sign-ins never stall the rest of the service.
 */
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { base64nopad } from '@scure/base';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ConsoleError } from './errors.ts';

/** Argon2id cost: memory in KiB, iterations, lanes. */
export interface Argon2Params {
  m: number;
  t: number;
  p: number;
}

/** OWASP Password Storage Cheat Sheet, first Argon2id option: 19 MiB, 2 iterations, 1 lane. */
export const DEFAULT_ARGON2: Readonly<Argon2Params> = Object.freeze({ m: 19 * 1024, t: 2, p: 1 });

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Upper bounds on parameters read from storage: a tampered row must not make sign-in allocate gigabytes. */
const MAX_M = 1024 * 1024;
const MAX_T = 16;
const MAX_P = 8;
const PHC_RE = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;
/** The longest password accepted: bounds the work an attacker can make one request cost. */
export const MAX_PASSWORD_LENGTH = 1024;

function checkParams(p: Argon2Params): void {
  const ok = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
  if (!ok(p.t, 1, MAX_T) || !ok(p.p, 1, MAX_P) || !ok(p.m, 8 * p.p, MAX_M)) {
    throw new ConsoleError('console.invalid_argument', 'Argon2id parameters out of range (m in KiB >= 8p, t 1..16, p 1..8)');
  }
}

async function derive(password: string, salt: Uint8Array, p: Argon2Params): Promise<Uint8Array> {
  return argon2idAsync(password, salt, { m: p.m, t: p.t, p: p.p, dkLen: HASH_BYTES, maxmem: (MAX_M + 1) * 1024 });
}

/** Hashes a password with a fresh random salt; returns the PHC string to store. */
export async function hashPassword(password: string, params: Argon2Params = DEFAULT_ARGON2): Promise<string> {
  checkParams(params);
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new ConsoleError('console.invalid_argument', `a password has 1 to ${MAX_PASSWORD_LENGTH} characters`);
  }
  const salt = new Uint8Array(randomBytes(SALT_BYTES));
  const hash = await derive(password, salt, params);
  return `$argon2id$v=19$m=${params.m},t=${params.t},p=${params.p}$${base64nopad.encode(salt)}$${base64nopad.encode(hash)}`;
}

interface Parsed {
  params: Argon2Params;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parse(phc: string): Parsed {
  const m = PHC_RE.exec(phc);
  if (!m) throw new ConsoleError('console.invalid_argument', 'not an Argon2id PHC string');
  const params = { m: Number(m[1]), t: Number(m[2]), p: Number(m[3]) };
  checkParams(params);
  return { params, salt: base64nopad.decode(m[4]), hash: base64nopad.decode(m[5]) };
}

/**
 * True when `password` matches the stored hash. The comparison is constant
 * time (timingSafeEqual); the work is the same for a right and a wrong
 * password, which is what keeps timing from telling them apart.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const { params, salt, hash } = parse(phc);
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const got = await derive(password, salt, params);
  return got.length === hash.length && timingSafeEqual(got, hash);
}

/** True when the stored hash was made with other parameters than `params` (re-hash it at the next sign-in). */
export function needsRehash(phc: string, params: Argon2Params = DEFAULT_ARGON2): boolean {
  const p = parse(phc).params;
  return p.m !== params.m || p.t !== params.t || p.p !== params.p;
}
