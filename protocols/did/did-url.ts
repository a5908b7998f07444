/**
 * DID and DID URL syntax, W3C DID Core 1.0 §3.1 / §3.2 (ABNF), strict:
 *
 *   did                = "did:" method-name ":" method-specific-id
 *   method-name        = 1*( %x61-7A / DIGIT )
 *   method-specific-id = *( *idchar ":" ) 1*idchar
 *   idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
 *   did-url            = did path-abempty [ "?" query ] [ "#" fragment ]   (RFC 3986 rules)
 *
 * Everything that does not match is a DidError `did.invalid`: resolvers and
 * verifiers can then rely on the parts without re-checking them.
 */
import { DidError } from '../errors.ts';

export interface ParsedDid {
  /** The DID itself: `did:<method>:<id>`. */
  did: string;
  method: string;
  /** Method-specific identifier, as written (percent-encoding kept). */
  id: string;
}

export interface ParsedDidUrl extends ParsedDid {
  /** The whole input. */
  didUrl: string;
  /** `path-abempty` including its leading '/', or '' when absent. */
  path: string;
  /** Query without the '?', undefined when absent ('' when present but empty). */
  query?: string;
  /** Fragment without the '#', undefined when absent. */
  fragment?: string;
}

const IDCHAR = "(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})";
// Zero or more colon-terminated (possibly empty) segments, then a non-empty last one:
// a method-specific id can contain "::" but can neither be empty nor end with ':'.
const DID_SOURCE = `did:([a-z0-9]+):((?:${IDCHAR}*:)*${IDCHAR}+)`;
// RFC 3986 pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
const PCHAR = "(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})";

const DID_RE = new RegExp(`^${DID_SOURCE}$`);
const DID_URL_RE = new RegExp(
  `^${DID_SOURCE}((?:/${PCHAR}*)*)(?:\\?((?:${PCHAR}|[/?])*))?(?:#((?:${PCHAR}|[/?])*))?$`,
);

function invalid(what: string): DidError {
  return new DidError('did.invalid', `not a valid ${what}`);
}

/** Parse a bare DID (no path, query or fragment). */
export function parseDid(s: string): ParsedDid {
  if (typeof s !== 'string') throw invalid('DID (not a string)');
  const m = DID_RE.exec(s);
  if (!m) throw invalid('DID');
  return { did: s, method: m[1], id: m[2] };
}

/** Parse a DID URL: a DID optionally followed by path, `?query` and `#fragment`. */
export function parseDidUrl(s: string): ParsedDidUrl {
  if (typeof s !== 'string') throw invalid('DID URL (not a string)');
  const m = DID_URL_RE.exec(s);
  if (!m) throw invalid('DID URL');
  const method = m[1];
  const id = m[2];
  const out: ParsedDidUrl = { did: `did:${method}:${id}`, method, id, didUrl: s, path: m[3] };
  if (m[4] !== undefined) out.query = m[4];
  if (m[5] !== undefined) out.fragment = m[5];
  return out;
}

/** True when `s` is a syntactically valid DID. */
export function isDid(s: unknown): s is string {
  return typeof s === 'string' && DID_RE.test(s);
}

/**
 * Make a verification-method or service reference absolute against the DID
 * of the document that contains it. DID Core allows relative DID URLs
 * (`#key-1`, used by did:peer:2); absolute ones are returned unchanged.
 * Anything else (a bare `key-1`, a URL of another scheme) is `did.invalid`.
 */
export function absoluteDidUrl(baseDid: string, ref: string): string {
  if (typeof ref !== 'string' || ref.length === 0) throw invalid('DID URL reference');
  if (ref[0] === '#') {
    parseDidUrl(baseDid + ref);
    return baseDid + ref;
  }
  if (ref.startsWith('did:')) {
    parseDidUrl(ref);
    return ref;
  }
  throw invalid('DID URL reference');
}
