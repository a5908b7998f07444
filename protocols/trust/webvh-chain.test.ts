/**
 * A chain over did:webvh DIDs, resolved from their logs: the root's
 * publication date comes from its log (metadata `created`), the
 * manufacturer publishes the root's attestation in a new log entry, and a
 * key rotation in the log invalidates it until the root re-attests.
 */
import { describe, expect, it } from 'vitest';
import { createDefaultResolver } from '../did/resolver.ts';
import type { DidDocument } from '../did/types.ts';
import { createWebvh, didToHttpsUrl, multikeyOfSigner, resolveWebvh, rotateDocumentKey, serializeLog, updateWebvh, webvhSigner, type LogEntry } from '../did/webvh/index.ts';
import { DidError } from '../errors.ts';
import { ed25519Signer, type Signer } from '../vc/signer.ts';
import { attestDocument, embedAttestation } from './attestation.ts';
import { resolverChainSource, verifyChain } from './chain.ts';
import { rootPinFor } from './root.ts';
import { testSeed } from './testing.ts';

const NOW = new Date('2025-06-01T00:00:00Z');

interface Controller {
  did: string;
  log: LogEntry[];
  seed: Uint8Array;
  /** Signs as the DID's own verification method (documentForKeys: `<did>#<multikey>`). */
  assertion: Signer;
}

async function create(domain: string, n: number, versionTime: string): Promise<Controller> {
  const seed = testSeed(n);
  const { did, log } = await createWebvh({ domain, updateKeys: webvhSigner(seed), versionTime, now: NOW });
  return { did, log, seed, assertion: ed25519Signer(`${did}#${multikeyOfSigner(webvhSigner(seed))}`, seed) };
}

describe('chains of did:webvh DIDs', () => {
  it('verify from the logs, and survive a key rotation only by re-attestation', async () => {
    const root = await create('trust-root.example', 41, '2025-01-15T10:00:00Z');
    const mf = await create('baratza.example', 42, '2025-03-01T09:00:00Z');
    const logs = new Map<string, string>();
    const publish = (c: Controller) => logs.set(didToHttpsUrl(c.did), serializeLog(c.log));
    const fetch = async (url: string): Promise<string> => {
      const text = logs.get(url);
      if (text === undefined) throw new DidError('did.not_found', `404 ${url}`);
      return text;
    };
    publish(root);
    publish(mf);
    const resolved = async (c: Controller): Promise<DidDocument> => (await resolveWebvh(c.did, { log: c.log, now: NOW })).didDocument;
    const stateOf = (c: Controller): DidDocument => JSON.parse(JSON.stringify(c.log[c.log.length - 1].state)) as DidDocument;

    // the root attests the manufacturer's document as verifiers will resolve it
    const att = await attestDocument(await resolved(mf), { signer: root.assertion, constraints: { credentialTypes: ['DeviceCertificate'] }, created: '2025-03-02T00:00:00Z' });
    mf.log.push(await updateWebvh(mf.log, { signer: webvhSigner(mf.seed), document: embedAttestation(stateOf(mf), att), versionTime: '2025-03-02T01:00:00Z', now: NOW }));
    publish(mf);

    const pin = rootPinFor(await resolved(root), '2025-01-15');
    const source = resolverChainSource(createDefaultResolver(), { webvhFetch: fetch, now: NOW });
    const options = { root: pin, source, credentialType: 'DeviceCertificate', now: NOW };
    const ok = await verifyChain(mf.did, options);
    expect(ok.problems).toEqual([]);
    expect(ok.chain).toEqual([root.did, mf.did]);
    expect(ok.steps.find((s) => s.check === 'root')?.message).toContain('2025-01-15');

    const wrongDay = await verifyChain(mf.did, { ...options, root: { ...pin, date: '2025-01-14' } });
    expect(wrongDay.problems.map((p) => p.code)).toEqual(['trust.root_date_mismatch']);

    // the manufacturer rotates its key (update key and document key); the attestation stays behind
    const next = webvhSigner(testSeed(43));
    const rotatedDoc = rotateDocumentKey(stateOf(mf), multikeyOfSigner(webvhSigner(mf.seed)), multikeyOfSigner(next));
    mf.log.push(await updateWebvh(mf.log, { signer: webvhSigner(mf.seed), rotateTo: { updateKeys: [next] }, document: rotatedDoc, versionTime: '2025-04-01T00:00:00Z', now: NOW }));
    publish(mf);
    const stale = await verifyChain(mf.did, options);
    expect(stale.problems.map((p) => p.code)).toEqual(['trust.document_mismatch']);

    // re-attested: valid again
    const again = await attestDocument(await resolved(mf), { signer: root.assertion, constraints: { credentialTypes: ['DeviceCertificate'] }, created: '2025-04-02T00:00:00Z' });
    mf.log.push(await updateWebvh(mf.log, { signer: next, document: embedAttestation(stateOf(mf), again), versionTime: '2025-04-02T01:00:00Z', now: NOW }));
    publish(mf);
    expect((await verifyChain(mf.did, options)).valid).toBe(true);
  });
});
