/**
 * The trust registry end to end: signed edge updates, k-of-n epochs, path
 * queries (shortest, then highest score, then the nonce's fair draw),
 * thresholds, and answers whose Merkle proofs and signatures a client
 * verifies offline — failing when any edge, proof or root changes or when
 * fewer than k maintainers signed.
 */
import { describe, expect, it } from 'vitest';
import { expectCode, expectCodeAsync } from '../../tests/support/assert.ts';
import { createDefaultResolver } from '../did/resolver.ts';
import { bytesToHex, hexToBytes } from '../encoding/bytes.ts';
import { verifyAnswer, type TrustAnswer, type VerifyAnswerOptions } from './answer.ts';
import { signEdgeUpdate, verifyEdgeUpdate, type EdgeRecord } from './edge.ts';
import { signEpoch, verifyEpoch, type SignedEpoch } from './epoch.ts';
import { TrustRegistry } from './registry.ts';
import { keyParty } from './testing.ts';

const M1 = keyParty(101);
const M2 = keyParty(102);
const M3 = keyParty(103);
const OUTSIDER = keyParty(104);
const [T, A, B, C, D, M, U] = [1, 2, 3, 4, 5, 6, 7].map(keyParty);
const MAINTAINERS = [M1.did, M2.did, M3.did];
const resolver = createDefaultResolver();
const CREATED = '2026-01-10T12:00:00Z';
const NOW = new Date('2026-02-01T00:00:00Z');
const REGISTRY = 'https://registry.example/trust';

function newRegistry(listed = [T, A, B, C, D, M]): TrustRegistry {
  const r = new TrustRegistry({ id: REGISTRY, maintainers: MAINTAINERS, threshold: 2, resolver, rules: { minStake: 1000n } });
  for (const p of listed) r.ledger.deposit(p.did, 1000n);
  return r;
}

const e = (from: { did: string }, to: { did: string }, weight: number, seq = 1): EdgeRecord => ({ from: from.did, to: to.did, weight, seq });

async function publish(r: TrustRegistry, signers = [M1, M2]): Promise<void> {
  r.closeEpoch(CREATED);
  let published = false;
  for (const s of signers) published = (await r.signPendingEpoch(s.signer, NOW)).published;
  expect(published).toBe(true);
}

function verifier(extra: Partial<VerifyAnswerOptions> = {}): VerifyAnswerOptions {
  return { maintainers: MAINTAINERS, threshold: 2, resolver, trusted: [T.did], issuer: M.did, minScore: 0.7, now: NOW, registry: REGISTRY, ...extra };
}

function clone<X>(x: X): X {
  return JSON.parse(JSON.stringify(x)) as X;
}

/** T -> A -> M (0.72), T -> B -> M (0.45), T -> C -> D -> M (0.970299, but longer). */
async function basicRegistry(): Promise<TrustRegistry> {
  const r = newRegistry();
  r.importEdges([e(T, A, 900000), e(A, M, 800000), e(T, B, 500000), e(B, M, 900000), e(T, C, 990000), e(C, D, 990000), e(D, M, 990000)]);
  await publish(r);
  return r;
}

describe('edge updates signed by the source issuer', () => {
  it('are applied once, in sequence, only from listed sources', async () => {
    const r = newRegistry();
    const u1 = await signEdgeUpdate(e(A, M, 800000, 1), { signer: A.signer, created: CREATED });
    expect(await r.submitEdgeUpdate(u1, NOW)).toEqual(e(A, M, 800000, 1));
    expect(r.edge(A.did, M.did)).toEqual(e(A, M, 800000, 1));
    await expectCodeAsync(() => r.submitEdgeUpdate(u1, NOW), 'trust.stale_update');
    const u2 = await signEdgeUpdate(e(A, M, 0, 2), { signer: A.signer, created: CREATED });
    await r.submitEdgeUpdate(u2, NOW);
    expect(r.edge(A.did, M.did)?.weight).toBe(0);

    const fromUnlisted = await signEdgeUpdate(e(U, M, 500000), { signer: U.signer, created: CREATED });
    await expectCodeAsync(() => r.submitEdgeUpdate(fromUnlisted, NOW), 'trust.not_listed');
  });

  it('are refused when signed by another DID or altered after signing', async () => {
    const r = newRegistry();
    const byB = await signEdgeUpdate(e(A, M, 800000), { signer: B.signer, created: CREATED });
    const v = await verifyEdgeUpdate(byB, { resolver, now: NOW });
    expect(v.valid).toBe(false);
    await expectCodeAsync(() => r.submitEdgeUpdate(byB, NOW), 'trust.upstream_mismatch');
    const good = await signEdgeUpdate(e(A, M, 800000), { signer: A.signer, created: CREATED });
    await expectCodeAsync(() => r.submitEdgeUpdate({ ...good, weight: 1000000 }, NOW), 'trust.invalid_signature');
    await expectCodeAsync(() => r.submitEdgeUpdate({ ...good, weight: 2000000 }, NOW), 'trust.invalid_record');
    await expectCodeAsync(() => r.submitEdgeUpdate({ ...good, to: A.did }, NOW), 'trust.invalid_record');
  });
});

describe('epochs signed by k of n maintainers', () => {
  it('publish only at k valid maintainer signatures', async () => {
    const r = newRegistry();
    r.importEdges([e(T, A, 900000)]);
    const body = r.closeEpoch(CREATED);
    expect(body).toMatchObject({ type: 'TrustRegistryEpoch', registry: REGISTRY, epoch: 0, size: 1 });
    expect(await r.signPendingEpoch(M1.signer, NOW)).toEqual({ published: false, signers: [M1.did] });
    expect(r.currentEpoch()).toBeUndefined();
    expect(() => r.query({ trusted: [T.did], issuer: A.did })).toThrow();
    await expectCodeAsync(() => r.signPendingEpoch(OUTSIDER.signer, NOW), 'trust.invalid_signature');
    // the same maintainer again: idempotent, still one signer
    expect(await r.signPendingEpoch(M1.signer, NOW)).toEqual({ published: false, signers: [M1.did] });
    const other = await signEpoch({ ...body, root: '00'.repeat(32) }, M2.signer);
    await expectCodeAsync(() => r.addEpochSignatures(other, NOW), 'trust.invalid_record');
    expect((await r.signPendingEpoch(M3.signer, NOW)).published).toBe(true);
    expect(r.currentEpoch()?.epoch).toBe(0);
    r.closeEpoch(CREATED);
    expect(r.pendingEpoch()?.epoch).toBe(1);
  });

  it('count distinct pinned maintainers only', async () => {
    const r = newRegistry();
    const body = r.closeEpoch(CREATED);
    let one: SignedEpoch = await signEpoch(body, M1.signer);
    one = await signEpoch(one, M1.signer, '2026-01-10T12:00:01Z');
    one = await signEpoch(one, OUTSIDER.signer);
    const v = await verifyEpoch(one, { maintainers: MAINTAINERS, threshold: 2, resolver, now: NOW });
    expect(v.valid).toBe(false);
    expect(v.signers).toEqual([M1.did]);
    expect(v.problems[0].code).toBe('trust.epoch_below_threshold');
    expect(v.proofs.map((p) => p.counted)).toEqual([true, false, false]);
    const two = await signEpoch(one, M3.signer);
    expect((await verifyEpoch(two, { maintainers: MAINTAINERS, threshold: 2, resolver, now: NOW })).valid).toBe(true);
    expect((await verifyEpoch(two, { maintainers: MAINTAINERS, threshold: 3, resolver, now: NOW })).valid).toBe(false);
    // the verifier's maintainer set decides, not the epoch
    expect((await verifyEpoch(two, { maintainers: [M1.did, OUTSIDER.did], threshold: 2, resolver, now: NOW })).valid).toBe(true);
    expect((await verifyEpoch(two, { maintainers: [M2.did], threshold: 1, resolver, now: NOW })).valid).toBe(false);
  });
});

describe('path queries', () => {
  it('prefer the shortest path, then the highest score', async () => {
    const r = await basicRegistry();
    const a = r.query({ trusted: [T.did], issuer: M.did, threshold: 0.7, nonce: 'n' });
    expect(a.found).toBe(true);
    expect(a.path).toEqual([T.did, A.did, M.did]);
    expect(a.score).toEqual({ numerator: '720000000000', denominator: '1000000000000', value: '0.72' });
    expect(a.ties).toBe('1');
    expect(a.meetsThreshold).toBe(true);
    expect(a.edges.map((x) => [x.record.from, x.record.to])).toEqual([
      [T.did, A.did],
      [A.did, M.did],
    ]);
    // several trusted issuers: the nearest one wins
    expect(r.query({ trusted: [T.did, A.did], issuer: M.did, nonce: 'n' }).path).toEqual([A.did, M.did]);
    // the issuer itself trusted: empty path, score 1
    const self = r.query({ trusted: [M.did], issuer: M.did, nonce: 'n' });
    expect(self).toMatchObject({ found: true, path: [M.did], edges: [], score: { value: '1' } });
    // unreachable
    const none = r.query({ trusted: [M.did], issuer: T.did, nonce: 'n' });
    expect(none.found).toBe(false);
    expect((await verifyAnswer(none, verifier({ trusted: [M.did], issuer: T.did }))).problems[0].code).toBe('trust.no_path');
  });

  it('break remaining ties by the nonce: deterministic per nonce, every tied path reachable', async () => {
    const r = newRegistry();
    // three 2-hop paths of score exactly 0.3
    r.importEdges([e(T, A, 500000), e(A, M, 600000), e(T, B, 600000), e(B, M, 500000), e(T, C, 300000), e(C, M, 1000000), e(T, D, 200000), e(D, M, 900000)]);
    await publish(r);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const a = r.query({ trusted: [T.did], issuer: M.did, nonce: `nonce-${i}` });
      expect(a.ties).toBe('3');
      expect(a.score.value).toBe('0.3');
      expect(r.query({ trusted: [T.did], issuer: M.did, nonce: `nonce-${i}` }).path).toEqual(a.path);
      seen.set(a.path[1], (seen.get(a.path[1]) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([A.did, B.did, C.did].sort());
    expect(seen.has(D.did)).toBe(false);
  });

  it('leave out unlisted issuers and withdrawn edges', async () => {
    const r = newRegistry([T, A, M]);
    r.ledger.deposit(U.did, 999n);
    r.importEdges([e(T, U, 1000000), e(U, M, 1000000), e(T, A, 500000), e(A, M, 500000)]);
    await publish(r);
    expect(r.currentEpoch()?.size).toBe(2);
    expect(r.query({ trusted: [T.did], issuer: M.did, nonce: 'x' }).path).toEqual([T.did, A.did, M.did]);
    r.importEdges([e(A, M, 0, 2)]);
    await publish(r);
    expect(r.currentEpoch()).toMatchObject({ epoch: 1, size: 1 });
    expect(r.query({ trusted: [T.did], issuer: M.did, nonce: 'x' }).found).toBe(false);
  });

  it('refuse bad queries', async () => {
    const r = await basicRegistry();
    expectCode(() => r.query({ trusted: ['nope'], issuer: M.did }), 'trust.invalid_argument');
    expectCode(() => r.query({ trusted: [T.did], issuer: M.did, threshold: 2 }), 'trust.invalid_argument');
    expectCode(() => r.query({ trusted: [T.did], issuer: M.did, nonce: '' }), 'trust.invalid_argument');
  });
});

describe('answers verified by the client', () => {
  it('hold with k signatures, valid proofs and a score above the threshold', async () => {
    const r = await basicRegistry();
    const a = r.query({ trusted: [T.did], issuer: M.did, nonce: 'v' });
    const v = await verifyAnswer(a, verifier());
    expect(v.problems).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.path).toEqual([T.did, A.did, M.did]);
    expect(v.score?.value).toBe('0.72');
    expect(v.signers).toEqual([M1.did, M2.did]);
    expect(v.steps.map((s) => s.check)).toEqual(['shape', 'epoch', 'endpoints', 'edge', 'edge', 'score', 'threshold']);
    // a JSON round trip (what travels) changes nothing
    expect((await verifyAnswer(JSON.parse(JSON.stringify(a)), verifier())).valid).toBe(true);
  });

  it('check the verifier threshold exactly', async () => {
    const r = await basicRegistry();
    const a = r.query({ trusted: [T.did], issuer: M.did, nonce: 'v' });
    expect((await verifyAnswer(a, verifier({ minScore: '0.72' }))).valid).toBe(true);
    const v = await verifyAnswer(a, verifier({ minScore: '0.720001' }));
    expect(v.valid).toBe(false);
    expect(v.problems.map((p) => p.code)).toEqual(['trust.below_threshold']);
  });

  it('fail when any edge record changes', async () => {
    const r = await basicRegistry();
    const a = r.query({ trusted: [T.did], issuer: M.did, nonce: 'v' });
    for (const field of ['weight', 'seq'] as const) {
      for (let i = 0; i < a.edges.length; i++) {
        const t = clone(a);
        t.edges[i].record[field] += 1;
        const codes = (await verifyAnswer(t, verifier({ minScore: 0 }))).problems.map((p) => p.code);
        expect(codes).toContain('trust.invalid_merkle_proof');
      }
    }
    // a higher claimed weight with a matching claimed score still fails on the proof
    const inflated = clone(a);
    inflated.edges[1].record.weight = 1000000;
    inflated.score = { numerator: '900000000000', denominator: '1000000000000', value: '0.9' };
    const v = await verifyAnswer(inflated, verifier());
    expect(v.valid).toBe(false);
    expect(v.problems.map((p) => p.code)).toEqual(['trust.invalid_merkle_proof']);
  });

  it('fail when any proof hash, index or size changes', async () => {
    const r = await basicRegistry();
    const a = r.query({ trusted: [T.did], issuer: M.did, nonce: 'v' });
    const mutations: ((x: TrustAnswer) => void)[] = [
      (x) => {
        const b = hexToBytes(x.edges[0].proof.path[0]);
        b[31] ^= 0x80;
        x.edges[0].proof.path[0] = bytesToHex(b);
      },
      (x) => (x.edges[1].proof.index = (x.edges[1].proof.index + 1) % x.edges[1].proof.size),
      (x) => (x.edges[1].proof.size += 1),
      (x) => x.edges[0].proof.path.pop(),
    ];
    for (const mutate of mutations) {
      const t = clone(a);
      mutate(t);
      expect((await verifyAnswer(t, verifier())).problems.map((p) => p.code)).toContain('trust.invalid_merkle_proof');
    }
  });

  it('fail when the root changes: the signatures break, and old proofs do not fit a new epoch', async () => {
    const r = await basicRegistry();
    const a = r.query({ trusted: [T.did], issuer: M.did, nonce: 'v' });
    const t = clone(a);
    t.epoch.root = 'ab'.repeat(32);
    const codes = (await verifyAnswer(t, verifier())).problems.map((p) => p.code);
    expect(codes).toContain('trust.epoch_below_threshold');
    expect(codes).toContain('trust.invalid_merkle_proof');

    // a genuine later epoch (A -> M re-weighted) with the old edges' proofs
    r.importEdges([e(A, M, 850000, 2)]);
    await publish(r, [M2, M3]);
    const mixed = clone(a);
    mixed.epoch = r.currentEpoch()!;
    const v = await verifyAnswer(mixed, verifier());
    expect(v.signers).toEqual([M2.did, M3.did]);
    expect(v.problems.map((p) => p.code)).toContain('trust.invalid_merkle_proof');
    const fresh = await verifyAnswer(r.query({ trusted: [T.did], issuer: M.did, nonce: 'v' }), verifier());
    expect(fresh.valid).toBe(true);
    expect(fresh.score?.value).toBe('0.765');
  });

  it('fail below k signatures', async () => {
    const r = await basicRegistry();
    const a = r.query({ trusted: [T.did], issuer: M.did, nonce: 'v' });
    const { proof: _p, ...body } = a.epoch;
    const t = clone(a);
    t.epoch = await signEpoch(await signEpoch(body, M1.signer), OUTSIDER.signer);
    const v = await verifyAnswer(t, verifier());
    expect(v.valid).toBe(false);
    expect(v.problems.map((p) => p.code)).toEqual(['trust.epoch_below_threshold']);
    expect((await verifyAnswer(a, verifier({ threshold: 3 }))).problems.map((p) => p.code)).toEqual(['trust.epoch_below_threshold']);
  });

  it('fail when the path does not join the verifier to the issuer', async () => {
    const r = await basicRegistry();
    const a = r.query({ trusted: [T.did], issuer: M.did, nonce: 'v' });
    expect((await verifyAnswer(a, verifier({ trusted: [B.did] }))).problems.map((p) => p.code)).toEqual(['trust.broken_path']);
    expect((await verifyAnswer(a, verifier({ issuer: A.did }))).problems.map((p) => p.code)).toContain('trust.broken_path');
    // an edge of another path spliced in: genuine proof, wrong place
    const other = r.query({ trusted: [T.did], issuer: B.did, nonce: 'v' });
    const t = clone(a);
    t.edges[0] = other.edges[0];
    expect((await verifyAnswer(t, verifier())).problems.map((p) => p.code)).toContain('trust.broken_path');
    expect((await verifyAnswer({ nonsense: true }, verifier())).problems[0].code).toBe('trust.invalid_record');
  });

  it('survive a state round trip of the registry', async () => {
    const r = await basicRegistry();
    r.importEdges([e(T, M, 100000)]);
    r.closeEpoch(CREATED);
    const json = JSON.parse(JSON.stringify(r.toJSON()));
    const back = TrustRegistry.fromJSON(json, { id: REGISTRY, maintainers: MAINTAINERS, threshold: 2, resolver, rules: { minStake: 1000n } });
    expect(back.query({ trusted: [T.did], issuer: M.did, nonce: 'q' })).toEqual(r.query({ trusted: [T.did], issuer: M.did, nonce: 'q' }));
    expect(back.pendingEpoch()).toEqual(r.pendingEpoch());
    json.current.records[0].weight = 1;
    expectCode(() => TrustRegistry.fromJSON(json, { id: REGISTRY, maintainers: MAINTAINERS, threshold: 2, resolver }), 'trust.invalid_record');
  });
});
