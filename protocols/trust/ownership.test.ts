/**
 * The verifier flow end to end: owner imprint -> device certificate ->
 * manufacturer DID -> trusted by a downstream-DID chain and/or the
 * registry, with each step of the decision explained; forgeries at every
 * link are refused with their reason.
 */
import { describe, expect, it } from 'vitest';
import { createDefaultResolver } from '../did/resolver.ts';
import type { DidDocument } from '../did/types.ts';
import { issueCredential } from '../vc/issue.ts';
import type { Signer } from '../vc/signer.ts';
import { attestDocument, embedAttestation, type LinkConstraints } from './attestation.ts';
import { staticChainSource } from './chain.ts';
import { verifyOwnership, type OwnershipOptions } from './ownership.ts';
import { TrustRegistry } from './registry.ts';
import { rootPinFor } from './root.ts';
import { docParty, keyParty, type DocParty } from './testing.ts';

const R = docParty('root', 11);
const A = docParty('industry', 12);
const MF = docParty('baratza', 13);
const FAKE = docParty('baratza-official', 15);
const DEVICE = keyParty(201);
const OTHER_DEVICE = keyParty(203);
const OWNER = keyParty(202);
const SHOP_TRUSTS = keyParty(204);
const [M1, M2] = [keyParty(101), keyParty(102)];
const CREATED = '2025-05-01T00:00:00Z';
const NOW = new Date('2026-01-01T00:00:00Z');
const CONTEXT = ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'];

async function attested(doc: DidDocument, upstream: DocParty, constraints: LinkConstraints): Promise<DidDocument> {
  return embedAttestation(doc, await attestDocument(doc, { signer: upstream.signer, constraints, created: CREATED }));
}

async function certificate(issuer: { did: string; signer: Signer }, device = DEVICE.did, serial = 'SN-0042'): Promise<unknown> {
  return issueCredential(
    {
      '@context': CONTEXT,
      type: ['VerifiableCredential', 'DeviceCertificate'],
      issuer: issuer.did,
      validFrom: '2025-01-01T00:00:00Z',
      credentialSubject: { id: device, model: 'Encore ESP', serial, class: 'grinder' },
    },
    { signer: issuer.signer, created: CREATED },
  );
}

async function imprint(device = DEVICE, serial = 'SN-0042'): Promise<unknown> {
  return issueCredential(
    {
      '@context': CONTEXT,
      type: ['VerifiableCredential', 'OwnerImprint'],
      issuer: device.did,
      validFrom: '2025-06-01T00:00:00Z',
      credentialSubject: { id: OWNER.did, serial, since: '2025-06-01' },
    },
    { signer: device.signer, created: '2025-06-01T00:00:00Z' },
  );
}

async function setting(mfTypes: string[] = ['DeviceCertificate']): Promise<{ options: OwnershipOptions; registry: TrustRegistry }> {
  const aDoc = await attested(A.document, R, { maxPathLength: 1, credentialTypes: ['DeviceCertificate', 'FirmwareRelease'] });
  const mfDoc = await attested(MF.document, A, { maxPathLength: 0, credentialTypes: mfTypes });
  const documents = [R.document, aDoc, mfDoc, FAKE.document];
  const resolver = createDefaultResolver({ documents });
  const registry = new TrustRegistry({ id: 'https://registry.example', maintainers: [M1.did, M2.did], threshold: 2, resolver });
  for (const d of [SHOP_TRUSTS.did, MF.did, FAKE.did]) registry.ledger.deposit(d, 5000n);
  registry.importEdges([
    { from: SHOP_TRUSTS.did, to: MF.did, weight: 900000, seq: 1 },
    { from: SHOP_TRUSTS.did, to: FAKE.did, weight: 100000, seq: 1 },
  ]);
  registry.closeEpoch(CREATED);
  await registry.signPendingEpoch(M1.signer, NOW);
  await registry.signPendingEpoch(M2.signer, NOW);
  const options: OwnershipOptions = {
    resolver,
    now: NOW,
    chain: { root: rootPinFor(R.document, '2025-01-15'), source: staticChainSource(documents) },
  };
  return { options, registry };
}

function registryCheck(registry: TrustRegistry, issuer: string, minScore = 0.5): OwnershipOptions['registry'] {
  return {
    answer: registry.query({ trusted: [SHOP_TRUSTS.did], issuer, nonce: 'shop-1' }),
    maintainers: [M1.did, M2.did],
    threshold: 2,
    resolver: createDefaultResolver(),
    trusted: [SHOP_TRUSTS.did],
    minScore,
  };
}

describe('ownership presentations', () => {
  it('accepted through the chain, each step explained', async () => {
    const { options } = await setting();
    const d = await verifyOwnership({ verifiableCredential: [await imprint(), await certificate(MF)] }, options);
    expect(d.problems).toEqual([]);
    expect(d.accepted).toBe(true);
    expect(d).toMatchObject({ owner: OWNER.did, device: DEVICE.did, manufacturer: MF.did, serial: 'SN-0042' });
    expect(d.steps.map((s) => [s.check, s.ok])).toEqual([
      ['imprint', true],
      ['certificate', true],
      ['binding', true],
      ['chain', true],
      ['decision', true],
    ]);
    expect(d.steps[3].message).toContain(R.did);
  });

  it('accepted through the registry; under policy "all" both must hold', async () => {
    const { options, registry } = await setting();
    const presentation = { imprint: await imprint(), certificate: await certificate(MF) };
    const viaRegistry = await verifyOwnership(presentation, { resolver: options.resolver, now: NOW, registry: registryCheck(registry, MF.did) });
    expect(viaRegistry.accepted).toBe(true);
    expect(viaRegistry.steps.find((s) => s.check === 'registry')?.message).toContain('0.9');
    const strict = registryCheck(registry, MF.did, 0.95);
    const any = await verifyOwnership(presentation, { ...options, registry: strict });
    expect(any.accepted).toBe(true);
    expect(any.problems).toEqual([]);
    expect(any.steps.find((s) => s.check === 'registry')).toMatchObject({ ok: false, code: 'trust.below_threshold' });
    const all = await verifyOwnership(presentation, { ...options, registry: strict, policy: 'all' });
    expect(all.accepted).toBe(false);
    expect(all.problems.map((p) => p.code)).toEqual(['trust.below_threshold', 'trust.manufacturer_untrusted']);
  });

  it('refuses a certificate from a look-alike manufacturer', async () => {
    const { options, registry } = await setting();
    const d = await verifyOwnership({ imprint: await imprint(), certificate: await certificate(FAKE) }, { ...options, registry: registryCheck(registry, FAKE.did) });
    expect(d.accepted).toBe(false);
    // its signatures are fine: it is the trust in its DID that fails, by both mechanisms
    expect(d.steps.filter((s) => s.ok).map((s) => s.check)).toEqual(['imprint', 'certificate', 'binding']);
    expect(d.problems.map((p) => p.code)).toEqual(['trust.no_attestation', 'trust.below_threshold', 'trust.manufacturer_untrusted']);
  });

  it('refuses an imprint not issued by the certified device', async () => {
    const { options } = await setting();
    const d = await verifyOwnership({ imprint: await imprint(OTHER_DEVICE), certificate: await certificate(MF) }, options);
    expect(d.accepted).toBe(false);
    expect(d.problems.map((p) => p.code)).toEqual(['trust.binding_mismatch', 'trust.invalid_presentation']);
    const serial = await verifyOwnership({ imprint: await imprint(DEVICE, 'SN-9999'), certificate: await certificate(MF) }, options);
    expect(serial.problems.map((p) => p.code)).toEqual(['trust.binding_mismatch', 'trust.invalid_presentation']);
  });

  it('refuses altered credentials', async () => {
    const { options } = await setting();
    const imp = (await imprint()) as { credentialSubject: { id: string } };
    imp.credentialSubject.id = 'did:example:thief';
    const d = await verifyOwnership({ imprint: imp, certificate: await certificate(MF) }, options);
    expect(d.problems.map((p) => p.code)).toEqual(['trust.imprint_invalid', 'trust.invalid_presentation']);
    const cert = (await certificate(MF)) as { credentialSubject: { model: string } };
    cert.credentialSubject.model = 'Sette 270';
    const c = await verifyOwnership({ imprint: await imprint(), certificate: cert }, options);
    expect(c.problems.map((p) => p.code)).toEqual(['trust.certificate_invalid', 'trust.invalid_presentation']);
  });

  it('refuses a manufacturer whose chain does not allow device certificates', async () => {
    const { options } = await setting(['FirmwareRelease']);
    const d = await verifyOwnership({ imprint: await imprint(), certificate: await certificate(MF) }, options);
    expect(d.problems.map((p) => p.code)).toEqual(['trust.credential_type_not_allowed', 'trust.manufacturer_untrusted']);
  });

  it('needs a configured trust mechanism and a well-formed presentation', async () => {
    const { options } = await setting();
    const none = await verifyOwnership({ imprint: await imprint(), certificate: await certificate(MF) }, { resolver: options.resolver, now: NOW });
    expect(none.accepted).toBe(false);
    expect(none.problems.map((p) => p.code)).toEqual(['trust.manufacturer_untrusted']);
    for (const bad of [null, {}, { verifiableCredential: [await imprint()] }, { imprint: await certificate(MF), certificate: await imprint() }]) {
      const d = await verifyOwnership(bad, options);
      expect(d.accepted).toBe(false);
      expect(d.problems.map((p) => p.code)).toEqual(['trust.invalid_presentation']);
    }
  });
});
