/**
 * WQL storage queries (protocols/wallet/types.ts StorageQuery) as SQL, for
 * the SQLite and PostgreSQL backends. Both share the schema shape
 *   items(id, type, name, value)            UNIQUE (type, name), index (type)
 *   tags(item_id, name, plain, value)       PRIMARY KEY (item_id, name), index (name, value, item_id)
 * and differ only in placeholders and in how `$like` runs, so one
 * translator takes a small dialect.
 *
 * Plan shape, so a search over 100,000 items touches only what it must:
 *  - one positive leaf of the top-level AND (an equality if there is one:
 *    usually the most selective) DRIVES the query as
 *    `i.id IN (SELECT item_id FROM tags WHERE name = ? AND value <op> ?)`,
 *    answered by the (name, value) index; a top-level OR of such leaves
 *    drives with one IN per branch;
 *  - every other leaf is a correlated `EXISTS (… t.item_id = i.id AND
 *    t.name = ? …)`: one primary-key probe per candidate row;
 *  - `$like` with a literal prefix also gets a range on that prefix, so
 *    the index narrows it before GLOB/LIKE runs.
 * Semantics equal the JavaScript evaluator (protocols/wallet/match.ts):
 * every leaf needs the tag to exist, `$not` is SQL NOT, empty AND/OR are
 * TRUE/FALSE, BLOB/bytea comparison is bytewise = WQL order. The shared
 * suite cross-checks the two on every backend.
 */
import { utf8Decode, utf8Encode } from '../../../protocols/encoding/bytes.ts';
import type { StorageQuery } from '../../../protocols/wallet/types.ts';

export interface SqlDialect {
  /** Appends a parameter and returns its placeholder. */
  param(params: unknown[], value: unknown): string;
  /** SQL that is true when the BLOB/bytea column `column` matches WQL `$like` pattern `pattern`. */
  like(column: string, pattern: Uint8Array, params: unknown[]): string;
  /** Bytes as the driver wants them bound. */
  bytes(b: Uint8Array): unknown;
}

const COMPARE: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

type Leaf = Exclude<StorageQuery, { op: 'and' } | { op: 'or' } | { op: 'not' }>;

/** The literal text before the first `%` or `_` of a like pattern. */
export function likePrefix(pattern: string): string {
  let end = 0;
  for (const ch of pattern) {
    if (ch === '%' || ch === '_') break;
    end += ch.length;
  }
  return pattern.slice(0, end);
}

/** The smallest byte string greater than every string starting with `prefix`, or undefined (all 0xFF). */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  const b = prefix.slice();
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] !== 0xff) {
      b[i]++;
      return b.subarray(0, i + 1);
    }
  }
  return undefined;
}

/** `name = ? AND <value condition>` over alias `t` for one leaf. */
function leafCondition(q: Leaf, d: SqlDialect, params: unknown[], t: string): string {
  const name = `${t}name = ${d.param(params, d.bytes(q.name))}`;
  if (q.op === 'in') return `${name} AND ${t}value IN (${q.values.map((v) => d.param(params, d.bytes(v))).join(', ')})`;
  if (q.op === 'like') {
    const pattern = utf8Decode(q.value);
    const prefix = utf8Encode(likePrefix(pattern));
    let range = '';
    if (prefix.length > 0) {
      range = ` AND ${t}value >= ${d.param(params, d.bytes(prefix))}`;
      const upper = prefixUpperBound(prefix);
      if (upper) range += ` AND ${t}value < ${d.param(params, d.bytes(upper))}`;
    }
    return `${name}${range} AND ${d.like(`${t}value`, q.value, params)}`;
  }
  return `${name} AND ${t}value ${COMPARE[q.op]} ${d.param(params, d.bytes(q.value))}`;
}

function isLeaf(q: StorageQuery): q is Leaf {
  return q.op !== 'and' && q.op !== 'or' && q.op !== 'not';
}

/** Can this node drive the query through the (name, value) index? */
function canDrive(q: StorageQuery): boolean {
  if (isLeaf(q)) return !(q.op === 'in' && q.values.length === 0);
  if (q.op === 'or') return q.subs.length > 0 && q.subs.every(canDrive);
  if (q.op === 'and') return q.subs.some(canDrive);
  return false;
}

function render(q: StorageQuery, d: SqlDialect, params: unknown[], tags: string, drive: boolean): string {
  switch (q.op) {
    case 'and': {
      if (q.subs.length === 0) return '(1=1)';
      let driver = -1;
      if (drive) {
        driver = q.subs.findIndex((s) => isLeaf(s) && (s.op === 'eq' || s.op === 'in') && canDrive(s));
        if (driver === -1) driver = q.subs.findIndex(canDrive);
      }
      return `(${q.subs.map((s, i) => render(s, d, params, tags, i === driver)).join(' AND ')})`;
    }
    case 'or':
      return q.subs.length === 0 ? '(1=0)' : `(${q.subs.map((s) => render(s, d, params, tags, drive)).join(' OR ')})`;
    case 'not':
      return `(NOT ${render(q.sub, d, params, tags, false)})`;
    default:
      if (q.op === 'in' && q.values.length === 0) return '(1=0)';
      if (drive) return `i.id IN (SELECT item_id FROM ${tags} WHERE ${leafCondition(q, d, params, '')})`;
      return `EXISTS (SELECT 1 FROM ${tags} t WHERE t.item_id = i.id AND ${leafCondition(q, d, params, 't.')})`;
  }
}

/**
 * The WHERE condition (over `items i`) for a storage query; parameters are
 * appended to `params`. `driven` says whether a tag-index lookup drives the
 * query (then the caller should keep the planner off the type index).
 */
export function queryToSql(q: StorageQuery, d: SqlDialect, params: unknown[], tagsTable: string): { where: string; driven: boolean } {
  const driven = canDrive(q);
  return { where: render(q, d, params, tagsTable, driven), driven };
}

/**
 * WQL `$like` (`%`, `_`, no escape) as an SQLite GLOB pattern (`*`, `?`),
 * which is case-sensitive and counts `?` in characters, like WQL. Literal
 * GLOB metacharacters are bracketed: `*` → `[*]`, `?` → `[?]`, `[` → `[[]`.
 */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}
