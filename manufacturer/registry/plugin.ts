/**
 * The trust registry as an HTTP service: a fastify plugin over a
 * TrustRegistry (protocols/trust). Register it under any prefix —
 * `app.register(trustRegistryPlugin, { prefix: '/trust', registry })` — in
 * the manufacturer service, or run it alone (main.ts).
 *
 * Public routes (anyone; what verifiers and issuers use):
 *   GET  /epoch                 the current signed epoch (404 before the first)
 *   GET  /epoch/pending         the epoch awaiting maintainer signatures
 *   GET  /epoch/records         the current epoch's edge records, leaf order (audit)
 *   POST /epoch/signatures      a maintainer's signed copy of the pending epoch -> {published, signers}
 *   POST /edges                 a TrustEdgeUpdate signed by its source -> {record}
 *   GET  /edges/:from/:to       one edge of the current epoch with its Merkle proof
 *   POST /query                 {trusted, issuer, threshold?, nonce?} -> TrustRegistryAnswer
 *   GET  /issuers/:did          {did, stake, balance, listed}
 *   GET  /ledger                stakes, balances, treasury, open challenges
 * Operator routes (`Authorization: Bearer <operatorToken>`; 403 when no
 * token is configured — money moves outside this service, the operator
 * records it):
 *   POST /epoch/close           {created?} -> the proposed epoch body
 *   POST /stakes                {did, amount} -> {did, stake}
 *   POST /stakes/withdraw       {did, amount} -> {did, stake}
 *   POST /fees                  {fee, path} -> the split
 *   POST /challenges            {challenger, target, bond, reason?} -> the challenge
 *   POST /challenges/:id/resolve {upheld} -> the outcome
 * Amounts are decimal strings of minor units (bigint, never floats).
 * Errors: {"error":{"code","message"}} with 400 (bad input), 403, 404, 409
 * (state conflicts: stale update, open challenge, insufficient funds, not listed).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { isSsiotError, TrustError } from '../../protocols/errors.ts';
import type { TrustRegistry } from '../../protocols/trust/registry.ts';
import type { SignedEpoch } from '../../protocols/trust/epoch.ts';

export interface TrustRegistryPluginOptions {
  registry: TrustRegistry;
  /** Bearer token for the operator routes; without it they answer 403. */
  operatorToken?: string;
  /** Called after every change of state (persistence). */
  onChange?: (registry: TrustRegistry) => void | Promise<void>;
  /** Clock for signature checks (default the wall clock). */
  now?: () => Date;
}

const CONFLICT = new Set(['trust.stale_update', 'trust.challenge_open', 'trust.insufficient_funds', 'trust.not_listed']);
const NOT_FOUND = new Set(['trust.unknown_challenge']);

/** bigints as decimal strings, recursively: what JSON.stringify cannot do. */
export function jsonSafe(x: unknown): unknown {
  if (typeof x === 'bigint') return x.toString();
  if (Array.isArray(x)) return x.map(jsonSafe);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, jsonSafe(v)]));
  return x;
}

function amountOf(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^\d{1,30}$/.test(v)) throw new TrustError('trust.invalid_argument', `${what} must be a decimal string of minor units`);
  return BigInt(v);
}

function body(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new TrustError('trust.invalid_argument', 'the request body must be a JSON object');
  return b as Record<string, unknown>;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new TrustError('trust.invalid_argument', `${what} must be a non-empty string`);
  return v;
}

function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  if (isSsiotError(e)) {
    const status = CONFLICT.has(e.code) ? 409 : NOT_FOUND.has(e.code) ? 404 : 400;
    return reply.code(status).send({ error: { code: e.code, message: e.message } });
  }
  return reply.code(500).send({ error: { code: 'internal', message: 'unexpected failure' } });
}

export const trustRegistryPlugin: FastifyPluginAsync<TrustRegistryPluginOptions> = async (app, o) => {
  const reg = o.registry;
  const now = o.now ?? (() => new Date());
  const changed = async (): Promise<void> => {
    if (o.onChange) await o.onChange(reg);
  };
  const token = o.operatorToken ? Buffer.from(o.operatorToken) : undefined;
  const operator = (req: FastifyRequest): boolean => {
    if (!token) return false;
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
    const given = Buffer.from(h.slice('Bearer '.length));
    return given.length === token.length && timingSafeEqual(given, token);
  };
  /** Wraps a handler: JSON result, typed errors, operator gate, persistence after writes. */
  const handle =
    (fn: (req: FastifyRequest) => unknown | Promise<unknown>, opts: { operator?: boolean; writes?: boolean } = {}) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      if (opts.operator && !operator(req)) {
        return reply.code(403).send({ error: { code: 'trust.forbidden', message: 'operator route: a valid bearer token is required' } });
      }
      try {
        const result = await fn(req);
        if (opts.writes) await changed();
        if (result === undefined) return reply.code(404).send({ error: { code: 'trust.not_found', message: 'nothing here yet' } });
        return reply.send(jsonSafe(result));
      } catch (e) {
        return sendError(reply, e);
      }
    };

  app.get('/epoch', handle(() => reg.currentEpoch()));
  app.get('/epoch/pending', handle(() => reg.pendingEpoch()));
  app.get('/epoch/records', handle(() => (reg.currentEpoch() ? { epoch: reg.currentEpoch()!.epoch, records: reg.currentRecords() } : undefined)));
  app.post('/epoch/signatures', handle((req) => reg.addEpochSignatures(body(req) as unknown as SignedEpoch, now()), { writes: true }));
  app.post('/edges', handle(async (req) => ({ record: await reg.submitEdgeUpdate(body(req), now()) }), { writes: true }));
  app.get<{ Params: { from: string; to: string } }>('/edges/:from/:to', handle((req) => {
    const { from, to } = req.params as { from: string; to: string };
    return reg.edgeProof(from, to);
  }));
  app.post('/query', handle((req) => {
    const b = body(req);
    if (!Array.isArray(b.trusted)) throw new TrustError('trust.invalid_argument', 'trusted must be a list of DIDs');
    return reg.query({
      trusted: b.trusted as string[],
      issuer: str(b.issuer, 'issuer'),
      threshold: b.threshold as number | string | undefined,
      nonce: b.nonce === undefined ? undefined : str(b.nonce, 'nonce'),
    });
  }));
  app.get('/issuers/:did', handle((req) => {
    const did = (req.params as { did: string }).did;
    return { did, stake: reg.ledger.stakeOf(did), balance: reg.ledger.balanceOf(did), listed: reg.ledger.isListed(did) };
  }));
  app.get('/ledger', handle(() => reg.ledger.toJSON()));

  app.post('/epoch/close', handle((req) => {
    const created = req.body && typeof req.body === 'object' ? (req.body as { created?: unknown }).created : undefined;
    return reg.closeEpoch(created === undefined ? now() : str(created, 'created'));
  }, { operator: true, writes: true }));
  app.post('/stakes', handle((req) => {
    const b = body(req);
    const did = str(b.did, 'did');
    return { did, stake: reg.ledger.deposit(did, amountOf(b.amount, 'amount')) };
  }, { operator: true, writes: true }));
  app.post('/stakes/withdraw', handle((req) => {
    const b = body(req);
    const did = str(b.did, 'did');
    return { did, stake: reg.ledger.withdrawStake(did, amountOf(b.amount, 'amount')) };
  }, { operator: true, writes: true }));
  app.post('/fees', handle((req) => {
    const b = body(req);
    if (!Array.isArray(b.path) || !b.path.every((d) => typeof d === 'string')) throw new TrustError('trust.invalid_argument', 'path must be a list of DIDs');
    return reg.payFee(amountOf(b.fee, 'fee'), b.path as string[]);
  }, { operator: true, writes: true }));
  app.post('/challenges', handle((req) => {
    const b = body(req);
    return reg.openChallenge({
      challenger: str(b.challenger, 'challenger'),
      target: str(b.target, 'target'),
      bond: amountOf(b.bond, 'bond'),
      reason: typeof b.reason === 'string' ? b.reason : undefined,
    });
  }, { operator: true, writes: true }));
  app.post('/challenges/:id/resolve', handle((req) => {
    const b = body(req);
    if (typeof b.upheld !== 'boolean') throw new TrustError('trust.invalid_argument', 'upheld must be true or false');
    return reg.resolveChallenge((req.params as { id: string }).id, b.upheld);
  }, { operator: true, writes: true }));
};
