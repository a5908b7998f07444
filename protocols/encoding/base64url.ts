/**
 * Base64 (RFC 4648 §4) and base64url (RFC 4648 §5) on @scure/base.
 *
 * Decoding is strict on purpose. JOSE (RFC 7515 §2), DIDComm and did:peer
 * use unpadded base64url, and a signature is over the *encoded* string, so a
 * decoder that accepted several spellings of the same bytes (padding,
 * whitespace, non-zero trailing bits) would let one signed value be presented
 * in several forms. We therefore accept exactly the canonical form:
 *  - base64url: alphabet A-Z a-z 0-9 - _ only; no '=' padding, no whitespace
 *    or line breaks; length % 4 != 1; unused trailing bits must be zero
 *    (RFC 4648 §3.5 "canonical encoding").
 *  - base64: standard alphabet with mandatory '=' padding to a multiple of 4,
 *    no whitespace, zero trailing bits.
 */
import { base64, base64urlnopad } from '@scure/base';
import { EncodingError } from '../errors.ts';

/** Unpadded base64url (the JOSE/DIDComm form). */
export function base64urlEncode(b: Uint8Array): string {
  return base64urlnopad.encode(b);
}

/** Strict unpadded base64url decode; anything non-canonical -> `encoding.invalid_base64url`. */
export function base64urlDecode(s: string): Uint8Array {
  if (typeof s !== 'string') throw new EncodingError('encoding.invalid_base64url', 'base64url input must be a string');
  try {
    return base64urlnopad.decode(s);
  } catch {
    // no cause: @scure's message can quote input characters (possibly key material)
    throw new EncodingError('encoding.invalid_base64url', `invalid base64url (length ${s.length}): expected unpadded, canonical RFC 4648 §5`);
  }
}

/** Standard, padded base64 (RFC 4648 §4). */
export function base64Encode(b: Uint8Array): string {
  return base64.encode(b);
}

/** Strict padded base64 decode; anything non-canonical -> `encoding.invalid_base64`. */
export function base64Decode(s: string): Uint8Array {
  if (typeof s !== 'string') throw new EncodingError('encoding.invalid_base64', 'base64 input must be a string');
  try {
    return base64.decode(s);
  } catch {
    throw new EncodingError('encoding.invalid_base64', `invalid base64 (length ${s.length}): expected padded, canonical RFC 4648 §4`);
  }
}
