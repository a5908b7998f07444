/**
 * Discover Features 2.0 (DIDComm v2 §"Discover Features Protocol 2.0").
 *
 * Queries name a `feature-type` and a `match` that may use `*` as a
 * wildcard (any run of characters, including none). Recognized feature
 * types: `protocol` (PIURIs), `goal-code`, `header` — the three the spec
 * requires — and `constraint`, which the spec's Transports section uses for
 * `max_receive_bytes`. Unrecognized feature types are ignored (MUST).
 *
 * What we disclose: protocols come from the router's registered handlers
 * (with our roles), the rest from options. Disclosure is selective by
 * design (spec §Privacy): an app can pass `filter` to hide features from a
 * given peer. An empty disclosure list means "not disclosing", never
 * "unsupported".
 *
 * Limits (the queries come from strangers): at most 32 queries, each
 * `match` at most 256 characters; more is `e.p.msg.invalid`. Matching is a
 * linear scan (no regular expressions built from input).
 */
import type { PlaintextMessage } from '../didcomm/message.ts';
import { newMessageId } from '../didcomm/message.ts';
import type { HandlerContext, Router } from '../didcomm/router.ts';
import type { StateMachine } from '../didcomm/thread.ts';
import { CONSTRAINT_FEATURE_TYPE, MAX_RECEIVE_BYTES_FEATURE } from '../didcomm/transports/limits.ts';
import { DidcommError } from '../errors.ts';
import { PROBLEM, ProblemReportError } from './report-problem.ts';

export const DISCOVER_FEATURES_PIURI = 'https://didcomm.org/discover-features/2.0';
export const QUERIES_TYPE = `${DISCOVER_FEATURES_PIURI}/queries`;
export const DISCLOSE_TYPE = `${DISCOVER_FEATURES_PIURI}/disclose`;

export const RECOGNIZED_FEATURE_TYPES: readonly string[] = ['protocol', 'goal-code', 'header', CONSTRAINT_FEATURE_TYPE];
export const MAX_QUERIES = 32;
export const MAX_MATCH_LENGTH = 256;

export interface FeatureQuery {
  'feature-type': string;
  match: string;
}

export interface Disclosure {
  'feature-type': string;
  id: string;
  roles?: string[];
  [extra: string]: unknown;
}

/** The responder's states: a query in, a disclosure out. */
export const DISCOVER_FEATURES_RESPONDER: StateMachine = {
  protocol: DISCOVER_FEATURES_PIURI,
  role: 'responder',
  initial: 'start',
  final: ['done'],
  transitions: [
    { from: 'start', on: 'receive:queries', to: 'received' },
    { from: 'received', on: 'send:disclose', to: 'done' },
  ],
};

/**
 * `*`-wildcard match of `id` against `pattern`, case-sensitive. Greedy
 * left-to-right over the literal pieces: linear in the lengths, no backtracking.
 */
export function matchesFeature(pattern: string, id: string): boolean {
  if (typeof pattern !== 'string' || typeof id !== 'string') return false;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === id;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!id.startsWith(first) || id.length < first.length + last.length) return false;
  let pos = first.length;
  const end = id.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const p = parts[i];
    if (p.length === 0) continue;
    const at = id.indexOf(p, pos);
    if (at < 0 || at + p.length > end) return false;
    pos = at + p.length;
  }
  return id.endsWith(last);
}

/** Check a queries message's body; ProblemReportError `e.p.msg.invalid` when malformed or over the limits. */
export function parseQueries(message: PlaintextMessage): FeatureQuery[] {
  const queries = (message.body as { queries?: unknown }).queries;
  if (!Array.isArray(queries) || queries.length === 0 || queries.length > MAX_QUERIES) {
    throw new ProblemReportError(PROBLEM.invalid);
  }
  const out: FeatureQuery[] = [];
  for (const q of queries) {
    if (typeof q !== 'object' || q === null) throw new ProblemReportError(PROBLEM.invalid);
    const ft = (q as Record<string, unknown>)['feature-type'];
    const match = (q as Record<string, unknown>).match;
    if (typeof ft !== 'string' || typeof match !== 'string' || match.length > MAX_MATCH_LENGTH || ft.length > 64) {
      throw new ProblemReportError(PROBLEM.invalid);
    }
    out.push({ 'feature-type': ft, match });
  }
  return out;
}

/** The features matching any query (recognized feature types only), each once, in `features` order. */
export function selectDisclosures(features: readonly Disclosure[], queries: readonly FeatureQuery[]): Disclosure[] {
  const wanted = queries.filter((q) => RECOGNIZED_FEATURE_TYPES.includes(q['feature-type']));
  return features.filter((f) => wanted.some((q) => q['feature-type'] === f['feature-type'] && matchesFeature(q.match, f.id)));
}

export interface CreateQueriesOptions {
  queries: FeatureQuery[];
  from?: string;
  to?: string[];
  id?: string;
}

export function createQueries(o: CreateQueriesOptions): PlaintextMessage {
  if (!Array.isArray(o.queries) || o.queries.length === 0) throw new DidcommError('didcomm.invalid_argument', 'queries must be a non-empty array');
  const m: PlaintextMessage = { id: o.id ?? newMessageId(), type: QUERIES_TYPE, body: { queries: o.queries.map((q) => ({ ...q })) } };
  if (o.from !== undefined) m.from = o.from;
  if (o.to !== undefined) m.to = [...o.to];
  return m;
}

/** A disclose message; `thid` = the queries' id (omit it for a proactive disclosure). */
export function createDisclose(disclosures: Disclosure[], o: { thid?: string; from?: string; to?: string[]; id?: string } = {}): PlaintextMessage {
  const m: PlaintextMessage = { id: o.id ?? newMessageId(), type: DISCLOSE_TYPE, body: { disclosures } };
  if (o.thid !== undefined) m.thid = o.thid;
  if (o.from !== undefined) m.from = o.from;
  if (o.to !== undefined) m.to = [...o.to];
  return m;
}

/** The disclosures of a disclose message (malformed entries skipped: the sender may add fields we do not know). */
export function parseDisclose(message: PlaintextMessage): Disclosure[] {
  const list = (message.body as { disclosures?: unknown }).disclosures;
  if (!Array.isArray(list)) throw new ProblemReportError(PROBLEM.invalid);
  return list.filter((d): d is Disclosure => typeof d === 'object' && d !== null && typeof d['feature-type'] === 'string' && typeof d.id === 'string');
}

/** The `max_receive_bytes` constraint disclosure; the value is a decimal string, as in the spec's example. */
export function maxReceiveBytesDisclosure(maxReceiveBytes: number): Disclosure {
  if (!Number.isSafeInteger(maxReceiveBytes) || maxReceiveBytes <= 0) throw new DidcommError('didcomm.invalid_argument', 'max_receive_bytes must be a positive integer');
  return { 'feature-type': CONSTRAINT_FEATURE_TYPE, id: MAX_RECEIVE_BYTES_FEATURE, max_receive_bytes: String(maxReceiveBytes) };
}

/** A peer's `max_receive_bytes` from its disclosures, or undefined if it did not disclose one. */
export function peerMaxReceiveBytes(disclosures: readonly Disclosure[]): number | undefined {
  const d = disclosures.find((x) => x['feature-type'] === CONSTRAINT_FEATURE_TYPE && x.id === MAX_RECEIVE_BYTES_FEATURE);
  const v = d ? Number(d[MAX_RECEIVE_BYTES_FEATURE]) : NaN;
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

export interface DiscoverFeaturesOptions {
  goalCodes?: string[];
  headers?: string[];
  /** Disclosed as the `max_receive_bytes` constraint (default: the router's limit). */
  maxReceiveBytes?: number;
  /** More disclosures (other constraints, governance frameworks, ...). */
  extra?: Disclosure[];
  /** Selective disclosure: return false to hide a feature from this peer. */
  filter?: (feature: Disclosure, ctx: HandlerContext) => boolean;
  /** Disclosures received (solicited or proactive). */
  onDisclose?: (disclosures: Disclosure[], ctx: HandlerContext) => void;
}

/** Everything we would disclose, before queries and filter. */
export function ourFeatures(router: Router, o: DiscoverFeaturesOptions = {}): Disclosure[] {
  const out: Disclosure[] = [];
  for (const p of router.protocols()) {
    const d: Disclosure = { 'feature-type': 'protocol', id: p.id };
    if (p.roles.length > 0) d.roles = p.roles;
    out.push(d);
  }
  for (const g of o.goalCodes ?? []) out.push({ 'feature-type': 'goal-code', id: g });
  for (const h of o.headers ?? []) out.push({ 'feature-type': 'header', id: h });
  out.push(maxReceiveBytesDisclosure(o.maxReceiveBytes ?? router.maxReceiveBytes));
  for (const e of o.extra ?? []) out.push(e);
  return out;
}

/** Register both roles of discover-features on `router`. */
export function registerDiscoverFeatures(router: Router, o: DiscoverFeaturesOptions = {}): void {
  router.on(
    QUERIES_TYPE,
    async (ctx) => {
      const queries = parseQueries(ctx.message);
      if (ctx.peer === undefined) return;
      let selected = selectDisclosures(ourFeatures(router, o), queries);
      if (o.filter) selected = selected.filter((f) => o.filter!(f, ctx));
      await ctx.reply(DISCLOSE_TYPE, { disclosures: selected });
    },
    { machine: DISCOVER_FEATURES_RESPONDER },
  );
  // no state machine: disclosures may come unasked (spec: proactive disclosure)
  router.on(
    DISCLOSE_TYPE,
    (ctx) => {
      const d = parseDisclose(ctx.message);
      o.onDisclose?.(d, ctx);
    },
    { roles: ['requester'] },
  );
}
