import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { publicKeyFromDidKey } from '../protocols/did/key.ts';
import { issueDeviceCertificate } from '../manufacturer/factory-station.ts';
import { readLabel } from '../owner/agent.ts';
import { DeviceAgent } from './agent.ts';
import { keyCommitment } from '../protocols/messages/pairing-attestation.ts';
import { loadPairing } from './manufacture.ts';
import { manufacturerContact } from './manufacturer-link.ts';
import { verifyBrokerToken } from '../protocols/didcomm/transports/mqtt-auth.ts';
import { loadTrustedState } from './updater/trusted-state.ts';
import { isPowerCut, MemoryDeviceHost, MemoryNetwork } from './testing/memory-host.ts';
import { agentOptions, manufacturedDevice, T0, testManufacturer } from './testing/fixtures.ts';

describe('manufacture', () => {
  it('generates the identity on the device, keeps it across reboots, and never exports the key', async () => {
    const host = new MemoryDeviceHost({ now: T0 });
    const a = await DeviceAgent.boot(host, agentOptions());
    expect(a.identity.did).toMatch(/^did:key:z6Mk/);
    expect(a.identity.pairingDid).toMatch(/^did:peer:2\./);
    expect(a.state.lifecycle).toBe('factory');
    host.reboot();
    const b = await DeviceAgent.boot(host, agentOptions());
    expect(b.identity).toEqual(a.identity);
    // the identity key is a wallet key: usable by handle, its record holds no exportable form
    const info = await b.wallet.keys.getKey('device-key');
    expect(info?.publicKey.bytes).toEqual(publicKeyFromDidKey(a.identity.did).bytes);
    expect(Object.keys(info ?? {})).not.toContain('privateKey');
  });

  it("takes the manufacturer agent's contact from the station, only for the certificate's issuer", async () => {
    const mfr = await testManufacturer();
    const host = new MemoryDeviceHost({ now: T0 });
    const agent = await DeviceAgent.boot(host, agentOptions());
    const certificate = await issueDeviceCertificate(agent.certificateRequest(), { signer: mfr.signer, log: mfr.log, now: new Date(T0) });
    const contact = { did: 'did:peer:2.Vz6MkrCD1csqtgdj8sjrsu8jxcbeyP6m7LiK87NzhfWqio5yr', publicDid: 'did:webvh:QmSomeoneElse:example.com', name: 'Impostor' };
    await expectCodeAsync(() => agent.installCertificate(certificate, mfr.log, { contact }), 'device.invalid_contact');
    expect(agent.state.lifecycle).toBe('factory');
    expect(await manufacturerContact(agent.wallet)).toBeUndefined();
    await expectCodeAsync(() => agent.brokerToken(), 'device.no_manufacturer');
    await agent.installCertificate(certificate, mfr.log, { contact: { ...contact, publicDid: mfr.did, name: 'Grinders Inc.' } });
    expect((await manufacturerContact(agent.wallet))?.name).toBe('Grinders Inc.');
    // its broker token: signed by the device key, for the manufacturer agent's DID
    const claims = verifyBrokerToken(await agent.brokerToken(), { audience: contact.did, now: host.now() });
    expect(claims.iss).toBe(agent.identity.did);
    // kept across a factory reset
    await host.pressFactoryReset();
    expect((await manufacturerContact(agent.wallet))?.publicDid).toBe(mfr.did);
  });

  it('installs a certificate: pins the manufacturer, creates pairing material and the label', async () => {
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(new MemoryNetwork(), mfr);
    const trusted = await loadTrustedState(dev.host.kv);
    expect(trusted.pinnedDid).toBe(mfr.did);
    expect(trusted.manufacturer.versionId).toBe(mfr.state.versionId);
    const pairing = await loadPairing(dev.agent.wallet);
    expect(pairing?.secretBytes).toHaveLength(32);
    // only the SPAKE2+ verifier is stored, never the code
    expect(JSON.stringify(pairing)).not.toContain(dev.label.manualCode.replace(/-/g, ''));
    expect(pairing?.verifier.L.length).toBeGreaterThan(40);
    const label = readLabel(dev.label.url);
    expect(label.commitment).toBe(keyCommitment(dev.agent.identity.publicKey));
    expect(label.secret).toEqual(pairing?.secretBytes);
    expect(dev.label.url.length).toBeLessThan(2000); // fits a QR code
    // the label secret and code never reach the log
    const log = dev.host.logger.lines.join('\n');
    expect(log).not.toContain(pairing!.secret);
    await expectCodeAsync(() => dev.agent.installCertificate({}, mfr.log), 'device.already_manufactured');
  });

  it('refuses a certificate for another device, another hardware, or from another manufacturer log', async () => {
    const mfr = await testManufacturer(1);
    const other = await testManufacturer(2);
    const host = new MemoryDeviceHost({ now: T0 });
    const a = await DeviceAgent.boot(host, agentOptions());
    const stranger = await DeviceAgent.boot(new MemoryDeviceHost({ now: T0 }), agentOptions());
    const sign = (req: ReturnType<DeviceAgent['certificateRequest']>, m = mfr) => issueDeviceCertificate(req, { signer: m.signer, log: m.log, now: new Date(T0) });
    await expectCodeAsync(async () => a.installCertificate(await sign(stranger.certificateRequest()), mfr.log), 'device.certificate_mismatch');
    await expectCodeAsync(async () => a.installCertificate(await sign({ ...a.certificateRequest(), serial: 'SN-9999' }), mfr.log), 'device.certificate_mismatch');
    await expectCodeAsync(async () => a.installCertificate(await sign(a.certificateRequest(), other), mfr.log), 'vc.invalid_device_certificate'); // the other issuer does not even resolve
    await expectCodeAsync(() => issueDeviceCertificate(a.certificateRequest(), { signer: other.signer, log: mfr.log, now: new Date(T0) }), 'vc.invalid_signer');
    expect(a.state.lifecycle).toBe('factory');
    expect(await host.kv.get('firmware/trusted')).toBeUndefined();
  });

  it('a power cut at any write of first boot and manufacture is repaired by the next boot', async () => {
    const mfr = await testManufacturer();
    let completed = false;
    for (let cut = 0; !completed && cut < 40; cut++) {
      const host = new MemoryDeviceHost({ now: T0 });
      host.walletStore.cutAfter(cut);
      try {
        const a = await DeviceAgent.boot(host, agentOptions());
        const cert = await issueDeviceCertificate(a.certificateRequest(), { signer: mfr.signer, log: mfr.log, now: new Date(T0) });
        await a.installCertificate(cert, mfr.log);
        completed = true;
      } catch (e) {
        expect(isPowerCut(e)).toBe(true);
      }
      host.reboot();
      const b = await DeviceAgent.boot(host, agentOptions());
      if (b.state.lifecycle === 'factory') {
        const cert = await issueDeviceCertificate(b.certificateRequest(), { signer: mfr.signer, log: mfr.log, now: new Date(T0) });
        await b.installCertificate(cert, mfr.log);
      }
      expect(b.state.lifecycle).toBe('unowned');
      expect((await loadTrustedState(host.kv)).pinnedDid).toBe(mfr.did);
      expect(readLabel(host.labels[host.labels.length - 1].url).pairingDid).toBe(b.identity.pairingDid);
    }
    expect(completed).toBe(true);
  });
});
