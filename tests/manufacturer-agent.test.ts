/**
 * The manufacturer agent as the service runs it: a device-facing DID and an
 * owner-facing DID on another endpoint, kept across restarts (identity +
 * snapshot/restore), and remote diagnostics under the owner's authorization.
 */
import { describe, expect, it } from 'vitest';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { ManufacturerAgent, generateAgentIdentity, type ManufacturerAgentState } from '../manufacturer/agent.ts';
import { conduitWorld, MANUFACTURER_ENDPOINT } from '../device/testing/conduit.ts';

const OWNERS_ENDPOINT = 'memory://manufacturer-owners';

async function twoDidWorld() {
  const device = generateAgentIdentity(MANUFACTURER_ENDPOINT);
  const owners = generateAgentIdentity(OWNERS_ENDPOINT);
  let changes = 0;
  const w = await conduitWorld({
    identity: device,
    ownerIdentity: owners,
    onChange() {
      changes++;
    },
  });
  w.network.transport(OWNERS_ENDPOINT).listen((packed) => w.maker.receive(packed));
  return { ...w, device, owners, changes: () => changes };
}

describe('manufacturer agent in a service', () => {
  it('owners get the owner-facing DID in the introduction and talk to it there; devices keep the other', async () => {
    const w = await twoDidWorld();
    expect(w.maker.did).toBe(w.device.did);
    expect(w.maker.ownerDid).toBe(w.owners.did);
    const outcome = await w.owner.conduit.introduceManufacturer(w.paired, () => true);
    expect(outcome.status).toBe('connected');
    if (outcome.status !== 'connected') return;
    expect(outcome.relationship.theirDid).toBe(w.owners.did);
    const before = w.network.delivered.length;
    await w.owner.conduit.ping(outcome.relationship);
    expect(w.network.delivered.slice(before).map((d) => d.endpoint)).toEqual([OWNERS_ENDPOINT]);
    // proof of ownership: the challenge's domain is the DID the owner talks to
    const ack = await w.owner.conduit.proveOwnership(w.paired, outcome.relationship);
    expect(ack.verified).toBe(true);
    expect(w.changes()).toBeGreaterThan(0);
  });

  it('a restarted agent with the same identity and its snapshot continues a support thread', async () => {
    const w = await twoDidWorld();
    const thread = await w.owner.conduit.openSupport(w.paired, 'Grinds coarse', 'Since yesterday');
    const state = JSON.parse(JSON.stringify(w.maker.snapshot())) as ManufacturerAgentState;
    expect(state.supportThreads.map((t) => t.subject)).toEqual(['Grinds coarse']);
    // the process restarts: same DIDs, state restored
    const again = new ManufacturerAgent({
      endpoint: MANUFACTURER_ENDPOINT,
      send: (endpoint, packed) => w.network.deliver(endpoint, packed),
      resolver: createDefaultResolver({ documents: [w.mfr.state.document] }),
      manufacturerDid: w.mfr.did,
      identity: w.device,
      ownerIdentity: w.owners,
      now: () => w.dev.host.now(),
    });
    again.restore(state);
    w.network.transport(MANUFACTURER_ENDPOINT).listen((packed) => again.receive(packed));
    await again.reply(thread.supportThreadId, 'Please clean the burrs.');
    expect(w.pushed).toHaveLength(1);
    expect((await w.owner.conduit.receive(w.paired, w.pushed[0])).text).toBe('Please clean the burrs.');
    await w.owner.conduit.sendSupport(w.paired, thread, 'Done, thanks');
    expect(again.supportThreads.get(thread.supportThreadId)?.messages.map((m) => m.text)).toEqual(['Since yesterday', 'Please clean the burrs.', 'Done, thanks']);
  });

  it('remote diagnostics only with the authorization the owner issued to this agent', async () => {
    const w = await twoDidWorld();
    const device = w.dev.agent.identity.pairingDid;
    const vc = await w.owner.grantServiceAuthorization(w.paired, {
      manufacturer: w.maker.did,
      scope: ['diagnostics'],
      validUntil: new Date(w.dev.host.now() + 3600_000).toISOString(),
    });
    await w.owner.setPolicy(w.paired, { share: { diagnostics: true } });
    const answer = await w.maker.requestDiagnostics(device, ['diagnostics'], vc as never);
    expect(answer?.type).toMatch(/diagnostics-response$/);
    expect(Object.keys(answer?.body ?? {})).toContain('diagnostics');
    await w.owner.revokeServiceAuthorization(w.paired, vc.id as string);
    const refused = await w.maker.requestDiagnostics(device, ['diagnostics'], vc as never);
    expect(refused?.type).toMatch(/problem-report$/);
    expect(refused?.body.code).toBe('e.p.trust.service-auth.revoked');
  });
});
