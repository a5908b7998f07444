/**
 * GZIP (RFC 1952) as Bitstring Status List needs it: compress a bitstring,
 * and expand an untrusted one without letting a "zip bomb" exhaust a device.
 *
 * DEFLATE itself is fflate's (pure JS, no dependencies). We import
 * `fflate/browser`: its Node build starts with `import 'module'` for worker
 * threads, the browser build has no Node built-in anywhere and its
 * synchronous/streaming classes never touch `Worker`, so it runs unchanged in
 * Node and XS.
 *
 * What fflate's one-shot gunzipSync does not do, and we do here:
 *  - bound the output: it allocates the trailer's ISIZE (attacker-chosen, up
 *    to 4 GiB) up front and, given a smaller buffer, keeps inflating (CPU up
 *    to 1032x the input) while dropping the excess. We stream the input in
 *    small chunks and stop as soon as the output passes the limit, so work
 *    and memory stay bounded whatever the input claims;
 *  - check the trailer: CRC-32 and ISIZE must match what was inflated (pako
 *    and zlib refuse a bad CRC; accepting it here would let two verifiers
 *    read the same signed list differently);
 *  - refuse concatenated members (a status list is one member; the trailer
 *    we check would only describe the last one).
 * Not a concern here: the encodedList string is covered by the status list
 * credential's signature, so integrity comes from the proof; these checks are
 * about robustness and agreeing with other implementations.
 */
import { Gunzip, gzipSync } from 'fflate/browser';
import { EncodingError } from '../errors.ts';

/**
 * Compressed bytes pushed to the inflater at a time. DEFLATE expands at most
 * ~1032:1, so one push yields at most ~264 KiB past the limit before we
 * stop; together with fflate's working buffer (32 KiB window + 128 KiB
 * headroom, doubled as it grows) peak memory stays under ~1 MiB plus the
 * limit itself, independent of the input.
 */
const CHUNK = 256;

/** Smallest member: 10-byte header, 2 bytes of DEFLATE (an empty final block), 8-byte trailer. */
const MIN_MEMBER = 20;

function invalid(message: string, cause?: unknown): EncodingError {
  return new EncodingError('encoding.invalid_gzip', message, cause === undefined ? undefined : { cause });
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, the one RFC 1952 specifies); fflate keeps its own private. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/**
 * One GZIP member, maximum compression, deterministic: `mtime` 0 (the spec
 * example does the same, and a timestamp would tell watchers when the list
 * changed), no file name. fflate writes OS = 3 (Unix), XFL = 2.
 */
export function gzip(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new EncodingError('encoding.invalid_gzip', 'gzip input must be a Uint8Array');
  return gzipSync(data, { level: 9, mtime: 0 });
}

/**
 * Expands one GZIP member of at most `maxBytes` uncompressed bytes.
 * Throws EncodingError: `encoding.invalid_gzip` (not GZIP, corrupt DEFLATE,
 * truncated, CRC/size mismatch, several members) and
 * `encoding.gzip_too_large` (the trailer or the actual output exceeds
 * `maxBytes`; detected before the excess is produced).
 */
export function gunzip(data: Uint8Array, maxBytes: number): Uint8Array {
  if (!(data instanceof Uint8Array)) throw invalid('gzip input must be a Uint8Array');
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new EncodingError('encoding.invalid_gzip', 'maxBytes must be a non-negative integer');
  if (data.length < MIN_MEMBER || data[0] !== 0x1f || data[1] !== 0x8b || data[2] !== 8) {
    throw invalid('not a GZIP member (magic 1f 8b, method 8)');
  }
  if (data[3] & 0xe0) throw invalid('reserved GZIP flag bits are set');
  const expectedCrc = u32le(data, data.length - 8);
  const isize = u32le(data, data.length - 4);
  if (isize > maxBytes) {
    throw new EncodingError('encoding.gzip_too_large', `uncompressed size ${isize} exceeds the limit of ${maxBytes} bytes`);
  }

  const out = new Uint8Array(isize);
  let produced = 0;
  let overflow = false;
  let members = 0;
  const inflater = new Gunzip((chunk: Uint8Array) => {
    if (chunk.length === 0) return;
    if (produced + chunk.length > isize) {
      overflow = true;
      throw invalid('stop'); // unwinds fflate's push; replaced below
    }
    out.set(chunk, produced);
    produced += chunk.length;
  });
  inflater.onmember = () => {
    members++;
    throw invalid('stop');
  };
  try {
    for (let at = 0; at < data.length; at += CHUNK) {
      const end = Math.min(at + CHUNK, data.length);
      inflater.push(data.subarray(at, end), end === data.length);
    }
  } catch (e) {
    if (overflow) {
      // more output than the trailer announced: either a lying trailer (a
      // bomb) or a corrupt stream; both are refused before the excess exists
      throw (isize === maxBytes
        ? new EncodingError('encoding.gzip_too_large', `uncompressed data exceeds the limit of ${maxBytes} bytes`)
        : invalid(`uncompressed data is longer than the ${isize} bytes the trailer states`));
    }
    if (members > 0) throw invalid('concatenated GZIP members are not accepted');
    // fflate's messages are fixed strings ("invalid distance", "unexpected EOF"...)
    const reason = e instanceof Error && typeof (e as { code?: unknown }).code === 'number' ? e.message : 'corrupt data';
    throw invalid(`corrupt GZIP data (${reason})`);
  }
  if (produced !== isize) throw invalid(`uncompressed size ${produced} differs from the trailer's ${isize}`);
  if (crc32(out) !== expectedCrc) throw invalid('CRC-32 mismatch');
  return out;
}
