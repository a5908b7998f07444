/**
 * The device's MQTT broker token: how a device proves, when it connects to
 * its manufacturer's broker, that it holds the key of its device DID.
 *
 * CONNECT carries username = the device DID (an Ed25519 did:key) and
 * password = a compact JWS (RFC 7515 §7.1) signed with EdDSA by that key:
 *
 *   header  { alg: "EdDSA", typ: "ssiot-broker+jwt", kid: <did>#<multikey> }
 *   claims  { iss: <device DID>, aud: <broker/service id>, iat, exp, jti }
 *
 * Neutral (runs on the device, in XS): the device makes tokens, the broker
 * (manufacturer/broker) verifies them. Stateless here; refusing a `jti`
 * seen before is the broker's job (it needs memory across connections).
 *
 * Choices, where JWT (RFC 7519) leaves room:
 * - Explicit type `typ: ssiot-broker+jwt` (RFC 8725 §3.11), required: the
 *   same device key signs firmware status reports (compact JWS too), and no
 *   other JWS made with it can pass as a broker token.
 * - The key is the one the DID names (did:key is the key), so no resolver
 *   is needed and `kid` is optional; when present it must be the did:key's
 *   own verification method (`<did>#<multikey>`).
 * - `aud` is a string; an array containing the audience is also accepted
 *   (RFC 7519 §4.1.3 allows both).
 * - Lifetime: exp - iat at most 600 s (MAX_BROKER_TOKEN_LIFETIME_SECONDS).
 *   A token is meant to be used once, right after it is made; the short
 *   life bounds both a stolen token's use and the broker's replay memory.
 * - Clocks: a device may have no RTC. It must set its clock before minting
 *   (SNTP, or the `Date` header of any response from its manufacturer);
 *   the verifier then tolerates `maxSkewSeconds` (default 300 s, at most
 *   3600) of disagreement both ways: `iat` may be up to that far in the
 *   future, `exp` up to that far in the past. Five minutes covers the
 *   drift of a crystal clock synced at boot over days and ordinary NTP
 *   error, while keeping a captured token's useful life under 20 minutes
 *   (600 + 2 × 300). A device whose clock was never set (1970, or its build
 *   date) is refused with `broker.expired`, which tells it to sync first.
 * - Times are NumericDate seconds in the token, integers; `now` in the API
 *   is epoch milliseconds (like Date.now() and the device host's now()).
 */
import { getCrypto } from '../../crypto/index.ts';
import { publicKeyFromDidKey } from '../../did/key.ts';
import type { PublicKey } from '../../did/keys.ts';
import { base64urlDecode, base64urlEncode } from '../../encoding/base64url.ts';
import { utf8Encode } from '../../encoding/bytes.ts';
import { isRecord, parseJsonBytes } from '../../encoding/json.ts';
import { BrokerError } from '../../errors.ts';

/** The JWS `typ` of a broker token (explicit typing, RFC 8725 §3.11). */
export const BROKER_TOKEN_TYP = 'ssiot-broker+jwt';
/** Longest lifetime (exp - iat) a token may state, seconds. */
export const MAX_BROKER_TOKEN_LIFETIME_SECONDS = 600;
/** Lifetime createBrokerToken uses when none is given, seconds. */
export const DEFAULT_BROKER_TOKEN_TTL_SECONDS = 300;
/** Clock disagreement verifyBrokerToken tolerates by default, seconds (see the module comment). */
export const DEFAULT_BROKER_TOKEN_SKEW_SECONDS = 300;
/** Largest maxSkewSeconds a verifier may configure, seconds. */
export const MAX_BROKER_TOKEN_SKEW_SECONDS = 3600;
/** Longest token accepted, characters (a real one is about 400). */
export const MAX_BROKER_TOKEN_LENGTH = 2048;

/** jti: 16-128 base64url characters (createBrokerToken uses 16 random bytes = 22 characters). */
const JTI = /^[A-Za-z0-9_-]{16,128}$/;

/** The claims of a broker token. */
export interface BrokerTokenClaims {
  /** The device DID (an Ed25519 did:key); also the CONNECT username. */
  iss: string;
  /** The broker or service the token is for. */
  aud: string;
  /** Issued at, epoch seconds (device clock). */
  iat: number;
  /** Expires at, epoch seconds (device clock); exp - iat ≤ 600. */
  exp: number;
  /** Random token id; the broker refuses one it has seen within the token's lifetime. */
  jti: string;
}

export interface CreateBrokerTokenOptions {
  /** The device DID: an Ed25519 did:key. */
  did: string;
  /** Signs bytes with the DID's Ed25519 key (a wallet, a secure element); may be asynchronous. */
  sign(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** The broker/service id the token is for (`aud`). */
  audience: string;
  /** Epoch milliseconds; default Date.now(). */
  now?: number;
  /** Lifetime in seconds, 1-600; default 300. */
  ttlSeconds?: number;
}

export interface VerifyBrokerTokenOptions {
  /** The audience this verifier answers to; `aud` must be (or contain) it. */
  audience: string;
  /** Epoch milliseconds; default Date.now(). */
  now?: number;
  /** Tolerated clock disagreement, seconds, 0-3600; default 300. */
  maxSkewSeconds?: number;
}

const invalid = (message: string): BrokerError => new BrokerError('broker.invalid_token', message);

function argument(message: string): BrokerError {
  return new BrokerError('broker.invalid_argument', message);
}

/** The Ed25519 key a device DID names; `broker.invalid_token` (verifying) or `broker.invalid_argument` (making) otherwise. */
function deviceKey(did: unknown, fail: (message: string) => BrokerError): PublicKey {
  if (typeof did !== 'string' || !did.startsWith('did:key:')) throw fail('the device DID must be a did:key');
  let key: PublicKey;
  try {
    key = publicKeyFromDidKey(did);
  } catch {
    throw fail('the device DID is not a valid did:key');
  }
  if (key.kind !== 'Ed25519') throw fail('the device DID must hold an Ed25519 key');
  return key;
}

/** The did:key's own verification method id, the token's `kid`. */
function didKeyKid(did: string): string {
  return `${did}#${did.slice('did:key:'.length)}`;
}

function nowSeconds(now: number | undefined): number {
  const ms = now ?? Date.now();
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw argument('now must be epoch milliseconds');
  return Math.floor(ms / 1000);
}

function audienceOf(audience: unknown): string {
  if (typeof audience !== 'string' || audience.length === 0 || audience.length > 512) throw argument('audience must be a non-empty string of at most 512 characters');
  return audience;
}

function encodeJson(x: object): string {
  return base64urlEncode(utf8Encode(JSON.stringify(x)));
}

/**
 * Makes a broker token for `did`, signed by `sign` (the device key). The
 * device calls it for every connection attempt, reconnects included: the
 * broker accepts each `jti` once.
 * `broker.invalid_argument` for a DID that is not an Ed25519 did:key, a
 * lifetime outside 1-600 s, or a signature that is not 64 bytes.
 */
export async function createBrokerToken(options: CreateBrokerTokenOptions): Promise<string> {
  if (!isRecord(options)) throw argument('options are required');
  const { did, sign } = options;
  deviceKey(did, argument);
  if (typeof sign !== 'function') throw argument('sign must be a function');
  const aud = audienceOf(options.audience);
  const ttl = options.ttlSeconds ?? DEFAULT_BROKER_TOKEN_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_BROKER_TOKEN_LIFETIME_SECONDS) {
    throw argument(`ttlSeconds must be an integer from 1 to ${MAX_BROKER_TOKEN_LIFETIME_SECONDS}`);
  }
  const iat = nowSeconds(options.now);
  const claims: BrokerTokenClaims = { iss: did, aud, iat, exp: iat + ttl, jti: base64urlEncode(getCrypto().randomBytes(16)) };
  const signingInput = `${encodeJson({ alg: 'EdDSA', typ: BROKER_TOKEN_TYP, kid: didKeyKid(did) })}.${encodeJson(claims)}`;
  const signature = await sign(utf8Encode(signingInput));
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw argument('sign must return a 64-byte Ed25519 signature');
  return `${signingInput}.${base64urlEncode(signature)}`;
}

function jsonPart(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = parseJsonBytes(base64urlDecode(part));
  } catch {
    throw invalid(`token ${what} is not base64url JSON`);
  }
  if (!isRecord(v)) throw invalid(`token ${what} must be a JSON object`);
  return v;
}

function numericDate(v: unknown, name: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw invalid(`${name} must be a non-negative integer (epoch seconds)`);
  return v as number;
}

/**
 * Checks a broker token and returns its claims: shape, EdDSA signature by
 * the key of the `iss` did:key, audience, lifetime and time window (see
 * the module comment for the skew). Does not check replay (the broker does).
 * Errors (BrokerError): `broker.invalid_token` (malformed, wrong alg/typ,
 * bad claims, lifetime over 600 s), `broker.bad_signature`,
 * `broker.wrong_audience`, `broker.expired`, `broker.not_yet_valid`,
 * `broker.invalid_argument` (the verifier's own options).
 */
export function verifyBrokerToken(token: string, options: VerifyBrokerTokenOptions): BrokerTokenClaims {
  if (!isRecord(options)) throw argument('options are required');
  const audience = audienceOf(options.audience);
  const skew = options.maxSkewSeconds ?? DEFAULT_BROKER_TOKEN_SKEW_SECONDS;
  if (!Number.isSafeInteger(skew) || skew < 0 || skew > MAX_BROKER_TOKEN_SKEW_SECONDS) {
    throw argument(`maxSkewSeconds must be an integer from 0 to ${MAX_BROKER_TOKEN_SKEW_SECONDS}`);
  }
  const now = nowSeconds(options.now);

  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_BROKER_TOKEN_LENGTH) {
    throw invalid(`a broker token is a compact JWS of at most ${MAX_BROKER_TOKEN_LENGTH} characters`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('a compact JWS has three parts');
  const header = jsonPart(parts[0], 'header');
  if (header.alg !== 'EdDSA') throw invalid('broker tokens are signed with EdDSA');
  if (header.typ !== BROKER_TOKEN_TYP) throw invalid(`token typ must be ${BROKER_TOKEN_TYP}`);
  if (header.crit !== undefined) throw invalid('crit header parameters are not supported');
  const claims = jsonPart(parts[1], 'claims');
  const key = deviceKey(claims.iss, invalid);
  const iss = claims.iss as string;
  if (header.kid !== undefined && header.kid !== didKeyKid(iss)) throw invalid('token kid is not the key of iss');
  let signature: Uint8Array;
  try {
    signature = base64urlDecode(parts[2]);
  } catch {
    throw invalid('token signature is not base64url');
  }
  if (signature.length !== 64 || !getCrypto().ed25519Verify(signature, utf8Encode(`${parts[0]}.${parts[1]}`), key.bytes)) {
    throw new BrokerError('broker.bad_signature', 'token signature does not verify with the key of iss');
  }

  const aud = claims.aud;
  const audOk = typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.length <= 16 && aud.includes(audience);
  if (!audOk) throw new BrokerError('broker.wrong_audience', 'token is for another broker');
  const iat = numericDate(claims.iat, 'iat');
  const exp = numericDate(claims.exp, 'exp');
  if (exp <= iat || exp - iat > MAX_BROKER_TOKEN_LIFETIME_SECONDS) {
    throw invalid(`token lifetime must be 1 to ${MAX_BROKER_TOKEN_LIFETIME_SECONDS} seconds`);
  }
  if (typeof claims.jti !== 'string' || !JTI.test(claims.jti)) throw invalid('jti must be 16-128 base64url characters');
  if (iat > now + skew) throw new BrokerError('broker.not_yet_valid', 'token issued in the future (device clock ahead?)');
  if (now > exp + skew) throw new BrokerError('broker.expired', 'token expired (or the device clock is behind)');
  return { iss, aud: audience, iat, exp, jti: claims.jti };
}

/**
 * The last moment (epoch seconds, verifier's clock) a verifier with
 * `maxSkewSeconds` still accepts the token: how long a replay guard must
 * remember its `jti`.
 */
export function brokerTokenAcceptedUntil(claims: Pick<BrokerTokenClaims, 'exp'>, maxSkewSeconds: number = DEFAULT_BROKER_TOKEN_SKEW_SECONDS): number {
  return claims.exp + maxSkewSeconds;
}
