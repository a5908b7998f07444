import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { engine } from '../tests/support/vectors.ts';
import { DEFAULT_POLICY, SET_POLICY_TYPE } from '../protocols/messages/policy.ts';
import { sendAsOwner } from './testing/service-tools.ts';
import type { PairedDevice } from '../owner/agent.ts';
import { MemoryNetwork } from './testing/memory-host.ts';
import { manufacturedDevice, testManufacturer, testOwner } from './testing/fixtures.ts';
import { AUDIT_RECORD, AUDIT_LOG_LIMIT, audit, loadPolicy, readAudit, updaterPolicy } from './policy.ts';

async function ownedDevice(serial = 'SN-P1') {
  const network = new MemoryNetwork();
  const mfr = await testManufacturer();
  const dev = await manufacturedDevice(network, mfr, serial);
  const owner = testOwner(network, mfr, () => dev.host.now());
  const paired = await owner.pair(dev.label.url);
  return { network, mfr, dev, owner, paired };
}

describe('owner policies on the device', () => {
  it('the default policy shares nothing and asks before firmware installs', async () => {
    const { dev, owner, paired } = await ownedDevice();
    expect(await owner.getPolicy(paired)).toEqual({ share: { diagnostics: false, usageCounters: false, errorLogs: false }, firmware: 'ask' });
    expect(await owner.getPolicy(paired)).toEqual(DEFAULT_POLICY);
    expect(await updaterPolicy(dev.agent)()).toBe('ask');
  });

  it('the owner changes the policy (partial updates), the device keeps it across a reboot and the updater reads it', async () => {
    const { dev, owner, paired } = await ownedDevice();
    const p1 = await owner.setPolicy(paired, { share: { usageCounters: true } });
    expect(p1).toEqual({ share: { diagnostics: false, usageCounters: true, errorLogs: false }, firmware: 'ask' });
    const p2 = await owner.setPolicy(paired, { firmware: 'auto' });
    expect(p2).toEqual({ share: { diagnostics: false, usageCounters: true, errorLogs: false }, firmware: 'auto' });
    expect(await updaterPolicy(dev.agent)()).toBe('auto');
    await dev.reboot();
    expect(await owner.getPolicy(paired)).toEqual(p2);
    await owner.setPolicy(paired, { firmware: 'never' });
    expect(await updaterPolicy(dev.agent)()).toBe('never');
  });

  it('an unknown policy member is refused and changes nothing', async () => {
    const { dev, owner, paired } = await ownedDevice();
    // the owner agent will not build it ...
    await expectCodeAsync(() => owner.setPolicy(paired, { share: { everything: true } } as never), 'protocol.invalid_message');
    // ... and the device refuses it when it arrives anyway
    const bad = [{ share: { everything: true } }, { share: { diagnostics: 'yes' } }, { firmware: 'sometimes' }];
    for (let i = 0; i < bad.length; i++) {
      const policy = bad[i];
      const msg = { id: `bad-policy-${i}`, type: SET_POLICY_TYPE, from: paired.ownerDid, to: [paired.deviceDid], body: { policy } };
      const reply = await sendAsOwner(dev.host.network, paired, msg);
      expect(reply?.type).toMatch(/problem-report$/);
      expect(reply?.body.code).toBe('e.p.msg.invalid');
      expect(reply?.thid).toBe(msg.id);
    }
    expect(await owner.getPolicy(paired)).toEqual(DEFAULT_POLICY);
    expect((await owner.readAuditLog(paired)).entries.map((e) => e.event)).toEqual(['pairing.paired']);
  });

  it('only the current owner may set the policy or read the log', async () => {
    const { network, mfr, dev, owner, paired } = await ownedDevice();
    // a stranger (owner of another device) writes to this device's pairwise DID: authenticated, not the owner
    const other = await manufacturedDevice(network, mfr, 'SN-P2');
    const stranger = testOwner(network, mfr, () => dev.host.now());
    const theirs = await stranger.pair(other.label.url);
    const forged: PairedDevice = { ...theirs, deviceDid: paired.deviceDid };
    for (const attempt of [() => stranger.setPolicy(forged, { share: { diagnostics: true } }), () => stranger.readAuditLog(forged)]) {
      let problem: string | undefined;
      try {
        await attempt();
      } catch (e) {
        problem = (e as { problem?: string }).problem;
      }
      expect(problem).toBe('e.p.trust.not-owner');
    }
    expect(await owner.getPolicy(paired)).toEqual(DEFAULT_POLICY);
    // the former owner after a transfer: its relationship is closed, the device does not answer it
    const url = await owner.openTransfer(paired, 300);
    const next = testOwner(network, mfr, () => dev.host.now());
    const nextPaired = await next.pair(url);
    await expectCodeAsync(() => owner.setPolicy(paired, { share: { diagnostics: true } }), 'owner.no_reply');
    expect(dev.agent.lastRefusal?.code).toMatch(/^didcomm\./); // dropped: no secret for the closed relationship
    // the new owner starts from the default policy and a log of its own (its pairing only)
    expect(await next.getPolicy(nextPaired)).toEqual(DEFAULT_POLICY);
    expect((await next.readAuditLog(nextPaired)).entries.map((e) => `${e.event} ${e.detail}`)).toEqual(['pairing.paired transfer']);
  });

  it('the audit log records policy changes, survives a reboot and pages', async () => {
    const { dev, owner, paired } = await ownedDevice();
    await owner.setPolicy(paired, { share: { diagnostics: true } });
    dev.host.advance(1000);
    await owner.setPolicy(paired, { firmware: 'never' });
    await dev.reboot();
    const log = await owner.readAuditLog(paired);
    expect(log.entries.map((e) => e.event)).toEqual(['pairing.paired', 'policy.set', 'policy.set']);
    const [pairing, first, second] = log.entries;
    expect(pairing.detail).toBe('new');
    expect(first.party).toBe(paired.ownerDid);
    expect(first.detail).toBe('share=diagnostics;firmware=ask');
    expect(second.detail).toBe('share=diagnostics;firmware=never');
    expect(second.seq).toBeGreaterThan(first.seq);
    expect(second.time).toBe(first.time + 1);
    expect(log.next).toBeUndefined();
    const page1 = await owner.readAuditLog(paired, { limit: 2 });
    expect(page1.entries).toEqual([pairing, first]);
    expect(page1.next).toBe(second.seq);
    const page2 = await owner.readAuditLog(paired, { since: page1.next });
    expect(page2.entries).toEqual([second]);
  });

  it('a factory reset wipes the policy and the log', async () => {
    const { dev, owner, paired } = await ownedDevice();
    await owner.setPolicy(paired, { share: { errorLogs: true }, firmware: 'auto' });
    await dev.host.pressFactoryReset();
    expect(await dev.agent.wallet.search('device:policy')).toHaveLength(0);
    expect(await dev.agent.wallet.search(AUDIT_RECORD)).toHaveLength(0);
    expect((await loadPolicy(dev.agent.wallet, dev.agent.state.owner)).policy).toEqual(DEFAULT_POLICY);
    expect(await updaterPolicy(dev.agent)()).toBe('never'); // unowned: nobody to ask
  });

  // ~260 wallet writes: seconds in XS, the logic is engine-independent
  it.skipIf(engine() === 'xs')('the log is bounded: the oldest entries are dropped, seq keeps counting', async () => {
    const { dev } = await ownedDevice();
    const owner = dev.agent.state.owner;
    if (!owner) throw new Error('not owned');
    for (let i = 0; i < AUDIT_LOG_LIMIT + 3; i++) await audit(dev.agent.wallet, owner, dev.host.now(), { event: 'test.event', detail: String(i) });
    const { entries } = await readAudit(dev.agent.wallet, owner);
    expect(entries).toHaveLength(AUDIT_LOG_LIMIT);
    expect(entries[0].detail).toBe('3');
    expect(entries[entries.length - 1].seq).toBe(AUDIT_LOG_LIMIT + 3); // seq 0 is the pairing
  });
});
