/**
 * The manufacturer service over real sockets (HTTP, MQTT over TCP): factory
 * provisioning, devices on the Node host signing in to the broker with their
 * token, owners pairing over the devices' local HTTP endpoints, and firmware
 * releases rolled out in stages until every device reports — through the
 * service's own enterprise agent — that it runs the new image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceAgent } from '../device/agent.ts';
import { agentOptions } from '../device/testing/fixtures.ts';
import { makeImage, sha256Hex, TEST_FIRMWARE } from '../device/testing/firmware.ts';
import { NodeDeviceHost } from '../hosts/node/device-host.ts';
import { DeviceLink, HttpRequester, LocalHttpTransport } from '../hosts/node/device-transports.ts';
import { httpImageSource } from '../hosts/node/http-images.ts';
import { MqttTransport } from '../hosts/node/transports/mqtt.ts';
import { OwnerAgent } from '../owner/agent.ts';
import { resetCrypto } from '../protocols/crypto/index.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { verifyDeviceCertificate } from '../protocols/vc/device-credentials.ts';
import type { ManufacturerService } from '../manufacturer/service/app.ts';
import { staffSession, startTestService, TEST_FACTORY_TOKEN } from './support/service.ts';
import { loadSupportThread } from '../device/support.ts';
import { GRINDER_CLASS } from '../manufacturer/service/config.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  resetCrypto();
});

const quiet = { log: () => {} };
const FACTORY_TOKEN = TEST_FACTORY_TOKEN;

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ssiot-mfr-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function service(dir = tempDir()): Promise<ManufacturerService> {
  const s = await startTestService(dir);
  cleanups.push(() => s.close());
  return s;
}

const staff = staffSession;

async function provision(s: ManufacturerService, agent: DeviceAgent, token: string | undefined = FACTORY_TOKEN): Promise<Response> {
  return fetch(`${s.url}/api/provisioning/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ device: agent.certificateRequest(), pairingDid: agent.identity.pairingDid }),
  });
}

interface ServiceDevice {
  agent: DeviceAgent;
  host: NodeDeviceHost;
  label: { url: string };
  restarts: number;
  /** Whether the next self-test passes. */
  healthy: boolean;
  reboot(): Promise<void>;
}

/** A grinder on the Node host: provisioned by the service, signed in to its broker with its token. */
async function serviceDevice(s: ManufacturerService, serial: string): Promise<ServiceDevice> {
  const dir = tempDir();
  const link = new DeviceLink(await LocalHttpTransport.listen());
  cleanups.push(() => link.close());
  const dev = { restarts: 0, healthy: true } as ServiceDevice;
  const boot = async () => {
    dev.host = new NodeDeviceHost({ dir, transport: link, logger: quiet, slotCapacity: 8192, images: httpImageSource(), restart: () => void dev.restarts++ });
    dev.host.slots.boot();
    dev.agent = await DeviceAgent.boot(dev.host, { ...agentOptions(serial), firmware: { ...TEST_FIRMWARE, selfTest: () => dev.healthy } });
  };
  await boot();
  const res = await provision(s, dev.agent);
  expect(res.status).toBe(201);
  const { certificate, log, contact } = (await res.json()) as { certificate: unknown; log: never; contact: never };
  dev.label = await dev.agent.installCertificate(certificate, log, { contact });
  const mqtt = await MqttTransport.connect({
    url: s.brokerUrl,
    protocolVersion: 4,
    username: dev.agent.identity.did,
    dids: [dev.agent.identity.pairingDid],
    credentials: () => dev.agent.brokerToken(),
    connectTimeoutMs: 5000,
  });
  cleanups.push(() => mqtt.kill());
  await link.attachMqtt(mqtt, s.brokerUrl);
  dev.reboot = async () => {
    await boot();
  };
  return dev;
}

function ownerOf(s: ManufacturerService): OwnerAgent {
  return new OwnerAgent({ transport: new HttpRequester(), resolver: createDefaultResolver({ documents: [s.identity.document()] }), trustedManufacturers: [s.identity.did] });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Restarts every device whose agent asked for it (the new image boots, self-tests, reports). */
async function restartWhenAsked(devices: ServiceDevice[], seen: Map<ServiceDevice, number>): Promise<void> {
  for (const d of devices) {
    if (d.restarts > (seen.get(d) ?? 0)) {
      seen.set(d, d.restarts);
      await d.reboot();
    }
  }
}

describe('manufacturer service', () => {
  it('provisions devices at the factory: certificate from its did:webvh, registry entry, broker sign-in; bad requests store nothing', async () => {
    const s = await service();
    const dev = await serviceDevice(s, 'SN-1001');
    // the certificate chains to the service's DID and names the device
    const cert = await dev.agent.certificate();
    const checked = await verifyDeviceCertificate(cert as never, { resolver: createDefaultResolver({ documents: [s.identity.document()] }), manufacturerDid: s.identity.did });
    expect(checked.did).toBe(dev.agent.identity.did);
    await until('the broker to see the device', () => s.broker.connectedDevices().includes(dev.agent.identity.did));
    const api = await staff(s);
    const fleet = await api('GET', '/api/devices?q=1001');
    expect(fleet.body.total).toBe(1);
    expect(fleet.body.devices[0]).toMatchObject({ serial: 'SN-1001', classId: 'coffee-grinder', connected: true, pairingDid: dev.agent.identity.pairingDid });
    expect((await api('GET', '/api/devices?q=nothing-like-this')).body.total).toBe(0);
    // refused: no token, wrong token, the same device twice, malformed; nothing more registered
    expect((await provision(s, dev.agent, '')).status).toBe(401);
    expect((await provision(s, dev.agent, 'wrong-token-0123456789')).status).toBe(401);
    const again = await provision(s, dev.agent);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('device.already_registered');
    const malformed = await fetch(`${s.url}/api/provisioning/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${FACTORY_TOKEN}` },
      body: JSON.stringify({ device: { did: 'did:web:example.com' }, pairingDid: 'x' }),
    });
    expect(malformed.status).toBe(400);
    expect((await api('GET', '/api/devices')).body.total).toBe(1);
    expect((await api('GET', `/api/devices/${encodeURIComponent('did:key:z6MkNotRegisteredAnywhere1234567890')}`)).status).toBe(404);
    // metrics and the OpenAPI document
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^ssiot_connected_devices 1$/m);
    expect(metrics).toMatch(/^ssiot_registered_devices 1$/m);
    const openapi = (await (await fetch(`${s.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toContain('/api/provisioning/devices');
  }, 60_000);

  it('a release from upload to every device reporting installed, in stages; then a release signed after a key rotation', async () => {
    const s = await service();
    const devices = [await serviceDevice(s, 'SN-2001'), await serviceDevice(s, 'SN-2002'), await serviceDevice(s, 'SN-2003')];
    for (const d of devices) {
      const owner = ownerOf(s);
      const paired = await owner.pair(d.label.url);
      await owner.setPolicy(paired, { firmware: 'auto' });
    }
    await until('all devices on the broker', () => s.broker.connectedDevices().length === 3);
    const api = await staff(s);
    const seen = new Map<ServiceDevice, number>();

    const release = async (version: string, image: Uint8Array) => {
      const up = await api('POST', `/api/releases?class=${GRINDER_CLASS.name}&version=${version}`, image, 'application/octet-stream');
      expect(up.status).toBe(201);
      const pub = await api('POST', `/api/releases/${up.body.id}/publish`);
      expect(pub.body.state).toBe('published');
      const ro = await api('POST', '/api/rollouts', { releaseId: up.body.id, stages: [33, 100], successThreshold: 1, errorThreshold: 0.5, start: true });
      expect(ro.status).toBe(201);
      let progress: any;
      await until(`rollout of ${version} to complete`, async () => {
        await restartWhenAsked(devices, seen);
        progress = (await api('GET', `/api/rollouts/${ro.body.id}`)).body;
        return progress.state === 'completed';
      }, 45_000);
      return { release: pub.body, progress };
    };

    const first = await release('1.1.0', makeImage(3000, 11));
    expect(first.progress.totals).toMatchObject({ devices: 3, installed: 3, failed: 0 });
    expect(first.progress.stages.map((st: { devices: number }) => st.devices)).toEqual([1, 2]);
    for (const d of devices) {
      expect((await d.host.slots.running()).image?.digest).toBe(sha256Hex(makeImage(3000, 11)));
    }
    const fleet = (await api('GET', '/api/devices')).body.devices as { firmware?: { sequence: number } }[];
    expect(fleet.map((d) => d.firmware?.sequence)).toEqual([first.release.sequence, first.release.sequence, first.release.sequence]);

    // rotation (pre-committed key): devices follow the DID log and accept the new firmware key
    const rotated = await api('POST', '/api/identity/rotate', { reason: 'scheduled' });
    expect(rotated.status).toBe(200);
    const second = await release('1.2.0', makeImage(3000, 12));
    expect(second.release.kid).toMatch(/#firmware-2$/);
    expect(second.progress.totals).toMatchObject({ installed: 3, failed: 0 });
    for (const d of devices) expect((await d.host.slots.running()).image?.digest).toBe(sha256Hex(makeImage(3000, 12)));
  }, 120_000);

  it('a rollout pauses on its error threshold; resume and abort are staff actions', async () => {
    const s = await service();
    const devices = [await serviceDevice(s, 'SN-3001'), await serviceDevice(s, 'SN-3002')];
    for (const d of devices) {
      const owner = ownerOf(s);
      await owner.setPolicy(await owner.pair(d.label.url), { firmware: 'auto' });
      d.healthy = false; // the new image fails its self-test: the device reverts and reports it
    }
    await until('both devices on the broker', () => s.broker.connectedDevices().length === 2);
    const api = await staff(s);
    const up = await api('POST', `/api/releases?class=${GRINDER_CLASS.name}&version=2.0.0`, makeImage(3000, 21), 'application/octet-stream');
    await api('POST', `/api/releases/${up.body.id}/publish`);
    const ro = await api('POST', '/api/rollouts', { releaseId: up.body.id, stages: [50, 100], successThreshold: 1, errorThreshold: 0.5, start: true });
    const seen = new Map<ServiceDevice, number>();
    let progress: any;
    await until('the rollout to pause', async () => {
      await restartWhenAsked(devices, seen);
      progress = (await api('GET', `/api/rollouts/${ro.body.id}`)).body;
      return progress.state === 'paused';
    }, 45_000);
    expect(progress.totals.failed).toBe(1);
    expect(progress.totals.installed).toBe(0);
    expect(progress.currentStage).toBe(0); // the second stage was never announced
    const reverted = devices.find((d) => d.restarts > 0) as ServiceDevice;
    expect((await reverted.host.slots.running()).image?.digest).not.toBe(sha256Hex(makeImage(3000, 21)));
    // staff resume (the threshold is still exceeded: it pauses again at the next evaluation or stays running), then abort
    const resumed = await api('POST', `/api/rollouts/${ro.body.id}/resume`);
    expect([200, 409]).toContain(resumed.status);
    const aborted = await api('POST', `/api/rollouts/${ro.body.id}/abort`);
    expect(aborted.status).toBe(200);
    expect(aborted.body.state).toBe('aborted');
    expect((await api('POST', `/api/rollouts/${ro.body.id}/resume`)).status).toBe(409);
  }, 120_000);

  it('owners over HTTP: introduction, proof of ownership (warranty), remote diagnostics under their authorization, support answered from the inbox', async () => {
    const s = await service();
    const dev = await serviceDevice(s, 'SN-4001');
    const owner = ownerOf(s);
    const paired = await owner.pair(dev.label.url);
    await until('the device on the broker', () => s.broker.connectedDevices().includes(dev.agent.identity.did));
    const api = await staff(s);

    // the device introduces its owner to the manufacturer (over the broker); the owner then talks to the service over HTTP
    const intro = await owner.conduit.introduceManufacturer(paired, (m) => m.role === 'ssiot.manufacturer');
    expect(intro.status).toBe('connected');
    if (intro.status !== 'connected') return;
    const rel = intro.relationship;
    expect(rel.theirDid).toBe(s.agent.agent.ownerDid);
    const ack = await owner.conduit.proveOwnership(paired, rel);
    expect(ack.verified).toBe(true);
    const registered = (await api('GET', `/api/devices/${encodeURIComponent(dev.agent.identity.did)}`)).body;
    expect(registered.warranty).toMatchObject({ owner: paired.ownerDid });

    // diagnostics: refused before the owner authorizes, answered with the authorization, refused by the device once revoked
    const diagnostics = () => api('POST', `/api/devices/${encodeURIComponent(dev.agent.identity.did)}/diagnostics`, {});
    expect((await diagnostics()).body.error.code).toBe('device.no_authorization');
    await owner.setPolicy(paired, { share: { diagnostics: true } });
    const vc = await owner.grantServiceAuthorization(paired, { manufacturer: rel.theirDid, scope: ['diagnostics'], validUntil: new Date(Date.now() + 3600_000).toISOString() });
    await owner.conduit.shareServiceAuthorization(rel, vc);
    const held = (await api('GET', `/api/devices/${encodeURIComponent(dev.agent.identity.did)}/authorizations`)).body.authorizations;
    expect(held).toEqual([expect.objectContaining({ id: vc.id, scope: ['diagnostics'], revoked: false })]);
    const answered = await diagnostics();
    expect(answered.status).toBe(200);
    expect(answered.body.status).toBe('answered');
    expect(answered.body.data.diagnostics).toMatchObject({ model: 'Grinder One' });
    await owner.revokeServiceAuthorization(paired, vc.id as string); // the device itself; the manufacturer still holds the VC
    const refused = await diagnostics();
    expect(refused.body).toMatchObject({ status: 'refused', code: 'e.p.trust.service-auth.revoked' });
    await owner.conduit.withdrawServiceAuthorization(rel, vc.id as string);
    expect((await diagnostics()).body.error.code).toBe('device.no_authorization');

    // support: opened by the owner through the device, answered from the console's inbox, relayed back by the device
    const thread = await owner.conduit.openSupport(paired, 'Grinds coarse', 'Since the update');
    let inbox: any;
    await until('the thread in the inbox', async () => {
      inbox = (await api('GET', '/api/support/threads')).body.threads;
      return inbox.length === 1 && inbox[0].messages.length === 1;
    });
    expect(inbox[0]).toMatchObject({ id: thread.supportThreadId, subject: 'Grinds coarse', status: 'open' });
    expect((await api('POST', `/api/support/threads/${thread.supportThreadId}/reply`, { text: 'Please clean the burrs.' })).status).toBe(204);
    await until('the reply on the device', async () => ((await loadSupportThread(dev.agent.wallet, thread.supportThreadId))?.messages ?? []).some((m) => m.text === 'Please clean the burrs.'));
    expect((await api('POST', '/api/support/threads/no-such-thread/reply', { text: 'x' })).status).toBe(404);
  }, 60_000);
});
