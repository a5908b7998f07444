/**
 * Multikey (W3C Controlled Identifiers 1.0 §2.2.2, did:key): 'z' +
 * base58btc(varint(multicodec) || raw key bytes).
 *
 * Every fixed-size codec gets an exact length check, so a truncated or padded
 * key fails here with `encoding.invalid_key_length` instead of deep inside a
 * curve library. Elliptic-curve public keys are SEC1 *compressed* points
 * (0x02/0x03 prefix) — the form the Multikey spec requires and the only form the
 * did:key test vectors (nist-curves.json, secp256k1.json) use; an uncompressed
 * key therefore fails the length check. Whether the point is on the curve is
 * the crypto layer's question, not this one.
 */
import { EncodingError } from '../errors.ts';
import { DER_TAG, readDerElement } from './der.ts';
import { base58btcDecode, base58btcEncode } from './multibase.ts';
import { multicodecDecode, multicodecEncode, type MulticodecName } from './multicodec.ts';

export { decodeMultihash, encodeMultihash, multihashSha256, type MultihashName } from './multihash.ts';

/** Key lengths in bytes; `der` = variable-length DER (RSA, PKCS #1). */
export const KEY_LENGTHS = {
  'ed25519-pub': 32,
  'x25519-pub': 32,
  'ed448-pub': 57,
  'x448-pub': 56,
  'secp256k1-pub': 33,
  'p256-pub': 33,
  'p384-pub': 49,
  'p521-pub': 67,
  'bls12_381-g1-pub': 48,
  'bls12_381-g2-pub': 96,
  'bls12_381-g1g2-pub': 144,
  'rsa-pub': 'der',
  'ed25519-priv': 32,
  'x25519-priv': 32,
  'secp256k1-priv': 32,
  'p256-priv': 32,
  'p384-priv': 48,
  'p521-priv': 66,
  'rsa-priv': 'der',
} as const satisfies Partial<Record<MulticodecName, number | 'der'>>;

export type KeyCodec = keyof typeof KEY_LENGTHS;

const COMPRESSED_EC: ReadonlySet<KeyCodec> = new Set<KeyCodec>(['secp256k1-pub', 'p256-pub', 'p384-pub', 'p521-pub']);

/** True when `name` is a key codec Multikey supports here. */
export function isKeyCodec(name: string): name is KeyCodec {
  return Object.prototype.hasOwnProperty.call(KEY_LENGTHS, name);
}

/**
 * Checks the outer DER SEQUENCE of an RSA key: tag 0x30 and a definite,
 * minimally encoded length that covers exactly the remaining bytes. The
 * inner INTEGERs are read where the key is used (der.ts decodeRsaPublicKey).
 * Codes kept from before der.ts existed: wrong tag `encoding.invalid_key`,
 * any length problem `encoding.invalid_key_length`.
 */
function checkDerSequence(codec: KeyCodec, key: Uint8Array): void {
  if (key.length < 2 || key[0] !== DER_TAG.SEQUENCE) throw new EncodingError('encoding.invalid_key', `${codec} must be a DER SEQUENCE`);
  let end: number;
  try {
    end = readDerElement(key, 0).end;
  } catch (e) {
    throw new EncodingError('encoding.invalid_key_length', `${codec} DER length is malformed`, { cause: e });
  }
  if (end !== key.length) throw new EncodingError('encoding.invalid_key_length', `${codec} DER length does not match the key bytes`);
}

/** Length/shape check shared by encode and decode. */
export function checkKeyBytes(codec: KeyCodec, key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new EncodingError('encoding.invalid_key', 'key must be a Uint8Array');
  const expected = KEY_LENGTHS[codec];
  if (expected === 'der') return checkDerSequence(codec, key);
  if (key.length !== expected) throw new EncodingError('encoding.invalid_key_length', `${codec} key must be ${expected} bytes, got ${key.length}`);
  if (COMPRESSED_EC.has(codec) && key[0] !== 0x02 && key[0] !== 0x03) {
    throw new EncodingError('encoding.invalid_key', `${codec} key must be a compressed SEC1 point (0x02/0x03)`);
  }
}

/** 'z' + base58btc(varint(code(codec)) || key). */
export function encodeMultikey(codec: KeyCodec, key: Uint8Array): string {
  if (!isKeyCodec(codec)) throw new EncodingError('encoding.unknown_multicodec', 'not a supported key codec');
  checkKeyBytes(codec, key);
  return 'z' + base58btcEncode(multicodecEncode(codec, key));
}

/**
 * Parse a Multikey value (publicKeyMultibase / secretKeyMultibase / did:key id).
 * Errors: empty -> `encoding.invalid_multibase`; a prefix other than 'z' ->
 * `encoding.unsupported_multibase` (Multikey mandates base58btc); bad base58 ->
 * `encoding.invalid_base58`; malformed varint -> `encoding.invalid_varint`;
 * a codec that is unknown or not a key -> `encoding.unknown_multicodec`;
 * wrong size -> `encoding.invalid_key_length`; wrong point form -> `encoding.invalid_key`.
 */
export function decodeMultikey(s: string): { codec: KeyCodec; key: Uint8Array } {
  if (typeof s !== 'string' || s.length === 0) throw new EncodingError('encoding.invalid_multibase', 'multikey string is empty');
  if (s[0] !== 'z') throw new EncodingError('encoding.unsupported_multibase', 'multikey must use base58btc (prefix z)');
  const { name, value } = multicodecDecode(base58btcDecode(s.slice(1)));
  if (!isKeyCodec(name)) throw new EncodingError('encoding.unknown_multicodec', `multicodec ${name} is not a key type`);
  checkKeyBytes(name, value);
  return { codec: name, key: value };
}
