import { describe, expect, it } from 'vitest';
import { createInvitation } from '../protocols/messages/out-of-band.ts';
import { INTRODUCTION_DECLINED } from '../protocols/messages/introduce.ts';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { conduitWorld } from './testing/conduit.ts';

describe('introduction: the device introduces its owner to its manufacturer', () => {
  it('both approve: the owner gets the invitation, forms a direct relationship and pings over it', async () => {
    const w = await conduitWorld();
    const outcome = await w.owner.conduit.introduceManufacturer(w.paired, (m) => m.role === 'ssiot.manufacturer');
    expect(outcome.status).toBe('connected');
    if (outcome.status !== 'connected') return;
    const rel = outcome.relationship;
    expect(rel.theirDid).toBe(w.maker.did);
    expect(rel.manufacturer).toEqual({ name: 'Grinders Inc.', did: w.mfr.did, role: 'ssiot.manufacturer' });
    // a new DID for the manufacturer, not the one the device knows
    expect(rel.myDid).not.toBe(w.paired.ownerDid);
    const intro = [...w.maker.introductions.values()];
    expect(intro).toHaveLength(1);
    expect(intro[0].status).toBe('done');
    expect(intro[0].device).toBe(w.dev.agent.identity.pairingDid);
    expect(w.maker.relationships.get(rel.myDid)).toBe(intro[0].invitationId);
    // the relationship works on its own
    await w.owner.conduit.ping(rel);
  });

  it('the owner declines: no invitation, the manufacturer is told', async () => {
    const w = await conduitWorld();
    const outcome = await w.owner.conduit.introduceManufacturer(w.paired, () => false);
    expect(outcome).toEqual({ status: 'declined', by: 'owner', problem: INTRODUCTION_DECLINED });
    const intro = [...w.maker.introductions.values()];
    expect(intro).toHaveLength(1);
    expect(intro[0].status).toBe('declined-by-other');
    expect(w.maker.relationships.size).toBe(0);
    // the manufacturer's invitation of a declined introduction does not open a relationship
    const invitation = createInvitation({ from: w.maker.did, id: intro[0].invitationId });
    let problem: unknown;
    await w.owner.conduit.connect(invitation, { name: 'M' }).catch((e: { code?: string; problem?: string }) => {
      problem = `${String(e.code)} ${String(e.problem)}`;
    });
    expect(problem).toBe('owner.pairing_refused e.p.trust.unknown-invitation');
    expect(w.maker.relationships.size).toBe(0);
  });

  it('the manufacturer declines: the owner is told and never sees a proposal or an invitation', async () => {
    const w = await conduitWorld({ approveIntroduction: () => false });
    let asked = false;
    const outcome = await w.owner.conduit.introduceManufacturer(w.paired, () => (asked = true));
    expect(outcome).toEqual({ status: 'declined', by: 'manufacturer', problem: INTRODUCTION_DECLINED });
    expect(asked).toBe(false);
    const intro = [...w.maker.introductions.values()];
    expect(intro[0].status).toBe('declined');
    expect(intro[0].invitationId).toBeUndefined();
  });

  it('only the current owner may ask for an introduction', async () => {
    const w = await conduitWorld();
    // only the current owner may ask the device for an introduction
    const stranger = (await conduitWorld()).paired;
    const impostor = { ...stranger, deviceDid: w.paired.deviceDid };
    await expectCodeAsync(() => w.owner.conduit.introduceManufacturer(impostor), 'owner.pairing_refused');
    expect(w.dev.agent.lastRefusal?.code).toBe('e.p.trust.not-owner');
    expect(w.maker.introductions.size).toBe(0);
  });
});
