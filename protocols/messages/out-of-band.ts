/**
 * Out-of-band 2.0 (DIDComm v2 §"Out Of Band Messages"): the invitation that
 * starts a relationship from a URL or a QR code (a device label, a web page).
 *
 *   https://<domain>/<path>?_oob=<base64url(compact JSON of the invitation)>
 *   https://<domain>/<path>?_oobid=<id>        (short form: fetch the invitation)
 *
 * The invitation's `id` becomes the `pthid` of every response (spec: one
 * invitation may start several threads), and `from` is REQUIRED for OOB use.
 *
 * Encoding choices: the JSON is compact (JSON.stringify without spaces, as
 * the spec asks) and members are emitted in a fixed order with only the
 * fields given — nothing optional is added, since every byte grows the QR
 * code twice over (base64url of a DID that itself holds base64url).
 * base64url without padding, as in the spec's example. Parsing is lenient
 * about the *encoding* only (percent-encoding, `=` padding, the standard
 * base64 alphabet, seen in other implementations' URLs) and strict about
 * the content (a valid plaintext invitation). No `URL` global is used:
 * Moddable/XS lacks it.
 */
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.ts';
import { utf8Decode, utf8Encode } from '../encoding/bytes.ts';
import { parseJson } from '../encoding/json.ts';
import type { Attachment, PlaintextMessage } from '../didcomm/message.ts';
import { newMessageId, validatePlaintext } from '../didcomm/message.ts';
import { DidcommError } from '../errors.ts';

export const OOB_PIURI = 'https://didcomm.org/out-of-band/2.0';
export const INVITATION_TYPE = `${OOB_PIURI}/invitation`;

/**
 * Goal code of the device-pairing invitation on a label. The spec asks goal
 * codes defined outside it to use reverse-DNS names; `pair-device` is kept
 * short on purpose (it is in every label's QR code) and is the value the
 * pairing flow matches on. Change it here only together with that flow.
 */
export const PAIR_DEVICE_GOAL_CODE = 'pair-device';

/** Longest `_oob` URL we parse (a QR code tops out at 2953 bytes; links in mail can be longer). */
export const MAX_OOB_URL_LENGTH = 16384;

export interface CreateInvitationOptions {
  /** The inviter's DID (REQUIRED for OOB). */
  from: string;
  goalCode?: string;
  goal?: string;
  /** Media type profiles in order of preference, e.g. ['didcomm/v2']. */
  accept?: string[];
  attachments?: Attachment[];
  id?: string;
  createdTime?: number;
  expiresTime?: number;
}

function invalid(message: string, cause?: unknown): DidcommError {
  return new DidcommError('didcomm.invalid_oob', message, cause === undefined ? undefined : { cause });
}

/** Build an invitation with exactly the fields given (validated as a plaintext message). */
export function createInvitation(o: CreateInvitationOptions): PlaintextMessage {
  const body: Record<string, unknown> = {};
  if (o.goalCode !== undefined) body.goal_code = o.goalCode;
  if (o.goal !== undefined) body.goal = o.goal;
  if (o.accept !== undefined) body.accept = [...o.accept];
  const m: Record<string, unknown> = { type: INVITATION_TYPE, id: o.id ?? newMessageId(), from: o.from, body };
  if (o.createdTime !== undefined) m.created_time = o.createdTime;
  if (o.expiresTime !== undefined) m.expires_time = o.expiresTime;
  if (o.attachments !== undefined && o.attachments.length > 0) m.attachments = o.attachments;
  return validateInvitation(m);
}

/** Check that `m` is an OOB 2.0 invitation: a plaintext message of the invitation type with a `from` DID. */
export function validateInvitation(m: unknown): PlaintextMessage {
  let msg: PlaintextMessage;
  try {
    msg = validatePlaintext(m);
  } catch (e) {
    throw invalid('the invitation is not a valid DIDComm plaintext message', e);
  }
  if (msg.type !== INVITATION_TYPE) throw invalid(`type must be ${INVITATION_TYPE}`);
  if (typeof msg.from !== 'string') throw invalid('an out-of-band invitation needs from');
  const b = msg.body;
  for (const k of ['goal_code', 'goal']) if (b[k] !== undefined && typeof b[k] !== 'string') throw invalid(`body.${k} must be a string`);
  if (b.accept !== undefined && (!Array.isArray(b.accept) || !b.accept.every((a) => typeof a === 'string'))) throw invalid('body.accept must be an array of strings');
  return msg;
}

/** An attachment carrying raw bytes (`data.base64`, base64url per the spec), with no optional fields. */
export function bytesAttachment(id: string, bytes: Uint8Array, mediaType?: string): Attachment {
  const a: Attachment = { id, data: { base64: base64urlEncode(bytes) } };
  if (mediaType !== undefined) a.media_type = mediaType;
  return a;
}

/** The bytes of attachment `id` of `message` (`data.base64`); `didcomm.invalid_attachment` if absent or malformed. */
export function attachmentBytes(message: PlaintextMessage, id: string): Uint8Array {
  const a = (message.attachments ?? []).find((x) => x.id === id);
  const b64 = a?.data.base64;
  if (typeof b64 !== 'string') throw new DidcommError('didcomm.invalid_attachment', `no base64 attachment ${id}`);
  try {
    return base64urlDecode(lenientBase64url(b64));
  } catch (e) {
    throw new DidcommError('didcomm.invalid_attachment', `attachment ${id} is not base64url`, { cause: e });
  }
}

/** Standard base64 or padded base64url -> canonical unpadded base64url. */
function lenientBase64url(s: string): string {
  return s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The `_oob` parameter value: base64url(compact JSON). */
export function encodeOobParam(invitation: PlaintextMessage): string {
  return base64urlEncode(utf8Encode(JSON.stringify(validateInvitation(invitation))));
}

/**
 * `baseUrl` + `_oob` parameter. `baseUrl` should be short and serve human
 * instructions (spec); it may already have a query (`&` is then used).
 */
export function encodeOobUrl(invitation: PlaintextMessage, baseUrl: string): string {
  if (typeof baseUrl !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(baseUrl) || baseUrl.includes('#')) {
    throw invalid('baseUrl must be an absolute URL without fragment');
  }
  const sep = baseUrl.includes('?') ? (baseUrl.endsWith('?') || baseUrl.endsWith('&') ? '' : '&') : '?';
  return `${baseUrl}${sep}_oob=${encodeOobParam(invitation)}`;
}

/** The short form (`_oobid`) for an invitation the sender serves by id. */
export function encodeOobIdUrl(oobid: string, baseUrl: string): string {
  if (!/^[A-Za-z0-9._~-]{1,128}$/.test(oobid)) throw invalid('oobid must be 1-128 unreserved URI characters');
  if (typeof baseUrl !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(baseUrl) || baseUrl.includes('#')) {
    throw invalid('baseUrl must be an absolute URL without fragment');
  }
  const sep = baseUrl.includes('?') ? (baseUrl.endsWith('?') || baseUrl.endsWith('&') ? '' : '&') : '?';
  return `${baseUrl}${sep}_oobid=${oobid}`;
}

export type ParsedOob =
  | { kind: 'invitation'; invitation: PlaintextMessage; url: string }
  /** Short URL: GET `url` to obtain the full invitation (spec §"Short URL Message Retrieval"). */
  | { kind: 'fetch'; oobid: string; url: string };

/** The query parameters of `url` (first occurrence wins), without the URL global. */
function queryParams(url: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = url.indexOf('?');
  if (q < 0) return out;
  let query = url.slice(q + 1);
  const hash = query.indexOf('#');
  if (hash >= 0) query = query.slice(0, hash);
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey);
      value = decodeURIComponent(rawValue);
    } catch (e) {
      throw invalid('malformed percent-encoding in the URL query', e);
    }
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

/**
 * Parse a scanned / clicked out-of-band URL. `_oob` gives the invitation
 * (validated); `_oobid` gives a typed "needs fetch" result — the caller
 * does the HTTP GET (neutral code has no network). `didcomm.invalid_oob`
 * for anything else.
 */
export function parseOobUrl(url: string): ParsedOob {
  if (typeof url !== 'string') throw invalid('an out-of-band URL must be a string');
  const u = url.trim();
  if (u.length > MAX_OOB_URL_LENGTH) throw invalid(`out-of-band URL longer than ${MAX_OOB_URL_LENGTH} characters`);
  const params = queryParams(u);
  const oob = params.get('_oob');
  if (oob !== undefined) {
    let json: unknown;
    try {
      json = parseJson(utf8Decode(base64urlDecode(lenientBase64url(oob))));
    } catch (e) {
      throw invalid('_oob is not base64url-encoded JSON', e);
    }
    return { kind: 'invitation', invitation: validateInvitation(json), url: u };
  }
  const oobid = params.get('_oobid');
  if (oobid !== undefined) {
    if (!/^[A-Za-z0-9._~-]{1,128}$/.test(oobid)) throw invalid('_oobid must be 1-128 unreserved URI characters');
    if (!/^https?:\/\//i.test(u)) throw invalid('an _oobid URL must be http(s) to be fetched');
    return { kind: 'fetch', oobid, url: u };
  }
  throw invalid('no _oob or _oobid parameter in the URL');
}

/**
 * Headers for the first message answering `invitation`: `pthid` = its id,
 * `to` = its sender (spec §"Message Correlation").
 */
export function invitationResponseHeaders(invitation: PlaintextMessage): { pthid: string; to: string[] } {
  const inv = validateInvitation(invitation);
  return { pthid: inv.id, to: [inv.from as string] };
}
