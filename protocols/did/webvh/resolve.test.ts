/**
 * did:webvh resolution through a host-supplied fetch, the resolver-registry
 * plug-in, version queries, and the implicit services.
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../../tests/support/assert.ts';
import { hexToBytes } from '../../encoding/bytes.ts';
import { DidError } from '../../errors.ts';
import { createDefaultResolver, resolveVerificationMethod } from '../resolver.ts';
import {
  createWebvh,
  createWitnessProof,
  multikeyOfSigner,
  resolutionError,
  resolveWebvh,
  serializeLog,
  updateWebvh,
  webvhResolver,
  webvhSigner,
  withImplicitServices,
  type LogEntry,
} from './index.ts';

const NOW = Date.UTC(2026, 10, 1);
const K = [1, 2, 0x10].map((n) => webvhSigner(hexToBytes(n.toString(16).padStart(64, '0'))));
const T = (day: number): string => `2003-03-${String(day).padStart(2, '0')}T00:00:00Z`;

/** A fetch over a map of URL -> body that records what was asked. */
function fakeWeb(files: Record<string, string>): { fetch: (url: string) => Promise<string>; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fetch: async (url: string) => {
      asked.push(url);
      const body = files[url];
      if (body === undefined) throw new DidError('did.not_found', `404 ${url}`);
      return body;
    },
  };
}

async function threeVersions(path?: string): Promise<{ did: string; log: LogEntry[] }> {
  const { did, log } = await createWebvh({ domain: 'example.com', path, updateKeys: K[0], versionTime: T(1), now: NOW });
  log.push(await updateWebvh(log, { signer: K[0], document: { ...log[0].state, alsoKnownAs: ['did:web:example.com'] }, versionTime: T(2), now: NOW }));
  log.push(await updateWebvh(log, { signer: K[0], document: { ...log[0].state, alsoKnownAs: ['did:web:example.org'] }, versionTime: T(3), now: NOW }));
  return { did, log };
}

describe('did:webvh resolution over fetch', () => {
  it('fetches the log at the DID-to-HTTPS URL and nothing else when no witnesses are used', async () => {
    const { did, log } = await threeVersions('dids/acme');
    const web = fakeWeb({ 'https://example.com/dids/acme/did.jsonl': serializeLog(log) });
    const r = await resolveWebvh(did, { fetch: web.fetch, now: NOW });
    expect(web.asked).toEqual(['https://example.com/dids/acme/did.jsonl']);
    expect(r.didDocument.alsoKnownAs).toEqual(['did:web:example.org']);
    expect(r.didDocumentMetadata).toMatchObject({ versionNumber: 3, created: T(1), updated: T(3), deactivated: false, portable: false, ttl: '3600', witness: {}, watchers: [] });
    expect(r.didDocument.service).toEqual([
      { id: '#files', type: 'relativeRef', serviceEndpoint: 'https://example.com/dids/acme/' },
      { '@context': 'https://identity.foundation/linked-vp/contexts/v1', id: '#whois', type: 'LinkedVerifiablePresentation', serviceEndpoint: 'https://example.com/dids/acme/whois.vp' },
    ]);
  });

  it('fetches did-witness.json beside the log when entries must be witnessed', async () => {
    const witness = { threshold: 1, witnesses: [{ id: `did:key:${multikeyOfSigner(K[2])}` }] };
    const { did, log } = await createWebvh({ domain: 'example.com', updateKeys: K[0], witness, versionTime: T(1), now: NOW });
    const proofs = [{ versionId: log[0].versionId, proof: [await createWitnessProof(log[0].versionId, K[2], T(1))] }];
    const web = fakeWeb({ 'https://example.com/.well-known/did.jsonl': serializeLog(log), 'https://example.com/.well-known/did-witness.json': JSON.stringify(proofs) });
    const r = await resolveWebvh(did, { fetch: web.fetch, now: NOW });
    expect(web.asked).toEqual(['https://example.com/.well-known/did.jsonl', 'https://example.com/.well-known/did-witness.json']);
    expect(r.didDocumentMetadata.witness).toEqual({ threshold: '1', witnesses: witness.witnesses });
    const noProofs = fakeWeb({ 'https://example.com/.well-known/did.jsonl': serializeLog(log) });
    await expectCodeAsync(() => resolveWebvh(did, { fetch: noProofs.fetch, now: NOW }), 'did.webvh_witness');
  });

  it('passes a not-found through, wraps other fetch failures, needs a log or a fetch', async () => {
    const { did } = await threeVersions();
    await expectCodeAsync(() => resolveWebvh(did, { fetch: fakeWeb({}).fetch, now: NOW }), 'did.not_found');
    expect(resolutionError('did.not_found')).toBe('notFound');
    const failing = async (): Promise<string> => {
      throw new Error('ECONNRESET');
    };
    await expectCodeAsync(() => resolveWebvh(did, { fetch: failing, now: NOW }), 'did.webvh_fetch_failed');
    await expectCodeAsync(() => resolveWebvh(did, { now: NOW }), 'did.webvh_fetch_failed');
  });

  it('refuses a log that is for another DID', async () => {
    const a = await threeVersions();
    const b = await createWebvh({ domain: 'example.com', updateKeys: K[1], versionTime: T(1), now: NOW });
    await expectCodeAsync(() => resolveWebvh(a.did, { log: b.log, now: NOW }), 'did.webvh_did_mismatch');
    const elsewhere = a.did.replace(':example.com', ':example.net');
    await expectCodeAsync(() => resolveWebvh(elsewhere, { log: a.log, now: NOW }), 'did.webvh_did_mismatch');
  });
});

describe('did:webvh version queries', () => {
  it('versionId, versionNumber and versionTime', async () => {
    const { did, log } = await threeVersions();
    const at = async (q: string) => (await resolveWebvh(`${did}?${q}`, { log, now: NOW })).didDocumentMetadata.versionNumber;
    expect(await at(`versionId=${log[1].versionId}`)).toBe(2);
    expect(await at('versionNumber=1')).toBe(1);
    expect(await at(`versionTime=${encodeURIComponent('2003-03-02T12:00:00Z')}`)).toBe(2);
    expect(await at('versionTime=2003-03-03T00:00:00Z')).toBe(3);
    expect(await at(`versionNumber=2&versionId=${log[1].versionId}`)).toBe(2);
    for (const q of ['versionNumber=4', 'versionNumber=0', 'versionNumber=x', 'versionId=2-nope', `versionNumber=1&versionId=${log[1].versionId}`, 'versionTime=2003-02-01T00:00:00Z', 'versionTime=yesterday']) {
      await expectCodeAsync(() => resolveWebvh(`${did}?${q}`, { log, now: NOW }), 'did.not_found');
    }
    const r = await resolveWebvh(`${did}?versionNumber=1#${multikeyOfSigner(K[0])}`, { log, now: NOW });
    expect(r.didDocumentMetadata).toMatchObject({ versionNumber: 1, updated: T(3) });
  });

  it('serves versions before an invalid entry, not the DID itself', async () => {
    const { did, log } = await threeVersions();
    const broken = JSON.parse(JSON.stringify(log)) as LogEntry[];
    broken[2].state.alsoKnownAs = ['did:web:evil.example'];
    await expectCodeAsync(() => resolveWebvh(did, { log: broken, now: NOW }), 'did.webvh_invalid_entry_hash');
    await expectCodeAsync(() => resolveWebvh(`${did}?versionNumber=3`, { log: broken, now: NOW }), 'did.webvh_invalid_entry_hash');
    const r = await resolveWebvh(`${did}?versionNumber=2`, { log: serializeLog(broken), now: NOW });
    expect(r.didDocumentMetadata).toMatchObject({ versionNumber: 2, updated: T(2) });
  });
});

describe('did:webvh in the resolver registry', () => {
  it('resolves documents and verification methods through webvhResolver', async () => {
    const { did, log } = await threeVersions();
    const web = fakeWeb({ 'https://example.com/.well-known/did.jsonl': serializeLog(log) });
    const registry = createDefaultResolver().register('webvh', webvhResolver({ fetch: web.fetch, now: NOW }));
    const doc = await registry.resolve(did);
    expect(doc.id).toBe(did);
    const mk = multikeyOfSigner(K[0]);
    const vm = await resolveVerificationMethod(registry, `${did}#${mk}`, 'assertionMethod');
    expect(vm.publicKeyMultibase).toBe(mk);
  });

  it('refuses a deactivated DID (resolveWebvh still reports it with its metadata)', async () => {
    const { did, log } = await threeVersions();
    log.push(await updateWebvh(log, { signer: K[0], deactivate: true, versionTime: T(4), now: NOW }));
    const web = fakeWeb({ 'https://example.com/.well-known/did.jsonl': serializeLog(log) });
    await expectCodeAsync(() => webvhResolver({ fetch: web.fetch, now: NOW })(did) as Promise<unknown>, 'did.webvh_deactivated');
    const r = await resolveWebvh(did, { fetch: web.fetch, now: NOW });
    expect(r.didDocumentMetadata.deactivated).toBe(true);
    expect(r.state.parameters.updateKeys).toEqual([]);
  });

  it('needs a fetch function', () => {
    let thrown: unknown;
    try {
      webvhResolver({} as never);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as { code?: string }).code).toBe('did.webvh_fetch_failed');
  });
});

describe('did:webvh implicit services', () => {
  it('are added unless the document defines them', async () => {
    const { did, log } = await threeVersions();
    const doc = { ...log[0].state, service: [{ id: `${did}#files`, type: 'relativeRef', serviceEndpoint: 'https://cdn.example.com/' }] };
    const out = withImplicitServices(doc);
    expect(out.service?.map((s) => s.id)).toEqual([`${did}#files`, '#whois']);
    expect(out.service?.[0].serviceEndpoint).toBe('https://cdn.example.com/');
    expect(doc.service).toHaveLength(1);
  });
});
