/**
 * The simulator over real sockets: a manufacturer service (HTTP + its MQTT
 * broker), a fleet of three virtual grinders running the device agent on
 * Node (provisioned by the factory route, signed in to the broker), an
 * owner's phone agent pairing over a device's local HTTP endpoint through
 * its label link, and every fault the dashboard offers: factory reset,
 * power cut during a pairing, network loss, broker loss, corrupted download.
 * The XS engine runs in a process of its own (xsnap locks its realm down).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage } from '../device/testing/firmware.ts';
import { HttpRequester } from '../hosts/node/device-transports.ts';
import { OwnerAgent, type PairedDevice } from '../owner/agent.ts';
import { resetCrypto } from '../protocols/crypto/index.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import type { ManufacturerService } from '../manufacturer/service/app.ts';
import { GRINDER_CLASS } from '../manufacturer/service/config.ts';
import { staffSession, startTestService, TEST_FACTORY_TOKEN, type StaffApi } from './support/service.ts';
import { startFleet, type Fleet } from '../simulator/fleet.ts';
import type { DeviceView } from '../simulator/virtual-device.ts';
import { expectCodeAsync } from './support/assert.ts';

const FACTORY_TOKEN = TEST_FACTORY_TOKEN;
const ROOT = join(import.meta.dirname, '..');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
let s: ManufacturerService;
let fleet: Fleet;
let staffApi: StaffApi;

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ssiot-sim-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function dashboard(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(`${fleet.dashboardUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: r.headers };
}

const view = async (i: number): Promise<DeviceView> => (await dashboard('GET', `/api/devices/${i}`)).body as DeviceView;

function owner(): OwnerAgent {
  return new OwnerAgent({ transport: new HttpRequester(5000), resolver: createDefaultResolver({ documents: [s.identity.document()] }), trustedManufacturers: [s.identity.did] });
}

beforeAll(async () => {
  s = await startTestService(tempDir());
  cleanups.push(() => s.close());
  fleet = await startFleet({ service: { url: s.url, factoryToken: FACTORY_TOKEN, brokerUrl: s.brokerUrl }, count: 3, dataDir: tempDir(), grindIntervalMs: 100, rebootDelayMs: 50, cors: { origins: ['http://phone.example'] } });
  cleanups.push(() => fleet.close());
  staffApi = await staffSession(s);
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  resetCrypto();
});

const registered = async (did: string) => (await staffApi('GET', `/api/devices/${encodeURIComponent(did)}`)).body as { connected: boolean; lastStatus?: string; firmware?: { sequence: number } };

describe('simulator fleet against the manufacturer service', () => {
  it('provisions three grinders that sign in to the broker; the dashboard lists them with labels, QR codes and moving grinder counters', async () => {
    await until('all three on the broker', () => s.broker.connectedDevices().length === 3);
    const list = await dashboard('GET', '/api/devices');
    expect(list.status).toBe(200);
    expect(list.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const devices = list.body.devices as DeviceView[];
    expect(devices.map((d) => d.serial)).toEqual(['SN-SIM-0001', 'SN-SIM-0002', 'SN-SIM-0003']);
    for (const d of devices) {
      expect(d).toMatchObject({ lifecycle: 'unowned', power: 'on', network: 'up', broker: 'connected', owner: null, manufacturer: s.identity.did });
      expect(d.label?.url).toMatch(/_oob=/);
      expect((await registered(d.did)).connected).toBe(true);
    }
    const qr = await dashboard('GET', '/api/devices/0/qr.svg');
    expect(qr.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(qr.body).toMatch(/^<svg/);
    const page = await dashboard('GET', '/');
    expect(page.body).toMatch(/<script type="module" src="\/static\/app.js">/);
    expect(page.body).not.toMatch(/<script>/);
    expect((await dashboard('GET', '/static/app.js')).status).toBe(200);
    expect((await dashboard('GET', '/api/devices/7')).status).toBe(404);
    expect((await dashboard('POST', '/api/devices/0/actions/explode', {})).status).toBe(400);
    // a browser phone app on the allowed origin may POST to a device's local endpoint
    const preflight = await fetch(devices[0].endpoint, { method: 'OPTIONS', headers: { origin: 'http://phone.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://phone.example');
    await until('grind cycles', async () => ((await view(2)).grinder?.cycles ?? 0) >= 2);
  }, 60_000);

  it('an owner pairs with device 0 through its label link; the dashboard shows the owner and the audit log; factory reset from the dashboard unowns it', async () => {
    const phone = owner();
    const paired = await phone.pair((await view(0)).label?.link as string);
    const v = await view(0);
    expect(v.lifecycle).toBe('owned');
    expect(v.owner?.did).toBe(paired.ownerDid);
    expect(v.owner?.short.length).toBeLessThan(paired.ownerDid.length);
    const audit = (await dashboard('GET', '/api/devices/0/audit')).body.entries as { event: string }[];
    expect(audit.map((e) => e.event)).toContain('pairing.paired');
    // the device asks the manufacturer over the broker and waits for its answer there
    const intro = await phone.conduit.introduceManufacturer(paired);
    expect(intro.status).toBe('connected');

    const reset = await dashboard('POST', '/api/devices/0/actions/factory-reset', {});
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ lifecycle: 'unowned', owner: null, window: { kind: 'pairing' } });
    // the former owner is no owner any more
    await expect(phone.getPolicy(paired)).rejects.toThrow();
  }, 60_000);

  it('a power cut in the middle of a pairing leaves the device unowned or owned, never half; it reboots by itself', async () => {
    const dev = fleet.device(1);
    dev.setGrinder(false); // only the pairing writes to the wallet
    let sawUnowned = false;
    let sawOwned = false;
    for (let k = 0; ; k++) {
      const boots = dev.boots;
      const cut = await dashboard('POST', '/api/devices/1/actions/power-cut', { afterWrites: k });
      expect(cut.body.faults.powerCutArmed).toBe(true);
      const phone = owner();
      let paired: PairedDevice | undefined;
      try {
        paired = await phone.pair((await view(1)).label?.link as string);
      } catch {
        // the device went dark mid-exchange
      }
      if (dev.power === 'on' && dev.boots === boots) {
        // the pairing needed fewer than k writes: nothing was cut
        expect(paired).toBeDefined();
        dev.powerCut({ afterWrites: undefined });
        await until('reboot', () => dev.boots > boots);
        break;
      }
      await until('the device to come back', () => dev.power === 'on' && dev.boots > boots);
      await dev.settled();
      const v = await view(1);
      if (v.lifecycle === 'owned') {
        sawOwned = true;
        expect(v.window).toBeNull();
        expect(v.owner?.did).toMatch(/^did:peer:2\./);
        if (paired) expect(v.owner?.did).toBe(paired.ownerDid);
        await dashboard('POST', '/api/devices/1/actions/factory-reset', {});
      } else {
        sawUnowned = true;
        expect(v).toMatchObject({ lifecycle: 'unowned', owner: null });
        expect(paired).toBeUndefined();
      }
      // whatever the cut left, a phone pairs with it afterwards (reset first if a cut came after the commit)
      const again = await owner().pair((await view(1)).label?.link as string);
      expect((await view(1)).owner?.did).toBe(again.ownerDid);
      await dashboard('POST', '/api/devices/1/actions/factory-reset', {});
      expect(k).toBeLessThan(200);
    }
    expect(sawUnowned).toBe(true);
    expect(sawOwned).toBe(true);
    dev.setGrinder(true);
  }, 180_000);

  it('network loss: pairing fails with a transport error and the broker sees the device go; restore brings both back', async () => {
    const d2 = await view(2);
    const lost = await dashboard('POST', '/api/devices/2/actions/network-loss', {});
    expect(lost.body).toMatchObject({ network: 'down' });
    await expectCodeAsync(() => owner().pair(d2.label?.link as string), 'didcomm.transport_failed');
    await until('the service to see device 2 disconnected', async () => !(await registered(d2.did)).connected);
    await dashboard('POST', '/api/devices/2/actions/network-restore', {});
    const paired = await owner().pair(d2.label?.link as string);
    expect((await view(2)).owner?.did).toBe(paired.ownerDid);
    await until('device 2 back on the broker', async () => (await registered(d2.did)).connected);
  }, 60_000);

  it('broker loss shows the device disconnected in the service registry; restore reconnects it', async () => {
    const d1 = await view(1);
    await dashboard('POST', '/api/devices/1/actions/broker-loss', {});
    await until('disconnected in the registry', async () => !(await registered(d1.did)).connected);
    expect((await view(1)).broker).toBe('lost');
    const fleetList = (await staffApi('GET', '/api/devices')).body.devices as { did: string; connected: boolean }[];
    expect(fleetList.find((x) => x.did === d1.did)?.connected).toBe(false);
    await dashboard('POST', '/api/devices/1/actions/broker-restore', {});
    await until('connected again', async () => (await registered(d1.did)).connected);
    expect((await view(1)).broker).toBe('connected');
  }, 60_000);

  it('a corrupted download: the release rolled out to the device is refused (digest) and reported failed, the running image stays', async () => {
    const phone = owner();
    const paired = await phone.pair((await view(0)).label?.link as string);
    await phone.setPolicy(paired, { firmware: 'auto' });
    const before = await view(0);
    // every read of the image is corrupted (the updater retries and resumes before it gives up)
    const armed = await dashboard('POST', '/api/devices/0/actions/corrupt-download', { count: 50 });
    expect(armed.body.faults.corruptNextDownloads).toBe(50);
    const up = await staffApi('POST', `/api/releases?class=${GRINDER_CLASS.name}&version=9.0.0`, makeImage(40_000, 90), 'application/octet-stream');
    expect(up.status).toBe(201);
    expect((await staffApi('POST', `/api/releases/${up.body.id}/publish`)).status).toBe(200);
    const ro = await staffApi('POST', '/api/rollouts', { releaseId: up.body.id, stages: [100], successThreshold: 1, errorThreshold: 1, start: true });
    expect(ro.status).toBe(201);
    await until('the failure report', async () => (await registered(before.did)).lastStatus === 'failed', 45_000);
    const after = await view(0);
    expect(after.faults.corruptedDownloads).toBeGreaterThan(0);
    expect(after.firmware).toEqual(before.firmware);
    expect(after.update).toBeNull();
    expect(after.boots).toBe(before.boots);
    const events = ((await dashboard('GET', '/api/devices/0/audit')).body.entries as { event: string; detail?: string }[]).map((e) => `${e.event} ${e.detail ?? ''}`);
    expect(events.some((e) => e.startsWith('firmware.refused firmware.digest_mismatch'))).toBe(true);

    // the fault cleared, the next release installs: download, restart (a reboot on the same storage), trial boot, confirm, report
    expect((await dashboard('POST', '/api/devices/0/actions/corrupt-download', { count: 0 })).body.faults.corruptNextDownloads).toBe(0);
    const up2 = await staffApi('POST', `/api/releases?class=${GRINDER_CLASS.name}&version=9.1.0`, makeImage(40_000, 91), 'application/octet-stream');
    const pub2 = await staffApi('POST', `/api/releases/${up2.body.id}/publish`);
    // the unowned grinders refused the first release (nobody to ask): its rollout stays open until staff abort it
    expect((await staffApi('POST', `/api/rollouts/${ro.body.id}/abort`)).status).toBe(200);
    const ro2 = await staffApi('POST', '/api/rollouts', { releaseId: up2.body.id, stages: [100], successThreshold: 1, errorThreshold: 1, start: true });
    expect(ro2.status).toBe(201);
    await until('the new image running', async () => (await view(0)).firmware.sequence === pub2.body.sequence, 45_000);
    const installed = await view(0);
    expect(installed.boots).toBe(before.boots + 1);
    expect(installed.firmware).toMatchObject({ trial: false, sequence: pub2.body.sequence });
    expect(installed.firmware.slot).not.toBe(before.firmware.slot);
    await until('the installed report', async () => (await registered(before.did)).firmware?.sequence === pub2.body.sequence, 20_000);
    expect((await staffApi('POST', `/api/rollouts/${ro2.body.id}/abort`)).status).toBe(200);
  }, 120_000);
});

/** Starts `simulator/main.ts` in a process of its own; resolves to its JSON line. */
async function spawnSimulator(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; out: { dashboard: string; engine: string; devices: { index: number; did: string; pairingLink: string }[] } }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'simulator/main.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...env } });
  cleanups.push(() => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM')))));
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-4000)));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(stdout.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${stderr}`)));
  });
  return { child, out: JSON.parse(line) };
}

describe('simulator with the XS engine', () => {
  it('a grinder whose agent runs in XS: provisioned, on the broker with a token signed in XS, paired over its local endpoint, policy, introduction over MQTT, a firmware rollout, power cuts, factory reset, all on the dashboard', async () => {
    const { out } = await spawnSimulator(
      ['--engine', 'xs', '--devices', '1', '--service-url', s.url, '--broker-url', s.brokerUrl, '--factory-token-env', 'SIM_FACTORY', '--data-dir', tempDir(), '--grind-ms', '0', '--serial-prefix', 'SN-XS-'],
      { SIM_FACTORY: FACTORY_TOKEN },
    );
    expect(out.engine).toBe('xs');
    const did = out.devices[0].did;
    await until('the XS device on the broker', async () => (await registered(did)).connected);
    const get = async (path: string) => (await fetch(`${out.dashboard}${path}`)).json() as Promise<any>;
    expect(await get('/api/devices/0')).toMatchObject({ engine: 'xs', lifecycle: 'unowned', broker: 'connected', manufacturer: s.identity.did });
    const phone = owner();
    const paired = await phone.pair(out.devices[0].pairingLink);
    expect(paired.device.did).toBe(did);
    const policy = await phone.setPolicy(paired, { share: { diagnostics: true }, firmware: 'auto' });
    expect(policy.firmware).toBe('auto');
    expect(await phone.getPolicy(paired)).toEqual(policy);
    const v = await get('/api/devices/0');
    expect(v).toMatchObject({ engine: 'xs', lifecycle: 'owned', owner: { did: paired.ownerDid } });
    const audit = (await get('/api/devices/0/audit')).entries as { event: string }[];
    expect(audit.map((e) => e.event).slice(0, 2)).toEqual(['pairing.paired', 'policy.set']);
    // an answer that comes over MQTT in a later crank: the introduction by the manufacturer
    expect((await phone.conduit.introduceManufacturer(paired)).status).toBe('connected');

    // a release over the broker: announcement in XS, image chunks through Node, restart, trial boot, signed report
    const up = await staffApi('POST', `/api/releases?class=${GRINDER_CLASS.name}&version=10.0.0`, makeImage(12_000, 100), 'application/octet-stream');
    const pub = await staffApi('POST', `/api/releases/${up.body.id}/publish`);
    const ro = await staffApi('POST', '/api/rollouts', { releaseId: up.body.id, stages: [100], successThreshold: 1, errorThreshold: 1, start: true });
    expect(ro.status).toBe(201);
    await until('the XS device running the release', async () => (await get('/api/devices/0')).firmware.sequence === pub.body.sequence, 60_000);
    expect(await get('/api/devices/0')).toMatchObject({ boots: 2, firmware: { trial: false, sequence: pub.body.sequence }, update: null });
    await until('the installed report from XS', async () => (await registered(did)).firmware?.sequence === pub.body.sequence, 30_000);
    expect((await staffApi('POST', `/api/rollouts/${ro.body.id}/abort`)).status).toBe(200);
    // power cut and back: the XS agent boots again on the worker's storage with its owner
    const boots = (await get('/api/devices/0')).boots as number;
    await fetch(`${out.dashboard}/api/devices/0/actions/power-cut`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await until('the XS device back on', async () => (await get('/api/devices/0')).boots === boots + 1);
    expect(await get('/api/devices/0')).toMatchObject({ power: 'on', lifecycle: 'owned', owner: { did: paired.ownerDid } });
    expect(await phone.getPolicy(paired)).toEqual(policy);
    // the factory-reset button on the dashboard, through the XS agent
    const reset = await fetch(`${out.dashboard}/api/devices/0/actions/factory-reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(((await reset.json()) as DeviceView).lifecycle).toBe('unowned');
    await expect(phone.getPolicy(paired)).rejects.toThrow();
    // a cut armed inside XS fires in the middle of the next pairing: the worker's wallet store dies, the device reboots
    const before = (await get('/api/devices/0')).boots as number;
    const armed = await fetch(`${out.dashboard}/api/devices/0/actions/power-cut`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"afterWrites":2}' });
    expect(((await armed.json()) as DeviceView).faults.powerCutArmed).toBe(true);
    await expect(owner().pair(out.devices[0].pairingLink)).rejects.toThrow();
    await until('the XS device back after the cut', async () => (await get('/api/devices/0')).boots === before + 1);
    expect(['unowned', 'owned']).toContain((await get('/api/devices/0')).lifecycle);
  }, 120_000);
});
