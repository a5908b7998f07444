/**
 * Byte-level helpers every other module builds on: UTF-8, hex, concatenation
 * and constant-time comparison.
 *
 * Errors never echo the input: hex strings and UTF-8 byte arrays are often key
 * material, so messages carry at most a position.
 */
import {
  bytesToHex as nobleBytesToHex,
  concatBytes as nobleConcatBytes,
  hexToBytes as nobleHexToBytes,
  utf8ToBytes,
} from '@noble/hashes/utils.js';
import { EncodingError } from '../errors.ts';

/**
 * Index of the first lone (unpaired) UTF-16 surrogate in `s`, or -1 when `s` is
 * well-formed Unicode. `String.prototype.isWellFormed` is ES2024 and XS lacks
 * it, hence the loop.
 */
export function findLoneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/** True when `s` has no lone surrogate, i.e. it has an exact UTF-8 encoding. */
export function isWellFormedString(s: string): boolean {
  return findLoneSurrogate(s) === -1;
}

/**
 * UTF-8 encode. Strict: a string with a lone surrogate throws
 * `encoding.invalid_unicode` instead of silently becoming U+FFFD (which
 * TextEncoder does) — two different strings must never encode to the same
 * signed bytes.
 */
export function utf8Encode(s: string): Uint8Array {
  if (typeof s !== 'string') throw new EncodingError('encoding.invalid_unicode', 'utf8Encode expects a string');
  const at = findLoneSurrogate(s);
  if (at !== -1) throw new EncodingError('encoding.invalid_unicode', `lone UTF-16 surrogate at index ${at}`);
  return utf8ToBytes(s);
}

let fatalDecoder: TextDecoder | undefined;

/**
 * UTF-8 decode, fatal: malformed sequences, overlongs, encoded surrogates and
 * truncated sequences throw `encoding.invalid_utf8` (never U+FFFD). A leading
 * BOM is kept as U+FEFF (`ignoreBOM: true`) so decode(encode(s)) === s for
 * every string and no bytes are silently dropped.
 */
export function utf8Decode(b: Uint8Array): string {
  if (!(b instanceof Uint8Array)) throw new EncodingError('encoding.invalid_utf8', 'utf8Decode expects a Uint8Array');
  fatalDecoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return fatalDecoder.decode(b);
  } catch {
    throw new EncodingError('encoding.invalid_utf8', 'bytes are not valid UTF-8');
  }
}

/**
 * Hex to bytes. Accepts upper and lower case digits; no `0x` prefix, no
 * whitespace, even length only (`encoding.invalid_hex`).
 */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new EncodingError('encoding.invalid_hex', 'hexToBytes expects a string');
  try {
    return nobleHexToBytes(hex);
  } catch {
    // no cause attached: noble's message quotes the offending characters, which may be key material
    throw new EncodingError('encoding.invalid_hex', `invalid hex string (length ${hex.length})`);
  }
}

/** Bytes to lowercase hex. */
export function bytesToHex(b: Uint8Array): string {
  return nobleBytesToHex(b);
}

/** Concatenate byte arrays into a new Uint8Array (inputs are not aliased). */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return nobleConcatBytes(...parts);
}

/** Concatenation of a list of any length, without spreading it into a call (XS has a small stack). */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Byte equality for secrets and MACs. Runs in time independent of the
 * contents when lengths are equal; different lengths return false at once
 * (lengths are not secret in any protocol here).
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
