/**
 * Pinning the root of a downstream-DID chain by publication date and a
 * short confirmation code (Trustchain: users configure the root by its
 * "root event date" plus a code — there, the first characters of the
 * Bitcoin transaction that timestamped the root DID — which together
 * single out the root among that day's candidates).
 *
 * We have no blockchain timestamp, so the code is derived from the root's
 * content and the date instead:
 *
 *   code = first N characters of base32(SHA-256(JCS({ date, document })))
 *
 * with base32 = RFC 4648 alphabet in lower case, no padding, N = 8 by
 * default (40 bits); `document` is the root DID document as attested
 * documents are hashed (attestation.ts documentForDigest). The pin is
 * { date: "YYYY-MM-DD", code, did? }.
 *
 * What it proves: the root the chain ends at has exactly the content the
 * user was told about on that date. What it does not: 40 bits can be
 * ground by a determined forger who controls the whole document, so pin
 * the DID too where you can — then a forger must also hold the root's key
 * (did:key) or match its self-certifying SCID (did:webvh). A longer code
 * (up to 52 characters = the whole hash) is accepted everywhere.
 *
 * When the chain's source also reports when the root was published (did:webvh:
 * the first log entry's versionTime, metadata `created`), that date must be
 * the pinned date as well (UTC calendar date).
 */
import { base32nopad } from '@scure/base';
import { getCrypto } from '../crypto/index.ts';
import { isDid } from '../did/did-url.ts';
import type { DidDocument } from '../did/types.ts';
import { canonicalizeToBytes } from '../encoding/jcs.ts';
import { isRecord } from '../encoding/json.ts';
import { TrustError } from '../errors.ts';
import { parseDateTimeStamp } from '../vc/datetime.ts';
import { documentForDigest } from './attestation.ts';

export const DEFAULT_CODE_LENGTH = 8;
const MAX_CODE_LENGTH = 52;

export interface RootPin {
  /** Publication date, YYYY-MM-DD (UTC). */
  date: string;
  /** Confirmation code (lower-case base32). */
  code: string;
  /** The root DID, when the user has it too (recommended). */
  did?: string;
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const [y, m, d] = s.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** The UTC calendar date of an XML Schema dateTimeStamp, or undefined. */
export function utcDateOf(dateTime: unknown): string | undefined {
  const ms = parseDateTimeStamp(dateTime);
  if (ms === undefined) return undefined;
  return new Date(ms).toISOString().slice(0, 10);
}

/** The confirmation code of `document` published on `date`. */
export function confirmationCode(didDoc: DidDocument, date: string, length: number = DEFAULT_CODE_LENGTH): string {
  if (!isIsoDate(date)) throw new TrustError('trust.invalid_argument', 'date must be a calendar date YYYY-MM-DD');
  if (!Number.isSafeInteger(length) || length < 4 || length > MAX_CODE_LENGTH) {
    throw new TrustError('trust.invalid_argument', `code length must be 4 to ${MAX_CODE_LENGTH}`);
  }
  const digest = getCrypto().sha256(canonicalizeToBytes({ date, document: documentForDigest(didDoc) }));
  return base32nopad.encode(digest).toLowerCase().slice(0, length);
}

/** The pin to publish for a root: its DID, date and code. */
export function rootPinFor(didDoc: DidDocument, date: string, length: number = DEFAULT_CODE_LENGTH): Required<RootPin> {
  return { did: didDoc.id, date, code: confirmationCode(didDoc, date, length) };
}

/** Problems with a pin's shape. */
export function rootPinProblems(pin: unknown): string[] {
  if (!isRecord(pin)) return ['root pin must be {date, code, did?}'];
  const out: string[] = [];
  if (!isIsoDate(pin.date)) out.push('root pin date must be YYYY-MM-DD');
  if (typeof pin.code !== 'string' || !/^[a-z2-7]{4,52}$/.test(pin.code.toLowerCase())) out.push('root pin code must be 4-52 base32 characters');
  if (pin.did !== undefined && !isDid(pin.did)) out.push('root pin did must be a DID');
  return out;
}
