/**
 * Multihash (multiformats/multihash): varint(hash code) || varint(digest length) || digest.
 * Used by did:peer:3/4 (sha2-256) and content ids. Hashing itself is the crypto
 * facade's job; this module only frames a digest that was already computed.
 */
import { EncodingError } from '../errors.ts';
import { concatBytes } from './bytes.ts';
import { MULTICODEC, multicodecName, varintDecode, varintEncode } from './multicodec.ts';

export type MultihashName = 'sha2-256' | 'sha2-384' | 'sha2-512';

/** Digest sizes: a multihash whose length field disagrees is rejected, not truncated. */
export const MULTIHASH_DIGEST_LENGTH: Readonly<Record<MultihashName, number>> = {
  'sha2-256': 32,
  'sha2-384': 48,
  'sha2-512': 64,
};

function isMultihashName(name: string): name is MultihashName {
  return Object.prototype.hasOwnProperty.call(MULTIHASH_DIGEST_LENGTH, name);
}

/** Frame `digest` as a multihash; wrong digest length -> `encoding.invalid_multihash`. */
export function encodeMultihash(name: MultihashName, digest: Uint8Array): Uint8Array {
  if (!isMultihashName(name)) throw new EncodingError('encoding.unknown_multicodec', 'unsupported multihash function');
  const expected = MULTIHASH_DIGEST_LENGTH[name];
  if (!(digest instanceof Uint8Array) || digest.length !== expected) {
    throw new EncodingError('encoding.invalid_multihash', `${name} digest must be ${expected} bytes`);
  }
  return concatBytes(varintEncode(MULTICODEC[name]), varintEncode(digest.length), digest);
}

/** Shorthand for the common case: encodeMultihash('sha2-256', digest). */
export function multihashSha256(digest: Uint8Array): Uint8Array {
  return encodeMultihash('sha2-256', digest);
}

/**
 * Parse a multihash. Unknown hash code -> `encoding.unknown_multicodec`;
 * length field not matching the function or the remaining bytes -> `encoding.invalid_multihash`.
 */
export function decodeMultihash(bytes: Uint8Array): { name: MultihashName; code: number; digest: Uint8Array } {
  const code = varintDecode(bytes, 0);
  const name = multicodecName(code.value);
  if (name === undefined || !isMultihashName(name)) {
    throw new EncodingError('encoding.unknown_multicodec', `unsupported multihash code 0x${code.value.toString(16)}`);
  }
  const len = varintDecode(bytes, code.length);
  const start = code.length + len.length;
  if (len.value !== MULTIHASH_DIGEST_LENGTH[name] || bytes.length - start !== len.value) {
    throw new EncodingError('encoding.invalid_multihash', `${name} multihash must carry exactly ${MULTIHASH_DIGEST_LENGTH[name]} digest bytes`);
  }
  return { name, code: code.value, digest: bytes.slice(start) };
}
