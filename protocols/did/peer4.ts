/**
 * did:peer numalgo 4 (decentralized-identity/did-peer-4, = peer-did-method-spec
 * "Method 4"): a whole input document carried in the DID (long form), and
 * its hash (short form) for use once the long form has been exchanged.
 *
 *   encoded document = "z" + base58btc(varint 0x0200 (json) || UTF-8(JSON, no whitespace))
 *   hash             = "z" + base58btc(multihash sha2-256(UTF-8(encoded document)))
 *   long form        = "did:peer:4" + hash + ":" + encoded document
 *   short form       = "did:peer:4" + hash
 *
 * Resolution "contextualizes" the decoded document with the DID it is
 * resolved as: `id` = that DID, `controller` = that DID on every
 * verification method without one (listed or embedded in a relationship),
 * and the other form appended to `alsoKnownAs`. Relative references stay
 * relative (the spec allows either and recommends relative).
 *
 * Choices where the spec, the reference implementation and the vectors differ:
 * - `alsoKnownAs` of the input document is kept and the other form appended
 *   (spec, "Contextualize" step 3); the Python reference overwrites it.
 *   The vectors have none, so both agree with them.
 * - Empty `verificationMethod`, `service` and relationship arrays are left
 *   out of the resolved document, as the reference does and README example 6
 *   (`"service": []` in, no `service` out) shows.
 * - The spec's input-document rules (no root `id`; every embedded resource
 *   has a relative `#id` and a `type`; those members are arrays) are checked
 *   on creation (`did.invalid_document`) and on resolution (a DID that
 *   breaks them is `did.invalid_document` too), so no document whose `id`
 *   or method ids point elsewhere is ever served.
 * - The JSON is JSON.stringify's: key order as given, non-ASCII written as
 *   UTF-8. Python's json.dumps escapes non-ASCII (`\u00e9`), so the same
 *   input document can give a different DID there; resolution accepts both,
 *   since it only decodes the bytes that were hashed.
 * - A short form resolves only through its long form (peer-short.ts):
 *   without one, `did.not_found`; a long form that does not hash to it,
 *   `did.invalid`.
 */
import { utf8Encode } from '../encoding/bytes.ts';
import { canonicalize } from '../encoding/jcs.ts';
import { isRecord, parseJsonBytes } from '../encoding/json.ts';
import { multibaseDecode, multibaseEncode } from '../encoding/multibase.ts';
import { multicodecDecode, multicodecEncode } from '../encoding/multicodec.ts';
import { DidError } from '../errors.ts';
import { parseDid } from './did-url.ts';
import { isPeerHash, longFormFor, peerHash, type ShortFormOptions } from './peer-short.ts';
import type { DidDocument } from './types.ts';
import { VERIFICATION_RELATIONSHIPS } from './types.ts';

export interface DidPeer4 {
  /** `did:peer:4<hash>:<encoded document>`: resolvable by anyone. */
  longForm: string;
  /** `did:peer:4<hash>`: resolvable by whoever has seen the long form. */
  shortForm: string;
}

const PREFIX = 'did:peer:4';

/** Members whose entries are resources (objects with `#id` and `type`) or references. */
const RESOURCE_MEMBERS: readonly string[] = ['verificationMethod', ...VERIFICATION_RELATIONSHIPS, 'service'];

function invalid(message: string, cause?: unknown): DidError {
  return new DidError('did.invalid', message, cause === undefined ? undefined : { cause });
}

function invalidDocument(message: string, cause?: unknown): DidError {
  return new DidError('did.invalid_document', message, cause === undefined ? undefined : { cause });
}

/**
 * The spec's input-document rules, as the reference's validator words
 * them: a non-empty object without `id`; `alsoKnownAs` and the resource
 * members, when present, are arrays; every object in them has a string
 * relative id (`#...`) and a `type`.
 */
function checkInputDocument(doc: unknown): Record<string, unknown> {
  if (!isRecord(doc)) throw invalidDocument('did:peer:4 input document must be a JSON object');
  if (Object.keys(doc).length === 0) throw invalidDocument('did:peer:4 input document must not be empty');
  if (doc.id !== undefined) throw invalidDocument('did:peer:4 input document must not have an id (the DID fills it in)');
  if (doc.alsoKnownAs !== undefined && !Array.isArray(doc.alsoKnownAs)) throw invalidDocument('alsoKnownAs must be an array');
  for (const member of RESOURCE_MEMBERS) {
    const entries = doc[member];
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) throw invalidDocument(`${member} must be an array`);
    entries.forEach((r: unknown, i) => {
      if (!isRecord(r)) return; // a reference (string) to a method
      if (typeof r.id !== 'string' || r.id[0] !== '#') throw invalidDocument(`${member}[${i}] must have a relative id (#...)`);
      if (r.type === undefined) throw invalidDocument(`${member}[${i}] must have a type`);
    });
  }
  return doc;
}

/** "z" + base58btc(json multicodec || UTF-8 JSON): the encoded document. */
function encodeDocument(doc: Record<string, unknown>): string {
  try {
    // canonicalize() only as a check: it rejects what JSON.stringify would drop or
    // change silently (undefined, NaN, Dates, cycles, lone surrogates), so the DID
    // commits to exactly the document given. The encoding keeps the caller's key order.
    canonicalize(doc);
  } catch (e) {
    throw invalidDocument('did:peer:4 input document is not JSON data', e);
  }
  return multibaseEncode(multicodecEncode('json', utf8Encode(JSON.stringify(doc))), 'base58btc');
}

/**
 * Create a did:peer:4 from an input document (a DID document without `id`,
 * with relative ids; see module comment). Bad input is `did.invalid_document`.
 */
export function createDidPeer4(inputDocument: Record<string, unknown>): DidPeer4 {
  const encoded = encodeDocument(checkInputDocument(inputDocument));
  const shortForm = PREFIX + peerHash(encoded);
  return { longForm: `${shortForm}:${encoded}`, shortForm };
}

interface Peer4Parts {
  shortForm: string;
  /** The encoded document, for a long form. */
  encoded?: string;
}

/** Split a did:peer:4 into its forms; syntax only (`did.invalid`). */
function parts(did: string): Peer4Parts {
  const { method, id } = parseDid(did);
  if (method !== 'peer' || id[0] !== '4') throw invalid('not a did:peer:4');
  const segments = id.slice(1).split(':');
  if (segments.length > 2 || !isPeerHash(segments[0])) {
    throw invalid('a did:peer:4 is "did:peer:4" + a base58btc sha2-256 multihash [+ ":" + encoded document]');
  }
  const shortForm = PREFIX + segments[0];
  if (segments.length === 1) return { shortForm };
  if (segments[1][0] !== 'z') throw invalid('did:peer:4 encoded document must be base58btc (z...)');
  return { shortForm, encoded: segments[1] };
}

/** True for a long-form did:peer:4 (syntax only). */
export function isDidPeer4LongForm(did: string): boolean {
  try {
    return parts(did).encoded !== undefined;
  } catch {
    return false;
  }
}

/**
 * The short form of a long-form did:peer:4, after checking the hash over
 * its encoded document (`did.invalid` on mismatch). A short form is
 * returned unchanged.
 */
export function didPeer4ShortForm(did: string): string {
  const p = parts(did);
  if (p.encoded !== undefined && PREFIX + peerHash(p.encoded) !== p.shortForm) {
    throw invalid('did:peer:4 hash does not match its encoded document');
  }
  return p.shortForm;
}

/** Decode (and hash-check) the input document of a long form. */
function decodeLongForm(did: string): { shortForm: string; document: Record<string, unknown> } {
  const shortForm = didPeer4ShortForm(did);
  const { encoded } = parts(did);
  if (encoded === undefined) throw invalid('not a long-form did:peer:4');
  let json: unknown;
  try {
    const { name, value } = multicodecDecode(multibaseDecode(encoded));
    if (name !== 'json') throw invalid(`did:peer:4 document codec must be json, got ${name}`);
    json = parseJsonBytes(value);
  } catch (e) {
    if (e instanceof DidError) throw e;
    throw invalid('did:peer:4 encoded document is not multibase/multicodec JSON', e);
  }
  return { shortForm, document: checkInputDocument(json) };
}

/** `controller` = `did` on a verification method that has none (copying it). */
function withController(vm: unknown, did: string): unknown {
  return isRecord(vm) && vm.controller === undefined ? { ...vm, controller: did } : vm;
}

/** The spec's "contextualize": the decoded document as the document of `did`, also known as `other`. */
function contextualize(document: Record<string, unknown>, did: string, other: string): DidDocument {
  const doc: Record<string, unknown> = { ...document };
  for (const member of RESOURCE_MEMBERS) {
    const entries = doc[member] as unknown[] | undefined;
    if (entries === undefined) continue;
    if (entries.length === 0) {
      delete doc[member];
      continue;
    }
    doc[member] = member === 'service' ? entries : entries.map((vm) => withController(vm, did));
  }
  doc.alsoKnownAs = [...((doc.alsoKnownAs as unknown[] | undefined) ?? []), other];
  doc.id = did;
  return doc as DidDocument;
}

/**
 * Resolve a did:peer:4. A long form resolves by itself (hash checked:
 * `did.invalid` on mismatch). A short form needs its long form
 * (`options.longForm` or `options.store`), else `did.not_found`.
 */
export function resolveDidPeer4(did: string, options: ShortFormOptions = {}): DidDocument {
  const p = parts(did);
  if (p.encoded !== undefined) {
    const { shortForm, document } = decodeLongForm(did);
    return contextualize(document, did, shortForm);
  }
  const longForm = longFormFor(did, options, didPeer4ShortForm);
  return contextualize(decodeLongForm(longForm).document, did, longForm);
}
