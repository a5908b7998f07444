/**
 * Query evaluation in JavaScript, for the backends that have no query engine
 * (memory, key-value) and for the wallet's re-check of every search result
 * against the item's authenticated tags. The SQL backends translate the same
 * tree to SQL; the shared store suite proves both give the same answers.
 *
 * Semantics are documented in wql.ts: bytewise (UTF-8) order, `$like` with
 * `%`/`_` over code points and no escape, every comparison needs the tag.
 */
import { utf8Decode } from '../encoding/bytes.ts';
import type { QueryNode, StoredTag } from './types.ts';

/** Bytewise comparison (memcmp order, shorter prefix first): -1, 0 or 1. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Byte equality for index values (not secret: they are ciphertexts or plaintext tags). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i) as number;
    out.push(c);
    if (c > 0xffff) i++;
  }
  return out;
}

const PERCENT = 0x25;
const UNDERSCORE = 0x5f;

/**
 * SQL-LIKE matching as WQL defines it: `%` any run (also empty), `_` one code
 * point, no escape character, case-sensitive, anchored at both ends.
 * Greedy with one backtrack point (the last `%`), so O(n·m) at worst and no
 * recursion (XS has a small stack).
 */
export function likeMatch(pattern: string, value: string): boolean {
  const p = codePoints(pattern);
  const s = codePoints(value);
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (j < p.length && p[j] !== PERCENT && (p[j] === UNDERSCORE || p[j] === s[i])) {
      i++;
      j++;
    } else if (j < p.length && p[j] === PERCENT) {
      star = j++;
      mark = i;
    } else if (star !== -1) {
      j = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (j < p.length && p[j] === PERCENT) j++;
  return j === p.length;
}

function likeBytes(pattern: Uint8Array, value: Uint8Array): boolean {
  let p: string;
  let v: string;
  try {
    p = utf8Decode(pattern);
    v = utf8Decode(value);
  } catch {
    return false; // not text: cannot match a text pattern
  }
  return likeMatch(p, v);
}

/**
 * Evaluates `q` for one item. `lookup(name)` returns the item's value for a
 * tag name, or undefined when the item lacks the tag.
 */
export function evaluateQuery<N>(q: QueryNode<N>, lookup: (name: N) => Uint8Array | undefined): boolean {
  switch (q.op) {
    case 'and':
      for (const s of q.subs) if (!evaluateQuery(s, lookup)) return false;
      return true;
    case 'or':
      for (const s of q.subs) if (evaluateQuery(s, lookup)) return true;
      return false;
    case 'not':
      return !evaluateQuery(q.sub, lookup);
    case 'in': {
      const v = lookup(q.name);
      if (v === undefined) return false;
      for (const x of q.values) if (sameBytes(v, x)) return true;
      return false;
    }
    default: {
      const v = lookup(q.name);
      if (v === undefined) return false;
      switch (q.op) {
        case 'eq':
          return sameBytes(v, q.value);
        case 'neq':
          return !sameBytes(v, q.value);
        case 'gt':
          return compareBytes(v, q.value) > 0;
        case 'gte':
          return compareBytes(v, q.value) >= 0;
        case 'lt':
          return compareBytes(v, q.value) < 0;
        case 'lte':
          return compareBytes(v, q.value) <= 0;
        case 'like':
          return likeBytes(q.value, v);
      }
    }
  }
  return false;
}

/** Evaluates a storage query against a stored item's (encrypted) tag index. */
export function matchStoredTags(q: QueryNode<Uint8Array>, tags: readonly StoredTag[]): boolean {
  return evaluateQuery(q, (name) => {
    for (const t of tags) if (sameBytes(t.name, name)) return t.value;
    return undefined;
  });
}
