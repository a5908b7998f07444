/**
 * A tiny, strict ASN.1 DER reader (X.690 §8/§10): just enough to read the
 * PKCS #1 `RSAPublicKey` inside an `rsa-pub` Multikey / did:key, and to check
 * the outer SEQUENCE of DER-encoded keys.
 *
 * Why hand-written: no library ssiot depends on reads DER, and the two
 * shapes needed here (one TLV; SEQUENCE { INTEGER, INTEGER }) are a few
 * lines. Strict means DER, not BER: single-byte tags, definite and minimally
 * encoded lengths, minimal INTEGERs, no trailing bytes. Anything else is an
 * `encoding.invalid_der` EncodingError, never an out-of-range read.
 */
import { EncodingError } from '../errors.ts';

export const DER_TAG = { INTEGER: 0x02, SEQUENCE: 0x30 } as const;

/** One DER element: its tag, and where its value starts and ends in the input. */
export interface DerElement {
  tag: number;
  /** Offset of the first value byte. */
  start: number;
  /** Offset just past the last value byte (= offset of the next element). */
  end: number;
}

function invalid(message: string): EncodingError {
  return new EncodingError('encoding.invalid_der', message);
}

/**
 * Read the element at `offset`. Lengths above 2^32 - 1 are refused (no key
 * is that long, and it keeps the arithmetic exact).
 */
export function readDerElement(bytes: Uint8Array, offset = 0): DerElement {
  if (!(bytes instanceof Uint8Array)) throw invalid('DER input must be a Uint8Array');
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + 2 > bytes.length) throw invalid('DER element is truncated');
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw invalid('multi-byte DER tags are not supported');
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    // 0x80 is BER's indefinite length; DER forbids it. 0xff is reserved.
    if (n === 0 || n > 4) throw invalid('DER length must be definite and at most 4 bytes');
    if (start + n > bytes.length) throw invalid('DER length is truncated');
    if (bytes[start] === 0) throw invalid('DER length is not minimal');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[start + i];
    if (length < 0x80) throw invalid('DER length is not minimal');
    start += n;
  }
  const end = start + length;
  if (end > bytes.length) throw invalid('DER value runs past the end of the input');
  return { tag, start, end };
}

/** The element at `offset`, which must have tag `tag`. */
function expectElement(bytes: Uint8Array, offset: number, tag: number, what: string): DerElement {
  const el = readDerElement(bytes, offset);
  if (el.tag !== tag) throw invalid(`${what}: expected DER tag 0x${tag.toString(16)}, got 0x${el.tag.toString(16)}`);
  return el;
}

/**
 * A DER INTEGER that must be positive; returns its magnitude, big-endian,
 * without the 0x00 sign byte (the form JWK's `n`/`e` want).
 */
function positiveInteger(bytes: Uint8Array, el: DerElement, what: string): Uint8Array {
  const v = bytes.subarray(el.start, el.end);
  if (v.length === 0) throw invalid(`${what}: empty INTEGER`);
  if (v.length > 1 && ((v[0] === 0 && v[1] < 0x80) || (v[0] === 0xff && v[1] >= 0x80))) {
    throw invalid(`${what}: INTEGER is not minimally encoded`);
  }
  if (v[0] >= 0x80) throw invalid(`${what}: INTEGER must be positive`);
  const magnitude = v[0] === 0 ? v.slice(1) : v.slice();
  if (magnitude.length === 0) throw invalid(`${what}: INTEGER must be positive`);
  return magnitude;
}

/** An RSA public key: modulus and public exponent, unsigned big-endian. */
export interface RsaPublicKey {
  n: Uint8Array;
  e: Uint8Array;
}

/**
 * Read a PKCS #1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`
 * (RFC 8017 §A.1.1), the key bytes of an `rsa-pub` multicodec value. The
 * SEQUENCE must cover the input exactly and hold exactly the two INTEGERs.
 * No arithmetic checks (size, parity): ssiot only displays RSA keys.
 */
export function decodeRsaPublicKey(der: Uint8Array): RsaPublicKey {
  const seq = expectElement(der, 0, DER_TAG.SEQUENCE, 'RSAPublicKey');
  if (seq.end !== der.length) throw invalid('RSAPublicKey: trailing bytes after the SEQUENCE');
  const nEl = expectElement(der, seq.start, DER_TAG.INTEGER, 'RSAPublicKey modulus');
  const eEl = expectElement(der, nEl.end, DER_TAG.INTEGER, 'RSAPublicKey exponent');
  if (eEl.end !== seq.end) throw invalid('RSAPublicKey: SEQUENCE holds more than modulus and exponent');
  return { n: positiveInteger(der, nEl, 'RSAPublicKey modulus'), e: positiveInteger(der, eEl, 'RSAPublicKey exponent') };
}
