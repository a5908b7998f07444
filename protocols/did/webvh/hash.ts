/**
 * The three hashes of did:webvh 1.0, all `base58btc(multihash(sha2-256(x)))`
 * WITHOUT a multibase prefix (they start with `Qm`):
 *
 *  - SCID: over JCS of the preliminary first entry (placeholders `{SCID}`);
 *  - entryHash: over JCS of the entry without `proof`, its `versionId` set to
 *    the previous entry's versionId (the SCID for the first entry);
 *  - pre-rotation key hash: over the Multikey string itself (its UTF-8 bytes).
 *
 * did:webvh:1.0 permits sha2-256 only: a hash in any other multihash is refused.
 */
import { getCrypto } from '../../crypto/index.ts';
import { utf8Encode } from '../../encoding/bytes.ts';
import { canonicalize } from '../../encoding/jcs.ts';
import { base58btcDecode, base58btcEncode } from '../../encoding/multibase.ts';
import { decodeMultihash, multihashSha256 } from '../../encoding/multihash.ts';
import type { WebvhErrorCode } from './codes.ts';
import { webvhError } from './codes.ts';

/** The placeholder a controller writes where the SCID will go. */
export const SCID_PLACEHOLDER = '{SCID}';

/** base58btc(multihash(sha2-256(bytes))). */
export function webvhHashBytes(bytes: Uint8Array): string {
  return base58btcEncode(multihashSha256(getCrypto().sha256(bytes)));
}

/** The did:webvh hash of a JSON value's JCS serialization. */
export function webvhHashJson(value: unknown): string {
  return webvhHashBytes(utf8Encode(canonicalize(value)));
}

/**
 * True when `s` is a base58btc sha2-256 multihash string (what the spec
 * allows for SCIDs and entry hashes under did:webvh:1.0).
 */
export function isWebvhHash(s: unknown): s is string {
  if (typeof s !== 'string' || s.length === 0) return false;
  try {
    return decodeMultihash(base58btcDecode(s)).name === 'sha2-256';
  } catch {
    return false;
  }
}

/** Throws `code` unless `s` is a sha2-256 multihash in base58btc. */
export function assertWebvhHash(s: unknown, what: string, code: WebvhErrorCode): asserts s is string {
  if (!isWebvhHash(s)) throw webvhError(code, `${what} must be a base58btc sha2-256 multihash`);
}

/** A deep copy with every occurrence of `from` replaced by `to` in the JSON text (the spec's "text replacement"). */
export function replaceInJson<T>(value: T, from: string, to: string): T {
  return JSON.parse(JSON.stringify(value).split(from).join(to)) as T;
}

/**
 * SCID of a preliminary first entry (`versionId: "{SCID}"`, `{SCID}` wherever
 * the SCID goes, no proof).
 */
export function computeScid(preliminaryEntry: Record<string, unknown>): string {
  return webvhHashJson(preliminaryEntry);
}

/**
 * The SCID the spec's "Verify SCID" recomputes from a published first entry:
 * proof removed, versionId `{SCID}`, every occurrence of `scid` replaced by
 * the placeholder. The published entry must not contain the literal
 * placeholder (creation replaces all of them), so one that does is refused.
 */
export function scidOfFirstEntry(entry: Record<string, unknown>, scid: string): string {
  const { proof: _proof, ...rest } = entry;
  if (JSON.stringify(rest).includes(SCID_PLACEHOLDER)) {
    throw webvhError('did.webvh_invalid_scid', 'the first entry still contains the {SCID} placeholder');
  }
  const preliminary = replaceInJson({ ...rest, versionId: SCID_PLACEHOLDER }, scid, SCID_PLACEHOLDER);
  return computeScid(preliminary);
}

/** entryHash of an entry (its proof ignored) chained to `previousVersionId` (the SCID for the first entry). */
export function entryHash(entry: Record<string, unknown>, previousVersionId: string): string {
  const { proof: _proof, ...rest } = entry;
  return webvhHashJson({ ...rest, versionId: previousVersionId });
}

/** Pre-rotation commitment to an update key: the hash of its Multikey string. */
export function nextKeyHash(multikey: string): string {
  return webvhHashBytes(utf8Encode(multikey));
}
