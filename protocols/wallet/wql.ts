/**
 * WQL, the Wallet Query Language of Aries RFC 0050 / indy-sdk, parsed into a
 * small tree that the wallet encrypts for storage (query.ts) and that
 * match.ts evaluates.
 *
 * Grammar (JSON):
 *   query    = { (tag-name: value-or-ops | "$and": [query…] | "$or": [query…] | "$not": query)… }
 *   value-or-ops = "string"                      (same as {"$eq": "string"})
 *                | { "$eq"|"$neq"|"$gt"|"$gte"|"$lt"|"$lte"|"$like": "string", "$in": ["string"…] }
 * Several keys in one object are AND-ed; several operators on one tag are
 * AND-ed too (`{"~age": {"$gte": "18", "$lt": "65"}}`, an extension to
 * indy-sdk, which takes one operator per object).
 *
 * Semantics and edge cases (each is tested in wql.test.ts / the store suite):
 *  - `{}` and `{"$and": []}` match every item of the type; `{"$or": []}`
 *    matches none (the identities of AND and OR); `{"tag": {"$in": []}}`
 *    matches none.
 *  - Every comparison needs the tag to be present: `{"color": {"$neq": "red"}}`
 *    does not match an item without `color`. `$not` is plain negation, so
 *    `{"$not": {"color": "red"}}` DOES match items without `color`
 *    (indy-sdk's SQL translation behaves the same).
 *  - `$gt $gte $lt $lte $like` only on plaintext (`~`) tags: on an encrypted
 *    tag they would compare ciphertexts, so the parser refuses them
 *    (`wallet.invalid_query`) instead of returning silent garbage.
 *  - Order is bytewise on UTF-8, i.e. Unicode code point order: not locale,
 *    not numeric ("10" < "9", "Z" < "a", "\uFFFF" < "\u{10000}" although
 *    JavaScript's UTF-16 `<` says the opposite). Zero-pad numbers.
 *  - `$like`: `%` matches any run of characters (also none), `_` exactly one
 *    character (code point, not byte or UTF-16 unit); matching is
 *    case-sensitive and covers the whole value. There is NO escape
 *    character: `\` is an ordinary character, and a literal `%` or `_` can
 *    only be matched by a wildcard (indy-sdk and Askar have no escape
 *    either; SQL engines disagree on the default one).
 *  - Values are strings only (numbers, booleans, null are
 *    `wallet.invalid_query`), with the same rules as tag values
 *    (validate.ts).
 *  - Bounded: at most 32 levels of nesting and 1024 nodes, so a hostile
 *    query cannot exhaust a small stack or build huge SQL.
 */
import { parseJson } from '../encoding/json.ts';
import { WalletError, isSsiotError } from '../errors.ts';
import type { LeafOp } from './types.ts';
import { checkTagName, checkTagValue, isPlainTagName } from './validate.ts';

/** A parsed WQL query: tag names and values as plaintext strings. */
export type WqlQuery =
  | { op: 'and'; subs: WqlQuery[] }
  | { op: 'or'; subs: WqlQuery[] }
  | { op: 'not'; sub: WqlQuery }
  | { op: LeafOp; name: string; value: string }
  | { op: 'in'; name: string; values: string[] };

/**
 * What callers may pass as a query: WQL as JSON text or as the parsed JSON
 * object, or nothing (= every item).
 */
export type WqlInput = string | Record<string, unknown> | undefined | null;

export const MAX_QUERY_DEPTH = 32;
export const MAX_QUERY_NODES = 1024;

const LEAF_OPS: Record<string, LeafOp> = {
  $eq: 'eq',
  $neq: 'neq',
  $gt: 'gt',
  $gte: 'gte',
  $lt: 'lt',
  $lte: 'lte',
  $like: 'like',
};

/** Operators that compare order or pattern: meaningful on plaintext only. */
const PLAIN_ONLY: readonly string[] = ['gt', 'gte', 'lt', 'lte', 'like'];

function invalid(message: string): WalletError {
  return new WalletError('wallet.invalid_query', message);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

/**
 * Parses WQL (JSON text or an object) into a checked tree. Errors are all
 * `wallet.invalid_query` and say which part is wrong.
 */
export function parseWql(input: WqlInput): WqlQuery {
  if (input === undefined || input === null) return { op: 'and', subs: [] };
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = parseJson(input);
    } catch (e) {
      throw new WalletError('wallet.invalid_query', `query is not valid JSON${isSsiotError(e) ? ` (${e.code})` : ''}`, { cause: e });
    }
  }
  let nodes = 0;
  const count = () => {
    if (++nodes > MAX_QUERY_NODES) throw invalid(`query has more than ${MAX_QUERY_NODES} nodes`);
  };

  const parseObject = (o: unknown, depth: number, where: string): WqlQuery => {
    if (depth > MAX_QUERY_DEPTH) throw invalid(`query nests deeper than ${MAX_QUERY_DEPTH} levels`);
    if (!isPlainObject(o)) throw invalid(`${where} must be a JSON object`);
    count();
    const subs: WqlQuery[] = [];
    for (const key of Object.keys(o)) {
      const v = o[key];
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(v)) throw invalid(`${key} takes an array of queries`);
        const list: WqlQuery[] = [];
        for (let i = 0; i < v.length; i++) list.push(parseObject(v[i], depth + 1, `${key}[${i}]`));
        subs.push({ op: key === '$and' ? 'and' : 'or', subs: list });
      } else if (key === '$not') {
        subs.push({ op: 'not', sub: parseObject(v, depth + 1, '$not') });
      } else if (key.charCodeAt(0) === 0x24) {
        throw invalid(`unknown operator ${key.length > 32 ? key.slice(0, 32) + '…' : key}`);
      } else {
        subs.push(parseTag(key, v));
      }
    }
    return subs.length === 1 ? subs[0] : { op: 'and', subs };
  };

  const parseTag = (name: string, v: unknown): WqlQuery => {
    checkTagName(name, 'wallet.invalid_query');
    if (typeof v === 'string') {
      count();
      return leaf('eq', name, v);
    }
    if (!isPlainObject(v)) throw invalid(`tag ${name} needs a string or an operator object`);
    const ops = Object.keys(v);
    if (ops.length === 0) throw invalid(`tag ${name} has an empty operator object`);
    const leaves: WqlQuery[] = [];
    for (const op of ops) {
      count();
      const arg = v[op];
      if (op === '$in') {
        if (!Array.isArray(arg)) throw invalid(`$in on tag ${name} takes an array of strings`);
        if (arg.length > MAX_QUERY_NODES) throw invalid(`$in has more than ${MAX_QUERY_NODES} values`);
        for (const x of arg) {
          if (typeof x !== 'string') throw invalid(`$in on tag ${name} takes strings only`);
          checkTagValue(x, name, 'wallet.invalid_query');
        }
        nodes += arg.length;
        if (nodes > MAX_QUERY_NODES) throw invalid(`query has more than ${MAX_QUERY_NODES} nodes`);
        leaves.push({ op: 'in', name, values: arg.slice() as string[] });
        continue;
      }
      const leafOp = Object.prototype.hasOwnProperty.call(LEAF_OPS, op) ? LEAF_OPS[op] : undefined;
      if (!leafOp) throw invalid(`unknown operator ${op.length > 32 ? op.slice(0, 32) + '…' : op} on tag ${name}`);
      if (typeof arg !== 'string') throw invalid(`${op} on tag ${name} takes a string`);
      leaves.push(leaf(leafOp, name, arg));
    }
    return leaves.length === 1 ? leaves[0] : { op: 'and', subs: leaves };
  };

  return parseObject(json, 1, 'query');
}

function leaf(op: LeafOp, name: string, value: string): WqlQuery {
  if (PLAIN_ONLY.includes(op) && !isPlainTagName(name)) {
    throw invalid(`$${op} works on plaintext (~) tags only; tag ${name} is encrypted`);
  }
  checkTagValue(value, name, 'wallet.invalid_query');
  return { op, name, value };
}

/** Tag names a query mentions (for diagnostics and tests). */
export function queryTagNames(q: WqlQuery, out: Set<string> = new Set()): Set<string> {
  if (q.op === 'and' || q.op === 'or') for (const s of q.subs) queryTagNames(s, out);
  else if (q.op === 'not') queryTagNames(q.sub, out);
  else out.add(q.name);
  return out;
}
