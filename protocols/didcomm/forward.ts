/**
 * Routing Protocol 2.0 (`https://didcomm.org/routing/2.0/forward`): the
 * message a sender wraps around an envelope for each mediator hop, and the
 * one a mediator takes apart.
 *
 * Wrapping (spec §"Sender Process to Enable Forwarding", and didcomm-rust's
 * wrap_in_forward): loop over the recipient's `routingKeys` from the LAST to
 * the first; each round puts the current envelope in the attachment of a
 * forward message whose `body.next` is the previous target (first the
 * recipient itself, then routingKeys[i+1]) and anoncrypts that to
 * routingKeys[i]. The result goes to the service `uri`; the first mediator
 * decrypts the outermost layer.
 */
import type { DidResolver } from '../did/types.ts';
import { base64Decode, base64urlDecode } from '../encoding/base64url.ts';
import { utf8Decode, utf8Encode } from '../encoding/bytes.ts';
import { DidcommError } from '../errors.ts';
import { memoResolver } from './did-keys.ts';
import { anoncryptTo } from './encrypt.ts';
import type { ContentEncryption } from './jwe.ts';
import { isJsonObject, MEDIA_TYPE_PLAIN, newMessageId, type PlaintextMessage } from './message.ts';

export const FORWARD_TYPE = 'https://didcomm.org/routing/2.0/forward';

/**
 * A forward message carrying `envelope` (a packed message, as JSON) for
 * `next`. `headers` are extra headers (`expires_time`, `delay_milli`, ...).
 */
export function buildForwardMessage(envelope: Record<string, unknown>, next: string, headers: Record<string, unknown> = {}): PlaintextMessage {
  if (typeof next !== 'string' || next.length === 0) throw new DidcommError('didcomm.invalid_argument', 'forward needs a next hop');
  return {
    ...headers,
    id: newMessageId(),
    typ: MEDIA_TYPE_PLAIN,
    type: FORWARD_TYPE,
    body: { next },
    attachments: [{ data: { json: envelope } }],
  };
}

/** What a mediator acts on: where to send next and the envelope to send. */
export interface ParsedForward {
  next: string;
  /** The attached envelope (JSON object), to be delivered unchanged. */
  forwarded: Record<string, unknown>;
}

/**
 * The next hop and envelope of a forward message; undefined when `m` is not
 * a forward message; `didcomm.invalid_message` when it is one but malformed.
 * Only the first attachment is forwarded (the spec allows several payloads
 * for one `next`; ssiot senders emit one). `json` and `base64` data are read.
 */
export function parseForward(m: PlaintextMessage): ParsedForward | undefined {
  if (m.type !== FORWARD_TYPE) return undefined;
  const next = m.body.next;
  if (typeof next !== 'string' || next.length === 0) throw new DidcommError('didcomm.invalid_message', 'forward body.next must be a string');
  const data = m.attachments?.[0]?.data;
  if (!data) throw new DidcommError('didcomm.invalid_message', 'forward message has no attachment');
  let forwarded: unknown = data.json;
  if (forwarded === undefined && typeof data.base64 === 'string') {
    try {
      const text = decodeBase64Text(data.base64);
      forwarded = JSON.parse(text);
    } catch (e) {
      throw new DidcommError('didcomm.invalid_message', 'forward attachment is not base64 JSON', { cause: e });
    }
  }
  if (!isJsonObject(forwarded)) throw new DidcommError('didcomm.invalid_message', 'forward attachment is not a JSON envelope');
  return { next, forwarded };
}

/** Attachment `base64` text: base64url per spec, padded standard base64 also accepted (seen in the wild). */
function decodeBase64Text(s: string): string {
  let bytes: Uint8Array;
  try {
    bytes = base64urlDecode(s);
  } catch {
    bytes = base64Decode(s);
  }
  return utf8Decode(bytes);
}

export interface WrapOptions {
  /** Final target of the innermost forward's `next` (the recipient's DID or key id). */
  to: string;
  /** The recipient's routing keys, in service order (routingKeys[0] is the first hop). */
  routingKeys: readonly string[];
  resolver: DidResolver;
  /** Content encryption of each anoncrypt hop (default A256CBC-HS512). */
  enc?: ContentEncryption;
  /** Extra headers for every forward message. */
  headers?: Record<string, unknown>;
}

/** Wrap a packed envelope in one anoncrypted forward per routing key; returns the outermost envelope as JSON text. */
export async function wrapInForward(envelope: string | Record<string, unknown>, o: WrapOptions): Promise<string> {
  const resolver = memoResolver(o.resolver);
  let current: Record<string, unknown> = typeof envelope === 'string' ? parseEnvelope(envelope) : envelope;
  const keys = [...o.routingKeys];
  for (let i = keys.length - 1; i >= 0; i--) {
    const next = i === keys.length - 1 ? o.to : keys[i + 1];
    const fwd = buildForwardMessage(current, next, o.headers);
    current = (await anoncryptTo(keys[i], utf8Encode(JSON.stringify(fwd)), o.enc ?? 'A256CBC-HS512', resolver)).jwe as unknown as Record<string, unknown>;
  }
  return JSON.stringify(current);
}

function parseEnvelope(text: string): Record<string, unknown> {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw new DidcommError('didcomm.malformed', 'envelope to forward is not JSON', { cause: e });
  }
  if (!isJsonObject(x)) throw new DidcommError('didcomm.malformed', 'envelope to forward is not a JSON object');
  return x;
}
