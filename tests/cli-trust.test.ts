/**
 * `ssiot trust …`: attest a chain, pin its root, verify it; sign edges and
 * epochs; query a running registry service and verify the answer; decide
 * on an ownership presentation — with exit statuses per shared/CLI.md.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jwkSecret } from '../protocols/did/keys.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { verifyEdgeUpdate } from '../protocols/trust/edge.ts';
import { verifyEpoch } from '../protocols/trust/epoch.ts';
import { TrustRegistry } from '../protocols/trust/registry.ts';
import { confirmationCode } from '../protocols/trust/root.ts';
import { docParty, keyParty, testSeed } from '../protocols/trust/testing.ts';
import { issueCredential } from '../protocols/vc/issue.ts';
import { startRegistryServer } from '../manufacturer/registry/main.ts';
import { run } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssiot-trust-cli-'));
const file = (name: string, content: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const secretsFor = (name: string, kid: string, n: number): string => file(`${name}-secrets.json`, [jwkSecret(kid, { kind: 'Ed25519', bytes: testSeed(n) })]);

const R = docParty('root', 11);
const A = docParty('industry', 12);
const MF = docParty('baratza', 13);
const [T, M1, M2, DEVICE, OWNER] = [1, 101, 102, 201, 202].map(keyParty);
const ROOT_DATE = '2025-01-15';

async function chainFiles(): Promise<{ chain: string; mf: unknown; pin: string[] }> {
  const a = await run(['trust', 'attest', '--secrets', secretsFor('root', `${R.did}#key-11`, 11), '--kid', `${R.did}#key-11`, '--max-path-length', '1', '--types', 'DeviceCertificate,FirmwareRelease'], JSON.stringify(A.document));
  expect(a.status).toBe(0);
  expect(a.json.service[0]).toMatchObject({ id: '#ddid-attestation', type: 'DownstreamDidAttestation', serviceEndpoint: { upstream: R.did, downstream: A.did } });
  const m = await run(['trust', 'attest', '--secrets', secretsFor('industry', `${A.did}#key-12`, 12), '--kid', `${A.did}#key-12`, '--max-path-length', '0', '--types', 'DeviceCertificate'], JSON.stringify(MF.document));
  expect(m.status).toBe(0);
  const code = (await run(['trust', 'root-code', '--date', ROOT_DATE], JSON.stringify(R.document))).json.code;
  const chain = file('chain.json', [{ document: R.document, metadata: { created: `${ROOT_DATE}T10:00:00Z` } }, a.json, m.json]);
  return { chain, mf: m.json, pin: ['--root-date', ROOT_DATE, '--root-code', code, '--root-did', R.did] };
}

describe('ssiot trust: chains', () => {
  it('root-code, attest, chain verify', async () => {
    const rc = await run(['trust', 'root-code', '--date', ROOT_DATE, '--length', '12'], JSON.stringify(R.document));
    expect(rc.json).toEqual({ did: R.did, date: ROOT_DATE, code: confirmationCode(R.document, ROOT_DATE, 12) });
    const { chain, pin } = await chainFiles();
    const ok = await run(['trust', 'chain', 'verify', MF.did, ...pin, '--chain', chain, '--type', 'DeviceCertificate']);
    expect(ok.status).toBe(0);
    expect(ok.json).toMatchObject({ valid: true, chain: [R.did, A.did, MF.did] });
    const wrongType = await run(['trust', 'chain', 'verify', MF.did, ...pin, '--chain', chain, '--type', 'FirmwareRelease']);
    expect(wrongType.status).toBe(1);
    expect(wrongType.json.problems.map((p: { code: string }) => p.code)).toEqual(['trust.credential_type_not_allowed']);
    const wrongDate = await run(['trust', 'chain', 'verify', MF.did, '--root-date', '2025-01-16', '--root-code', pin[3], '--chain', chain]);
    expect(wrongDate.status).toBe(1);
    expect(wrongDate.json.problems[0].code).toBe('trust.root_date_mismatch');
    const usage = await run(['trust', 'chain', 'verify', MF.did, '--chain', chain]);
    expect(usage.status).toBe(2);
    expect(usage.error?.code).toBe('cli.usage');
    const only = await run(['trust', 'attest', '--secrets', secretsFor('root', `${R.did}#key-11`, 11), '--kid', `${R.did}#key-11`, '--attestation-only'], JSON.stringify(A.document));
    expect(only.json).toMatchObject({ type: 'DownstreamDidAttestation', downstream: A.did });
    expect((await run(['trust', 'chain', 'verify', '--help'])).stdout).toContain('--root-code');
  });
});

describe('ssiot trust: registry', () => {
  it('edge sign, epoch sign, query a running service, answer verify', async () => {
    const tKid = T.signer.verificationMethod;
    const edge = await run(['trust', 'edge', 'sign', '--secrets', secretsFor('t', tKid, 1), '--kid', tKid, '--to', MF.did, '--weight', '0.85', '--seq', '1']);
    expect(edge.json).toMatchObject({ type: 'TrustEdgeUpdate', from: T.did, to: MF.did, weight: 850000, seq: 1 });
    expect((await verifyEdgeUpdate(edge.json, { resolver: createDefaultResolver() })).valid).toBe(true);
    expect((await run(['trust', 'edge', 'sign', '--secrets', secretsFor('t', tKid, 1), '--kid', tKid, '--to', MF.did, '--weight', '1/3', '--seq', '1'])).error?.code).toBe('trust.invalid_argument');

    const config = { id: 'https://registry.example/trust', maintainers: [M1.did, M2.did], threshold: 2 };
    const server = await startRegistryServer({ config, operatorToken: 'tok', resolver: createDefaultResolver() });
    try {
      const reg: TrustRegistry = server.registry;
      reg.ledger.deposit(T.did, 1000n);
      reg.ledger.deposit(MF.did, 1000n);
      await reg.submitEdgeUpdate(edge.json);
      const body = reg.closeEpoch();
      let signed: unknown = body;
      for (const [p, n] of [[M1, 101], [M2, 102]] as const) {
        const kid = p.signer.verificationMethod;
        signed = (await run(['trust', 'epoch', 'sign', '--secrets', secretsFor(`m${n}`, kid, n), '--kid', kid], JSON.stringify(signed))).json;
      }
      expect((await verifyEpoch(signed, { maintainers: config.maintainers, threshold: 2, resolver: createDefaultResolver() })).valid).toBe(true);
      expect((await reg.addEpochSignatures(signed as never)).published).toBe(true);

      const q = await run(['trust', 'query', '--url', server.url, '--trusted', T.did, '--issuer', MF.did, '--nonce', 'cli']);
      expect(q.status).toBe(0);
      expect(q.json).toMatchObject({ found: true, path: [T.did, MF.did], score: { value: '0.85' } });
      const check = ['trust', 'answer', 'verify', '--maintainers', config.maintainers.join(','), '--k', '2', '--trusted', T.did, '--issuer', MF.did];
      const ok = await run([...check, '--min-score', '0.8'], JSON.stringify(q.json));
      expect(ok.status).toBe(0);
      expect(ok.json.valid).toBe(true);
      const low = await run([...check, '--min-score', '0.9'], JSON.stringify(q.json));
      expect(low.status).toBe(1);
      expect(low.json.problems.map((p: { code: string }) => p.code)).toEqual(['trust.below_threshold']);
      const bad = await run(['trust', 'query', '--url', server.url, '--trusted', 'not-a-did', '--issuer', MF.did]);
      expect(bad.error?.code).toBe('trust.invalid_argument');
    } finally {
      await server.app.close();
    }
  });
});

describe('ssiot trust: ownership', () => {
  it('accepts a genuine presentation, refuses a forged one', async () => {
    const { chain, mf, pin } = await chainFiles();
    const dids = file('dids.json', [mf]);
    const context = ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'];
    const certificate = await issueCredential(
      { '@context': context, type: ['VerifiableCredential', 'DeviceCertificate'], issuer: MF.did, credentialSubject: { id: DEVICE.did, serial: 'SN-1' } },
      { signer: MF.signer },
    );
    const imprint = await issueCredential(
      { '@context': context, type: ['VerifiableCredential', 'OwnerImprint'], issuer: DEVICE.did, credentialSubject: { id: OWNER.did, serial: 'SN-1' } },
      { signer: DEVICE.signer },
    );
    const args = ['trust', 'ownership', 'verify', '--dids', dids, '--chain', chain, ...pin];
    const ok = await run(args, JSON.stringify({ verifiableCredential: [imprint, certificate] }));
    expect(ok.status).toBe(0);
    expect(ok.json).toMatchObject({ accepted: true, owner: OWNER.did, device: DEVICE.did, manufacturer: MF.did });
    const fake = await issueCredential(
      { '@context': context, type: ['VerifiableCredential', 'DeviceCertificate'], issuer: T.did, credentialSubject: { id: DEVICE.did, serial: 'SN-1' } },
      { signer: T.signer },
    );
    const refused = await run(args, JSON.stringify({ verifiableCredential: [imprint, fake] }));
    expect(refused.status).toBe(1);
    expect(refused.json.accepted).toBe(false);
    expect(refused.json.problems.map((p: { code: string }) => p.code)).toContain('trust.manufacturer_untrusted');
  });
});
