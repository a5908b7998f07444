/**
 * JSON Canonicalization Scheme, RFC 8785 — the input to eddsa-jcs-2022 proofs
 * and did:webvh entry hashes.
 *
 * RFC 8785 defines the canonical form through ECMAScript itself, so the
 * serialization is a few lines (same algorithm as the reference npm
 * `canonicalize` package, which we do not depend on: it is ~30 lines, its
 * recent versions require Node 22, and it silently drops `undefined`/symbols
 * and honours toJSON, where we want errors):
 *  - literals: null, true, false                                  (§3.2.2.1)
 *  - strings: JSON.stringify(s) (ES2019 escaping)                  (§3.2.2.2)
 *  - numbers: ECMAScript Number::toString                          (§3.2.2.3)
 *    via ecmaNumberToString (number.ts), NOT the engine's: XS gets
 *    some doubles wrong, and canonical bytes must not depend on the engine
 *  - objects: properties sorted by key as arrays of UTF-16 code
 *    units (Array.prototype.sort's default order), no whitespace  (§3.2.3)
 *
 * Validation layer (ours): the input must be I-JSON (RFC 7493) data, so these
 * throw `encoding.invalid_json`: NaN/±Infinity, undefined (also as a property
 * value or array element — never silently dropped or turned into null),
 * functions, symbols, bigint, strings or keys with lone surrogates, cycles,
 * and objects that are not plain (Date, Map, Uint8Array, class instances:
 * toJSON is deliberately not called — convert explicitly).
 */
import { EncodingError } from '../errors.ts';
import { findLoneSurrogate, utf8Encode } from './bytes.ts';
import { ecmaNumberToString } from './number.ts';

function fail(path: string, reason: string): never {
  throw new EncodingError('encoding.invalid_json', `cannot canonicalize ${path}: ${reason}`);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  // null prototype, or a realm's Object.prototype (whose own prototype is null)
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function serializeString(s: string, path: string): string {
  const at = findLoneSurrogate(s);
  if (at !== -1) fail(path, `string has a lone surrogate at index ${at} (not I-JSON)`);
  return JSON.stringify(s);
}

function serialize(v: unknown, path: string, ancestors: Set<object>, out: string[]): void {
  switch (typeof v) {
    case 'string':
      out.push(serializeString(v, path));
      return;
    case 'number':
      if (!Number.isFinite(v)) fail(path, `${v} is not a JSON number`);
      out.push(ecmaNumberToString(v)); // -0 -> "0"
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      // undefined, function, symbol, bigint
      fail(path, `${typeof v} is not JSON data`);
  }
  if (v === null) {
    out.push('null');
    return;
  }
  if (ancestors.has(v)) fail(path, 'cyclic structure');
  ancestors.add(v);
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      serialize(v[i], `${path}[${i}]`, ancestors, out);
    }
    out.push(']');
  } else {
    if (!isPlainObject(v)) fail(path, 'only plain objects and arrays are JSON data');
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).sort(); // default sort = UTF-16 code unit order (RFC 8785 §3.2.3)
    out.push('{');
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const childPath = `${path}[${JSON.stringify(k.length > 40 ? k.slice(0, 40) + '…' : k)}]`;
      if (i > 0) out.push(',');
      out.push(serializeString(k, childPath + ' (key)'), ':');
      serialize(obj[k], childPath, ancestors, out);
    }
    out.push('}');
  }
  ancestors.delete(v);
}

/** RFC 8785 canonical JSON text of `value` (see module comment for what is rejected). */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  try {
    serialize(value, '$', new Set(), out);
  } catch (e) {
    if (e instanceof EncodingError) throw e;
    // a RangeError from the call stack on absurdly deep input
    throw new EncodingError('encoding.invalid_json', 'cannot canonicalize: nesting too deep', { cause: e });
  }
  return out.join('');
}

/** UTF-8 bytes of canonicalize(value) — what gets hashed and signed. */
export function canonicalizeToBytes(value: unknown): Uint8Array {
  return utf8Encode(canonicalize(value));
}
