/**
 * The device story end to end over real transports: a device on the Node
 * host (files in a temp dir) with its local HTTP pairing endpoint and its
 * MQTT inboxes on an in-process aedes broker; an owner agent (the phone)
 * pairing over HTTP and reaching the device remotely over MQTT; the
 * manufacturer's factory station in process. Then "manufacturer gone":
 * broker and manufacturer stopped, pairing, imprint and transfer still work
 * on the local endpoint.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceAgent } from '../device/agent.ts';
import { agentOptions, testManufacturer, type TestManufacturer } from '../device/testing/fixtures.ts';
import { loadTrustedState } from '../device/updater/trusted-state.ts';
import { NodeDeviceHost } from '../hosts/node/device-host.ts';
import { DeviceLink, envelopeParties, HttpRequester, LocalHttpTransport, MqttRequester } from '../hosts/node/device-transports.ts';
import { MqttTransport } from '../hosts/node/transports/mqtt.ts';
import { issueDeviceCertificate } from '../manufacturer/factory-station.ts';
import { OwnerAgent, readLabel, type OwnerTransport } from '../owner/agent.ts';
import { resetCrypto } from '../protocols/crypto/index.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { inboxTopic } from '../protocols/didcomm/transports/mqtt-topics.ts';
import { verifyImprintChain } from '../protocols/vc/device-credentials.ts';
import { expectCodeAsync } from './support/assert.ts';
import { startAedes, type AedesBroker } from './support/aedes.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setManufacturerContact } from '../device/manufacturer-link.ts';
import { loadSupportThread } from '../device/support.ts';
import { makeImage, sha256Hex, TEST_FIRMWARE, testRelease } from '../device/testing/firmware.ts';
import { answerOverMqtt } from '../hosts/node/device-transports.ts';
import { httpImageSource } from '../hosts/node/http-images.ts';
import { ManufacturerAgent } from '../manufacturer/agent.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  resetCrypto();
});

const quiet = { log: () => {} };
const ROOT = join(import.meta.dirname, '..');

/** scripts/mosquitto.sh (installs the Debian package if missing, starts a private broker on a free port). */
function mosquitto(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(ROOT, 'scripts/mosquitto.sh'), ...args], { cwd: ROOT, timeout: 570_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/mosquitto.sh ${args[0]} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(stdout);
    });
  });
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ssiot-e2e-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function mqttClient(broker: { url: string }, clientId: string, protocolVersion: 4 | 5 = 4): Promise<MqttTransport> {
  // aedes speaks MQTT 3.1.1; Mosquitto both
  const t = await MqttTransport.connect({ url: broker.url, protocolVersion, clientId, connectTimeoutMs: 5000, publishTimeoutMs: 5000 });
  cleanups.push(() => t.kill());
  return t;
}

function owner(mfr: TestManufacturer, transport: OwnerTransport): OwnerAgent {
  return new OwnerAgent({ transport, resolver: createDefaultResolver({ documents: [mfr.state.document] }), trustedManufacturers: [mfr.did] });
}

interface NodeDevice {
  dir: string;
  link: DeviceLink;
  host: NodeDeviceHost;
  agent: DeviceAgent;
  /** A process restart: a new host and agent over the same directory and endpoint. */
  reboot(): Promise<DeviceAgent>;
}

/** A device on the Node host with its local HTTP endpoint, manufactured by `mfr`'s factory station. */
async function manufacturedNodeDevice(mfr: TestManufacturer): Promise<NodeDevice & { label: { url: string; manualCode: string } }> {
  const dir = tempDir();
  const local = await LocalHttpTransport.listen();
  const link = new DeviceLink(local);
  cleanups.push(() => link.close());
  const boot = async () => {
    const host = new NodeDeviceHost({ dir, transport: link, logger: quiet, slotCapacity: 4096 });
    return { host, agent: await DeviceAgent.boot(host, agentOptions()) };
  };
  const first = await boot();
  const certificate = await issueDeviceCertificate(first.agent.certificateRequest(), { signer: mfr.signer, log: mfr.log });
  const label = await first.agent.installCertificate(certificate, mfr.log);
  const dev = {
    dir,
    link,
    ...first,
    label,
    async reboot() {
      const next = await boot();
      dev.host = next.host;
      dev.agent = next.agent;
      return next.agent;
    },
  };
  return dev;
}

/** The manufacturer's agent served on its MQTT inbox (its DID's endpoint is the broker); everything it sends is published to the recipients' inboxes. */
async function mqttManufacturer(broker: AedesBroker, mfr: TestManufacturer, clientId: string): Promise<{ maker: ManufacturerAgent; makerMqtt: MqttTransport }> {
  const makerMqtt = await mqttClient(broker, clientId);
  const maker = new ManufacturerAgent({
    endpoint: broker.url,
    send: async (_endpoint, packed) => {
      for (const did of envelopeParties(packed).recipients) await makerMqtt.send({ uri: broker.url, did }, packed);
      return undefined;
    },
    resolver: createDefaultResolver({ documents: [mfr.state.document] }),
    manufacturerDid: mfr.did,
  });
  await makerMqtt.addDid(maker.did);
  cleanups.push(answerOverMqtt(makerMqtt, broker.url, (packed) => maker.receive(packed)));
  return { maker, makerMqtt };
}

function verifier(mfr: TestManufacturer, dev: NodeDevice) {
  return {
    resolver: createDefaultResolver({ documents: [mfr.state.document] }),
    manufacturerDid: mfr.did,
    checkStatus: { fetchStatusList: () => dev.agent.statusList() },
  };
}

describe('device end to end over HTTP and MQTT (Node host)', () => {
  it('envelopeParties reads sender and recipients of an authcrypt JWE, and nothing from junk', async () => {
    expect(envelopeParties('not json')).toEqual({ recipients: [] });
    expect(envelopeParties('{"recipients":[{"header":{"kid":7}}]}')).toEqual({ sender: undefined, recipients: [] });
  });

  it('manufacture -> label -> pair by QR over HTTP -> imprint -> remote over MQTT -> reboot -> factory reset', async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.close());
    const mfr = await testManufacturer();
    const dev = await manufacturedNodeDevice(mfr);
    const deviceMqtt = await mqttClient(broker, 'ssiot-e2e-device');
    await dev.link.attachMqtt(deviceMqtt, broker.url);
    await dev.link.addDid(dev.agent.identity.pairingDid);

    // manufacture: pinned anchor, the label written by the host, the pairing DID on the local endpoint
    expect(dev.agent.state.lifecycle).toBe('unowned');
    expect((await loadTrustedState(dev.host.kv)).pinnedDid).toBe(mfr.did);
    expect(dev.host.label()).toEqual(dev.label);
    expect(dev.link.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/didcomm$/);
    const pairingDoc = await createDefaultResolver().resolve(readLabel(dev.label.url).pairingDid);
    expect(JSON.stringify(pairingDoc.service)).toContain(dev.link.endpoint);

    // the phone pairs over the local HTTP endpoint; the imprint chains back to the manufacturer DID
    const phone = owner(mfr, new HttpRequester());
    const paired = await phone.pair(dev.label.url);
    expect(paired.device.did).toBe(dev.agent.identity.did);
    expect(paired.manufacturer).toBe(mfr.did);
    expect(dev.agent.state.lifecycle).toBe('owned');
    expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
    const chain = await verifyImprintChain(paired.imprint, paired.certificate, verifier(mfr, dev));
    expect(chain.owner).toBe(paired.ownerDid);
    expect(chain.device.serial).toBe('SN-0001');

    // away from home: the owner reaches the device's pairwise DID through the broker
    const ownerMqtt = await mqttClient(broker, 'ssiot-e2e-owner');
    const seen: string[] = [];
    deviceMqtt.onMessage((m) => void seen.push(m.address ?? ''));
    const remote = owner(mfr, new MqttRequester(ownerMqtt, broker.url, 5000));
    const transferUrl = await remote.openTransfer(paired, 300);
    expect(transferUrl).toMatch(/_oob=/);
    expect(dev.agent.state.window?.kind).toBe('transfer');
    expect(seen).toContain(inboxTopic(paired.deviceDid));

    // request/response over MQTT needs an authcrypt envelope (it routes by skid and kid)
    const junk = new MqttRequester(ownerMqtt, broker.url, 300);
    await expectCodeAsync(() => junk.send('', 'garbage'), 'didcomm.invalid_argument');

    // a process restart keeps the owner (and the open transfer window)
    const again = await dev.reboot();
    expect(again.identity.did).toBe(paired.device.did);
    expect(again.state.lifecycle).toBe('owned');
    expect(again.state.owner?.did).toBe(paired.ownerDid);
    expect(again.state.window?.kind).toBe('transfer');
    // the rebooted agent still answers over MQTT (the link's inboxes survive, the handler is the new agent's)
    const url2 = await remote.openTransfer(paired, 120);
    expect(url2).not.toBe(transferUrl);

    // factory reset (host input): unowned, the old imprint revoked, keys/certificate/anchor kept
    await dev.host.factoryReset();
    expect(dev.agent.state.lifecycle).toBe('unowned');
    expect(dev.agent.state.owner).toBeNull();
    expect(await dev.agent.certificate()).toEqual(paired.certificate);
    expect((await loadTrustedState(dev.host.kv)).pinnedDid).toBe(mfr.did);
    await expectCodeAsync(() => verifyImprintChain(paired.imprint, paired.certificate, verifier(mfr, dev)), 'vc.imprint_revoked');
    // the former owner can no longer reach a relationship over MQTT: the device keeps silent, the request times out
    const stale = owner(mfr, new MqttRequester(ownerMqtt, broker.url, 500));
    await expectCodeAsync(() => stale.openTransfer(paired, 60), 'didcomm.transport_failed');
  }, 60_000);

  it('manufacturer gone: with the broker and the manufacturer stopped, pairing, imprint, policies, service-authorization revocation and transfer work on the local endpoint', async () => {
    const broker = await startAedes();
    let brokerUp = true;
    cleanups.push(() => (brokerUp ? broker.close() : undefined));
    const mfr = await testManufacturer();
    const manufacturerMqtt = await mqttClient(broker, 'ssiot-e2e-mfr');
    const dev = await manufacturedNodeDevice(mfr);
    const deviceMqtt = await mqttClient(broker, 'ssiot-e2e-device2');
    await dev.link.attachMqtt(deviceMqtt, broker.url);

    // the manufacturer goes away: its process and its broker
    await manufacturerMqtt.kill();
    await broker.close();
    brokerUp = false;
    for (let i = 0; i < 100 && deviceMqtt.ready; i++) await new Promise((r) => setTimeout(r, 20));
    expect(deviceMqtt.ready).toBe(false);

    const phone = owner(mfr, new HttpRequester());
    const paired = await phone.pair(dev.label.url);
    expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
    // verification needs only the manufacturer DID document, no manufacturer service
    expect((await verifyImprintChain(paired.imprint, paired.certificate, verifier(mfr, dev))).owner).toBe(paired.ownerDid);

    // owner control, all local: policies, a service authorization for the manufacturer and its revocation
    const policy = await phone.setPolicy(paired, { share: { diagnostics: true }, firmware: 'never' });
    expect(policy.share.diagnostics).toBe(true);
    expect(policy.share.errorLogs).toBe(false);
    expect(policy.firmware).toBe('never');
    expect(await phone.getPolicy(paired)).toEqual(policy);
    const grant = await phone.grantServiceAuthorization(paired, { manufacturer: mfr.did, scope: ['diagnostics'], validUntil: new Date(Date.now() + 3600_000).toISOString() });
    await phone.revokeServiceAuthorization(paired, String(grant.id));
    const audit = (await phone.readAuditLog(paired)).entries.map((e) => e.event);
    expect(audit).toContain('policy.set');
    expect(audit).toContain('service-auth.revoked');

    // transfer to a new owner, all local: the old imprint is revoked
    const transferUrl = await phone.openTransfer(paired, 300);
    const next = owner(mfr, new HttpRequester());
    const second = await next.pair(transferUrl);
    expect(dev.agent.state.owner?.did).toBe(second.ownerDid);
    await expectCodeAsync(() => verifyImprintChain(paired.imprint, paired.certificate, verifier(mfr, dev)), 'vc.imprint_revoked');
    expect((await verifyImprintChain(second.imprint, second.certificate, verifier(mfr, dev))).owner).toBe(second.ownerDid);
  }, 60_000);

  it('the owner reaches the device through Mosquitto (MQTT 5) as well', async () => {
    const dir = tempDir();
    const { url } = JSON.parse((await mosquitto(['start', '--dir', dir])).trim().split('\n').pop() as string) as { url: string };
    cleanups.push(() => mosquitto(['stop', '--dir', dir]));
    const mfr = await testManufacturer();
    const dev = await manufacturedNodeDevice(mfr);
    await dev.link.attachMqtt(await mqttClient({ url }, 'ssiot-e2e-device-mq', 5), url);
    const paired = await owner(mfr, new HttpRequester()).pair(dev.label.url);
    const remote = owner(mfr, new MqttRequester(await mqttClient({ url }, 'ssiot-e2e-owner-mq', 5), url, 5000));
    expect(await remote.openTransfer(paired, 300)).toMatch(/_oob=/);
    expect(dev.agent.state.window?.kind).toBe('transfer');
  }, 600_000);

  it('firmware over MQTT: the manufacturer announces over the broker, the image comes over HTTP Range, the signed report goes back over MQTT', async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.close());
    const mfr = await testManufacturer();
    // the image server (Range: bytes=<offset>-)
    const image = makeImage(3000, 5);
    const ranges: (string | undefined)[] = [];
    const server: Server = createServer((req, res) => {
      ranges.push(req.headers.range);
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      if (m) res.writeHead(206, { 'Content-Range': `bytes ${start}-${image.length - 1}/${image.length}`, 'Content-Length': image.length - start });
      else res.writeHead(200, { 'Content-Length': image.length });
      // the first connection drops after 1000 bytes: the device resumes with Range
      if (ranges.length === 1) res.write(image.subarray(start, start + 1000), () => res.destroy());
      else res.end(image.subarray(start));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const release = await testRelease(mfr, { sequence: 2, image, uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/grinder-2.bin` });

    // the manufacturer's agent, served on its MQTT inbox (its DID's endpoint is the broker)
    const { maker } = await mqttManufacturer(broker, mfr, 'ssiot-e2e-maker');

    // a device with firmware updates on the Node host: files, HTTP images, restart requests recorded
    const dir = tempDir();
    const link = new DeviceLink(await LocalHttpTransport.listen());
    cleanups.push(() => link.close());
    let restarts = 0;
    const boot = async () => {
      const host = new NodeDeviceHost({ dir, transport: link, logger: quiet, slotCapacity: 4096, images: httpImageSource(), restart: () => void restarts++ });
      host.slots.boot(); // the bootloader at power-on
      return { host, agent: await DeviceAgent.boot(host, { ...agentOptions(), firmware: TEST_FIRMWARE }) };
    };
    let dev = await boot();
    const certificate = await issueDeviceCertificate(dev.agent.certificateRequest(), { signer: mfr.signer, log: mfr.log });
    const label = await dev.agent.installCertificate(certificate, mfr.log);
    await setManufacturerContact(dev.agent.wallet, { did: maker.did, publicDid: mfr.did, name: 'Grinders Inc.' });
    await link.attachMqtt(await mqttClient(broker, 'ssiot-e2e-device-fw'), broker.url);
    await link.addDid(dev.agent.identity.pairingDid);

    const phone = owner(mfr, new HttpRequester());
    const paired = await phone.pair(label.url);
    expect((await phone.setPolicy(paired, { firmware: 'auto' })).firmware).toBe('auto');

    // announce over MQTT: the device's progress comes back to the manufacturer's inbox
    expect(await maker.announceFirmware(dev.agent.identity.pairingDid, { envelope: release.envelope, log: mfr.log })).toBeUndefined();
    for (let i = 0; i < 250 && maker.firmwareProgress.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(maker.firmwareProgress).toEqual([{ device: dev.agent.identity.pairingDid, sequence: 2, status: 'rebooting' }]);
    expect(restarts).toBe(1);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toBe('bytes=1000-');

    // the restart: the new image self-tests and confirms, the signed report goes out over MQTT
    dev = await boot();
    expect(dev.agent.firmware?.lastBoot).toEqual({ status: 'installed', sequence: 2 });
    const running = await dev.host.slots.running();
    expect(running.image?.digest).toBe(sha256Hex(image));
    expect(running.trial).toBe(false);
    for (let i = 0; i < 250 && maker.firmwareReports.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(maker.firmwareReports).toHaveLength(1);
    expect(maker.firmwareReports[0].report.from).toBe(dev.agent.identity.did);
    expect(maker.firmwareReports[0].report.body).toMatchObject({ status: 'installed', sequence: 2, digest: sha256Hex(image) });
    expect((await phone.readAuditLog(paired)).entries.map((e) => e.event)).toContain('firmware.installed');
  }, 60_000);

  it('introduction and support with the manufacturer over MQTT: its answers arrive as new inbound messages on the device', async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.close());
    const mfr = await testManufacturer();
    const { maker } = await mqttManufacturer(broker, mfr, 'ssiot-e2e-maker-intro');

    const dev = await manufacturedNodeDevice(mfr);
    await setManufacturerContact(dev.agent.wallet, { did: maker.did, publicDid: mfr.did, name: 'Grinders Inc.' });
    const deviceMqtt = await mqttClient(broker, 'ssiot-e2e-device-intro');
    await dev.link.attachMqtt(deviceMqtt, broker.url);
    await dev.link.addDid(dev.agent.identity.pairingDid);
    const fromMaker: string[] = [];
    deviceMqtt.onMessage((m) => void fromMaker.push(m.address ?? ''));

    // the phone: the device over its local HTTP endpoint, the manufacturer (after the introduction) over the broker
    const http = new HttpRequester();
    const ownerMqtt = new MqttRequester(await mqttClient(broker, 'ssiot-e2e-owner-intro'), broker.url, 5000);
    const phone = owner(mfr, { send: (endpoint, packed) => (endpoint.startsWith('http') ? http.send(endpoint, packed) : ownerMqtt.send(endpoint, packed)) });
    cleanups.push(() => ownerMqtt.close());
    const paired = await phone.pair(dev.label.url);

    const outcome = await phone.conduit.introduceManufacturer(paired);
    expect(outcome.status).toBe('connected');
    if (outcome.status !== 'connected') return;
    expect(outcome.relationship.theirDid).toBe(maker.did);
    const intro = [...maker.introductions.values()];
    expect(intro).toHaveLength(1);
    expect(intro[0].device).toBe(dev.agent.identity.pairingDid);
    expect(maker.relationships.get(outcome.relationship.myDid)).toBe(intro[0].invitationId);
    // the introduce response came to the device's pairing inbox on the broker
    expect(fromMaker).toContain(inboxTopic(dev.agent.identity.pairingDid));
    for (let i = 0; i < 100 && intro[0].status !== 'done'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(intro[0].status).toBe('done');

    // support: thread-opened comes back over MQTT, the manufacturer's reply is relayed from its MQTT message
    const handle = await phone.conduit.openSupport(paired, 'Grinder jams', 'It stops after two seconds.');
    const held = maker.supportThreads.get(handle.supportThreadId);
    expect(held?.device).toBe(dev.agent.identity.pairingDid);
    expect(held?.subject).toBe('Grinder jams');
    const opening = await loadSupportThread(dev.agent.wallet, handle.supportThreadId);
    expect(opening?.status).toBe('open');
    await phone.conduit.sendSupport(paired, handle, 'Since the last update.');
    for (let i = 0; i < 100 && (held?.messages.length ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(held?.messages.map((m) => m.text)).toEqual(['It stops after two seconds.', 'Since the last update.']);
    await maker.reply(handle.supportThreadId, 'Please clean the burrs.');
    let t = await loadSupportThread(dev.agent.wallet, handle.supportThreadId);
    for (let i = 0; i < 100 && t?.messages.length !== 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      t = await loadSupportThread(dev.agent.wallet, handle.supportThreadId);
    }
    expect(t?.messages.map((m) => [m.from, m.text])).toEqual([
      ['owner', 'It stops after two seconds.'],
      ['owner', 'Since the last update.'],
      ['manufacturer', 'Please clean the burrs.'],
    ]);
    // no push channel and no owner endpoint: kept in the thread for the owner
    expect(t?.undelivered).toBe(1);
    expect(dev.agent.lastRefusal).toBeUndefined();
  }, 60_000);

  it('the local endpoint refuses other media types and stays silent to junk', async () => {
    const mfr = await testManufacturer();
    const dev = await manufacturedNodeDevice(mfr);
    const wrongType = await fetch(dev.link.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    const junk = await fetch(dev.link.endpoint, { method: 'POST', headers: { 'content-type': 'application/didcomm-encrypted+json' }, body: '{"protected":"x"}' });
    expect(junk.status).toBe(202);
    expect(dev.agent.lastRefusal?.code).toBeDefined();
    expect(await new HttpRequester().send(dev.link.endpoint, '{}')).toBeUndefined();
  }, 30_000);
});
