/**
 * base58btc and multibase (draft-multiformats-multibase) on @scure/base.
 *
 * Only the two prefixes this stack meets are supported: `z` (base58btc:
 * did:key, did:peer, Multikey, Data Integrity proofValue) and `u` (base64url
 * without padding). Any other prefix is `encoding.unsupported_multibase`.
 */
import { base58 } from '@scure/base';
import { EncodingError } from '../errors.ts';
import { base64urlDecode, base64urlEncode } from './base64url.ts';

/**
 * Longest base58 string we decode. Base58 decoding is quadratic in the input
 * length; 16 Ki characters (~11.7 KiB of data) is far above any key, DID or
 * signature and still cheap on XS, while a megabyte string cannot stall a device.
 */
export const BASE58_MAX_CHARS = 16384;

/** Bitcoin-alphabet base58 (leading zero bytes become leading '1's). */
export function base58btcEncode(b: Uint8Array): string {
  return base58.encode(b);
}

/** Strict base58btc decode: alphabet characters only, no whitespace (`encoding.invalid_base58`). */
export function base58btcDecode(s: string): Uint8Array {
  if (typeof s !== 'string') throw new EncodingError('encoding.invalid_base58', 'base58 input must be a string');
  if (s.length > BASE58_MAX_CHARS) throw new EncodingError('encoding.invalid_base58', `base58 input longer than ${BASE58_MAX_CHARS} characters`);
  try {
    return base58.decode(s);
  } catch {
    // no cause: @scure's message quotes the offending character
    throw new EncodingError('encoding.invalid_base58', `invalid base58btc (length ${s.length})`);
  }
}

export type MultibaseName = 'base58btc' | 'base64url';

const PREFIX: Record<MultibaseName, string> = { base58btc: 'z', base64url: 'u' };

/** Multibase string: one prefix character, then the encoded bytes. */
export function multibaseEncode(b: Uint8Array, base: MultibaseName = 'base58btc'): string {
  if (base === 'base58btc') return PREFIX.base58btc + base58btcEncode(b);
  if (base === 'base64url') return PREFIX.base64url + base64urlEncode(b);
  throw new EncodingError('encoding.unsupported_multibase', 'unsupported multibase encoding');
}

/**
 * Decode a multibase string with prefix `z` or `u`.
 * Errors: empty or non-string -> `encoding.invalid_multibase`; any other prefix
 * -> `encoding.unsupported_multibase`; a bad body keeps the body's own code
 * (`encoding.invalid_base58` / `encoding.invalid_base64url`) so callers can
 * tell a wrong prefix from corrupted data.
 */
export function multibaseDecode(s: string): Uint8Array {
  if (typeof s !== 'string' || s.length === 0) throw new EncodingError('encoding.invalid_multibase', 'multibase string is empty');
  const prefix = s[0];
  if (prefix === 'z') return base58btcDecode(s.slice(1));
  if (prefix === 'u') return base64urlDecode(s.slice(1));
  throw new EncodingError('encoding.unsupported_multibase', `unsupported multibase prefix (code unit 0x${s.charCodeAt(0).toString(16)})`);
}

/** Which multibase a string uses, or undefined for an empty/unsupported prefix. */
export function multibaseName(s: string): MultibaseName | undefined {
  if (typeof s !== 'string') return undefined;
  return s[0] === 'z' ? 'base58btc' : s[0] === 'u' ? 'base64url' : undefined;
}
