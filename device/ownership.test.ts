import { describe, expect, it } from 'vitest';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { verifyPresentation } from '../protocols/vc/presentation.ts';
import { checkOwnershipPresentation } from '../manufacturer/ownership.ts';
import { ownershipPresentation, type ManufacturerRelationship } from '../owner/conduit.ts';
import type { TestDevice } from './testing/fixtures.ts';
import { conduitWorld, type ConduitWorld } from './testing/conduit.ts';

async function introduced(w: ConduitWorld): Promise<ManufacturerRelationship> {
  const o = await w.owner.conduit.introduceManufacturer(w.paired);
  if (o.status !== 'connected') throw new Error('introduction failed');
  return o.relationship;
}

describe('proof of ownership (present-proof 3.0)', () => {
  it('the owner proves ownership to the manufacturer; the verifier reports what it checked', async () => {
    const ref: { dev?: TestDevice } = {};
    const w = await conduitWorld({ checkStatus: { fetchStatusList: () => (ref.dev as TestDevice).agent.statusList() } });
    ref.dev = w.dev;
    const rel = await introduced(w);
    const ack = await w.owner.conduit.proveOwnership(w.paired, rel);
    expect(ack).toEqual({ verified: true, checks: ['presentation', 'chain', 'binding'], errors: [] });
    const seen = w.maker.proofs[w.maker.proofs.length - 1];
    expect(seen.owner).toBe(w.paired.ownerDid);
    expect(seen.device).toBe(w.dev.agent.identity.did);
    expect(seen.serial).toBe('SN-0001');

    // after a factory reset the imprint is revoked: the same owner's proof is refused, with the reason
    w.dev.host.advance(60_000);
    await w.dev.host.pressFactoryReset();
    const again = await w.owner.conduit.proveOwnership(w.paired, rel);
    expect(again.verified).toBe(false);
    expect(again.checks).toEqual(['presentation', 'chain', 'binding']);
    expect(again.errors).toContain('vc.imprint_revoked');
  });

  it('a stolen imprint presented by a non-owner DID is refused (holder binding)', async () => {
    const w = await conduitWorld();
    const thief = (await conduitWorld()).paired;
    // the thief signs a VP as itself around the victim's imprint and certificate
    const stolen = { ...thief, imprint: w.paired.imprint, certificate: w.paired.certificate };
    const options = { resolver: createDefaultResolver({ documents: [w.mfr.state.document] }), manufacturerDid: w.mfr.did, challenge: 'c-1', domain: 'shop.example', now: new Date(w.dev.host.now()) };
    const vp = await ownershipPresentation(stolen, 'c-1', 'shop.example', options.now);
    const r = await checkOwnershipPresentation(vp, options);
    expect(r.verified).toBe(false);
    expect(r.errors).toContain('vc.holder_mismatch');
    // the victim's own VP passes with the same verifier; replayed to another challenge it does not
    const own = await ownershipPresentation(w.paired, 'c-1', 'shop.example', options.now);
    expect((await checkOwnershipPresentation(own, options)).verified).toBe(true);
    const replay = await checkOwnershipPresentation(own, { ...options, challenge: 'c-2' });
    expect(replay.verified).toBe(false);
    expect(replay.errors.length).toBeGreaterThan(0);
  });

  it('a device certificate from another manufacturer is refused', async () => {
    const w = await conduitWorld();
    const other = await conduitWorld({}, 2);
    expect(other.mfr.did).not.toBe(w.mfr.did);
    const resolver = createDefaultResolver({ documents: [w.mfr.state.document, other.mfr.state.document] });
    const now = new Date(w.dev.host.now());
    const vp = await ownershipPresentation(other.paired, 'c', 'd', now);
    // the presentation itself is sound: only the manufacturer is wrong
    expect((await verifyPresentation(vp, { resolver, challenge: 'c', domain: 'd', now })).verified).toBe(true);
    const r = await checkOwnershipPresentation(vp, { resolver, manufacturerDid: w.mfr.did, challenge: 'c', domain: 'd', now });
    expect(r.verified).toBe(false);
    expect(r.errors).toEqual(['vc.untrusted_manufacturer']);
  });

  it('a presentation without the certificate is refused', async () => {
    const w = await conduitWorld();
    const now = new Date(w.dev.host.now());
    const resolver = createDefaultResolver({ documents: [w.mfr.state.document] });
    const vp = await ownershipPresentation(w.paired, 'c', 'd', now);
    const partial = { ...vp, verifiableCredential: [vp.verifiableCredential[0]] };
    const r = await checkOwnershipPresentation(partial, { resolver, manufacturerDid: w.mfr.did, challenge: 'c', domain: 'd', now });
    expect(r.verified).toBe(false);
    expect(r.errors).toContain('vc.missing_credential');
  });
});
