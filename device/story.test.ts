import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { loadTrustedState } from './updater/trusted-state.ts';
import { verifyImprintChain } from '../protocols/vc/device-credentials.ts';
import { readLabel } from '../owner/agent.ts';
import { MemoryNetwork } from './testing/memory-host.ts';
import { manufacturedDevice, T0, testManufacturer, testOwner, verifierFor } from './testing/fixtures.ts';

describe('device story: manufacture, pair by QR, imprint, factory reset', () => {
  it('runs end to end in process', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);

    // manufacture: anchor pinned, label shown, unowned with a pairing window
    expect(dev.agent.state.lifecycle).toBe('unowned');
    expect((await loadTrustedState(dev.host.kv)).pinnedDid).toBe(mfr.did);
    expect(dev.host.labels[dev.host.labels.length - 1]).toEqual(dev.label);
    expect(dev.label.url).toMatch(/_oob=/);
    expect(dev.label.manualCode).toMatch(/^\d{4}-\d{3}-\d{4}$/);
    const label = readLabel(dev.label.url);
    expect(label.pairingDid).toBe(dev.agent.identity.pairingDid);

    // pairing by QR
    const owner = testOwner(network, mfr, () => dev.host.now());
    const paired = await owner.pair(dev.label.url);
    expect(paired.device.did).toBe(dev.agent.identity.did);
    expect(paired.manufacturer).toBe(mfr.did);
    expect(dev.agent.state.lifecycle).toBe('owned');
    expect(dev.agent.state.window).toBeNull();
    expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
    expect(dev.agent.state.owner?.deviceDid).toBe(paired.deviceDid);

    // a verifier that trusts only the manufacturer DID checks imprint -> certificate -> manufacturer, status included
    const verifier = verifierFor(mfr, dev);
    const chain = await verifyImprintChain(paired.imprint, paired.certificate, verifier);
    expect(chain.owner).toBe(paired.ownerDid);
    expect(chain.device.serial).toBe('SN-0001');

    // the pairing survives a reboot
    await dev.reboot();
    expect(dev.agent.state.lifecycle).toBe('owned');
    expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);

    // factory reset (host input): unowned again, keys/certificate/anchor kept, the old imprint revoked
    dev.host.advance(60_000);
    await dev.host.pressFactoryReset();
    expect(dev.agent.state.lifecycle).toBe('unowned');
    expect(dev.agent.state.owner).toBeNull();
    expect(dev.agent.state.window?.attempts).toBe(0);
    expect(await dev.agent.certificate()).toEqual(paired.certificate);
    expect((await loadTrustedState(dev.host.kv)).pinnedDid).toBe(mfr.did);
    await dev.reboot();
    expect(dev.agent.identity.did).toBe(paired.device.did);
    await expectCodeAsync(
      () => verifyImprintChain(paired.imprint, paired.certificate, { ...verifier, now: new Date(dev.host.now()) }),
      'vc.imprint_revoked',
    );

    // and a new owner can pair with the same label
    const next = testOwner(network, mfr, () => dev.host.now());
    const again = await next.pair(dev.label.url);
    expect(dev.agent.state.owner?.did).toBe(again.ownerDid);
    expect(again.ownerDid).not.toBe(paired.ownerDid);
  });
});
