/**
 * The device story with the device agent running inside XS (the engine of
 * the Moddable target): hosts/xs/device-story.ts runs in a process of its
 * own (xsnap needs a locked-down realm, never a vitest worker), with the
 * agent in an xsnap worker and the factory station, the owner's phone and
 * the manufacturer's agent in Node; this test spawns it once and checks
 * what it reports, step by step (DESIGN.md §1 steps 1–7).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CrankFigures, StoryResult } from '../hosts/xs/device-story.ts';
import { DEFAULT_POLICY } from '../protocols/messages/policy.ts';
import { SERVICE_AUTH_PROBLEM } from '../protocols/messages/service-auth.ts';
import { FIRMWARE_PROGRESS_TYPE, FIRMWARE_REFUSED } from '../protocols/messages/firmware.ts';
import { PROBLEM_REPORT_TYPE } from '../protocols/messages/report-problem.ts';
import { runTsxScript } from './support/spawn-node.ts';

let r: StoryResult;

beforeAll(async () => {
  const run = await runTsxScript('hosts/xs/device-story.ts');
  expect(run.code, run.stderr.slice(-2000)).toBe(0);
  r = JSON.parse(run.stdout.trim().split('\n').pop() as string) as StoryResult;
}, 180_000);

const events = () => r.audit.map((e) => e.event);

describe('device agent inside XS', () => {
  it('is manufactured, paired by QR, issues an imprint that verifies to the manufacturer, keeps its owner across a reboot and revokes on reset', () => {
    expect(r.deviceDid).toMatch(/^did:key:z6Mk/);
    expect(r.lifecycleAfterPairing).toBe('owned');
    expect(r.ownerDid).toMatch(/^did:peer:2\./);
    expect(r.imprintChainOwner).toBe(r.ownerDid);
    expect(r.ownerAfterReboot).toBe(r.ownerDid);
    expect(r.transferWindow).toBe('transfer');
    expect(r.lifecycleAfterReset).toBe('unowned');
    expect(r.revokedAfterReset).toBe('vc.imprint_revoked');
  });

  it('owner policies: nothing shared and firmware ask by default; a change is in force and read back', () => {
    expect(r.policy.initial).toEqual(DEFAULT_POLICY);
    expect(r.policy.afterSet).toEqual({ share: { diagnostics: true, usageCounters: false, errorLogs: false }, firmware: 'never' });
    expect(r.policy.readBack).toEqual(r.policy.afterSet);
  });

  it('service authorization: diagnostics answered under the policy with the VC, refused by the device after the owner revoked it', () => {
    expect(r.serviceAuth.credentialSubject).toMatchObject({ id: r.serviceAuth.subject, device: r.deviceDid, scope: ['diagnostics', 'usage-counters'] });
    expect(r.serviceAuth.accepted.type).toMatch(/\/diagnostics-response$/);
    // the policy shares diagnostics only: the counters the VC would allow are withheld
    expect(r.serviceAuth.accepted.body?.withheld).toEqual(['usage-counters']);
    expect(r.serviceAuth.accepted.body?.diagnostics).toMatchObject({ model: 'Grinder One' });
    expect(r.serviceAuth.accepted.body?.usage_counters).toBeUndefined();
    expect(r.serviceAuth.afterRevoke.type).toBe(PROBLEM_REPORT_TYPE);
    expect(r.serviceAuth.afterRevoke.problem).toBe(SERVICE_AUTH_PROBLEM.revoked);
    expect(r.serviceAuth.deviceRefusal).toBe(SERVICE_AUTH_PROBLEM.revoked);
  });

  it('introduction: both approve, the owner gets the manufacturer invitation and a relationship DID with it', () => {
    expect(r.introduction.status).toBe('connected');
    expect(r.introduction.theirDid).toBe(r.introduction.makerDid);
    expect(r.introduction.myDid).toMatch(/^did:peer:2\./);
    expect(r.introduction.myDid).not.toBe(r.ownerDid);
    expect(r.introduction.manufacturer).toMatchObject({ name: 'Grinders Inc.', role: 'ssiot.manufacturer' });
    expect(r.introduction.manufacturer?.did).toMatch(/^did:webvh:/);
    expect(r.introduction.record?.device).toBe(r.pairingDid);
    expect(r.introduction.record?.status).toBe('done');
    expect(r.introduction.record?.invitationId).toBeDefined();
    // the manufacturer related the owner's new DID to the invitation it handed out
    expect(r.introduction.makerRelationship).toBe(r.introduction.record?.invitationId);
  });

  it('proof of ownership: the manufacturer checked the presentation, the chain and the holder binding', () => {
    expect(r.ownership).toEqual({ verified: true, checks: ['presentation', 'chain', 'binding'], errors: [], owner: r.ownerDid, device: r.deviceDid, serial: 'SN-XS-0001' });
  });

  it('support: a thread opened through the device reaches the manufacturer with the context the policy allows, and its reply comes back', () => {
    const s = r.support;
    expect(s.maker?.device).toBe(r.pairingDid);
    expect(s.maker?.subject).toBe('Grinder jams');
    expect(s.maker?.context).toEqual({ model: 'Grinder One', firmware: '1.4.2' });
    expect(s.maker?.messages).toEqual([
      { from: 'owner', text: 'It stops after two seconds.' },
      { from: 'owner', text: 'Since the last update.' },
      { from: 'manufacturer', text: 'Please clean the burrs.' },
    ]);
    expect(s.relayed).toEqual({ supportThreadId: s.supportThreadId, from: 'manufacturer', text: 'Please clean the burrs.' });
    expect(s.device?.status).toBe('open');
    expect(s.device?.undelivered).toBe(0);
    expect(s.device?.messages.map((m) => m.from)).toEqual(['owner', 'owner', 'manufacturer']);
  });

  it('firmware: refused under never, waits for approval under ask, installs at once under auto; signed reports reach the manufacturer', () => {
    const f = r.firmware;
    expect(f.never.announced).toEqual({ type: PROBLEM_REPORT_TYPE, problem: FIRMWARE_REFUSED, comment: 'firmware.policy_refused' });
    expect(f.never.after).toMatchObject({ imageRequests: 0, restartRequested: false, installedSequence: 0 });
    expect(f.ask.announced).toEqual({ type: FIRMWARE_PROGRESS_TYPE, body: { sequence: 2, status: 'awaiting_approval' } });
    // waiting for the owner: nothing downloaded yet
    expect(f.ask.after).toMatchObject({ imageRequests: 0, restartRequested: false, installedSequence: 0 });
    expect(f.ask.approved).toEqual({ sequence: 2, status: 'rebooting' });
    expect(f.ask.afterReboot.lastBoot).toEqual({ status: 'installed', sequence: 2 });
    expect(f.ask.afterReboot.installedSequence).toBe(2);
    expect(f.auto.announced).toEqual({ type: FIRMWARE_PROGRESS_TYPE, body: { sequence: 3, status: 'rebooting' } });
    expect(f.auto.afterReboot).toMatchObject({ restartRequested: false, lastBoot: { status: 'installed', sequence: 3 }, installedSequence: 3, running: { slot: f.auto.afterReboot.running.slot, trial: false, digest: f.auto.expectedDigest } });
    expect(f.auto.afterReboot.running.slot).not.toBe(f.ask.afterReboot.running.slot);
    // the approval and the auto announcement each downloaded an image
    expect(f.ask.afterReboot.imageRequests).toBeGreaterThan(0);
    expect(f.auto.afterReboot.imageRequests).toBeGreaterThan(f.ask.afterReboot.imageRequests);
    expect(f.reports.map((x) => [x.status, x.sequence])).toEqual([
      ['installed', 2],
      ['installed', 3],
    ]);
    for (const x of f.reports) {
      expect(x.signer).toBe(r.deviceDid); // signed by the certified device key
      expect(x.from).toBe(r.pairingDid); // sent over the manufacturer link
    }
    expect(f.reports[1].digest).toBe(f.auto.expectedDigest);
    expect(r.update.installed).toBe(true);
  });

  it('the audit log the owner reads shows policy changes, the authorization, diagnostics, support and firmware, in order', () => {
    expect(events()).toEqual([
      'pairing.paired',
      'policy.set',
      'service-auth.granted',
      'service-auth.diagnostics',
      'service-auth.revoked',
      'service-auth.refused',
      'support.context',
      'firmware.refused',
      'policy.set',
      'firmware.awaiting-approval',
      'firmware.approved',
      'firmware.rebooting',
      'firmware.installed',
      'policy.set',
      'firmware.rebooting',
      'firmware.installed',
    ]);
    expect(r.audit[0].detail).toBe('new');
    expect(r.audit[1].detail).toBe('share=diagnostics;firmware=never');
    expect(r.audit[3].detail).toBe(`shared=diagnostics;withheld=usage-counters;${r.serviceAuth.credentialId}`);
    expect(r.audit[5].detail).toBe(`${SERVICE_AUTH_PROBLEM.revoked} ${r.serviceAuth.credentialId}`);
    expect(r.audit[6].detail).toBe('model,firmware');
  });

  it('every device crank ran in XS and was metered', () => {
    const named: CrankFigures[] = [r.cranks.pairRequest, r.cranks.requestCredential, r.cranks.transferOpen, r.cranks.setPolicy, r.cranks.diagnostics, r.update.crank, r.update.boot];
    for (const c of named) {
      expect(c.compute).toBeGreaterThan(0);
      expect(c.heapCount).toBeGreaterThan(0);
    }
    const steps = r.allCranks.map((c) => c.step);
    for (const s of ['pair', 'getPolicy', 'setPolicy', 'grant', 'diagnostics', 'revoke', 'diagnosticsRevoked', 'introduce', 'support', 'supportReply', 'announce', 'approve', 'auditLog', 'transferOpen']) {
      expect(steps).toContain(s);
    }
    // the proof of ownership goes to the manufacturer only: no device crank
    expect(steps).not.toContain('ownership');
    for (const c of r.allCranks) expect(c.compute).toBeGreaterThan(0);
  });
});
