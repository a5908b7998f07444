/**
 * The trust registry service (manufacturer/registry): the fastify plugin
 * through inject (issuers sign edges, the operator records stakes and
 * closes epochs, maintainers sign, verifiers query and check the answer
 * offline; fees and challenges), and the standalone entry point run as its
 * own process with state persisted across a restart.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { verifyAnswer } from '../protocols/trust/answer.ts';
import { edgeLeafHash, signEdgeUpdate } from '../protocols/trust/edge.ts';
import { signEpoch, type SignedEpoch } from '../protocols/trust/epoch.ts';
import { verifyInclusion } from '../protocols/trust/merkle.ts';
import { TrustRegistry } from '../protocols/trust/registry.ts';
import { keyParty } from '../protocols/trust/testing.ts';
import { hexToBytes } from '../protocols/encoding/bytes.ts';
import { trustRegistryPlugin } from '../manufacturer/registry/plugin.ts';
import { startRegistryServer, type RegistryConfig } from '../manufacturer/registry/main.ts';

const ROOT = join(import.meta.dirname, '..');
const [M1, M2, M3] = [101, 102, 103].map(keyParty);
const [T, A, MF, X] = [1, 2, 6, 9].map(keyParty);
const TOKEN = 'operator-token-for-tests';
const resolver = createDefaultResolver();
const CONFIG: RegistryConfig = { id: 'https://registry.example/trust', maintainers: [M1.did, M2.did, M3.did], threshold: 2, rules: { minStake: '1000' } };
const auth = { authorization: `Bearer ${TOKEN}` };

async function app(): Promise<{ app: FastifyInstance; changes: () => number }> {
  const registry = new TrustRegistry({ id: CONFIG.id, maintainers: CONFIG.maintainers, threshold: 2, resolver, rules: { minStake: 1000n } });
  let changes = 0;
  const a = Fastify();
  await a.register(trustRegistryPlugin, { prefix: '/trust', registry, operatorToken: TOKEN, onChange: () => void changes++ });
  return { app: a, changes: () => changes };
}

async function post(a: FastifyInstance, url: string, payload: unknown, headers: Record<string, string> = {}) {
  const r = await a.inject({ method: 'POST', url, payload: payload as object, headers });
  return { status: r.statusCode, json: r.json() };
}

async function get(a: FastifyInstance, url: string) {
  const r = await a.inject({ method: 'GET', url });
  return { status: r.statusCode, json: r.json() };
}

describe('trust registry plugin', () => {
  it('runs the whole cycle: stakes, signed edges, k-of-n epoch, verified answers', async () => {
    const { app: a, changes } = await app();
    expect((await get(a, '/trust/epoch')).status).toBe(404);
    // operator routes need the token
    expect((await post(a, '/trust/stakes', { did: T.did, amount: '1000' })).status).toBe(403);
    expect((await post(a, '/trust/stakes', { did: T.did, amount: '1000' }, { authorization: 'Bearer nope' })).status).toBe(403);
    for (const p of [T, A, MF]) expect((await post(a, '/trust/stakes', { did: p.did, amount: '2000' }, auth)).json).toEqual({ did: p.did, stake: '2000' });
    expect((await post(a, '/trust/stakes', { did: X.did, amount: '1.5' }, auth)).status).toBe(400);

    const t2a = await signEdgeUpdate({ from: T.did, to: A.did, weight: 900000, seq: 1 }, { signer: T.signer });
    const a2m = await signEdgeUpdate({ from: A.did, to: MF.did, weight: 800000, seq: 1 }, { signer: A.signer });
    expect((await post(a, '/trust/edges', t2a)).json).toEqual({ record: { from: T.did, to: A.did, weight: 900000, seq: 1 } });
    expect((await post(a, '/trust/edges', a2m)).status).toBe(200);
    const again = await post(a, '/trust/edges', a2m);
    expect(again).toMatchObject({ status: 409, json: { error: { code: 'trust.stale_update' } } });
    const forged = await post(a, '/trust/edges', { ...a2m, weight: 1000000 });
    expect(forged).toMatchObject({ status: 400, json: { error: { code: 'trust.invalid_signature' } } });
    const unlisted = await signEdgeUpdate({ from: X.did, to: MF.did, weight: 1000000, seq: 1 }, { signer: X.signer });
    expect((await post(a, '/trust/edges', unlisted)).json.error.code).toBe('trust.not_listed');

    const body = (await post(a, '/trust/epoch/close', {}, auth)).json as SignedEpoch;
    expect(body).toMatchObject({ type: 'TrustRegistryEpoch', epoch: 0, size: 2 });
    expect((await get(a, '/trust/epoch/pending')).json.root).toBe(body.root);
    expect((await post(a, '/trust/epoch/signatures', await signEpoch(body, X.signer))).json.error.code).toBe('trust.invalid_signature');
    expect((await post(a, '/trust/epoch/signatures', await signEpoch(body, M1.signer))).json).toEqual({ published: false, signers: [M1.did] });
    expect((await post(a, '/trust/epoch/signatures', await signEpoch(body, M3.signer))).json).toEqual({ published: true, signers: [M1.did, M3.did] });
    const epoch = (await get(a, '/trust/epoch')).json as SignedEpoch;
    expect(epoch.proof).toHaveLength(2);

    const answer = (await post(a, '/trust/query', { trusted: [T.did], issuer: MF.did, threshold: '0.7', nonce: 'shop' })).json;
    expect(answer).toMatchObject({ found: true, path: [T.did, A.did, MF.did], score: { value: '0.72' }, meetsThreshold: true, threshold: '0.7' });
    const verified = await verifyAnswer(answer, { maintainers: CONFIG.maintainers, threshold: 2, resolver, trusted: [T.did], issuer: MF.did, minScore: '0.7' });
    expect(verified.valid).toBe(true);
    expect((await post(a, '/trust/query', { trusted: 'x', issuer: MF.did })).status).toBe(400);

    const edge = (await get(a, `/trust/edges/${encodeURIComponent(A.did)}/${encodeURIComponent(MF.did)}`)).json;
    expect(verifyInclusion(edgeLeafHash(edge.record), edge.proof, hexToBytes(epoch.root))).toBe(true);
    expect((await get(a, `/trust/edges/${encodeURIComponent(MF.did)}/${encodeURIComponent(A.did)}`)).status).toBe(404);
    expect((await get(a, '/trust/epoch/records')).json.records).toHaveLength(2);
    expect(changes()).toBeGreaterThanOrEqual(7);
    await a.close();
  });

  it('keeps the accounts: fee split, challenge, slashing, locks', async () => {
    const { app: a } = await app();
    for (const [p, amount] of [[T, '2000'], [A, '8000'], [MF, '10000']] as const) await post(a, '/trust/stakes', { did: p.did, amount }, auth);
    await post(a, '/trust/edges', await signEdgeUpdate({ from: T.did, to: A.did, weight: 900000, seq: 1 }, { signer: T.signer }));
    await post(a, '/trust/edges', await signEdgeUpdate({ from: A.did, to: MF.did, weight: 900000, seq: 1 }, { signer: A.signer }));
    const body = (await post(a, '/trust/epoch/close', { created: '2026-01-10T00:00:00Z' }, auth)).json as SignedEpoch;
    await post(a, '/trust/epoch/signatures', await signEpoch(await signEpoch(body, M1.signer), M2.signer));

    const split = (await post(a, '/trust/fees', { fee: '1001', path: [T.did, A.did, MF.did] }, auth)).json;
    expect(split).toEqual({ fee: '1001', issuer: { did: MF.did, amount: '501' }, shares: [{ did: T.did, amount: '250' }, { did: A.did, amount: '250' }] });
    expect((await get(a, `/trust/issuers/${encodeURIComponent(MF.did)}`)).json).toEqual({ did: MF.did, stake: '10000', balance: '501', listed: true });

    const c = (await post(a, '/trust/challenges', { challenger: X.did, target: MF.did, bond: '200', reason: 'forged certificates' }, auth)).json;
    expect(c).toMatchObject({ id: 'c1', target: MF.did, bond: '200', vouchers: [{ did: A.did, weight: 900000 }] });
    const locked = await post(a, '/trust/stakes/withdraw', { did: A.did, amount: '1' }, auth);
    expect(locked).toMatchObject({ status: 409, json: { error: { code: 'trust.challenge_open' } } });
    const out = (await post(a, '/trust/challenges/c1/resolve', { upheld: true }, auth)).json;
    // MF: 10000 * 50 % = 5000; A: 8000 * 20 % * 0.9 = 1440; total 6440, challenger gets 3220 + its bond
    expect(out.slash).toEqual({ target: { did: MF.did, amount: '5000' }, vouchers: [{ did: A.did, amount: '1440' }], total: '6440', challengerReward: '3220', treasury: '3220' });
    expect((await get(a, `/trust/issuers/${encodeURIComponent(X.did)}`)).json.balance).toBe('3420');
    const ledger = (await get(a, '/trust/ledger')).json;
    expect(ledger.stakes).toMatchObject({ [MF.did]: '5000', [A.did]: '6560', [T.did]: '2000' });
    expect(ledger.treasury).toBe('3220');
    expect((await post(a, '/trust/challenges/c1/resolve', { upheld: true }, auth)).status).toBe(404);
    await a.close();
  });
});

describe('the standalone service', () => {
  it('persists its state across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssiot-registry-'));
    const statePath = join(dir, 'state.json');
    const first = await startRegistryServer({ config: CONFIG, statePath, operatorToken: TOKEN, resolver });
    const call = async (url: string, payload?: unknown, headers: Record<string, string> = {}) => {
      const r = await fetch(`${first.url}${url}`, payload === undefined ? {} : { method: 'POST', body: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    for (const p of [T, MF]) await call('/stakes', { did: p.did, amount: '1000' }, auth);
    await call('/edges', await signEdgeUpdate({ from: T.did, to: MF.did, weight: 750000, seq: 1 }, { signer: T.signer }));
    const body = (await call('/epoch/close', {}, auth)).json as unknown as SignedEpoch;
    await call('/epoch/signatures', await signEpoch(await signEpoch(body, M2.signer), M3.signer));
    expect((await call('/epoch')).status).toBe(200);
    await first.app.close();

    const second = await startRegistryServer({ config: CONFIG, statePath, operatorToken: TOKEN, resolver });
    const r = await fetch(`${second.url}/query`, { method: 'POST', body: JSON.stringify({ trusted: [T.did], issuer: MF.did, nonce: 'n' }), headers: { 'content-type': 'application/json' } });
    expect(await r.json()).toMatchObject({ found: true, score: { value: '0.75' }, epoch: { epoch: 0 } });
    await second.app.close();
  });

  it('runs as its own process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssiot-registry-'));
    const config = join(dir, 'registry.json');
    writeFileSync(config, JSON.stringify(CONFIG));
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'manufacturer/registry/main.ts'), '--config', config, '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, SSIOT_REGISTRY_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.on('exit', (code) => reject(new Error(`registry exited with ${code}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/trust$/);
      const r = await fetch(`${url}/epoch`);
      expect(r.status).toBe(404);
      const s = await fetch(`${url}/stakes`, { method: 'POST', body: JSON.stringify({ did: T.did, amount: '5' }), headers: { 'content-type': 'application/json', ...auth } });
      expect(await s.json()).toEqual({ did: T.did, stake: '5' });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
