import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { PAIRING_PROBLEM } from '../protocols/messages/pairing.ts';
import type { OwnerError } from '../owner/agent.ts';
import { MemoryNetwork } from './testing/memory-host.ts';
import { manufacturedDevice, testManufacturer, testOwner } from './testing/fixtures.ts';

/** A paired device whose pushes to its owner are collected (the host's push channel). */
async function ownedDevice() {
  const network = new MemoryNetwork();
  const mfr = await testManufacturer();
  const pushed: { packed: string; to: string }[] = [];
  const dev = await manufacturedDevice(network, mfr, 'SN-0001', { deliverToOwner: async (packed, to) => void pushed.push({ packed, to }) });
  const alice = testOwner(network, mfr, () => dev.host.now());
  const paired = await alice.pair(dev.label.url);
  const newOwner = () => testOwner(network, mfr, () => dev.host.now());
  return { dev, alice, paired, pushed, newOwner };
}

async function problemOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as OwnerError).problem;
  }
  throw new Error('expected a refusal');
}

describe('ownership transfer windows end with transfer-closed', () => {
  it('completed: the old owner is told on the transfer thread and drops the device', async () => {
    const { dev, alice, paired, pushed, newOwner } = await ownedDevice();
    const url = await alice.openTransfer(paired, 600);
    expect(paired.transfer?.thid).toBeDefined();
    const bob = await newOwner().pair(url);
    expect(dev.agent.state.owner?.did).toBe(bob.ownerDid);
    expect(pushed).toHaveLength(1);
    expect(pushed[0].to).toBe(paired.ownerDid);
    expect(await alice.receive(paired, pushed[0].packed)).toEqual({ kind: 'transfer-closed', reason: 'completed' });
    expect(alice.devices).toHaveLength(0);
    expect(paired.transfer).toBeUndefined();
    // alice's relationship is closed: the device no longer answers her
    await expectCodeAsync(() => alice.readAuditLog(paired), 'owner.no_reply');
  });

  it("the new owner's audit log records the transfer pairing", async () => {
    const { alice, paired, newOwner } = await ownedDevice();
    const bobAgent = newOwner();
    const bob = await bobAgent.pair(await alice.openTransfer(paired, 600));
    const { entries } = await bobAgent.readAuditLog(bob);
    expect(entries.map((e) => `${e.event} ${e.detail ?? ''}`)).toEqual(['pairing.paired transfer']);
    expect(entries[0].party).toBe(bob.ownerDid);
  });

  it('expired: the owner is told when the device finds the window past its end; the invitation no longer works', async () => {
    const { dev, alice, paired, pushed, newOwner } = await ownedDevice();
    const url = await alice.openTransfer(paired, 60);
    dev.host.advance(61_000);
    expect(await problemOf(newOwner().pair(url))).toBe(PAIRING_PROBLEM.windowClosed);
    expect(pushed).toHaveLength(1);
    expect(await alice.receive(paired, pushed[0].packed)).toEqual({ kind: 'transfer-closed', reason: 'expired' });
    expect(alice.devices).toHaveLength(1); // still the owner
    const { entries } = await alice.readAuditLog(paired);
    expect(entries.map((e) => `${e.event} ${e.detail ?? ''}`)).toEqual(['pairing.paired new', 'transfer.opened 60s', 'transfer.closed expired']);
  });

  it('cancelled by the owner: the window closes at once and its invitation is refused', async () => {
    const { dev, alice, paired, pushed, newOwner } = await ownedDevice();
    const url = await alice.openTransfer(paired, 600);
    await alice.cancelTransfer(paired);
    expect(dev.agent.state.window).toBeNull();
    expect(paired.transfer).toBeUndefined();
    expect(await problemOf(newOwner().pair(url))).toBe(PAIRING_PROBLEM.windowClosed);
    expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
    expect(pushed).toHaveLength(0); // the owner closed it: nothing to tell
    await expectCodeAsync(() => alice.cancelTransfer(paired), 'owner.no_transfer');
    const { entries } = await alice.readAuditLog(paired);
    expect(entries.map((e) => e.event)).toEqual(['pairing.paired', 'transfer.opened', 'transfer.closed']);
  });

  it('a transfer-closed the owner did not ask for (no open transfer, replayed) is refused', async () => {
    const { alice, paired, pushed, newOwner } = await ownedDevice();
    await newOwner().pair(await alice.openTransfer(paired, 600));
    await alice.receive(paired, pushed[0].packed);
    await expectCodeAsync(() => alice.receive(paired, pushed[0].packed), 'owner.unreadable_reply'); // replay guard
  });
});
