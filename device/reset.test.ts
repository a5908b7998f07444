import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { verifyImprintChain } from '../protocols/vc/device-credentials.ts';
import { MemoryNetwork } from './testing/memory-host.ts';
import { manufacturedDevice, testManufacturer, testOwner, verifierFor } from './testing/fixtures.ts';
import { loadTrustedState } from './updater/trusted-state.ts';

describe('factory reset under power cuts', () => {
  it('a cut at any write of a reset ends owned with a valid imprint, or reset with the imprint revoked', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    let finished = false;
    for (let cut = 0; cut < 10 && !finished; cut++) {
      const dev = await manufacturedDevice(network, mfr, `SN-R${cut}`);
      const paired = await testOwner(network, mfr, () => dev.host.now()).pair(dev.label.url);
      dev.host.walletStore.cutAfter(cut);
      try {
        await dev.host.pressFactoryReset();
      } catch {
        // power cut
      }
      finished = !dev.host.walletStore.isDead;
      await dev.reboot();
      const verifier = verifierFor(mfr, dev);
      if (dev.agent.state.lifecycle === 'owned') {
        // nothing of the reset happened
        expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
        expect((await verifyImprintChain(paired.imprint, paired.certificate, verifier)).owner).toBe(paired.ownerDid);
      } else {
        expect(dev.agent.state.lifecycle).toBe('unowned');
        expect(dev.agent.state.owner).toBeNull();
        await expectCodeAsync(() => verifyImprintChain(paired.imprint, paired.certificate, verifier), 'vc.imprint_revoked');
        expect(await dev.agent.wallet.search('device:relationship')).toHaveLength(0);
        expect(await dev.agent.wallet.search('device:issued')).toHaveLength(0);
      }
      // keys, certificate and anchor are always kept
      expect(await dev.agent.certificate()).toEqual(paired.certificate);
      expect((await loadTrustedState(dev.host.kv)).pinnedDid).toBe(mfr.did);
      expect(dev.agent.identity.did).toBe(paired.device.did);
    }
    expect(finished).toBe(true);
  });
});
