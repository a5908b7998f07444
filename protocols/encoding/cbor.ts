/**
 * CBOR (RFC 8949) for COSE and SUIT.
 *
 * Decoding = our well-formedness/limits scan, then cbor-x builds the values.
 * cbor-x alone is a fast, permissive decoder: it replaces bad UTF-8 with
 * U+FFFD, has no depth limit, merges duplicate map keys, turns many tags into
 * JS objects (0/1 -> Date, 27 -> calls Error/RegExp, 28/29 -> shared
 * references, 64-87 -> typed arrays, 258 -> Set, 0xdfff records -> compiled
 * readers) and throws on unassigned simple values and indefinite strings. The
 * scan in front of it rejects malformed input with `encoding.invalid_cbor`
 * and the tag overrides below make every tag but 2/3 a plain CborTag.
 *
 * Encoding is ours: cbor-x 1.6.9 has no deterministic mode (no key sorting,
 * and it never emits half floats) and its preferred serialization is wrong for
 * protocol data — numbers with |n| >= 2^32 become float64, -0 becomes the
 * integer 0, bigints always take the 8-byte form, lone surrogates become
 * invalid UTF-8, and under Node a Uint8Array is wrapped in tag 64 unless told
 * otherwise. Both encoders below write RFC 8949 §4.1 preferred serialization;
 * cborEncodeDeterministic adds §4.2.1 key ordering.
 *
 * Data model mapping (both directions):
 *   unsigned/negative int  <-> number when a safe integer, else bigint
 *                               (8-byte heads and tags 2/3 decode the same way)
 *   byte string            <-> Uint8Array (never a tag-64 typed array)
 *   text string            <-> string (must be valid UTF-8 / well-formed UTF-16)
 *   array                  <-> Array
 *   map                    <-> plain object when every key is a text string
 *                               (`maps: 'auto'`, the default; an empty map is {}),
 *                               else Map (COSE/SUIT integer labels). `maps: 'map'`
 *                               always gives Map.
 *   tag                    <-> CborTag (cbor-x's Tag: { tag, value }), except
 *                               tags 2/3 (bignums) which become integers
 *   false/true/null/undefined <-> same; other simple values <-> CborSimple
 *   floats                 <-> number. JS cannot tell 1.0 from 1, so a number
 *                               that is a safe integer is encoded as an integer;
 *                               other numbers (and -0, NaN, ±Infinity) as the
 *                               shortest float that keeps the value.
 */
import * as cborxDecode from 'cbor-x/decode';
import type { Tag as CborXTag } from 'cbor-x';
import { EncodingError } from '../errors.ts';
import { bytesToHex, findLoneSurrogate, joinBytes, utf8Decode, utf8Encode } from './bytes.ts';

// 'cbor-x/decode' keeps the device bundle free of cbor-x's encoder; its .d.ts
// forgets to list Tag, which the module does export.
const cborx = cborxDecode as unknown as {
  Decoder: new (options: Record<string, unknown>) => { decode(bytes: Uint8Array): unknown };
  Tag: typeof CborXTag;
  addExtension(extension: { tag: number; decode: (value: unknown) => unknown }): void;
};

/** A tagged data item (RFC 8949 §3.4). COSE_Sign1 is `new CborTag(array, 18)`. */
export const CborTag = cborx.Tag;
export type CborTag = CborXTag;

/** Options for cborDecode. */
export interface CborDecodeOptions {
  /** Reject inputs longer than this (default 16 MiB). */
  maxBytes?: number;
  /**
   * Maximum nesting of arrays, maps and tags; a bare scalar is depth 0, `[1]` is 1
   * (default 16). Decoding recurses (cbor-x's reader and our passes): on XS each
   * level costs ~50 stack slots, xsnap's 4096-slot stack overflows — fatally, not
   * as a catchable error — near 75 levels, and device stacks are smaller. COSE and
   * SUIT stay under 10 per decode (bstr-wrapped parts are decoded separately).
   */
  maxDepth?: number;
  /**
   * Accept indefinite-length strings, arrays and maps (default false). Off by
   * default: COSE, SUIT and deterministic encoding never use them, so on this
   * stack they only ever mean a buggy or hostile peer.
   */
  allowIndefinite?: boolean;
  /** Also require RFC 8949 §4.2.1 core deterministic encoding (default false). */
  deterministic?: boolean;
  /** 'auto' (default): maps with only text-string keys become plain objects. 'map': always Map. */
  maps?: 'auto' | 'map';
}

/** Default input size cap: large enough for a SUIT envelope with an integrated payload, bounded for a device. */
export const CBOR_DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** Default nesting cap (see CborDecodeOptions.maxDepth for why it is small). */
export const CBOR_DEFAULT_MAX_DEPTH = 16;
/** Bignums (tags 2/3) longer than this are refused: 4 KiB covers RSA-16384 and keeps BigInt work bounded. */
export const CBOR_MAX_BIGNUM_BYTES = 4096;

/** A CBOR simple value other than false/true/null/undefined (RFC 8949 §3.3): 0..19 or 32..255. */
export class CborSimple {
  readonly value: number;
  constructor(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 255 || (value >= 20 && value <= 31)) {
      throw new EncodingError('encoding.invalid_cbor_value', 'CBOR simple value must be 0..19 or 32..255');
    }
    this.value = value;
  }
}

// ---------------------------------------------------------------------------
// cbor-x configuration (module-global in cbor-x; this module is its only user)

const SIMPLE_VALUES: (CborSimple | undefined)[] = [];
for (let i = 0; i < 256; i++) SIMPLE_VALUES.push(i < 20 || i >= 32 ? new CborSimple(i) : undefined);

function bignumValue(b: unknown): bigint {
  // content type was checked by the scan; hex parse is linear, unlike cbor-x's shift loop
  const bytes = b as Uint8Array;
  return bytes.length === 0 ? 0n : BigInt('0x' + bytesToHex(bytes));
}
cborx.addExtension({ tag: 2, decode: (b) => bignumValue(b) });
cborx.addExtension({ tag: 3, decode: (b) => -1n - bignumValue(b) });
// tags cbor-x would turn into objects of its own: keep them as plain tags
const PLAIN_TAGS: number[] = [0, 1, 4, 5, 6, 14, 15, 27, 28, 29, 51, 105, 258, 259, 55799];
for (let t = 64; t <= 87; t++) PLAIN_TAGS.push(t);
for (const tag of PLAIN_TAGS) cborx.addExtension({ tag, decode: (value) => new CborTag(value, tag) });

/**
 * Tags that cbor-x intercepts before its extension table (packed-CBOR
 * prefix/suffix ranges, its shared-structure and record tags), so they cannot
 * be overridden: refused with `encoding.invalid_cbor`. No protocol here uses them.
 */
function isCborXReservedTag(t: number): boolean {
  return (
    (t >= 216 && t <= 223) ||
    (t >= 225 && t <= 255) ||
    (t >= 27647 && t <= 28671) ||
    (t >= 28704 && t <= 32767) ||
    t === 0xdff9 ||
    t === 0xdffe ||
    t === 0xdfff ||
    t === 0x53687264 ||
    (t >= 1811940352 && t <= 1879048191) ||
    (t >= 1879052288 && t <= 2147483647)
  );
}

const decoder = new cborx.Decoder({
  mapsAsObjects: false, // Map for every map; we turn string-keyed ones into objects afterwards
  useRecords: false,
  copyBuffers: true, // results never alias the caller's buffer
  sharedValues: SIMPLE_VALUES, // cbor-x looks unassigned simple values up here
});

// ---------------------------------------------------------------------------
// floats

/** IEEE 754 half-precision bits of `v` when `v` is exactly representable, else undefined. NaN -> canonical 0x7e00. */
function halfBits(v: number): number | undefined {
  if (Number.isNaN(v)) return 0x7e00;
  if (Math.fround(v) !== v) return undefined;
  // a fresh view per call: a module-level buffer is read-only once preloaded (Moddable)
  const f32 = new DataView(new ArrayBuffer(4));
  f32.setFloat32(0, v);
  const bits = f32.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00; // ±Infinity
  if (exp === 0) return mant === 0 ? sign : undefined; // ±0; float32 subnormals are below half range
  const e = exp - 127;
  if (e >= -14 && e <= 15) return mant & 0x1fff ? undefined : sign | ((e + 15) << 10) | (mant >>> 13);
  if (e >= -24 && e < -14) {
    // half subnormal: m * 2^-24 with m < 1024
    const full = mant | 0x800000;
    const shift = -e - 1;
    return full & ((1 << shift) - 1) ? undefined : sign | (full >>> shift);
  }
  return undefined;
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

// ---------------------------------------------------------------------------
// decoding: the scan

interface ScanState {
  readonly b: Uint8Array;
  pos: number;
  readonly maxDepth: number;
  readonly allowIndefinite: boolean;
  readonly deterministic: boolean;
  /** Entry count of every map, in document (pre-)order: detects duplicate keys cbor-x would merge. */
  readonly mapCounts: number[];
  /** Indefinite-length strings to rewrite as definite ones (cbor-x cannot decode them). */
  readonly joins: { start: number; end: number; major: number; parts: Uint8Array[] }[];
}

function bad(s: ScanState, at: number, reason: string): never {
  throw new EncodingError('encoding.invalid_cbor', `invalid CBOR at byte ${at}: ${reason}`);
}

function need(s: ScanState, n: number, at: number): void {
  if (n > s.b.length - s.pos) bad(s, at, 'truncated input');
}

/** Reads an initial byte's argument. 8-byte values above 2^53 come back rounded; callers only compare them with sizes. */
function readArgument(s: ScanState, ai: number, at: number): number {
  const b = s.b;
  if (ai < 24) return ai;
  let v: number;
  if (ai === 24) {
    need(s, 1, at);
    v = b[s.pos];
    s.pos += 1;
    if (s.deterministic && v < 24) bad(s, at, 'non-minimal argument (deterministic encoding)');
  } else if (ai === 25) {
    need(s, 2, at);
    v = b[s.pos] * 0x100 + b[s.pos + 1];
    s.pos += 2;
    if (s.deterministic && v < 0x100) bad(s, at, 'non-minimal argument (deterministic encoding)');
  } else if (ai === 26) {
    need(s, 4, at);
    v = ((b[s.pos] * 0x100 + b[s.pos + 1]) * 0x100 + b[s.pos + 2]) * 0x100 + b[s.pos + 3];
    s.pos += 4;
    if (s.deterministic && v < 0x10000) bad(s, at, 'non-minimal argument (deterministic encoding)');
  } else {
    need(s, 8, at);
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < 4; i++) hi = hi * 0x100 + b[s.pos + i];
    for (let i = 4; i < 8; i++) lo = lo * 0x100 + b[s.pos + i];
    s.pos += 8;
    if (s.deterministic && hi === 0) bad(s, at, 'non-minimal argument (deterministic encoding)');
    v = hi * 0x100000000 + lo;
  }
  return v;
}

function checkText(s: ScanState, start: number, end: number, at: number): void {
  try {
    utf8Decode(s.b.subarray(start, end));
  } catch {
    bad(s, at, 'text string is not valid UTF-8');
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function scanMapEntries(s: ScanState, count: number, indefinite: boolean, depth: number, at: number): void {
  const slot = s.mapCounts.length;
  s.mapCounts.push(0);
  const seen = new Set<string>();
  let previous: Uint8Array | undefined;
  let n = 0;
  for (;;) {
    if (indefinite) {
      need(s, 1, at);
      if (s.b[s.pos] === 0xff) {
        s.pos++;
        break;
      }
    } else if (n === count) break;
    const keyStart = s.pos;
    scanItem(s, depth);
    const key = s.b.subarray(keyStart, s.pos);
    const id = bytesToHex(key);
    if (seen.has(id)) bad(s, keyStart, 'duplicate map key');
    seen.add(id);
    if (s.deterministic) {
      if (previous && compareBytes(previous, key) >= 0) bad(s, keyStart, 'map keys not in bytewise order (deterministic encoding)');
      previous = key;
    }
    scanItem(s, depth);
    n++;
  }
  s.mapCounts[slot] = n;
}

function scanIndefiniteString(s: ScanState, major: number, at: number): void {
  const parts: Uint8Array[] = [];
  for (;;) {
    need(s, 1, at);
    const ib = s.b[s.pos];
    if (ib === 0xff) {
      s.pos++;
      break;
    }
    const chunkAt = s.pos;
    if (ib >> 5 !== major || (ib & 0x1f) >= 28) bad(s, chunkAt, 'indefinite-length string chunk must be a definite string of the same type');
    s.pos++;
    const len = readArgument(s, ib & 0x1f, chunkAt);
    need(s, len, chunkAt);
    // RFC 8949 §3.2.3: each text chunk is valid UTF-8 on its own
    if (major === 3) checkText(s, s.pos, s.pos + len, chunkAt);
    parts.push(s.b.subarray(s.pos, s.pos + len));
    s.pos += len;
  }
  s.joins.push({ start: at, end: s.pos, major, parts });
}

/** Validates one data item at s.pos (RFC 8949 Appendix C well-formedness, plus our policy). */
function scanItem(s: ScanState, depth: number): void {
  const at = s.pos;
  need(s, 1, at);
  const ib = s.b[s.pos++];
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (ai >= 28 && ai <= 30) bad(s, at, `reserved additional information ${ai}`);
  if (ai === 31) {
    if (major === 7) bad(s, at, 'break outside an indefinite-length item');
    if (major < 2 || major === 6) bad(s, at, `major type ${major} cannot be indefinite-length`);
    if (s.deterministic) bad(s, at, 'indefinite-length item (deterministic encoding)');
    if (!s.allowIndefinite) bad(s, at, 'indefinite-length items are not accepted');
    if (major === 2 || major === 3) return scanIndefiniteString(s, major, at);
    if (depth + 1 > s.maxDepth) bad(s, at, `nesting deeper than ${s.maxDepth}`);
    if (major === 5) return scanMapEntries(s, 0, true, depth + 1, at);
    for (;;) {
      need(s, 1, at);
      if (s.b[s.pos] === 0xff) {
        s.pos++;
        return;
      }
      scanItem(s, depth + 1);
    }
  }
  if (major === 7) {
    if (ai === 24) {
      need(s, 1, at);
      const v = s.b[s.pos++];
      // RFC 8949 §3.3: the two-byte form for 0..31 is not well-formed (RFC 7049 allowed it)
      if (v < 32) bad(s, at, `simple value ${v} in two-byte form`);
    } else if (ai === 25) {
      need(s, 2, at);
      const h = s.b[s.pos] * 0x100 + s.b[s.pos + 1];
      s.pos += 2;
      if (s.deterministic && Number.isNaN(halfToNumber(h)) && h !== 0x7e00) bad(s, at, 'NaN must be f97e00 (deterministic encoding)');
    } else if (ai === 26 || ai === 27) {
      const size = ai === 26 ? 4 : 8;
      need(s, size, at);
      if (s.deterministic) {
        const view = new DataView(s.b.buffer, s.b.byteOffset + s.pos, size);
        const v = size === 4 ? view.getFloat32(0) : view.getFloat64(0);
        const shorter = Number.isNaN(v) || (size === 4 ? halfBits(v) !== undefined : Math.fround(v) === v);
        if (shorter) bad(s, at, 'float not in its shortest form (deterministic encoding)');
      }
      s.pos += size;
    }
    return;
  }
  const arg = readArgument(s, ai, at);
  switch (major) {
    case 0:
    case 1:
      return;
    case 2:
    case 3:
      need(s, arg, at);
      if (major === 3) checkText(s, s.pos, s.pos + arg, at);
      s.pos += arg;
      return;
    case 4:
      if (depth + 1 > s.maxDepth) bad(s, at, `nesting deeper than ${s.maxDepth}`);
      // every element takes at least one byte; fail before looping over a huge count
      need(s, arg, at);
      for (let i = 0; i < arg; i++) scanItem(s, depth + 1);
      return;
    case 5:
      if (depth + 1 > s.maxDepth) bad(s, at, `nesting deeper than ${s.maxDepth}`);
      need(s, arg * 2, at);
      return scanMapEntries(s, arg, false, depth + 1, at);
    default: {
      // major 6: tag
      if (arg > 0xffffffff) bad(s, at, 'tag number above 2^32 - 1 is not supported');
      if (isCborXReservedTag(arg)) bad(s, at, `tag ${arg} (packed CBOR / cbor-x extension) is not supported`);
      if (depth + 1 > s.maxDepth) bad(s, at, `nesting deeper than ${s.maxDepth}`);
      if (arg === 2 || arg === 3) {
        need(s, 1, at);
        const cb = s.b[s.pos];
        if (cb >> 5 !== 2) bad(s, s.pos, `tag ${arg} (bignum) content must be a byte string`);
        const contentAt = s.pos;
        scanItem(s, depth + 1);
        const ai = cb & 0x1f;
        let length: number;
        if (ai === 31) {
          length = 0;
          for (const p of s.joins[s.joins.length - 1].parts) length += p.length;
        } else length = s.pos - contentAt - (ai < 24 ? 1 : ai === 24 ? 2 : ai === 25 ? 3 : ai === 26 ? 5 : 9);
        if (length > CBOR_MAX_BIGNUM_BYTES) bad(s, at, `bignum longer than ${CBOR_MAX_BIGNUM_BYTES} bytes`);
        return;
      }
      scanItem(s, depth + 1);
    }
  }
}

/** The input with every indefinite-length string replaced by its definite-length equivalent. */
function joinIndefiniteStrings(b: Uint8Array, joins: ScanState['joins']): Uint8Array {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const j of joins) {
    out.push(b.subarray(from, j.start));
    let len = 0;
    for (const p of j.parts) len += p.length;
    const w = new Writer();
    w.head(j.major, len);
    out.push(w.finish());
    out.push(...j.parts);
    from = j.end;
  }
  out.push(b.subarray(from));
  return joinBytes(out);
}

// ---------------------------------------------------------------------------
// decoding: shaping cbor-x's result

function shape(v: unknown, counts: number[], next: { i: number }, maps: 'auto' | 'map'): unknown {
  if (typeof v === 'bigint') return v >= -Number.MAX_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER ? Number(v) : v;
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array || v instanceof CborSimple) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = shape(v[i], counts, next, maps);
    return v;
  }
  if (v instanceof CborTag) {
    v.value = shape(v.value, counts, next, maps);
    return v;
  }
  if (v instanceof Map) {
    const expected = counts[next.i++];
    if (v.size !== expected) throw new EncodingError('encoding.invalid_cbor', 'invalid CBOR: duplicate map key (equal values, different encodings)');
    const m = new Map<unknown, unknown>();
    let allStrings = true;
    for (const [k, val] of v) {
      const key = shape(k, counts, next, maps);
      if (typeof key !== 'string') allStrings = false;
      m.set(key, shape(val, counts, next, maps));
    }
    if (m.size !== expected) throw new EncodingError('encoding.invalid_cbor', 'invalid CBOR: duplicate map key (equal values, different encodings)');
    if (maps === 'map' || !allStrings) return m;
    const o: Record<string, unknown> = {};
    for (const [k, val] of m) {
      if (k === '__proto__') Object.defineProperty(o, k, { value: val, enumerable: true, writable: true, configurable: true });
      else o[k as string] = val;
    }
    return o;
  }
  throw new EncodingError('encoding.invalid_cbor', 'invalid CBOR: unexpected decoded value');
}

/**
 * Decode exactly one CBOR data item. Any malformed, truncated, trailing,
 * over-deep or oversized input, invalid UTF-8, duplicate map key, a
 * bignum tag without a byte string, an unassigned two-byte simple value,
 * or (unless allowed) indefinite-length item -> `encoding.invalid_cbor`.
 * See the module comment for how values map to JS.
 */
export function cborDecode(bytes: Uint8Array, options: CborDecodeOptions = {}): unknown {
  if (!(bytes instanceof Uint8Array)) throw new EncodingError('encoding.invalid_cbor', 'invalid CBOR: input must be a Uint8Array');
  const maxBytes = options.maxBytes ?? CBOR_DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) throw new EncodingError('encoding.invalid_cbor', `invalid CBOR: input longer than ${maxBytes} bytes`);
  if (bytes.length === 0) throw new EncodingError('encoding.invalid_cbor', 'invalid CBOR at byte 0: empty input');
  // a fresh plain view: cbor-x caches a DataView on the object it is given
  let view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s: ScanState = {
    b: view,
    pos: 0,
    maxDepth: options.maxDepth ?? CBOR_DEFAULT_MAX_DEPTH,
    allowIndefinite: options.allowIndefinite === true,
    deterministic: options.deterministic === true,
    mapCounts: [],
    joins: [],
  };
  try {
    scanItem(s, 0);
  } catch (e) {
    if (e instanceof EncodingError) throw e;
    throw new EncodingError('encoding.invalid_cbor', 'invalid CBOR: nesting too deep for the call stack', { cause: e });
  }
  if (s.pos !== view.length) bad(s, s.pos, `${view.length - s.pos} trailing byte(s) after the data item`);
  if (s.joins.length > 0) view = joinIndefiniteStrings(view, s.joins);
  let raw: unknown;
  try {
    raw = decoder.decode(view);
  } catch (e) {
    throw new EncodingError('encoding.invalid_cbor', 'invalid CBOR: decoder rejected the input', { cause: e });
  }
  return shape(raw, s.mapCounts, { i: 0 }, options.maps ?? 'auto');
}

// ---------------------------------------------------------------------------
// encoding

class Writer {
  private parts: Uint8Array[] = [];
  private cur: number[] = [];
  byte(x: number): void {
    this.cur.push(x);
  }
  bytes(b: Uint8Array): void {
    if (b.length <= 64) {
      for (let i = 0; i < b.length; i++) this.cur.push(b[i]);
      return;
    }
    this.flush();
    this.parts.push(b);
  }
  /** Initial byte + argument in the shortest form (RFC 8949 §4.2.1 "preferred"). */
  head(major: number, n: number | bigint): void {
    const m = major << 5;
    if (typeof n === 'bigint' && n <= BigInt(Number.MAX_SAFE_INTEGER)) n = Number(n);
    if (typeof n === 'bigint') {
      this.byte(m | 27);
      for (let shift = 56n; shift >= 0n; shift -= 8n) this.byte(Number((n >> shift) & 0xffn));
    } else if (n < 24) this.byte(m | n);
    else if (n < 0x100) this.cur.push(m | 24, n);
    else if (n < 0x10000) this.cur.push(m | 25, n >>> 8, n & 0xff);
    else if (n < 0x100000000) this.cur.push(m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    else {
      const hi = Math.floor(n / 0x100000000);
      const lo = n % 0x100000000;
      this.cur.push(m | 27, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
    }
  }
  private flush(): void {
    if (this.cur.length) {
      this.parts.push(Uint8Array.from(this.cur));
      this.cur = [];
    }
  }
  finish(): Uint8Array {
    this.flush();
    if (this.parts.length === 1) return this.parts[0].slice();
    let total = 0;
    for (const p of this.parts) total += p.length;
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function unencodable(path: string, reason: string): never {
  throw new EncodingError('encoding.invalid_cbor_value', `cannot encode ${path} as CBOR: ${reason}`);
}

const TWO_64 = 1n << 64n;

function writeBigint(w: Writer, v: bigint): void {
  const negative = v < 0n;
  const n = negative ? -1n - v : v;
  if (n < TWO_64) return w.head(negative ? 1 : 0, n);
  // RFC 8949 §3.4.3 bignum, no leading zero bytes
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const content = new Uint8Array(hex.length / 2);
  for (let i = 0; i < content.length; i++) content[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  w.head(6, negative ? 3 : 2);
  w.head(2, content.length);
  w.bytes(content);
}

function writeFloat(w: Writer, v: number): void {
  const h = halfBits(v);
  if (h !== undefined) {
    w.byte(0xf9);
    w.byte(h >>> 8);
    w.byte(h & 0xff);
  } else if (Math.fround(v) === v) {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, v);
    w.byte(0xfa);
    w.bytes(new Uint8Array(dv.buffer));
  } else {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v);
    w.byte(0xfb);
    w.bytes(new Uint8Array(dv.buffer));
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

interface EncodeContext {
  readonly sortKeys: boolean;
  readonly ancestors: Set<object>;
}

function writeMap(w: Writer, entries: [unknown, unknown][], path: string, ctx: EncodeContext): void {
  const encoded = entries.map(([k, v], i) => {
    const kw = new Writer();
    writeValue(kw, k, `${path}<key ${i}>`, ctx);
    return { key: kw.finish(), value: v, label: typeof k === 'string' || typeof k === 'number' ? String(k) : `<key ${i}>` };
  });
  const order = ctx.sortKeys ? [...encoded].sort((a, b) => compareBytes(a.key, b.key)) : encoded;
  const seen = new Set<string>();
  for (const e of order) {
    const id = bytesToHex(e.key);
    if (seen.has(id)) unencodable(path, 'two map keys have the same encoding');
    seen.add(id);
  }
  w.head(5, order.length);
  for (const e of order) {
    w.bytes(e.key);
    writeValue(w, e.value, `${path}.${e.label.length > 40 ? e.label.slice(0, 40) + '…' : e.label}`, ctx);
  }
}

function writeValue(w: Writer, v: unknown, path: string, ctx: EncodeContext): void {
  switch (typeof v) {
    case 'number':
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return v >= 0 ? w.head(0, v) : w.head(1, -1 - v);
      return writeFloat(w, v);
    case 'bigint':
      return writeBigint(w, v);
    case 'string': {
      const at = findLoneSurrogate(v);
      if (at !== -1) unencodable(path, `string has a lone surrogate at index ${at}`);
      const b = utf8Encode(v);
      w.head(3, b.length);
      return w.bytes(b);
    }
    case 'boolean':
      return w.byte(v ? 0xf5 : 0xf4);
    case 'undefined':
      return w.byte(0xf7);
    case 'object':
      break;
    default:
      unencodable(path, `${typeof v} has no CBOR form`);
  }
  if (v === null) return w.byte(0xf6);
  if (v instanceof Uint8Array) {
    w.head(2, v.length);
    return w.bytes(v);
  }
  if (v instanceof CborSimple) return w.head(7, v.value);
  if (ctx.ancestors.has(v)) unencodable(path, 'cyclic structure');
  ctx.ancestors.add(v);
  if (Array.isArray(v)) {
    w.head(4, v.length);
    for (let i = 0; i < v.length; i++) writeValue(w, v[i], `${path}[${i}]`, ctx);
  } else if (v instanceof CborTag) {
    const t = v.tag as unknown;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) unencodable(path, 'tag number must be a non-negative integer');
    if ((t === 2 || t === 3) && !(v.value instanceof Uint8Array)) unencodable(path, 'tag 2/3 content must be a Uint8Array (or pass a bigint)');
    w.head(6, t);
    writeValue(w, v.value, `${path}<tag ${t}>`, ctx);
  } else if (v instanceof Map) {
    writeMap(w, [...v.entries()], path, ctx);
  } else if (isPlainObject(v)) {
    writeMap(w, Object.entries(v), path, ctx);
  } else {
    unencodable(path, 'only plain objects, arrays, Maps, Uint8Arrays, CborTag and CborSimple are encodable');
  }
  ctx.ancestors.delete(v);
}

function encodeWith(value: unknown, sortKeys: boolean): Uint8Array {
  const w = new Writer();
  try {
    writeValue(w, value, '$', { sortKeys, ancestors: new Set() });
  } catch (e) {
    if (e instanceof EncodingError) throw e;
    throw new EncodingError('encoding.invalid_cbor_value', 'cannot encode value as CBOR: nesting too deep', { cause: e });
  }
  return w.finish();
}

/**
 * CBOR with RFC 8949 §4.1 preferred serialization (shortest heads and
 * floats, definite lengths), map entries in insertion order. Values that have
 * no CBOR form (functions, symbols, class instances, Date, Set, cycles, lone
 * surrogates, two keys with one encoding) -> `encoding.invalid_cbor_value`.
 */
export function cborEncode(value: unknown): Uint8Array {
  return encodeWith(value, false);
}

/**
 * RFC 8949 §4.2.1 core deterministic encoding: preferred serialization plus
 * map keys sorted bytewise by their encoded form (no duplicates). Use it for
 * anything signed, hashed or compared (COSE Sig_structure, SUIT digests).
 * Half floats: cbor-x cannot write them, so halfBits() above does the
 * shortest-float step (half -> single -> double, value preserved exactly).
 */
export function cborEncodeDeterministic(value: unknown): Uint8Array {
  return encodeWith(value, true);
}
