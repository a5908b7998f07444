/**
 * Unsigned varints and multicodec prefixes (multiformats/unsigned-varint,
 * multiformats/multicodec table.csv).
 */
import { EncodingError } from '../errors.ts';
import { concatBytes } from './bytes.ts';

/** The multiformats unsigned-varint spec caps a varint at 9 bytes (63 bits). */
export const VARINT_MAX_BYTES = 9;

/**
 * Unsigned LEB128 varint. `n` must be a non-negative safe integer (JS numbers
 * stop being exact above 2^53 - 1, so larger values are refused rather than
 * rounded) -> otherwise `encoding.invalid_varint`.
 */
export function varintEncode(n: number): Uint8Array {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new EncodingError('encoding.invalid_varint', 'varint value must be a non-negative safe integer');
  }
  const out: number[] = [];
  // arithmetic, not bit operators: those truncate to 32 bits
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/**
 * Decode a varint at `offset`. Returns the value and how many bytes it took.
 * Rejects (`encoding.invalid_varint`): running off the end, more than 9 bytes,
 * non-minimal encodings (a final 0x00 continuation byte, e.g. 0x81 0x00 for 1 —
 * the spec requires minimal encoding so a prefix has exactly one spelling),
 * and values above Number.MAX_SAFE_INTEGER.
 */
export function varintDecode(b: Uint8Array, offset = 0): { value: number; length: number } {
  if (!(b instanceof Uint8Array)) throw new EncodingError('encoding.invalid_varint', 'varint input must be a Uint8Array');
  if (!Number.isSafeInteger(offset) || offset < 0) throw new EncodingError('encoding.invalid_varint', 'invalid varint offset');
  let value = 0;
  let scale = 1;
  for (let i = 0; i < VARINT_MAX_BYTES; i++) {
    const at = offset + i;
    if (at >= b.length) throw new EncodingError('encoding.invalid_varint', 'truncated varint');
    const byte = b[at];
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (i > 0 && byte === 0) throw new EncodingError('encoding.invalid_varint', 'non-minimal varint encoding');
      if (!Number.isSafeInteger(value)) throw new EncodingError('encoding.invalid_varint', 'varint value exceeds 2^53 - 1');
      return { value, length: i + 1 };
    }
    scale *= 0x80;
  }
  throw new EncodingError('encoding.invalid_varint', `varint longer than ${VARINT_MAX_BYTES} bytes`);
}

/**
 * Multicodec codes used in this stack, checked against multiformats/multicodec
 * table.csv. Key codecs are the ones did:key and Multikey define (public keys
 * compressed where the curve has a compressed form).
 */
export const MULTICODEC = {
  identity: 0x00,
  'sha2-256': 0x12,
  'sha2-512': 0x13,
  'sha2-384': 0x20,
  cbor: 0x51,
  raw: 0x55,
  json: 0x0200,
  'secp256k1-pub': 0xe7,
  'bls12_381-g1-pub': 0xea,
  'bls12_381-g2-pub': 0xeb,
  'x25519-pub': 0xec,
  'ed25519-pub': 0xed,
  'bls12_381-g1g2-pub': 0xee,
  'p256-pub': 0x1200,
  'p384-pub': 0x1201,
  'p521-pub': 0x1202,
  'ed448-pub': 0x1203,
  'x448-pub': 0x1204,
  'rsa-pub': 0x1205,
  'ed25519-priv': 0x1300,
  'secp256k1-priv': 0x1301,
  'x25519-priv': 0x1302,
  'rsa-priv': 0x1305,
  'p256-priv': 0x1306,
  'p384-priv': 0x1307,
  'p521-priv': 0x1308,
} as const;

export type MulticodecName = keyof typeof MULTICODEC;

const BY_CODE: ReadonlyMap<number, MulticodecName> = new Map(
  (Object.keys(MULTICODEC) as MulticodecName[]).map((name) => [MULTICODEC[name], name] as const),
);

/** Code for a name; unknown -> `encoding.unknown_multicodec`. */
export function multicodecCode(name: MulticodecName): number {
  const code = Object.prototype.hasOwnProperty.call(MULTICODEC, name) ? MULTICODEC[name] : undefined;
  if (code === undefined) throw new EncodingError('encoding.unknown_multicodec', 'unknown multicodec name');
  return code;
}

/** Name for a code, or undefined when the code is not in MULTICODEC. */
export function multicodecName(code: number): MulticodecName | undefined {
  return BY_CODE.get(code);
}

/** varint(code) || bytes. */
export function multicodecEncode(name: MulticodecName, bytes: Uint8Array): Uint8Array {
  return concatBytes(varintEncode(multicodecCode(name)), bytes);
}

/**
 * Split a multicodec-prefixed value. Malformed prefix -> `encoding.invalid_varint`;
 * a code not in MULTICODEC -> `encoding.unknown_multicodec`. `value` is a copy.
 */
export function multicodecDecode(bytes: Uint8Array): { name: MulticodecName; code: number; value: Uint8Array } {
  const { value: code, length } = varintDecode(bytes, 0);
  const name = BY_CODE.get(code);
  if (name === undefined) throw new EncodingError('encoding.unknown_multicodec', `unknown multicodec 0x${code.toString(16)}`);
  return { name, code, value: bytes.slice(length) };
}
