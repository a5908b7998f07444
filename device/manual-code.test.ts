import { describe, expect, it } from 'vitest';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { PAIRING_PROBLEM } from '../protocols/messages/pairing.ts';
import { verifyImprintChain } from '../protocols/vc/device-credentials.ts';
import { MemoryNetwork } from './testing/memory-host.ts';
import { manufacturedDevice, testManufacturer, testOwner } from './testing/fixtures.ts';

// The phone uses the label URL only as the invitation it would discover on the local network (pairing DID + endpoint); its secret is not used.
describe('pairing by manual setup code (SPAKE2+)', () => {
  it('the right code pairs; the imprint verifies back to the manufacturer', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);
    const owner = testOwner(network, mfr, () => dev.host.now());
    const paired = await owner.pairWithCode(dev.label.url, dev.label.manualCode);
    expect(dev.agent.state.lifecycle).toBe('owned');
    expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
    const chain = await verifyImprintChain(paired.imprint, paired.certificate, {
      resolver: createDefaultResolver({ documents: [mfr.state.document] }),
      manufacturerDid: mfr.did,
      now: new Date(dev.host.now()),
    });
    expect(chain.device.did).toBe(dev.agent.identity.did);
  });

  it('a wrong code is refused by the phone, counted by the device when it starts, and persisted', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);
    const owner = testOwner(network, mfr, () => dev.host.now());
    const digits = dev.label.manualCode.replace(/-/g, '');
    // another valid code (the check digit must be right, so take a code from another device)
    const other = await manufacturedDevice(network, mfr, 'SN-0002');
    expect(other.label.manualCode.replace(/-/g, '')).not.toBe(digits);
    let thrown: { code?: string } | undefined;
    try {
      await owner.pairWithCode(dev.label.url, other.label.manualCode);
    } catch (e) {
      thrown = e as { code?: string };
    }
    expect(thrown?.code).toBe('owner.bad_device_confirmation');
    expect(dev.agent.state.window?.attempts).toBe(1);
    await dev.reboot();
    expect(dev.agent.state.window?.attempts).toBe(1);
    expect(dev.agent.state.lifecycle).toBe('unowned');
    // then the right code still works in the window
    await owner.pairWithCode(dev.label.url, dev.label.manualCode);
    expect(dev.agent.state.lifecycle).toBe('owned');
    // and an owned device refuses manual pairing
    let refused: { problem?: string } | undefined;
    try {
      await testOwner(network, mfr, () => dev.host.now()).pairWithCode(dev.label.url, dev.label.manualCode);
    } catch (e) {
      refused = e as { problem?: string };
    }
    expect(refused?.problem).toBe(PAIRING_PROBLEM.windowClosed);
  });
});
