/**
 * DIDComm media types as transports carry them: the HTTP `Content-Type`,
 * the MQTT 5 content-type property. Transports only label bytes; the
 * envelope layer decides what they are, so a wrong label is refused at the
 * door (HTTP 415) but a missing one (MQTT 3.1.1 has none) is fine.
 */
import { parseJson } from '../../encoding/json.ts';
import { MEDIA_TYPE_ENCRYPTED, MEDIA_TYPE_PLAIN, MEDIA_TYPE_SIGNED, normalizeMediaType } from '../message.ts';

export type DidcommMediaType = typeof MEDIA_TYPE_ENCRYPTED | typeof MEDIA_TYPE_SIGNED | typeof MEDIA_TYPE_PLAIN;

/** All three, most protective first (the order an `accept` list prefers). */
export const DIDCOMM_MEDIA_TYPES: readonly DidcommMediaType[] = [MEDIA_TYPE_ENCRYPTED, MEDIA_TYPE_SIGNED, MEDIA_TYPE_PLAIN];

/**
 * The DIDComm media type named by a `Content-Type`-style value, or
 * undefined. Parameters (`; charset=utf-8`) and case are ignored (RFC 9110
 * §8.3.1); a value without `/` gets the `application/` prefix, as the spec
 * says of `typ`, so one function serves headers and `typ` alike.
 */
export function parseContentType(value: string | undefined | null): DidcommMediaType | undefined {
  if (typeof value !== 'string' || value.length > 256) return undefined;
  const v = value.split(';')[0].trim();
  if (v.length === 0) return undefined;
  const t = normalizeMediaType(v);
  return (DIDCOMM_MEDIA_TYPES as readonly string[]).includes(t) ? (t as DidcommMediaType) : undefined;
}

/**
 * Which envelope `packed` looks like, from its top-level members only
 * (`ciphertext` -> encrypted JWE; `payload` with `signatures`/`signature` ->
 * signed JWS; `id` and `type` -> plaintext). Labels outgoing bytes;
 * undefined when the text is none of these shapes.
 */
export function sniffMediaType(packed: string): DidcommMediaType | undefined {
  let v: unknown;
  try {
    v = parseJson(packed);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.ciphertext === 'string') return MEDIA_TYPE_ENCRYPTED;
  if (typeof o.payload === 'string' && (Array.isArray(o.signatures) || typeof o.signature === 'string')) return MEDIA_TYPE_SIGNED;
  if (typeof o.id === 'string' && typeof o.type === 'string') return MEDIA_TYPE_PLAIN;
  return undefined;
}
