/**
 * The real firmware (root manifest.json, hosts/moddable/main.ts) in the
 * Moddable lin simulator against a manufacturer service: built in a scratch
 * folder with the service's URLs and factory token, it provisions itself (the
 * service's registry has its DID), signs in to the broker, prints its pairing
 * label; an owner pairs over the device's local endpoint by the label's URL
 * and is introduced to the manufacturer through the device (over the broker);
 * the heap lines of every phase carry their figures. Opt-in: runs only when
 * MODDABLE points at an SDK with its lin tools built (Xvfb and libsodium-dev
 * are installed through scripts/apt-install.sh when missing). About two
 * minutes, most of it the build. No timing or size is asserted: the figures
 * are bench/moddable-firmware.ts's (`npm run bench:moddable`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpRequester } from '../owner/http-requester.ts';
import { OwnerAgent } from '../owner/agent.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { resetCrypto } from '../protocols/crypto/index.ts';
import { runFirmware, type FirmwareRun } from './support/moddable-firmware.ts';
import { simulatorUnavailable } from './support/moddable-sim.ts';
import { startTestService, TEST_FACTORY_TOKEN } from './support/service.ts';

const why = simulatorUnavailable();

describe('the firmware in the Moddable lin simulator', () => {
  it.skipIf(why !== undefined)(
    why ? `skipped: ${why}` : 'provisions, connects to the broker, pairs by its label URL, introduces its owner to the manufacturer, and reports its heap',
    async () => {
      const data = mkdtempSync(join(tmpdir(), 'ssiot-fw-mfr-'));
      const s = await startTestService(data);
      let run: FirmwareRun | undefined;
      try {
        run = await runFirmware({ service: { url: s.url, brokerUrl: s.brokerUrl, factoryToken: TEST_FACTORY_TOKEN } });
        const boot = run.boot;
        const manufactured = await boot.waitFor('provisioning', (l) => l.message === 'manufactured');
        const did = manufactured.data.did as string;
        expect(did).toMatch(/^did:key:z6Mk/);
        expect(s.registry.search({}).devices.map((d) => d.did)).toContain(did);
        expect(s.registry.get(did)).toMatchObject({ hardwareRevision: 'simulator', pairingDid: expect.stringMatching(/^did:peer:/) });
        await boot.waitFor('the broker connection', (l) => l.message === 'broker connected');
        expect(boot.logs.find((l) => l.message === 'broker connected')?.data.url).toBe(s.brokerUrl);
        expect(s.broker.connectedDevices()).toContain(did);

        const { url } = await boot.label();
        expect(url).toMatch(/^https:\/\/ssiot\.dev\/pair\?_oob=/);
        const phone = new OwnerAgent({ transport: new HttpRequester(120_000), resolver: createDefaultResolver({ documents: [s.identity.document()] }), trustedManufacturers: [s.identity.did] });
        const paired = await phone.pair(url);
        expect(paired.device.did).toBe(did);
        expect(paired.ownerDid).toMatch(/^did:peer:2\./);
        const intro = await phone.conduit.introduceManufacturer(paired);
        expect(intro.status).toBe('connected');

        const heap = boot.heap();
        expect(heap.map((h) => h.phase)).toEqual(['loaded', 'boot', 'manufactured', 'broker']);
        for (const h of heap) {
          for (const n of [h.slotHeap, h.chunkHeap, h.keys, h.modules, h.stackPeak]) expect(n).toBeGreaterThan(0);
          expect(h.collections).toBeGreaterThanOrEqual(0);
        }
        expect(run.archive.modules.ours.count).toBeGreaterThan(0);
        expect(run.archive.modules.npm.count).toBeGreaterThan(0);
        console.log(JSON.stringify({ archive: run.archive, heap }));
      } finally {
        await run?.stop();
        await s.close();
        rmSync(data, { recursive: true, force: true });
        resetCrypto();
      }
    },
    600_000,
  );
});
