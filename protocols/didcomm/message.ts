/**
 * DIDComm v2 plaintext messages (DIDComm Messaging v2.1 §"Plaintext Message
 * Structure"): the JSON every envelope carries, checked on the way in so the
 * router and protocol handlers can rely on the shape of the headers.
 *
 * Unknown headers are kept (the spec says software that does not understand
 * a header SHOULD ignore it and MUST NOT fail because of it).
 */
import { getCrypto } from '../crypto/index.ts';
import { parseDidUrl } from '../did/did-url.ts';
import { bytesToHex } from '../encoding/bytes.ts';
import { DidcommError } from '../errors.ts';

/** IANA media types of the three DIDComm formats (the `typ` header of each). */
export const MEDIA_TYPE_PLAIN = 'application/didcomm-plain+json';
export const MEDIA_TYPE_SIGNED = 'application/didcomm-signed+json';
export const MEDIA_TYPE_ENCRYPTED = 'application/didcomm-encrypted+json';

/** `data` of an attachment: at least one of these members (spec §Attachments). */
export interface AttachmentData {
  /** A JWS in detached-content mode over `base64` or the linked content. */
  jws?: unknown;
  /** Multihash of the content; required with `links`. */
  hash?: string;
  links?: string[];
  /** base64url (the spec's wording; base64 with padding is seen in the wild and kept as a string). */
  base64?: string;
  json?: unknown;
  [ext: string]: unknown;
}

export interface Attachment {
  id?: string;
  description?: string;
  filename?: string;
  media_type?: string;
  format?: string;
  lastmod_time?: number;
  byte_count?: number;
  data: AttachmentData;
  [ext: string]: unknown;
}

export interface PlaintextMessage {
  id: string;
  type: string;
  typ?: string;
  from?: string;
  to?: string[];
  thid?: string;
  pthid?: string;
  created_time?: number;
  expires_time?: number;
  body: Record<string, unknown>;
  attachments?: Attachment[];
  [ext: string]: unknown;
}

function invalid(message: string): DidcommError {
  return new DidcommError('didcomm.invalid_message', message);
}

/** A JSON object (not an array, not null): the shape every DIDComm structure has. */
export function isJsonObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * RFC 7515 §4.1.9 / DIDComm: a media type without `/` means `application/<it>`.
 */
export function normalizeMediaType(t: string): string {
  return t.includes('/') ? t.toLowerCase() : `application/${t.toLowerCase()}`;
}

/** A DID or DID URL without fragment (what `from` and `to` entries must be). */
function checkDidNoFragment(value: unknown, what: string): string {
  if (typeof value !== 'string') throw invalid(`${what} must be a string`);
  let fragment: string | undefined;
  try {
    fragment = parseDidUrl(value).fragment;
  } catch {
    throw invalid(`${what} must be a DID`);
  }
  if (fragment !== undefined) throw invalid(`${what} must not have a fragment`);
  return value;
}

function optionalString(m: Record<string, unknown>, name: string): void {
  if (m[name] !== undefined && typeof m[name] !== 'string') throw invalid(`${name} must be a string`);
}

/** UTC epoch seconds: a non-negative integer (spec: "as an integer"). */
function optionalTime(m: Record<string, unknown>, name: string): void {
  const v = m[name];
  if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) {
    throw invalid(`${name} must be a non-negative integer (UTC epoch seconds)`);
  }
}

function checkAttachment(a: unknown, i: number): void {
  if (!isJsonObject(a)) throw invalid(`attachments[${i}] must be an object`);
  for (const name of ['id', 'description', 'filename', 'media_type', 'format']) {
    if (a[name] !== undefined && typeof a[name] !== 'string') throw invalid(`attachments[${i}].${name} must be a string`);
  }
  if (typeof a.id === 'string' && !/^[A-Za-z0-9._~-]+$/.test(a.id)) {
    throw invalid(`attachments[${i}].id must consist of unreserved URI characters`);
  }
  for (const name of ['lastmod_time', 'byte_count']) {
    const v = a[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) {
      throw invalid(`attachments[${i}].${name} must be a non-negative integer`);
    }
  }
  const d = a.data;
  if (!isJsonObject(d)) throw invalid(`attachments[${i}].data must be an object`);
  if (d.jws === undefined && d.hash === undefined && d.links === undefined && d.base64 === undefined && d.json === undefined) {
    throw invalid(`attachments[${i}].data needs one of jws, hash, links, base64, json`);
  }
  if (d.hash !== undefined && typeof d.hash !== 'string') throw invalid(`attachments[${i}].data.hash must be a string`);
  if (d.base64 !== undefined && typeof d.base64 !== 'string') throw invalid(`attachments[${i}].data.base64 must be a string`);
  if (d.links !== undefined) {
    if (!Array.isArray(d.links) || !d.links.every((l) => typeof l === 'string')) {
      throw invalid(`attachments[${i}].data.links must be an array of strings`);
    }
    if (d.hash === undefined) throw invalid(`attachments[${i}].data.hash is required with links`);
  }
}

/**
 * Check that `m` is a DIDComm plaintext message and return it typed.
 * `didcomm.invalid_message` names the first problem.
 *
 * Spec choices: `body` is optional on receipt (v2.1 note, for v2.0
 * compatibility) and is then set to `{}` on the returned object so handlers
 * always find an object; `typ`, when present, must name the plaintext media
 * type (with or without the `application/` prefix).
 */
export function validatePlaintext(m: unknown): PlaintextMessage {
  if (!isJsonObject(m)) throw invalid('a plaintext message must be a JSON object');
  if (typeof m.id !== 'string' || m.id.length === 0) throw invalid('id must be a non-empty string');
  if (typeof m.type !== 'string' || m.type.length === 0) throw invalid('type must be a non-empty string');
  if (m.typ !== undefined && (typeof m.typ !== 'string' || normalizeMediaType(m.typ) !== MEDIA_TYPE_PLAIN)) {
    throw invalid(`typ must be ${MEDIA_TYPE_PLAIN}`);
  }
  if (m.from !== undefined) checkDidNoFragment(m.from, 'from');
  if (m.to !== undefined) {
    if (!Array.isArray(m.to)) throw invalid('to must be an array of DIDs');
    m.to.forEach((t, i) => checkDidNoFragment(t, `to[${i}]`));
  }
  optionalString(m, 'thid');
  optionalString(m, 'pthid');
  optionalTime(m, 'created_time');
  optionalTime(m, 'expires_time');
  if (m.body === undefined) m.body = {};
  else if (!isJsonObject(m.body)) throw invalid('body must be a JSON object');
  if (m.attachments !== undefined) {
    if (!Array.isArray(m.attachments)) throw invalid('attachments must be an array');
    m.attachments.forEach(checkAttachment);
  }
  return m as PlaintextMessage;
}

/** A fresh message id: a random (version 4) UUID, randomness from the crypto facade. */
export function newMessageId(): string {
  const b = getCrypto().randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The DID part of a DID URL (`did:x:y#k` -> `did:x:y`); `didcomm.malformed` if it is not one. */
export function didOf(didUrl: string): string {
  try {
    return parseDidUrl(didUrl).did;
  } catch (e) {
    throw new DidcommError('didcomm.malformed', 'key id is not a DID URL', { cause: e });
  }
}

/** True when `didUrl` names a key (has a fragment), false for a bare DID. */
export function isKeyId(didUrl: string): boolean {
  try {
    return parseDidUrl(didUrl).fragment !== undefined;
  } catch {
    return false;
  }
}
