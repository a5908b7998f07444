/**
 * did:webvh identifiers (spec §Method-Specific Identifier) and the DID-to-HTTPS
 * transformation (§The DID to HTTPS Transformation):
 *
 *   did:webvh:<scid>:<domain>[%3A<port>][:<path-segment>]*
 *   -> https://<domain>[:<port>]/<segments>/did.jsonl   (or /.well-known/did.jsonl without segments)
 *
 * Everything is validated before any URL is produced, because the URL is
 * fetched: the domain must be a DNS name (never an IP literal, in any
 * spelling a URL parser would turn into one), percent-encoding is decoded
 * exactly once, and path segments cannot climb (`..`) or smuggle separators.
 *
 * Choice: internationalized domain names (non-ASCII after decoding) are
 * refused (`did.webvh_invalid_did`) rather than IDNA-processed; `xn--`
 * A-labels work. IDNA2008 needs Unicode tables that a device does not carry.
 */
import { parseDid, parseDidUrl } from '../did-url.ts';
import { webvhError, WEBVH_ERRORS } from './codes.ts';

export interface WebvhDidParts {
  /** The DID (no path, query or fragment). */
  did: string;
  scid: string;
  /** DNS name, lower-cased, percent-decoded. */
  host: string;
  port?: number;
  /** Percent-decoded deployment path segments. */
  path: string[];
}

/** ABNF `scid = 46(base58btc-char)`. */
export const SCID_RE = /^[1-9A-HJ-NP-Za-km-z]{46}$/;
const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function invalid(message: string): Error {
  return webvhError(WEBVH_ERRORS.invalidDid, message);
}

/** decodeURIComponent, with malformed input (bad UTF-8) as invalidDid. */
function decodeOnce(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalid(`${what} has invalid percent-encoding`);
  }
}

/**
 * WHATWG URL host parsing turns a host whose last label is a number (decimal,
 * or 0x-hex) into an IPv4 address (`127.1`, `0x7f.0.0.1`, `1.2.3.4`): all refused.
 */
function looksLikeIp(labels: string[]): boolean {
  const last = labels[labels.length - 1];
  return /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/.test(last);
}

function parseHost(encoded: string): { host: string; port?: number } {
  // a global RegExp literal here, not at module level: preloaded (Moddable), its lastIndex would be frozen
  const separators = encoded.match(/%3a/gi) ?? [];
  if (separators.length > 1) throw invalid('the domain has more than one port separator');
  let hostPart = encoded;
  let port: number | undefined;
  if (separators.length === 1) {
    const m = /^(.*)%3a([0-9]{1,5})$/i.exec(encoded);
    if (!m) throw invalid('a percent-encoded colon in the domain must introduce a port at its end');
    hostPart = m[1];
    port = Number(m[2]);
    if (port < 1 || port > 65535) throw invalid('port must be 1 to 65535');
  }
  const host = decodeOnce(hostPart, 'domain').toLowerCase();
  if (host.length > 253) throw invalid('domain name is longer than 253 characters');
  const labels = host.split('.');
  if (labels.length < 2) throw invalid('domain must be a fully qualified name (at least two labels)');
  for (const label of labels) {
    if (!LABEL_RE.test(label)) {
      throw invalid(/[^\x00-\x7f]/.test(label) ? 'internationalized domain names are not supported (use the xn-- form)' : 'domain labels must be 1-63 letters, digits or inner hyphens');
    }
  }
  if (looksLikeIp(labels)) throw invalid('domain must not be an IP address');
  return port === undefined ? { host } : { host, port };
}

function parsePathSegment(encoded: string): string {
  if (encoded.length === 0) throw invalid('empty path segment');
  const s = decodeOnce(encoded, 'path segment');
  if (s === '.' || s === '..') throw invalid('path segment must not be . or ..');
  if (/[/\\\u0000]/.test(s)) throw invalid('path segment must not contain /, \\ or NUL');
  if (/^\s|\s$/.test(s)) throw invalid('path segment must not begin or end with whitespace');
  return s;
}

/** Parse and validate a did:webvh DID (no path, query or fragment). Errors: `did.webvh_invalid_did`. */
export function parseWebvhDid(did: string): WebvhDidParts {
  let id: string;
  try {
    const parsed = parseDid(did);
    if (parsed.method !== 'webvh') throw invalid('not a did:webvh DID');
    id = parsed.id;
  } catch (e) {
    if ((e as { code?: string }).code === WEBVH_ERRORS.invalidDid) throw e;
    throw webvhError(WEBVH_ERRORS.invalidDid, 'not a valid DID', e);
  }
  const parts = id.split(':');
  if (parts.length < 2) throw invalid('did:webvh needs a SCID and a domain');
  const [scid, domain, ...segments] = parts;
  if (!SCID_RE.test(scid)) throw invalid('SCID must be 46 base58btc characters');
  const { host, port } = parseHost(domain);
  const path = segments.map(parsePathSegment);
  return port === undefined ? { did, scid, host, path } : { did, scid, host, port, path };
}

/** The DID of a DID URL (query and fragment separated); a DID URL path is refused. */
export function webvhDidOfUrl(didUrl: string): { did: string; query?: string; fragment?: string } {
  let parsed;
  try {
    parsed = parseDidUrl(didUrl);
  } catch (e) {
    throw webvhError(WEBVH_ERRORS.invalidDid, 'not a valid DID URL', e);
  }
  if (parsed.path !== '') throw invalid('DID URL paths are dereferenced by the caller, not resolved here');
  parseWebvhDid(parsed.did);
  const out: { did: string; query?: string; fragment?: string } = { did: parsed.did };
  if (parsed.query !== undefined) out.query = parsed.query;
  if (parsed.fragment !== undefined) out.fragment = parsed.fragment;
  return out;
}

/** `https://host[:port]/seg/.../` (or `https://host[:port]/`): the base the log and implicit services hang off. */
export function didBaseUrl(did: string): string {
  const { host, port, path } = parseWebvhDid(webvhDidOfUrl(did).did);
  const origin = `https://${host}${port === undefined ? '' : `:${port}`}/`;
  return origin + path.map((s) => `${encodeURIComponent(s)}/`).join('');
}

/** The URL of a DID's log (`did.jsonl`), per the DID-to-HTTPS transformation. */
export function didToHttpsUrl(did: string): string {
  const base = didBaseUrl(did);
  return parseWebvhDid(webvhDidOfUrl(did).did).path.length === 0 ? `${base}.well-known/did.jsonl` : `${base}did.jsonl`;
}

/** The URL of a DID's witness proofs: the log URL with `did-witness.json` in place of `did.jsonl`. */
export function didToWitnessUrl(did: string): string {
  return didToHttpsUrl(did).replace(/did\.jsonl$/, 'did-witness.json');
}

/** Percent-encode every character outside DID Core's idchar set (`A-Z a-z 0-9 . - _`), hex upper-case. */
export function encodeIdchars(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/^[A-Za-z0-9._-]$/.test(ch)) out += ch;
    else {
      let enc: string;
      try {
        enc = encodeURIComponent(ch);
      } catch {
        throw invalid('lone surrogate in DID component');
      }
      out += enc.startsWith('%') ? enc : `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * The DID a controller publishes at `domain` (`host` or `host:port`) and
 * `path` (`a/b` or `['a','b']`), with `scid` (default: the `{SCID}` placeholder).
 */
export function webvhDidFor(domain: string, path: string | readonly string[] = [], scid = '{SCID}'): string {
  if (typeof domain !== 'string' || domain.length === 0) throw invalid('domain is required');
  const m = /^(.*?)(?::([0-9]{1,5}))?$/.exec(domain) as RegExpExecArray;
  const hostPart = m[1].split('{SCID}').map(encodeIdchars).join('{SCID}');
  const portPart = m[2] === undefined ? '' : `%3A${m[2]}`;
  const segments = typeof path === 'string' ? path.split('/').filter((s) => s.length > 0) : [...path];
  const encoded = segments.map((s) => s.split('{SCID}').map(encodeIdchars).join('{SCID}'));
  return ['did:webvh', scid, hostPart + portPart, ...encoded].join(':');
}
