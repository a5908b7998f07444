/**
 * The manufacturer's releases module over real sockets: upload -> sign ->
 * publish -> staged rollout -> simulated devices (the real device updater,
 * device/updater, with their own Ed25519 keys) download the image from
 * GET /images over HTTP (Range on a resumed download, hosts/node/http-images.ts),
 * install, and send real signed status reports -> completed. Also: the
 * error threshold, staff pause/resume/abort, bad uploads and reports
 * (typed errors, nothing stored), a crash injected at every publishing step,
 * key rotation. Plus unit tests of the rollout machine, stage assignment
 * and Range parsing.
 */
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAnnouncement, type ReleaseAnnouncementJson } from '../device/updater/announcement.ts';
import type { ImageSource } from '../device/updater/host.ts';
import { signStatusReport } from '../device/updater/report.ts';
import { CLASS_ID, makeImage, Manufacturer, SELF_TEST_FAIL, sha256Hex, SimulatedDevice, VENDOR_ID } from '../device/updater/testbed.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { httpImageSource } from '../hosts/node/http-images.ts';
import { installCrypto, resetCrypto } from '../protocols/crypto/index.ts';
import { publicKeyFromPrivateKey, publicKeyToMultikey } from '../protocols/did/keys.ts';
import { base64urlDecode } from '../protocols/encoding/base64url.ts';
import { utf8Encode } from '../protocols/encoding/bytes.ts';
import { decodeEnvelope } from '../protocols/firmware/envelope.ts';
import { ed25519Signer, type Signer } from '../protocols/vc/signer.ts';
import {
  assignStages,
  checkStages,
  evaluateStage,
  nextRolloutState,
  parseRange,
  PUBLISH_STEPS,
  ReleaseService,
  releasesPlugin,
  ROLLOUT_EVENTS,
  ROLLOUT_FINAL,
  ROLLOUT_STATES,
  ROLLOUT_TRANSITIONS,
  rolloutEventsFrom,
  type AnnouncedRelease,
  type PublishStep,
  type ReleaseServiceOptions,
  type ReleaseSigner,
} from '../manufacturer/releases/index.ts';
import { expectCode } from './support/assert.ts';

beforeAll(() => installCrypto(nodeCrypto));
afterAll(() => resetCrypto());

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// ---------------------------------------------------------------- fixtures

interface FleetDevice {
  did: string;
  signer: Signer;
  sim: SimulatedDevice;
}

/** A device key of its own (the updater signs reports with it; the DID is its did:key). */
function deviceSigner(i: number, salt = 'fleet'): Signer {
  const seed = nodeCrypto.sha256!(utf8Encode(`${salt}-device-${i}`));
  const mk = publicKeyToMultikey(publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seed }));
  return ed25519Signer(`did:key:${mk}#${mk}`, seed);
}

/** `n` simulated devices anchored on `m`, downloading over real HTTP through `images` (default httpImageSource). */
async function makeFleet(m: Manufacturer, n: number, images: (i: number) => ImageSource = () => httpImageSource()): Promise<Map<string, FleetDevice>> {
  const fleet = new Map<string, FleetDevice>();
  for (let i = 0; i < n; i++) {
    const signer = deviceSigner(i);
    const sim = await SimulatedDevice.manufacture(m, { config: { reportSigner: signer } });
    sim.useImageSource(images(i));
    const did = signer.verificationMethod.split('#')[0];
    fleet.set(did, { did, signer, sim });
  }
  return fleet;
}

/** The manufacturer's signer for key `i` of the testbed manufacturer (kid = its DID URL). */
function mfrSigner(m: Manufacturer, i: number): ReleaseSigner {
  return { kid: m.kid(i), alg: 'EdDSA', sign: async (b) => Manufacturer.key(i).sign(b) };
}

interface Svc {
  app: FastifyInstance;
  base: string;
  service: ReleaseService;
  dir: string;
  imagesDir: string;
  announced: { devices: string[]; release: AnnouncedRelease }[];
  /** Batches already driven. */
  handled: number;
  /** Requests for /images: path, Range header, status. */
  imageRequests: { url: string; range?: string; status?: number }[];
  faultAt?: PublishStep;
  fleet: Map<string, FleetDevice>;
}

async function startService(m: Manufacturer, fleet: Map<string, FleetDevice>, o: Partial<ReleaseServiceOptions> & { authorize?: boolean } = {}): Promise<Svc> {
  const dir = mkdtempSync(join(tmpdir(), 'ssiot-releases-'));
  const db = new Database(join(dir, 'service.db'));
  const imagesDir = join(dir, 'images');
  // a download that just ended may still count as active server-side when close() looks for idle
  // sockets; the test does not wait out the keep-alive timeout for it
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const svc = { announced: [], handled: 0, imageRequests: [], fleet, dir, imagesDir } as unknown as Svc;
  const options: ReleaseServiceOptions = {
    db,
    imagesDir,
    signer: mfrSigner(m, 0),
    didLog: () => m.log,
    devices: { list: (c) => (c === 'grinder' ? [...fleet.keys()] : []) },
    announce: (devices, release) => void svc.announced.push({ devices: [...devices], release }),
    classes: { grinder: { vendorId: VENDOR_ID, classId: CLASS_ID }, kettle: { vendorId: VENDOR_ID, classId: '11111111-2222-5333-8444-555555555555' } },
    verifyDidLog: undefined,
    faults: (step) => {
      if (svc.faultAt === step) throw new Error(`simulated crash at ${step}`);
    },
    ...o,
  };
  const service = new ReleaseService(options);
  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/images/')) svc.imageRequests.push({ url: req.url, range: req.headers.range, status: reply.statusCode });
  });
  const authorize = o.authorize
    ? async (req: { headers: Record<string, unknown> }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
        if (req.headers['x-staff'] !== 'yes') return reply.code(403).send({ error: { code: 'release.forbidden', message: 'staff only' } });
      }
    : undefined;
  await app.register(releasesPlugin, { ...options, service, ...(authorize ? { authorize: authorize as never } : {}) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  svc.app = app;
  svc.service = service;
  svc.base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  cleanups.push(() => app.close());
  return svc;
}

const STAFF = { 'x-staff': 'yes' };

async function api(svc: Svc, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(svc.base + path, {
    method,
    headers: { ...STAFF, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function upload(svc: Svc, query: string, image: Uint8Array | string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${svc.base}/api/releases?${query}`, { method: 'POST', headers: { ...STAFF, 'content-type': 'application/octet-stream', ...headers }, body: image as BodyInit });
  return { status: res.status, body: await res.json() };
}

/** Uploads and publishes an image for the grinder class. */
async function published(svc: Svc, version: string, image: Uint8Array): Promise<any> {
  const up = await upload(svc, `class=grinder&version=${version}`, image);
  expect(up.status).toBe(201);
  const pub = await api(svc, 'POST', `/api/releases/${up.body.id}/publish`);
  expect(pub.status).toBe(200);
  return pub.body;
}

/** What a device does with an announcement: verify, download, reboot, self-test; returns the reports it sent. */
async function runDevice(d: FleetDevice, announcement: ReleaseAnnouncementJson): Promise<string[]> {
  const before = d.sim.reports.length;
  const outcome = await d.sim.updater.handleAnnouncement(parseAnnouncement(announcement));
  expect(outcome.status).toBe('rebooting');
  for (let i = 0; i < 3 && d.sim.rebootRequested; i++) await d.sim.restart();
  return d.sim.reports.slice(before);
}

async function postReport(svc: Svc, jws: string): Promise<{ status: number; body: any }> {
  return api(svc, 'POST', '/api/reports', { report: jws }, { 'x-staff': 'no' });
}

/** Delivers every queued announcement to its devices and posts their reports (which may queue more). */
async function drive(svc: Svc): Promise<void> {
  while (svc.handled < svc.announced.length) {
    const batch = svc.announced[svc.handled++];
    for (const did of batch.devices) {
      const dev = svc.fleet.get(did);
      expect(dev).toBeDefined();
      for (const jws of await runDevice(dev!, batch.release.announcement)) expect((await postReport(svc, jws)).status).toBe(202);
    }
  }
}

/** GET `url` and read the body (an unread body keeps the client's socket busy). */
async function statusOf(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

function reportCount(svc: Svc): number {
  return (svc.service.releases.db.prepare('SELECT COUNT(*) AS n FROM release_reports').get() as { n: number }).n;
}

/** An image source that cuts the first download after `cutAt` bytes (a dropped connection); the updater resumes with Range. */
function dropsOnce(inner: ImageSource, cutAt: number): ImageSource {
  let cut = false;
  return {
    async *read(uri, offset) {
      let at = offset;
      for await (const c of inner.read(uri, offset)) {
        if (!cut && at + c.length > cutAt) {
          cut = true;
          yield c.subarray(0, cutAt - at);
          throw new Error('connection dropped');
        }
        at += c.length;
        yield c;
      }
    },
  };
}

// ---------------------------------------------------------------- service tests

describe('manufacturer releases service (real sockets)', () => {
  it('upload -> sign -> publish -> staged rollout -> every device installs over HTTP (Range on resume) -> completed', async () => {
    const m = await Manufacturer.create();
    const fleet = await makeFleet(m, 12, (i) => (i === 0 ? dropsOnce(httpImageSource(), 9000) : httpImageSource()));
    const svc = await startService(m, fleet);
    const image = makeImage(20_000, 7);

    const up = await upload(svc, 'class=grinder&version=2.0.0', image);
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ state: 'draft', deviceClass: 'grinder', version: '2.0.0', image: { sha256: sha256Hex(image), size: image.length } });
    const id = up.body.id as string;
    // a draft's image is not downloadable
    expect(await statusOf(`${svc.base}/images/${up.body.image.file}`)).toBe(404);

    const signed = await api(svc, 'POST', `/api/releases/${id}/sign`);
    expect(signed.status).toBe(200);
    expect(signed.body).toMatchObject({ state: 'signed', kid: m.kid(0), image: { uri: `${svc.base}/images/${id}.bin` } });
    expect(await statusOf(`${svc.base}/images/${id}.suit`)).toBe(404);

    const pub = await api(svc, 'POST', `/api/releases/${id}/publish`);
    expect(pub.body.state).toBe('published');
    const suit = new Uint8Array(await (await fetch(`${svc.base}/images/${id}.suit`)).arrayBuffer());
    const env = decodeEnvelope(suit);
    expect(env.manifest.sequenceNumber).toBe(up.body.sequence);
    expect((await api(svc, 'GET', `/api/releases/${id}`)).body.state).toBe('published');
    expect((await api(svc, 'GET', '/api/releases?state=published')).body.releases.map((r: { id: string }) => r.id)).toEqual([id]);

    const ro = await api(svc, 'POST', '/api/rollouts', { releaseId: id, successThreshold: 1 });
    expect(ro.status).toBe(201);
    expect(ro.body.state).toBe('running');
    // 12 devices, stages 1/10/50/100 % (cumulative, rounded up): 1, 1, 4, 6 devices
    expect(ro.body.stages.map((s: { devices: number }) => s.devices)).toEqual([1, 1, 4, 6]);
    expect(ro.body.stages[0]).toMatchObject({ installing: 1, pending: 0 });
    expect(ro.body.stages[3]).toMatchObject({ pending: 6, installing: 0 });
    expect(svc.announced).toHaveLength(1);
    expect(base64urlDecode(svc.announced[0].release.announcement.envelope)).toEqual(suit);
    // the first stage is a stable subset: the same rank order the module computes
    expect(svc.announced[0].devices).toEqual(assignStages(ro.body.id, [...fleet.keys()], [1, 10, 50, 100]).filter((a) => a.stage === 0).map((a) => a.did));

    await drive(svc);
    const done = await api(svc, 'GET', `/api/rollouts/${ro.body.id}`);
    expect(done.body.state).toBe('completed');
    expect(done.body.totals).toEqual({ devices: 12, pending: 0, installing: 0, installed: 12, failed: 0 });
    expect(svc.announced.map((a) => a.devices.length)).toEqual([1, 1, 4, 6]);
    for (const d of fleet.values()) {
      expect(d.sim.runningDigest()).toBe(sha256Hex(image));
      expect(await d.sim.installedSequence()).toBe(up.body.sequence);
    }
    const reports = await api(svc, 'GET', `/api/rollouts/${ro.body.id}/reports`);
    expect(reports.body.reports).toHaveLength(12);
    expect(new Set(reports.body.reports.map((r: { device: string }) => r.device))).toEqual(new Set(fleet.keys()));
    // the dropped download resumed with Range against GET /images and got 206
    const resumed = svc.imageRequests.filter((r) => r.range !== undefined);
    expect(resumed).toHaveLength(1);
    expect(resumed[0].status).toBe(206);
    expect(Number(/^bytes=(\d+)-$/.exec(resumed[0].range!)![1])).toBeGreaterThan(0);
    // a finished rollout frees the class for the next one
    expect((await api(svc, 'GET', '/api/rollouts?state=completed')).body.rollouts).toHaveLength(1);
  }, 60_000);

  it('GET /images answers Range like RFC 9110 and as the device image source expects', async () => {
    const m = await Manufacturer.create();
    const svc = await startService(m, new Map());
    const image = makeImage(10_000, 3);
    const rel = await published(svc, '1.0.0', image);
    const url = `${svc.base}/images/${rel.image.file}`;
    const get = (range?: string, extra: Record<string, string> = {}) => fetch(url, { headers: { ...(range ? { range } : {}), ...extra } });

    let res = await get('bytes=100-199');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(image.subarray(100, 200));
    res = await get('bytes=-50');
    expect(res.status).toBe(206);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(image.subarray(9950));
    res = await get('bytes=9990-20000');
    expect(res.headers.get('content-range')).toBe('bytes 9990-9999/10000');
    expect((await res.arrayBuffer()).byteLength).toBe(10);
    res = await get('bytes=10000-');
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */10000');
    expect((await res.json()).error.code).toBe('release.range_not_satisfiable');
    // an invalid range is ignored (200, whole file); so is a Range under a stale If-Range
    res = await get('bytes=5-2');
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(image);
    res = await get('bytes=0-9', { 'if-range': '"not-the-etag"' });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    res = await get('bytes=0-9', { 'if-range': `"${sha256Hex(image)}"` });
    expect(res.status).toBe(206);
    await res.arrayBuffer();
    res = await fetch(url, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('10000');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(await statusOf(`${svc.base}/images/rel_${'0'.repeat(32)}.bin`)).toBe(404);
    expect(await statusOf(`${svc.base}/images/..%2Fservice.db`)).toBe(404);

    // the device side (hosts/node/http-images.ts): a read from an offset is a Range request; at the end, an empty stream
    const src = httpImageSource();
    const parts: Uint8Array[] = [];
    for await (const c of src.read(url, 4321)) parts.push(c);
    expect(sha256Hex(new Uint8Array(Buffer.concat(parts)))).toBe(sha256Hex(image.subarray(4321)));
    let n = 0;
    for await (const c of src.read(url, image.length)) n += c.length;
    expect(n).toBe(0);

    // withdrawn: no longer served (410)
    expect((await api(svc, 'POST', `/api/releases/${rel.id}/withdraw`)).body.state).toBe('withdrawn');
    res = await get();
    expect(res.status).toBe(410);
    expect((await res.json()).error.code).toBe('release.withdrawn');
  });

  it('a rollout pauses on its error threshold (devices revert after a failed self-test) and stays paused', async () => {
    const m = await Manufacturer.create();
    const fleet = await makeFleet(m, 8);
    const svc = await startService(m, fleet);
    const bad = await published(svc, '3.0.0-bad', makeImage(6000, 9, SELF_TEST_FAIL));
    const ro = await api(svc, 'POST', '/api/rollouts', { releaseId: bad.id, stages: [25, 100], successThreshold: 1, errorThreshold: 0.5 });
    expect(ro.body.stages.map((s: { devices: number }) => s.devices)).toEqual([2, 6]);
    expect(svc.announced[0].devices).toHaveLength(2);

    // the first device reverts: 1 of 2 failed reaches 0.5 -> paused by the threshold
    const [first, second] = svc.announced[0].devices.map((d) => fleet.get(d)!);
    const [report1] = await runDevice(first, svc.announced[0].release.announcement);
    const r1 = await postReport(svc, report1);
    expect(r1.status).toBe(202);
    expect(r1.body).toMatchObject({ status: 'failed', rolloutState: 'paused' });
    let p = (await api(svc, 'GET', `/api/rollouts/${ro.body.id}`)).body;
    expect(p).toMatchObject({ state: 'paused', pausedReason: 'error_threshold', currentStage: 0 });
    expect(p.actions).toEqual(['resume', 'abort']);
    // reports still come in while paused; nothing advances
    const [report2] = await runDevice(second, svc.announced[0].release.announcement);
    expect((await postReport(svc, report2)).body.rolloutState).toBe('paused');
    p = (await api(svc, 'GET', `/api/rollouts/${ro.body.id}`)).body;
    expect(p.stages[0]).toMatchObject({ devices: 2, failed: 2, installed: 0 });
    expect(p.stages[1]).toMatchObject({ devices: 6, pending: 6 });
    expect(svc.announced).toHaveLength(1);
    const recorded = (await api(svc, 'GET', `/api/rollouts/${ro.body.id}/reports`)).body.reports;
    expect(recorded.map((r: { status: string; reason: string }) => [r.status, r.reason])).toEqual([
      ['reverted', 'self_test_failed'],
      ['reverted', 'self_test_failed'],
    ]);
    // the devices went back to the factory image
    expect(first.sim.runningDigest()).toBe(first.sim.factoryDigest);

    // staff resume: the failures are acknowledged, the stage still lacks successes, nothing is announced
    p = (await api(svc, 'POST', `/api/rollouts/${ro.body.id}/resume`)).body;
    expect(p).toMatchObject({ state: 'running', pausedReason: null });
    expect(svc.announced).toHaveLength(1);
    p = (await api(svc, 'POST', `/api/rollouts/${ro.body.id}/abort`)).body;
    expect(p.state).toBe('aborted');
    expect(p.actions).toEqual([]);
  }, 60_000);

  it('pause, resume and abort by staff; one active rollout per class; draft rollouts start on demand', async () => {
    const m = await Manufacturer.create();
    const fleet = await makeFleet(m, 6);
    const svc = await startService(m, fleet);
    const rel = await published(svc, '4.0.0', makeImage(5000, 4));
    const ro = (await api(svc, 'POST', '/api/rollouts', { releaseId: rel.id, stages: [50, 100], successThreshold: 1, start: false })).body;
    expect(ro.state).toBe('draft');
    expect(ro.actions).toEqual(['start', 'abort']);
    expect(svc.announced).toHaveLength(0);
    const again = await api(svc, 'POST', '/api/rollouts', { releaseId: rel.id });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('release.rollout_active');
    expect((await api(svc, 'POST', `/api/rollouts/${ro.id}/resume`)).body.error.code).toBe('release.invalid_transition');

    expect((await api(svc, 'POST', `/api/rollouts/${ro.id}/start`)).body.state).toBe('running');
    expect(svc.announced[0].devices).toHaveLength(3);
    const paused = await api(svc, 'POST', `/api/rollouts/${ro.id}/pause`);
    expect(paused.body).toMatchObject({ state: 'paused', pausedReason: 'staff' });
    // the stage's devices install and report while paused: recorded, no advance
    await drive(svc);
    let p = (await api(svc, 'GET', `/api/rollouts/${ro.id}`)).body;
    expect(p.state).toBe('paused');
    expect(p.stages[0]).toMatchObject({ installed: 3 });
    expect(p.stages[1]).toMatchObject({ pending: 3 });
    expect(svc.announced).toHaveLength(1);
    // resume: the stage already succeeded -> the next stage is announced at once
    p = (await api(svc, 'POST', `/api/rollouts/${ro.id}/resume`)).body;
    expect(p).toMatchObject({ state: 'running', currentStage: 1 });
    expect(svc.announced).toHaveLength(2);
    p = (await api(svc, 'POST', `/api/rollouts/${ro.id}/abort`)).body;
    expect(p.state).toBe('aborted');
    for (const action of ['pause', 'resume', 'abort', 'start']) {
      const r = await api(svc, 'POST', `/api/rollouts/${ro.id}/${action}`);
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('release.invalid_transition');
    }
    // devices that already had the announcement still report; the rollout stays aborted
    await drive(svc);
    p = (await api(svc, 'GET', `/api/rollouts/${ro.id}`)).body;
    expect(p.state).toBe('aborted');
    expect(p.totals.installed).toBe(6);
    // an aborted rollout frees the class
    expect((await api(svc, 'POST', '/api/rollouts', { releaseId: rel.id, start: false })).status).toBe(201);
  }, 60_000);

  it('malformed uploads, oversized bodies and unknown ids: typed errors, nothing stored', async () => {
    const m = await Manufacturer.create();
    const svc = await startService(m, new Map(), { maxImageBytes: 4096 });
    const ok = await upload(svc, 'class=grinder&version=1.0.0&sequence=100', makeImage(1000, 1));
    expect(ok.status).toBe(201);
    const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
      ['no version', () => upload(svc, 'class=grinder', makeImage(10, 1)), 400, 'release.invalid_request'],
      ['negative sequence', () => upload(svc, 'class=grinder&version=2&sequence=-1', makeImage(10, 1)), 400, 'release.invalid_request'],
      ['unknown class', () => upload(svc, 'class=toaster&version=2', makeImage(10, 1)), 400, 'release.unknown_class'],
      ['bad version', () => upload(svc, `class=grinder&version=${encodeURIComponent('../etc')}`, makeImage(10, 1)), 400, 'release.invalid_version'],
      ['JSON body', () => upload(svc, 'class=grinder&version=2', '{"a":1}', { 'content-type': 'application/json' }), 415, 'release.unsupported_media_type'],
      ['unparsed media type', () => upload(svc, 'class=grinder&version=2', 'abc', { 'content-type': 'image/png' }), 415, 'release.unsupported_media_type'],
      ['text body', () => upload(svc, 'class=grinder&version=2', 'abc', { 'content-type': 'text/plain' }), 415, 'release.unsupported_media_type'],
      ['empty body', () => upload(svc, 'class=grinder&version=2', new Uint8Array(0)), 400, 'release.empty_image'],
      ['declared too large', () => upload(svc, 'class=grinder&version=2', makeImage(5000, 1)), 413, 'release.too_large'],
      [
        'streamed too large (no Content-Length)',
        () => {
          const chunks = [makeImage(3000, 1), makeImage(3000, 2)];
          const body = new ReadableStream<Uint8Array>({ pull: (c) => (chunks.length ? c.enqueue(chunks.shift()!) : c.close()) });
          return fetch(`${svc.base}/api/releases?class=grinder&version=2`, {
            method: 'POST',
            headers: { ...STAFF, 'content-type': 'application/octet-stream' },
            body,
            duplex: 'half',
          } as RequestInit).then(async (r) => ({ status: r.status, body: await r.json() }));
        },
        413,
        'release.too_large',
      ],
      ['duplicate version', () => upload(svc, 'class=grinder&version=1.0.0', makeImage(10, 1)), 409, 'release.duplicate_version'],
      ['sequence going back', () => upload(svc, 'class=grinder&version=0.9&sequence=100', makeImage(10, 1)), 409, 'release.sequence_not_increasing'],
    ];
    for (const [name, run, status, code] of cases) {
      const r = await run();
      expect([name, r.status, r.body.error?.code]).toEqual([name, status, code]);
    }
    // a client that goes away mid-upload: the temp file it was streaming into is removed
    const abort = new AbortController();
    const hanging = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(makeImage(1000, 5)) });
    const pending = fetch(`${svc.base}/api/releases?class=grinder&version=3`, {
      method: 'POST',
      headers: { ...STAFF, 'content-type': 'application/octet-stream' },
      body: hanging,
      duplex: 'half',
      signal: abort.signal,
    } as RequestInit).catch((e: unknown) => e);
    const temps = () => readdirSync(svc.imagesDir).filter((f) => f.endsWith('.tmp'));
    for (let i = 0; i < 200 && temps().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(temps()).toHaveLength(1);
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    for (let i = 0; i < 200 && temps().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(temps()).toEqual([]);

    // nothing stored: one release, one file, no temp files
    expect((await api(svc, 'GET', '/api/releases')).body.releases).toHaveLength(1);
    expect(readdirSync(svc.imagesDir)).toEqual([ok.body.image.file]);

    const unknown: [string, string, unknown, number, string][] = [
      ['GET', '/api/releases/rel_nope', undefined, 404, 'release.not_found'],
      ['POST', '/api/releases/rel_nope/publish', undefined, 404, 'release.not_found'],
      ['POST', '/api/rollouts', { releaseId: 'rel_nope' }, 404, 'release.not_found'],
      ['POST', '/api/rollouts', { releaseId: ok.body.id }, 409, 'release.not_published'],
      ['POST', '/api/rollouts', { releaseId: ok.body.id, successThreshold: 2 }, 400, 'release.invalid_request'],
      ['POST', '/api/rollouts', {}, 400, 'release.invalid_request'],
      ['GET', '/api/rollouts/ro_nope', undefined, 404, 'release.rollout_not_found'],
      ['POST', '/api/rollouts/ro_nope/pause', undefined, 404, 'release.rollout_not_found'],
      ['POST', `/api/releases/${ok.body.id}/withdraw`, undefined, 409, 'release.invalid_state'],
    ];
    for (const [method, path, body, status, code] of unknown) {
      const r = await api(svc, method, path, body);
      expect([method, path, r.status, r.body.error.code]).toEqual([method, path, status, code]);
    }
    await api(svc, 'POST', `/api/releases/${ok.body.id}/publish`);
    const badStages = await api(svc, 'POST', '/api/rollouts', { releaseId: ok.body.id, stages: [50, 40] });
    expect([badStages.status, badStages.body.error.code]).toEqual([400, 'release.invalid_stages']);
    expect((await api(svc, 'GET', '/api/rollouts')).body.rollouts).toHaveLength(0);
  });

  it('status reports: unknown device, unknown release, forged, replayed or stale reports are refused and nothing is stored', async () => {
    const m = await Manufacturer.create();
    const fleet = await makeFleet(m, 2);
    const svc = await startService(m, fleet);
    const image = makeImage(4000, 11);
    const rel = await published(svc, '5.0.0', image);
    const ro = (await api(svc, 'POST', '/api/rollouts', { releaseId: rel.id, stages: [100], successThreshold: 1 })).body;
    const [devA] = [...fleet.values()];
    const [good] = await runDevice(devA, svc.announced[0].release.announcement);
    const body = { status: 'installed' as const, sequence: rel.sequence, digest: sha256Hex(image), running: { slot: 'b', sequence: rel.sequence } };

    const stranger = deviceSigner(99, 'stranger');
    const fromStranger = await signStatusReport(body, { signer: stranger, to: m.did, now: Date.now() });
    const unknownRelease = await signStatusReport({ ...body, sequence: rel.sequence + 5 }, { signer: devA.signer, to: m.did, now: Date.now() });
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${Buffer.from(new Uint8Array(64)).toString('base64url')}`;
    const cases: [string, string, number, string][] = [
      ['not in the rollout', fromStranger, 404, 'release.device_not_in_rollout'],
      ['unknown release', unknownRelease, 404, 'release.unknown_release'],
      ['garbage', 'a.b.c', 400, 'firmware.invalid_report'],
      ['forged signature', forged, 400, 'firmware.bad_signature'],
    ];
    for (const [name, jws, status, code] of cases) {
      const r = await postReport(svc, jws);
      expect([name, r.status, r.body.error.code]).toEqual([name, status, code]);
    }
    expect(reportCount(svc)).toBe(0);
    const bad = await api(svc, 'POST', '/api/reports', { jws: 'a.b.c' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'release.invalid_request']);

    // the real report counts once; the same report again is a replay
    expect((await postReport(svc, good)).body).toMatchObject({ status: 'installed', device: devA.did, rolloutId: ro.id });
    const replay = await postReport(svc, good);
    expect([replay.status, replay.body.error.code]).toEqual([409, 'release.replayed_report']);
    // an older report about the same release (created before the recorded one) cannot undo it
    const older = await signStatusReport({ ...body, status: 'failed', reason: 'x' }, { signer: devA.signer, to: m.did, now: devA.sim.clock - 3_600_000 });
    expect((await postReport(svc, older)).body.error.code).toBe('release.replayed_report');
    expect(reportCount(svc)).toBe(1);
    expect((await api(svc, 'GET', `/api/rollouts/${ro.id}`)).body.stages[0]).toMatchObject({ installed: 1, installing: 1 });

    // the DIDComm side calls the same function; a later, newer release makes reports about the older one stale
    const [devB] = [...fleet.values()].slice(1);
    const [goodB] = await runDevice(devB, svc.announced[0].release.announcement);
    expect((await svc.service.receiveReport(goodB)).rolloutState).toBe('completed');
    const image2 = makeImage(4000, 12);
    const rel2 = await published(svc, '5.1.0', image2);
    svc.handled = svc.announced.length;
    await api(svc, 'POST', '/api/rollouts', { releaseId: rel2.id, stages: [100], successThreshold: 1 });
    await drive(svc);
    const stale = await signStatusReport({ ...body, status: 'failed', reason: 'late' }, { signer: devA.signer, to: m.did, now: Date.now() + 60_000 });
    const before = reportCount(svc);
    expect((await postReport(svc, stale)).body.error.code).toBe('release.replayed_report');
    expect(reportCount(svc)).toBe(before);
  }, 60_000);

  it('a crash at any step of signing or publishing leaves nothing half-published, and a retry publishes', async () => {
    const m = await Manufacturer.create();
    const svc = await startService(m, await makeFleet(m, 1));
    const leftovers: string[] = [];
    for (const [i, step] of PUBLISH_STEPS.entries()) {
      const image = makeImage(3000, 100 + i);
      const up = (await upload(svc, `class=grinder&version=7.${i}`, image)).body;
      svc.faultAt = step;
      const crashed = await api(svc, 'POST', `/api/releases/${up.id}/publish`);
      expect([step, crashed.status, crashed.body.error.code]).toEqual([step, 500, 'internal']);
      const now = (await api(svc, 'GET', `/api/releases/${up.id}`)).body;
      // the state before the step that crashed, never published
      expect([step, now.state]).toEqual([step, step.startsWith('sign.') ? 'draft' : 'signed']);
      expect(now.publishedAt).toBeNull();
      expect(await statusOf(`${svc.base}/images/${up.image.file}`)).toBe(404);
      expect(await statusOf(`${svc.base}/images/${up.id}.suit`)).toBe(404);
      const ro = await api(svc, 'POST', '/api/rollouts', { releaseId: up.id });
      expect([step, ro.body.error.code]).toEqual([step, 'release.not_published']);
      expect(svc.announced).toHaveLength(0);
      expect(readdirSync(svc.imagesDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      if (step === 'sign.commit' || step === 'sign.commit-event') leftovers.push(`${up.id}.suit`);
      svc.faultAt = undefined;
    }
    // what a crash between a rename and its commit leaves is swept at start; the rest stays
    const swept = await svc.service.sweep();
    expect(swept.sort()).toEqual(leftovers.sort());
    // retry: every release publishes and serves the image it was uploaded with
    for (const r of (await api(svc, 'GET', '/api/releases')).body.releases) {
      const pub = await api(svc, 'POST', `/api/releases/${r.id}/publish`);
      expect(pub.body.state).toBe('published');
      const res = await fetch(`${svc.base}/images/${r.image.file}`);
      expect(sha256Hex(new Uint8Array(await res.arrayBuffer()))).toBe(r.image.sha256);
      expect(decodeEnvelope(new Uint8Array(await (await fetch(`${svc.base}/images/${r.id}.suit`)).arrayBuffer())).manifest.sequenceNumber).toBe(r.sequence);
    }
  }, 60_000);

  it('after a key rotation the old signature is refused at publish; re-signed with the new key, devices accept it', async () => {
    const m = await Manufacturer.create();
    const fleet = await makeFleet(m, 2);
    let key = 0;
    const svc = await startService(m, fleet, { signer: () => mfrSigner(m, key) });
    const image = makeImage(3000, 21);
    const up = (await upload(svc, 'class=grinder&version=8.0.0', image)).body;
    expect((await api(svc, 'POST', `/api/releases/${up.id}/sign`)).body.kid).toBe(m.kid(0));
    await m.rotate(1);
    const refused = await api(svc, 'POST', `/api/releases/${up.id}/publish`);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'release.signer_not_authorized']);
    // signing with a key the DID no longer lists is refused before anything is written
    const stale = await api(svc, 'POST', `/api/releases/${up.id}/sign`);
    expect(stale.body.error.code).toBe('release.signer_not_authorized');
    key = 1;
    expect((await api(svc, 'POST', `/api/releases/${up.id}/sign`)).body.kid).toBe(m.kid(1));
    expect((await api(svc, 'POST', `/api/releases/${up.id}/publish`)).body.state).toBe('published');
    await api(svc, 'POST', '/api/rollouts', { releaseId: up.id, stages: [100], successThreshold: 1 });
    // the announcement carries the new log entry: devices anchored before the rotation move forward and install
    expect(svc.announced[0].release.announcement.log).toHaveLength(2);
    await drive(svc);
    for (const d of fleet.values()) expect(d.sim.runningDigest()).toBe(sha256Hex(image));
  }, 60_000);

  it('staff routes go through authorize; device routes (reports, images) do not', async () => {
    const m = await Manufacturer.create();
    const svc = await startService(m, new Map(), { authorize: true });
    const denied = await upload(svc, 'class=grinder&version=1', makeImage(100, 1), { 'x-staff': 'no' });
    expect([denied.status, denied.body.error.code]).toEqual([403, 'release.forbidden']);
    expect(readdirSync(svc.imagesDir)).toEqual([]);
    for (const [method, path] of [
      ['GET', '/api/releases'],
      ['GET', '/api/rollouts'],
      ['POST', '/api/rollouts/ro_x/pause'],
    ]) {
      expect((await api(svc, method, path, undefined, { 'x-staff': 'no' })).status).toBe(403);
    }
    const rel = await published(svc, '1.0.0', makeImage(100, 2));
    expect(await statusOf(`${svc.base}/images/${rel.image.file}`)).toBe(200);
    expect((await postReport(svc, 'a.b.c')).body.error.code).toBe('firmware.invalid_report');
  });
});

// ---------------------------------------------------------------- unit tests

describe('rollout state machine (data)', () => {
  it('every row of the table applies; every other (state, event) pair is release.invalid_transition', () => {
    for (const t of ROLLOUT_TRANSITIONS) expect(nextRolloutState(t.from, t.on)).toBe(t.to);
    let refused = 0;
    for (const s of ROLLOUT_STATES) {
      for (const e of ROLLOUT_EVENTS) {
        if (ROLLOUT_TRANSITIONS.some((t) => t.from === s && t.on === e)) continue;
        expectCode(() => nextRolloutState(s, e), 'release.invalid_transition');
        refused++;
      }
    }
    expect(refused).toBe(ROLLOUT_STATES.length * ROLLOUT_EVENTS.length - ROLLOUT_TRANSITIONS.length);
    for (const f of ROLLOUT_FINAL) expect(rolloutEventsFrom(f)).toEqual([]);
    expect(rolloutEventsFrom('paused')).toEqual(['resume', 'abort']);
    expect(nextRolloutState('running', 'error_threshold')).toBe('paused');
  });

  it('stage decisions: errors first, success at the threshold, empty stages pass, acknowledged failures do not count again', () => {
    const t = { success: 0.9, error: 0.2 };
    expect(evaluateStage({ devices: 10, installed: 8, failed: 0 }, t)).toBeUndefined();
    expect(evaluateStage({ devices: 10, installed: 9, failed: 0 }, t)).toBe('done');
    expect(evaluateStage({ devices: 10, installed: 5, failed: 1 }, t)).toBeUndefined();
    expect(evaluateStage({ devices: 10, installed: 5, failed: 2 }, t)).toBe('error_threshold');
    expect(evaluateStage({ devices: 10, installed: 9, failed: 1 }, { success: 0.9, error: 0.1 })).toBe('error_threshold');
    expect(evaluateStage({ devices: 0, installed: 0, failed: 0 }, t)).toBe('done');
    expect(evaluateStage({ devices: 10, installed: 5, failed: 2 }, { ...t, acknowledgedFailures: 2 })).toBeUndefined();
    expect(evaluateStage({ devices: 10, installed: 5, failed: 4 }, { ...t, acknowledgedFailures: 2 })).toBe('error_threshold');
  });

  it('stages are deterministic, cumulative, stable subsets per rollout', () => {
    const dids = Array.from({ length: 1000 }, (_, i) => `did:key:z6Mk${i}`);
    const a = assignStages('ro_a', dids, [1, 10, 50, 100]);
    const size = (as: { stage: number }[], s: number) => as.filter((x) => x.stage === s).length;
    expect([0, 1, 2, 3].map((s) => size(a, s))).toEqual([10, 90, 400, 500]);
    // same rollout, shuffled input: same assignment
    const shuffled = assignStages('ro_a', [...dids].reverse(), [1, 10, 50, 100]);
    const byDid = (as: { did: string; stage: number }[]) => new Map(as.map((x) => [x.did, x.stage]));
    expect(byDid(shuffled)).toEqual(byDid(a));
    // another rollout picks another first 1%
    const b = assignStages('ro_b', dids, [1, 10, 50, 100]);
    const firstA = a.filter((x) => x.stage === 0).map((x) => x.did);
    const firstB = new Set(b.filter((x) => x.stage === 0).map((x) => x.did));
    expect(firstA.filter((d) => firstB.has(d)).length).toBeLessThan(10);
    // small fleets: at least one device first; duplicates count once; no devices, no stages filled
    expect(assignStages('ro_c', ['x', 'y', 'x'], [1, 10, 50, 100]).map((s) => s.stage).sort()).toEqual([0, 3]);
    expect(assignStages('ro_c', [], [1, 100])).toEqual([]);
  });

  it('stages are checked: increasing percentages ending at 100', () => {
    expect(checkStages([5, 100])).toEqual([5, 100]);
    for (const bad of [[], [50], [0, 100], [50, 50, 100], [60, 40, 100], [50, 101], [Number.NaN, 100]]) expectCode(() => checkStages(bad), 'release.invalid_stages');
  });

  it('Range headers: single ranges answered, invalid ones ignored, past the end unsatisfiable', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=90-500', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    for (const ignored of ['bytes=9-1', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=abc']) expect(parseRange(ignored, 100)).toEqual({ kind: 'full' });
  });
});
