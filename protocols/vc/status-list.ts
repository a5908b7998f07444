/**
 * W3C Bitstring Status List v1.0 (Recommendation, 15 May 2025): revocation,
 * suspension and status messages for credentials, published as one signed
 * `BitstringStatusListCredential` whose `encodedList` holds the status of
 * many credentials at once (herd privacy: a verifier fetching the list does
 * not tell the issuer which credential it is looking at).
 *
 * The device keeps one for the owner-imprint credentials it issues and
 * revokes the old imprint on transfer or factory reset; the owner keeps one
 * for the service authorizations it grants.
 *
 * Bitstring layout (spec §2.2, §7.1): index 0 is the left-most bit, i.e. the
 * most significant bit of the first byte. An entry of `statusSize` bits for
 * `statusListIndex` i occupies bits i*statusSize .. i*statusSize+statusSize-1
 * (§3.2 "position indicated by the credentialIndex multiplied by the size").
 * Choice where the spec is silent: within a multi-bit entry the left-most bit
 * is the most significant bit of the value (bits read left to right, as the
 * whole bitstring is).
 *
 * Error codes (VcError; the spec's error names in brackets):
 *   vc.invalid_status              a credential's BitstringStatusListEntry is malformed [MALFORMED_VALUE_ERROR]
 *   vc.invalid_status_list         encodedList not `u`+base64url, not GZIP, a zip bomb / over the size
 *                                  limit, fewer than the minimum entries [STATUS_LIST_LENGTH_ERROR],
 *                                  or the list credential's subject is malformed [MALFORMED_VALUE_ERROR]
 *   vc.status_unavailable          fetchStatusList failed [STATUS_RETRIEVAL_ERROR]
 *   vc.status_verification_failed  the status list credential does not verify, is not a
 *                                  BitstringStatusListCredential, has another id, another issuer, or
 *                                  another purpose / statusSize than the entry [STATUS_VERIFICATION_ERROR]
 *   vc.status_index_out_of_range   statusListIndex beyond the list [RANGE_ERROR]
 *   vc.invalid_status_value        setStatus with a value that does not fit statusSize
 *   vc.status_list_full            randomStatusIndex found no free index
 */
import { parseJson } from '../encoding/json.ts';
import { multibaseEncode } from '../encoding/multibase.ts';
import { base64urlDecode } from '../encoding/base64url.ts';
import { getCrypto } from '../crypto/index.ts';
import type { DidResolver } from '../did/types.ts';
import { VcError, isSsiotError } from '../errors.ts';
import { CREDENTIALS_V2_CONTEXT, isJsonObject, isUrl, issuerId } from './credential.ts';
import type { IssuerObject, JsonLdContextEntry, VerifiableCredential } from './credential.ts';
import { formatDateTimeStamp, isDateTimeStamp } from './datetime.ts';
import { gunzip, gzip } from './gzip.ts';
import type { VcProblem } from './problems.ts';
import { verifyCredential } from './verify.ts';

export const BITSTRING_STATUS_LIST_ENTRY = 'BitstringStatusListEntry';
export const BITSTRING_STATUS_LIST_CREDENTIAL = 'BitstringStatusListCredential';
export const BITSTRING_STATUS_LIST = 'BitstringStatusList';

/**
 * The spec's minimumNumberOfEntries (§3.2): 131,072 entries, 16 KiB of
 * 1-bit statuses. Smaller lists would shrink the crowd a holder hides in.
 */
export const STATUS_LIST_MIN_ENTRIES = 131072;

/**
 * Default cap on a decoded bitstring: 1 MiB (8,388,608 one-bit entries, 64
 * times the minimum). Far above any list we expect, small enough that a
 * hostile list cannot exhaust a device; callers can lower or raise it.
 */
export const STATUS_LIST_MAX_BYTES = 1 << 20;

/**
 * Largest statusSize we process. The spec sets no bound, but an entry of
 * n bits needs 2^n statusMessage items, so beyond 16 bits no conforming
 * entry is practical; larger sizes are refused rather than mis-read.
 */
export const STATUS_SIZE_MAX = 16;

/** Largest bitstring createStatusList builds (2^31 bits = 256 MiB). */
const MAX_BITS = 2 ** 31;

/** Status values with a meaning defined by the spec; any other string is allowed too. */
export type StatusPurpose = 'revocation' | 'suspension' | 'message' | 'refresh' | (string & {});

/** A bitstring of `length` entries of `statusSize` bits each (left-most bit first). */
export interface StatusList {
  /** Number of entries. */
  readonly length: number;
  /** Bits per entry (1 for revocation/suspension). */
  readonly statusSize: number;
  /** The bitstring itself; setStatus writes into it. */
  readonly bits: Uint8Array;
}

/** One item of `statusMessage` (§2.1): the value as `0x`-prefixed hex and a developer-facing message. */
export interface StatusMessage {
  status: string;
  message: string;
  [property: string]: unknown;
}

/** A `credentialStatus` entry of type BitstringStatusListEntry (§2.1). */
export interface BitstringStatusListEntry {
  id?: string;
  type: typeof BITSTRING_STATUS_LIST_ENTRY;
  statusPurpose: StatusPurpose;
  /** Base-10 integer as a string. */
  statusListIndex: string;
  statusListCredential: string;
  statusSize?: number;
  statusMessage?: StatusMessage[];
  statusReference?: string | string[];
  [property: string]: unknown;
}

function invalidList(message: string, cause?: unknown): VcError {
  return new VcError('vc.invalid_status_list', message, cause === undefined ? undefined : { cause });
}

function checkStatusSize(statusSize: unknown, code: 'vc.invalid_status' | 'vc.invalid_status_list'): number {
  if (!Number.isInteger(statusSize) || (statusSize as number) < 1) {
    throw new VcError(code, 'statusSize must be an integer greater than zero');
  }
  if ((statusSize as number) > STATUS_SIZE_MAX) {
    throw new VcError(code, `statusSize ${statusSize as number} is not supported (at most ${STATUS_SIZE_MAX} bits)`);
  }
  return statusSize as number;
}

function checkMinimum(minimumEntries: unknown): number {
  if (!Number.isSafeInteger(minimumEntries) || (minimumEntries as number) < 0) {
    throw invalidList('minimumEntries must be a non-negative integer');
  }
  return minimumEntries as number;
}

export interface CreateStatusListOptions {
  /** Number of entries; default (and minimum) 131,072. */
  length?: number;
  /** Bits per entry; default 1. */
  statusSize?: number;
  /**
   * Lower bound on `length`; default STATUS_LIST_MIN_ENTRIES. The spec lets
   * an ecosystem specification set another; tests use small lists.
   */
  minimumEntries?: number;
}

/**
 * A new, all-zero status list. Refuses (`vc.invalid_status_list`) lists
 * shorter than the herd-privacy minimum: a device with a handful of owners
 * still publishes 131,072 entries, which GZIP shrinks to ~50 bytes.
 */
export function createStatusList(options: CreateStatusListOptions = {}): StatusList {
  const statusSize = checkStatusSize(options.statusSize ?? 1, 'vc.invalid_status_list');
  const minimum = checkMinimum(options.minimumEntries ?? STATUS_LIST_MIN_ENTRIES);
  const length = options.length ?? STATUS_LIST_MIN_ENTRIES;
  if (!Number.isSafeInteger(length) || length < 1) throw invalidList('length must be a positive integer');
  if (length < minimum) throw invalidList(`a status list needs at least ${minimum} entries for herd privacy (got ${length})`);
  if (length * statusSize > MAX_BITS) throw invalidList(`a status list is limited to ${MAX_BITS} bits`);
  return { length, statusSize, bits: new Uint8Array(Math.ceil((length * statusSize) / 8)) };
}

function checkList(list: StatusList): void {
  if (
    !list ||
    !(list.bits instanceof Uint8Array) ||
    !Number.isSafeInteger(list.length) ||
    !Number.isInteger(list.statusSize) ||
    list.statusSize < 1 ||
    list.statusSize > STATUS_SIZE_MAX ||
    list.length * list.statusSize > list.bits.length * 8
  ) {
    throw invalidList('not a status list (use createStatusList or decodeStatusList)');
  }
}

function checkIndex(list: StatusList, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= list.length) {
    throw new VcError('vc.status_index_out_of_range', `status index ${String(index)} is outside 0..${list.length - 1}`);
  }
}

/**
 * The status at `index`: 0/1 for a 1-bit list, 0..2^statusSize-1 otherwise.
 * Throws `vc.status_index_out_of_range`.
 */
export function getStatus(list: StatusList, index: number): number {
  checkList(list);
  checkIndex(list, index);
  let value = 0;
  const first = index * list.statusSize;
  for (let b = 0; b < list.statusSize; b++) {
    const pos = first + b;
    const bit = (list.bits[Math.floor(pos / 8)] >> (7 - (pos % 8))) & 1;
    value = value * 2 + bit;
  }
  return value;
}

/**
 * Writes the status at `index` (in place). `value` is a boolean (1-bit lists:
 * true = set, i.e. revoked/suspended) or an integer that fits statusSize.
 * Throws `vc.status_index_out_of_range`, `vc.invalid_status_value`.
 */
export function setStatus(list: StatusList, index: number, value: boolean | number): void {
  checkList(list);
  checkIndex(list, index);
  let v: number;
  if (typeof value === 'boolean') {
    if (list.statusSize !== 1) throw new VcError('vc.invalid_status_value', `a ${list.statusSize}-bit status needs a number, not a boolean`);
    v = value ? 1 : 0;
  } else {
    v = value;
  }
  const max = 2 ** list.statusSize - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new VcError('vc.invalid_status_value', `status value must be an integer in 0..${max}`);
  }
  const first = index * list.statusSize;
  for (let b = list.statusSize - 1; b >= 0; b--) {
    const pos = first + b;
    const byte = Math.floor(pos / 8);
    const mask = 1 << (7 - (pos % 8));
    list.bits[byte] = v % 2 ? list.bits[byte] | mask : list.bits[byte] & ~mask;
    v = Math.floor(v / 2);
  }
}

/**
 * `encodedList` (§3.3): the bitstring GZIP-compressed, then multibase
 * base64url without padding (prefix `u`). 131,072 entries with a few set
 * bits come to ~57 bytes, a 77-character string.
 */
export function encodeStatusList(list: StatusList): string {
  checkList(list);
  return multibaseEncode(gzip(list.bits), 'base64url');
}

export interface DecodeStatusListOptions {
  /** Bits per entry, from the credential's entry; default 1. */
  statusSize?: number;
  /** Default STATUS_LIST_MIN_ENTRIES (§3.2 minimumNumberOfEntries). */
  minimumEntries?: number;
  /** Decompression limit in bytes; default STATUS_LIST_MAX_BYTES. */
  maxBytes?: number;
}

/**
 * Expands an `encodedList` (§3.4) into a StatusList of
 * floor(bits / statusSize) entries. Throws `vc.invalid_status_list` when it
 * is not a string with multibase prefix `u`, not canonical base64url, not a
 * single valid GZIP member, larger than `maxBytes` once expanded (checked
 * while inflating: a zip bomb stops at the limit), or shorter than
 * `minimumEntries` [STATUS_LIST_LENGTH_ERROR].
 */
export function decodeStatusList(encodedList: string, options: DecodeStatusListOptions = {}): StatusList {
  const statusSize = checkStatusSize(options.statusSize ?? 1, 'vc.invalid_status_list');
  const minimum = checkMinimum(options.minimumEntries ?? STATUS_LIST_MIN_ENTRIES);
  const maxBytes = options.maxBytes ?? STATUS_LIST_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw invalidList('maxBytes must be a non-negative integer');
  if (typeof encodedList !== 'string' || encodedList.length === 0) throw invalidList('encodedList must be a non-empty string');
  if (encodedList[0] !== 'u') throw invalidList('encodedList must be multibase base64url (prefix "u")');
  // Refuse absurd strings before decoding them. A legitimate GZIP of
  // maxBytes is at most maxBytes plus 5 bytes per 64 KiB stored block plus
  // header and trailer; 1/1000 + 1 KiB is a generous bound.
  const maxCompressed = maxBytes + Math.ceil(maxBytes / 1000) + 1024;
  if (encodedList.length > Math.ceil((maxCompressed * 4) / 3) + 1) {
    throw invalidList(`encodedList is longer than any list of at most ${maxBytes} bytes`);
  }
  let compressed: Uint8Array;
  try {
    compressed = base64urlDecode(encodedList.slice(1));
  } catch (e) {
    throw invalidList('encodedList is not canonical unpadded base64url', e);
  }
  let bits: Uint8Array;
  try {
    bits = gunzip(compressed, maxBytes);
  } catch (e) {
    const code = isSsiotError(e) ? e.code : 'encoding.invalid_gzip';
    throw invalidList(`encodedList is not a usable GZIP bitstring (${code}: ${isSsiotError(e) ? e.message : 'corrupt'})`, e);
  }
  const length = Math.floor((bits.length * 8) / statusSize);
  if (length < minimum) {
    throw invalidList(`status list has ${length} entries of ${statusSize} bit(s); at least ${minimum} are required for herd privacy`);
  }
  return { length, statusSize, bits };
}

function timeValue(value: Date | string, what: string): string {
  if (typeof value === 'string') {
    if (!isDateTimeStamp(value)) throw new VcError('vc.invalid_datetime', `${what} must be an XML Schema dateTimeStamp`);
    return value;
  }
  return formatDateTimeStamp(value);
}

function purposeList(purpose: unknown, code: 'vc.invalid_status' | 'vc.invalid_status_list'): string[] {
  const list = Array.isArray(purpose) ? purpose : [purpose];
  if (list.length === 0 || !list.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new VcError(code, 'statusPurpose must be a non-empty string or a non-empty array of them');
  }
  return list as string[];
}

export interface StatusListCredentialOptions {
  /** The URL the list is published at (= the entries' statusListCredential). */
  id: string;
  issuer: string | IssuerObject;
  /** One purpose, or several when one list serves several (§2.2). */
  purpose: StatusPurpose | StatusPurpose[];
  list: StatusList;
  validFrom?: Date | string;
  validUntil?: Date | string;
  /** `credentialSubject.ttl`, milliseconds before a verifier should refetch. */
  ttl?: number;
  /** `credentialSubject.statusMessages`, for purpose `message` (§2.2). */
  statusMessages?: StatusMessage[];
  /** Extra @context entries after the v2 context (which already defines the status terms). */
  context?: JsonLdContextEntry[];
}

/**
 * An unsigned BitstringStatusListCredential (§2.2, §3.1) for `list`; secure
 * it with issueCredential before publishing. credentialSubject.id is
 * `<id>#list` as in the spec's examples (omitted when `id` already has a
 * fragment). credentialSubject.statusSize is written when it is not 1 or the
 * purpose includes `message` (§2.2 requires it there).
 */
export function statusListCredential(options: StatusListCredentialOptions): VerifiableCredential {
  if (!options || !isUrl(options.id)) throw invalidList('status list credential id must be a URL');
  const purposes = purposeList(options.purpose, 'vc.invalid_status_list');
  const encodedList = encodeStatusList(options.list);
  const subject: Record<string, unknown> = {};
  if (!options.id.includes('#')) subject.id = `${options.id}#list`;
  subject.type = BITSTRING_STATUS_LIST;
  subject.statusPurpose = purposes.length === 1 ? purposes[0] : purposes;
  if (options.list.statusSize !== 1 || purposes.includes('message')) subject.statusSize = options.list.statusSize;
  if (options.statusMessages !== undefined) {
    subject.statusMessages = checkStatusMessages(options.statusMessages, options.list.statusSize, 'vc.invalid_status_list');
  }
  if (options.ttl !== undefined) {
    if (!Number.isSafeInteger(options.ttl) || options.ttl < 0) throw invalidList('ttl must be a non-negative integer (milliseconds)');
    subject.ttl = options.ttl;
  }
  subject.encodedList = encodedList;
  const vc: VerifiableCredential = {
    '@context': [CREDENTIALS_V2_CONTEXT, ...(options.context ?? [])],
    id: options.id,
    type: ['VerifiableCredential', BITSTRING_STATUS_LIST_CREDENTIAL],
    issuer: options.issuer,
    credentialSubject: subject,
  };
  if (options.validFrom !== undefined) vc.validFrom = timeValue(options.validFrom, 'validFrom');
  if (options.validUntil !== undefined) vc.validUntil = timeValue(options.validUntil, 'validUntil');
  return vc;
}

/**
 * statusMessage / statusMessages: exactly 2^statusSize items, each with a
 * `0x` hex `status` and a string `message`. Choice: the values must be
 * distinct and within range, so the list names every possible value once
 * (§2.1 "the number of status messages MUST equal the number of possible values").
 */
function checkStatusMessages(
  messages: unknown,
  statusSize: number,
  code: 'vc.invalid_status' | 'vc.invalid_status_list',
): StatusMessage[] {
  const count = 2 ** statusSize;
  if (!Array.isArray(messages) || messages.length !== count) {
    throw new VcError(code, `statusMessage must be an array of ${count} items for statusSize ${statusSize}`);
  }
  const seen = new Set<number>();
  for (const m of messages) {
    if (!isJsonObject(m) || typeof m.status !== 'string' || !/^0x[0-9a-fA-F]+$/.test(m.status) || typeof m.message !== 'string') {
      throw new VcError(code, 'each statusMessage item needs a "0x"-prefixed hex status and a string message');
    }
    const value = parseInt(m.status.slice(2), 16);
    if (value >= count || seen.has(value)) throw new VcError(code, `statusMessage value ${m.status} is out of range or repeated`);
    seen.add(value);
  }
  return messages as StatusMessage[];
}

export interface StatusListEntryOptions {
  statusListCredential: string;
  statusListIndex: number;
  statusPurpose: StatusPurpose;
  statusSize?: number;
  statusMessage?: StatusMessage[];
  statusReference?: string | string[];
  /** Default `<statusListCredential>#<index>`, as in the spec's examples (never the list's own URL). */
  id?: string;
}

/**
 * A BitstringStatusListEntry to put in an issued credential's
 * `credentialStatus`. Choose the index with randomStatusIndex (§2.1: indexes
 * SHOULD be assigned randomly). Throws `vc.invalid_status`.
 */
export function statusListEntry(options: StatusListEntryOptions): BitstringStatusListEntry {
  if (!options || !Number.isSafeInteger(options.statusListIndex) || options.statusListIndex < 0) {
    throw new VcError('vc.invalid_status', 'statusListIndex must be a non-negative integer');
  }
  const entry: Record<string, unknown> = {
    id: options.id ?? `${options.statusListCredential}#${options.statusListIndex}`,
    type: BITSTRING_STATUS_LIST_ENTRY,
    statusPurpose: options.statusPurpose,
    statusListIndex: String(options.statusListIndex),
    statusListCredential: options.statusListCredential,
  };
  if (options.statusSize !== undefined) entry.statusSize = options.statusSize;
  if (options.statusMessage !== undefined) entry.statusMessage = options.statusMessage;
  if (options.statusReference !== undefined) entry.statusReference = options.statusReference;
  parseStatusEntry(entry);
  return entry as BitstringStatusListEntry;
}

/** A checked BitstringStatusListEntry, with the index as a number and statusSize defaulted. */
export interface ParsedStatusEntry {
  purpose: string;
  index: number;
  statusListCredential: string;
  statusSize: number;
  statusMessage?: StatusMessage[];
}

/** True when a credentialStatus item declares the type BitstringStatusListEntry. */
export function isBitstringStatusListEntry(entry: unknown): boolean {
  if (!isJsonObject(entry)) return false;
  const t = entry.type;
  return t === BITSTRING_STATUS_LIST_ENTRY || (Array.isArray(t) && t.includes(BITSTRING_STATUS_LIST_ENTRY));
}

/**
 * Checks a BitstringStatusListEntry against §2.1; throws `vc.invalid_status`
 * [MALFORMED_VALUE_ERROR]. Choices: statusListIndex must be a string of
 * ASCII digits (a JSON number is refused: the spec says string; leading
 * zeros are accepted as still base 10); an index above 2^53-1 is refused as
 * out of any list's range.
 */
export function parseStatusEntry(entry: unknown): ParsedStatusEntry {
  if (!isBitstringStatusListEntry(entry)) throw new VcError('vc.invalid_status', `credentialStatus type must be ${BITSTRING_STATUS_LIST_ENTRY}`);
  const e = entry as Record<string, unknown>;
  if (typeof e.statusPurpose !== 'string' || e.statusPurpose.length === 0) {
    throw new VcError('vc.invalid_status', 'statusPurpose must be a non-empty string');
  }
  if (typeof e.statusListIndex !== 'string' || !/^[0-9]+$/.test(e.statusListIndex)) {
    throw new VcError('vc.invalid_status', 'statusListIndex must be a base-10 integer written as a string');
  }
  const index = Number(e.statusListIndex);
  if (!Number.isSafeInteger(index)) throw new VcError('vc.status_index_out_of_range', 'statusListIndex is beyond any status list');
  if (!isUrl(e.statusListCredential)) throw new VcError('vc.invalid_status', 'statusListCredential must be a URL');
  if (e.id !== undefined && (!isUrl(e.id) || e.id === e.statusListCredential)) {
    throw new VcError('vc.invalid_status', 'the status entry id must be a URL other than the status list URL');
  }
  const statusSize = e.statusSize === undefined ? 1 : checkStatusSize(e.statusSize, 'vc.invalid_status');
  let statusMessage: StatusMessage[] | undefined;
  if (e.statusMessage !== undefined) statusMessage = checkStatusMessages(e.statusMessage, statusSize, 'vc.invalid_status');
  else if (statusSize > 1) throw new VcError('vc.invalid_status', 'statusMessage is required when statusSize is greater than 1');
  if (e.statusReference !== undefined) {
    const refs = Array.isArray(e.statusReference) ? e.statusReference : [e.statusReference];
    if (refs.length === 0 || !refs.every(isUrl)) throw new VcError('vc.invalid_status', 'statusReference must be a URL or an array of URLs');
  }
  return { purpose: e.statusPurpose, index, statusListCredential: e.statusListCredential, statusSize, statusMessage };
}

/**
 * A random index in the list for a new credential (§2.1 SHOULD; §6.5: random
 * positions reveal neither issuance order nor how many were issued).
 * `isTaken` says which indexes are already assigned (not merely set: an
 * assigned, unrevoked index is still taken). Randomness comes from the
 * crypto facade. Throws `vc.status_list_full`.
 */
export function randomStatusIndex(list: StatusList, isTaken: (index: number) => boolean = () => false): number {
  checkList(list);
  const random = (): number => {
    // rejection sampling over 32 bits (or 53 for lists above 2^32) for an unbiased index
    const b = getCrypto().randomBytes(7);
    let r = 0;
    for (const x of b) r = r * 256 + x;
    return Math.floor(r / 2 ** 3); // 53 bits
  };
  const bound = 2 ** 53 - (2 ** 53 % list.length);
  for (let attempt = 0; attempt < 64; attempt++) {
    const r = random();
    if (r >= bound) continue;
    const index = r % list.length;
    if (!isTaken(index)) return index;
  }
  // Nearly full: scan from a random start so the pick is still unpredictable.
  const start = random() % list.length;
  for (let i = 0; i < list.length; i++) {
    const index = (start + i) % list.length;
    if (!isTaken(index)) return index;
  }
  throw new VcError('vc.status_list_full', 'every index of the status list is assigned');
}

export interface StatusCheckSettings {
  /**
   * Dereferences a statusListCredential URL (HTTP, a DIDComm request, a local
   * store, a holder-stapled copy...). Returns the credential, as an object or
   * JSON text. Should cache (spec §6.3); this module does not fetch by itself.
   */
  fetchStatusList(url: string): Promise<unknown>;
  /**
   * Issuers whose status lists are accepted for credentials of other
   * issuers (§2.2 allows the two to differ). By default a status list must
   * have the same issuer as the credential: anyone else could otherwise
   * publish a list saying "not revoked".
   */
  trustedStatusListIssuers?: readonly string[];
  /** Default STATUS_LIST_MIN_ENTRIES. */
  minimumEntries?: number;
  /** Decompression limit; default STATUS_LIST_MAX_BYTES. */
  maxBytes?: number;
}

export interface CheckCredentialStatusOptions extends StatusCheckSettings {
  /** Resolves the status list credential's signing key. */
  resolver: DidResolver;
  /** Clock for the status list's validity period and proof; default the wall clock. */
  now?: Date;
  clockSkewSeconds?: number;
  /** Which entry, when the credential has several BitstringStatusListEntry items. */
  purpose?: StatusPurpose;
}

/** The spec's validation result (§3.2). */
export interface CredentialStatusResult {
  purpose: string;
  /** 1-bit entries of a purpose other than `message`: true when set (revoked, suspended); otherwise the value. */
  status: boolean | number;
  /** True when the value is 0 (§3.2 `valid`). */
  valid: boolean;
  /** From statusMessage; for 1-bit `message` entries without one, "set"/"unset" (§2.1). */
  message?: string;
}

/** Per-verification memo of fetched and verified status list credentials, by URL. */
type ListCache = Map<string, Promise<Record<string, unknown>>>;

function verificationFailed(message: string, cause?: unknown): VcError {
  return new VcError('vc.status_verification_failed', message, cause === undefined ? undefined : { cause });
}

/** Dereference + verify all proofs (§3.2 step 4), type and id; shared by entries naming the same list. */
async function loadStatusListCredential(url: string, options: CheckCredentialStatusOptions): Promise<Record<string, unknown>> {
  let fetched: unknown;
  try {
    fetched = await options.fetchStatusList(url);
  } catch (e) {
    throw new VcError('vc.status_unavailable', `cannot retrieve the status list ${url}${isSsiotError(e) ? ` (${e.code})` : ''}`, { cause: e });
  }
  let slc = fetched;
  if (typeof slc === 'string') {
    try {
      slc = parseJson(slc);
    } catch (e) {
      throw verificationFailed(`the status list ${url} is not JSON`, e);
    }
  }
  if (!isJsonObject(slc)) throw verificationFailed(`the status list ${url} is not a credential`);
  const result = await verifyCredential(slc, {
    resolver: options.resolver,
    now: options.now,
    clockSkewSeconds: options.clockSkewSeconds,
  });
  if (!result.verified) {
    throw verificationFailed(`the status list credential ${url} does not verify (${result.errors.map((p: VcProblem) => p.code).join(', ')})`);
  }
  const types = Array.isArray(slc.type) ? slc.type : [slc.type];
  if (!types.includes(BITSTRING_STATUS_LIST_CREDENTIAL)) throw verificationFailed(`${url} is not a ${BITSTRING_STATUS_LIST_CREDENTIAL}`);
  // Choice: id is optional (§2.2 MAY), but when present it must be the URL we
  // asked for; otherwise a different list of the same issuer (where this
  // index is not set) could be served in its place.
  if (slc.id !== undefined && slc.id !== url) throw verificationFailed(`the status list at ${url} names itself ${String(slc.id)}`);
  return slc;
}

/** §3.2 steps 5-12 for one parsed entry of a credential by `credentialIssuer`. */
async function statusOfEntry(
  credentialIssuer: string,
  entry: ParsedStatusEntry,
  options: CheckCredentialStatusOptions,
  cache: ListCache,
): Promise<CredentialStatusResult> {
  const url = entry.statusListCredential;
  let pending = cache.get(url);
  if (!pending) {
    pending = loadStatusListCredential(url, options);
    cache.set(url, pending);
  }
  const slc = await pending;
  const listIssuer = issuerId(slc as VerifiableCredential);
  if (listIssuer !== credentialIssuer && !(options.trustedStatusListIssuers ?? []).includes(listIssuer)) {
    throw verificationFailed(`the status list ${url} is issued by ${listIssuer}, not by the credential's issuer ${credentialIssuer}`);
  }
  const subject = Array.isArray(slc.credentialSubject) && slc.credentialSubject.length === 1 ? slc.credentialSubject[0] : slc.credentialSubject;
  if (!isJsonObject(subject)) throw invalidList(`the status list ${url} must have one credentialSubject`);
  const subjectTypes = Array.isArray(subject.type) ? subject.type : [subject.type];
  if (!subjectTypes.includes(BITSTRING_STATUS_LIST)) throw invalidList(`the credentialSubject of ${url} is not a ${BITSTRING_STATUS_LIST}`);
  const purposes = purposeList(subject.statusPurpose, 'vc.invalid_status_list');
  if (!purposes.includes(entry.purpose)) {
    throw verificationFailed(`the status list ${url} is for ${purposes.join(', ')}, not ${entry.purpose}`);
  }
  if (subject.statusSize !== undefined && subject.statusSize !== entry.statusSize) {
    throw verificationFailed(`the status list ${url} has statusSize ${String(subject.statusSize)}, the entry ${entry.statusSize}`);
  }
  if (typeof subject.encodedList !== 'string') throw invalidList(`the status list ${url} has no encodedList`);
  const list = decodeStatusList(subject.encodedList, {
    statusSize: entry.statusSize,
    minimumEntries: options.minimumEntries,
    maxBytes: options.maxBytes,
  });
  if (entry.index >= list.length) {
    throw new VcError('vc.status_index_out_of_range', `statusListIndex ${entry.index} is outside the ${list.length} entries of ${url}`);
  }
  const value = getStatus(list, entry.index);
  const result: CredentialStatusResult = {
    purpose: entry.purpose,
    status: entry.statusSize === 1 && entry.purpose !== 'message' ? value === 1 : value,
    valid: value === 0,
  };
  if (entry.statusMessage) {
    const m = entry.statusMessage.find((x) => parseInt(x.status.slice(2), 16) === value);
    if (m) result.message = m.message;
  } else if (entry.purpose === 'message') {
    result.message = value === 1 ? 'set' : 'unset';
  }
  return result;
}

function credentialIssuerOf(credential: unknown): { vc: Record<string, unknown>; issuer: string } {
  let vc = credential;
  if (typeof vc === 'string') {
    try {
      vc = parseJson(vc);
    } catch (e) {
      throw new VcError('vc.invalid_json', 'credential is not valid JSON', { cause: e });
    }
  }
  if (!isJsonObject(vc)) throw new VcError('vc.invalid_json', 'credential must be a JSON object');
  const issuer = vc.issuer;
  if (!(isUrl(issuer) || (isJsonObject(issuer) && isUrl(issuer.id)))) {
    throw new VcError('vc.invalid_issuer', 'issuer must be a URL or an object with a URL id');
  }
  return { vc, issuer: issuerId(vc as VerifiableCredential) };
}

/**
 * The spec's Validate Algorithm (§3.2) for one BitstringStatusListEntry of
 * `credential`: dereference its status list, verify the list credential's
 * proofs (and validity period) with verifyCredential, require the list's
 * issuer to be the credential's (or a trusted one), match the purpose, expand
 * the list and read the entry.
 *
 * Only the status is checked: verify the credential itself with
 * verifyCredential (which, given `checkStatus`, calls this for every entry).
 * With several entries pass `purpose` to pick one. Throws VcError with the
 * codes listed at the top of this file.
 */
export async function checkCredentialStatus(credential: unknown, options: CheckCredentialStatusOptions): Promise<CredentialStatusResult> {
  if (!options || typeof options.fetchStatusList !== 'function' || !options.resolver) {
    throw new VcError('vc.invalid_options', 'fetchStatusList and a DID resolver are required');
  }
  const { vc, issuer } = credentialIssuerOf(credential);
  const raw = vc.credentialStatus;
  const all = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  let entries = all.filter(isBitstringStatusListEntry);
  if (options.purpose !== undefined) entries = entries.filter((e) => (e as Record<string, unknown>).statusPurpose === options.purpose);
  if (entries.length === 0) {
    throw new VcError('vc.invalid_status', `the credential has no ${BITSTRING_STATUS_LIST_ENTRY}${options.purpose ? ` for ${options.purpose}` : ''}`);
  }
  if (entries.length > 1) throw new VcError('vc.invalid_status', 'the credential has several status entries: pass the purpose to check');
  return statusOfEntry(issuer, parseStatusEntry(entries[0]), options, new Map());
}

/** Purposes verifyCredential checks by default: the two that make a credential unacceptable. */
const DEFAULT_CHECKED_PURPOSES: readonly string[] = ['revocation', 'suspension'];

/**
 * The problems verifyCredential reports for `credentialStatus` when asked to
 * check status (never throws):
 *  - `vc.revoked` / `vc.suspended` when a revocation / suspension bit is set;
 *  - `vc.status_unavailable` when the status cannot be established (list
 *    unreachable, not verifying, wrong issuer or purpose, malformed, index out
 *    of range, or an entry of another credentialStatus type): fail closed;
 *  - `vc.invalid_status` for a malformed BitstringStatusListEntry.
 * Entries of other purposes (`message`, `refresh`) are not checked: their
 * values do not invalidate a credential; read them with checkCredentialStatus.
 */
export async function credentialStatusProblems(
  credential: VerifiableCredential,
  options: StatusCheckSettings & { resolver: DidResolver; now?: Date; clockSkewSeconds?: number },
): Promise<VcProblem[]> {
  const problems: VcProblem[] = [];
  const raw = credential.credentialStatus;
  const entries: unknown[] = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (entries.length === 0) return problems;
  if (typeof options.fetchStatusList !== 'function') {
    return [{ code: 'vc.invalid_options', message: 'checkStatus needs a fetchStatusList function' }];
  }
  const issuer = issuerId(credential);
  const cache: ListCache = new Map();
  for (const item of entries) {
    if (!isBitstringStatusListEntry(item)) {
      const t = isJsonObject(item) ? JSON.stringify(item.type) : 'unknown';
      problems.push({ code: 'vc.status_unavailable', message: `credentialStatus of type ${t} cannot be checked` });
      continue;
    }
    let entry: ParsedStatusEntry;
    try {
      entry = parseStatusEntry(item);
    } catch (e) {
      problems.push({ code: 'vc.invalid_status', message: isSsiotError(e) ? e.message : 'malformed status entry' });
      continue;
    }
    if (!DEFAULT_CHECKED_PURPOSES.includes(entry.purpose)) continue;
    try {
      const r = await statusOfEntry(issuer, entry, options, cache);
      if (!r.valid) {
        problems.push(
          entry.purpose === 'revocation'
            ? { code: 'vc.revoked', message: `revoked (status list ${entry.statusListCredential}, index ${entry.index})` }
            : { code: 'vc.suspended', message: `suspended (status list ${entry.statusListCredential}, index ${entry.index})` },
        );
      }
    } catch (e) {
      const why = isSsiotError(e) ? `${e.code}: ${e.message}` : 'unexpected error';
      problems.push({ code: 'vc.status_unavailable', message: `${entry.purpose} status could not be established (${why})` });
    }
  }
  return problems;
}
