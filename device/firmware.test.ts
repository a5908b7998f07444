/**
 * Firmware in the device agent (story step 5): the manufacturer announces a
 * signed release over DIDComm, the device checks it against the anchor it
 * pinned at manufacture, downloads, installs, reboots into it (self-test +
 * confirm at boot) and sends its signed status report back; the owner's
 * policy decides (auto / ask + approve / never).
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { FIRMWARE_PROGRESS_TYPE, FIRMWARE_REFUSED } from '../protocols/messages/firmware.ts';
import { parseProblemReport, PROBLEM_REPORT_TYPE } from '../protocols/messages/report-problem.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import { conduitWorld, type ConduitWorld } from './testing/conduit.ts';
import { makeImage, sha256Hex, TEST_FIRMWARE, testRelease, type TestRelease } from './testing/firmware.ts';
import { NOT_MANUFACTURER } from './firmware.ts';
import { ManufacturerAgent } from '../manufacturer/agent.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';

async function world(): Promise<ConduitWorld> {
  return conduitWorld({}, 1, { firmware: TEST_FIRMWARE });
}

async function publish(w: ConduitWorld, sequence: number, size = 6000): Promise<TestRelease> {
  const r = await testRelease(w.mfr, { sequence, image: makeImage(size, sequence) });
  w.dev.host.files.set(r.uri, r.image);
  return r;
}

function announce(w: ConduitWorld, r: TestRelease): Promise<PlaintextMessage | undefined> {
  // the device pinned the whole log at manufacture: the announcement may repeat it
  return w.maker.announceFirmware(w.dev.agent.identity.pairingDid, { envelope: r.envelope, log: w.mfr.log });
}

function problemOf(m: PlaintextMessage | undefined): { code: string; comment?: string } {
  expect(m?.type).toBe(PROBLEM_REPORT_TYPE);
  const p = parseProblemReport(m as PlaintextMessage);
  return { code: p.code, comment: p.comment };
}

describe('device agent: firmware updates', () => {
  it('announcement -> install -> reboot -> confirmed -> signed status report received by the manufacturer', async () => {
    const w = await world();
    await w.owner.setPolicy(w.paired, { firmware: 'auto' });
    const r = await publish(w, 2);
    const before = await w.dev.host.slots.running();

    const answer = await announce(w, r);
    expect(answer?.type).toBe(FIRMWARE_PROGRESS_TYPE);
    expect(answer?.body).toEqual({ sequence: 2, status: 'rebooting' });
    expect(w.dev.host.restartRequested).toBe(true);
    expect(w.dev.host.images.requests[0]).toEqual({ uri: r.uri, offset: 0 });
    expect(w.maker.firmwareReports).toHaveLength(0); // not before the new image confirmed itself

    const agent = await w.dev.reboot();
    expect(agent.firmware?.lastBoot).toEqual({ status: 'installed', sequence: 2 });
    const running = await w.dev.host.slots.running();
    expect(running.slot).not.toBe(before.slot);
    expect(running.trial).toBe(false);
    expect(running.image?.digest).toBe(sha256Hex(r.image));
    expect((await agent.firmware?.updater.trustedState())?.installedSequence).toBe(2);

    expect(w.maker.firmwareReports).toHaveLength(1);
    const { device, report } = w.maker.firmwareReports[0];
    expect(device).toBe(agent.identity.pairingDid);
    expect(report.from).toBe(agent.identity.did); // signed by the certified device key
    expect(report.body).toMatchObject({ status: 'installed', sequence: 2, digest: sha256Hex(r.image) });

    const log = await w.owner.readAuditLog(w.paired);
    const events = log.entries.map((e) => e.event);
    expect(events).toContain('firmware.rebooting');
    expect(events).toContain('firmware.installed');

    // the same release again is refused: anti-rollback moved to 2
    const again = problemOf(await announce(w, r));
    expect(again.code).toBe(FIRMWARE_REFUSED);
    expect(again.comment).toMatch(/^firmware\./);
  });

  it('policy never: the release is refused, nothing is downloaded', async () => {
    const w = await world();
    await w.owner.setPolicy(w.paired, { firmware: 'never' });
    const r = await publish(w, 2);
    const p = problemOf(await announce(w, r));
    expect(p).toEqual({ code: FIRMWARE_REFUSED, comment: 'firmware.policy_refused' });
    expect(w.dev.host.images.requests).toHaveLength(0);
    expect(w.dev.host.restartRequested).toBe(false);
    const events = (await w.owner.readAuditLog(w.paired)).entries.map((e) => `${e.event} ${e.detail ?? ''}`);
    expect(events).toContain('firmware.refused firmware.policy_refused');
  });

  it('policy ask: the device waits for the owner, then installs on approval', async () => {
    const w = await world();
    expect((await w.owner.getPolicy(w.paired)).firmware).toBe('ask'); // the default
    const r = await publish(w, 3);
    expect((await announce(w, r))?.body).toEqual({ sequence: 3, status: 'awaiting_approval' });
    expect(w.dev.host.images.requests).toHaveLength(0);
    expect(w.dev.host.restartRequested).toBe(false);

    // the owner sees the pending release in the audit log; a reboot keeps it waiting
    const pending = (await w.owner.readAuditLog(w.paired)).entries.find((e) => e.event === 'firmware.awaiting-approval');
    expect(pending?.detail).toBe('sequence=3');
    await w.dev.reboot();
    expect(w.dev.agent.firmware?.lastBoot).toEqual({ status: 'awaiting_approval', sequence: 3 });

    // approving another sequence is refused; the right one installs
    await expectCodeAsync(() => w.owner.approveFirmware(w.paired, 4), 'owner.pairing_refused');
    expect(await w.owner.approveFirmware(w.paired, 3)).toEqual({ sequence: 3, status: 'rebooting' });
    expect(w.dev.host.restartRequested).toBe(true);
    await w.dev.reboot();
    expect(w.dev.agent.firmware?.lastBoot).toEqual({ status: 'installed', sequence: 3 });
    expect(w.maker.firmwareReports.map((x) => x.report.body.status)).toEqual(['installed']);
  });

  it('a forged announcement is refused and the device still boots its image', async () => {
    const w = await world();
    await w.owner.setPolicy(w.paired, { firmware: 'auto' });
    const image = makeImage(4000, 9);
    // same kid as the manufacturer's assertion key, signed with another key
    const forged = await testRelease(w.mfr, { sequence: 9, image, signSeed: new Uint8Array(32).fill(0x42) });
    w.dev.host.files.set(forged.uri, image);
    const before = await w.dev.host.slots.running();
    const p = problemOf(await announce(w, forged));
    expect(p.code).toBe(FIRMWARE_REFUSED);
    expect(p.comment).toMatch(/^firmware\./);
    expect(w.dev.host.images.requests).toHaveLength(0);
    expect(w.dev.host.restartRequested).toBe(false);

    const agent = await w.dev.reboot();
    expect(agent.firmware?.lastBoot).toEqual({ status: 'idle' });
    expect(await w.dev.host.slots.running()).toEqual(before);
    expect((await agent.firmware?.updater.trustedState())?.installedSequence).toBe(0);
    expect(w.maker.firmwareReports).toHaveLength(0);
    expect(agent.state.lifecycle).toBe('owned');
  });

  it('only the manufacturer contact or the owner may announce', async () => {
    const w = await world();
    const r = await publish(w, 2);
    const other = new ManufacturerAgent({
      endpoint: 'memory://other',
      send: (endpoint, packed) => w.network.deliver(endpoint, packed),
      resolver: createDefaultResolver({ documents: [w.mfr.state.document] }),
      manufacturerDid: w.mfr.did,
      now: () => w.dev.host.now(),
    });
    w.network.transport('memory://other').listen((packed) => other.receive(packed));
    const p = problemOf(await other.announceFirmware(w.dev.agent.identity.pairingDid, { envelope: r.envelope, log: [] }));
    expect(p.code).toBe(NOT_MANUFACTURER);
  });
});
