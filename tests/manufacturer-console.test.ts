/**
 * The manufacturer console (manufacturer/console): staff accounts with
 * Argon2id, sessions (cookie attributes, only the id's hash stored, idle
 * and absolute expiry, sign-out), CSRF on every state-changing staff route
 * of the other plugins, the persisted sign-in rate limit, the page's
 * security headers — over real sockets — and then the whole console in
 * headless Chromium (Debian `chromium`, installed by scripts/chromium.sh,
 * driven by playwright-core): sign in, upload a release with a progress
 * bar, sign, publish, start a staged rollout, watch simulated devices (the
 * real device updater, downloading over HTTP and sending signed status
 * reports) fill the progress bars to completion; the fleet search, the
 * identity's key rotation and the support inbox. Screenshots go to
 * .cache/screenshots/.
 */
import { argon2id } from '@noble/hashes/argon2.js';
import { base64nopad } from '@scure/base';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAnnouncement } from '../device/updater/announcement.ts';
import { CLASS_ID, Manufacturer, sha256Hex, SimulatedDevice, VENDOR_ID } from '../device/updater/testbed.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { httpImageSource } from '../hosts/node/http-images.ts';
import { installCrypto, resetCrypto } from '../protocols/crypto/index.ts';
import { publicKeyFromPrivateKey, publicKeyToMultikey } from '../protocols/did/keys.ts';
import { utf8Encode } from '../protocols/encoding/bytes.ts';
import { ed25519Signer, type Signer } from '../protocols/vc/signer.ts';
import {
  bootstrapAdmin,
  consolePlugin,
  CONTENT_SECURITY_POLICY,
  createStaff,
  hashPassword,
  needsRehash,
  readCookie,
  verifyPassword,
  type Argon2Params,
  type ConsolePluginOptions,
} from '../manufacturer/console/index.ts';
import { identityPlugin, ManufacturerIdentity, staticKeySource } from '../manufacturer/identity/index.ts';
import { releasesPlugin, type AnnouncedRelease, type ReleaseSigner } from '../manufacturer/releases/index.ts';
import { expectCodeAsync } from './support/assert.ts';
import { browserSuite, DESKTOP_CONTEXT, SCREENSHOTS } from './support/browser.ts';

/** Light Argon2id for tests (the service default is 19 MiB, t=2). */
const LIGHT: Argon2Params = { m: 64, t: 1, p: 1 };
const ADMIN = { username: 'alice', password: 'correct horse battery staple' };

beforeAll(() => installCrypto(nodeCrypto));
afterAll(() => resetCrypto());

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// ---------------------------------------------------------------- fixtures

function tempDb(): { db: Database.Database; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ssiot-console-'));
  const db = new Database(join(dir, 'service.db'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  return { db, dir };
}

/** What the lead's devices route answers (GET /api/devices?q=&limit=&offset=): served here until it exists. */
interface DeviceRow {
  did: string;
  model: string;
  serial: string;
  classId: string;
  vendorId: string;
  hardwareRevision: string;
  firmware?: { version: string; sequence: number };
  lastStatus?: string;
  lastSeen?: string;
  provisionedAt: string;
}

interface Thread {
  id: string;
  device: string;
  subject: string;
  status: 'open' | 'closed';
  messages: { from: 'owner' | 'manufacturer'; text: string; time: number }[];
}

/** Stub of the lead's devices and support routes (same shapes), behind staffOnly like the real ones. */
async function stubRoutes(app: FastifyInstance, opts: { devices: DeviceRow[]; threads: Thread[] }): Promise<void> {
  app.get<{ Querystring: { q?: string; limit?: number; offset?: number } }>(
    '/api/devices',
    {
      preHandler: app.staffOnly,
      schema: { querystring: { type: 'object', properties: { q: { type: 'string' }, limit: { type: 'integer' }, offset: { type: 'integer' } } } },
    },
    async (req) => {
      const q = (req.query.q ?? '').toLowerCase();
      const hits = opts.devices.filter((d) => !q || [d.did, d.model, d.serial, d.classId].some((f) => f.toLowerCase().includes(q)));
      const offset = req.query.offset ?? 0;
      return { devices: hits.slice(offset, offset + (req.query.limit ?? 50)), total: hits.length };
    },
  );
  app.get('/api/support/threads', { preHandler: app.staffOnly }, async () => ({ threads: opts.threads }));
  app.post<{ Params: { id: string }; Body: { text: string } }>(
    '/api/support/threads/:id/reply',
    { preHandler: app.staffOnly, schema: { body: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1 } } } } },
    async (req, reply) => {
      const t = opts.threads.find((x) => x.id === req.params.id);
      if (!t) return reply.code(404).send({ error: { code: 'support.not_found', message: 'no such thread' } });
      t.messages.push({ from: 'manufacturer', text: req.body.text, time: Date.now() });
      return reply.code(204).send();
    },
  );
}

interface FleetDevice {
  did: string;
  sim: SimulatedDevice;
}

function deviceSigner(i: number): Signer {
  const seed = nodeCrypto.sha256!(utf8Encode(`console-device-${i}`));
  const mk = publicKeyToMultikey(publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seed }));
  return ed25519Signer(`did:key:${mk}#${mk}`, seed);
}

/** One master key per database: a restarted service opens the same wallet. */
const masterKeys = new WeakMap<Database.Database, Uint8Array>();

interface Service {
  app: FastifyInstance;
  base: string;
  db: Database.Database;
  identity: ManufacturerIdentity;
  announced: { devices: string[]; release: AnnouncedRelease }[];
  fleet: Map<string, FleetDevice>;
  devices: DeviceRow[];
  threads: Thread[];
}

/**
 * The service as the lead wires it: console (staffOnly), identity and
 * releases behind it, the devices/support stubs. `host` is where it listens.
 */
async function startService(
  o: { fleetSize?: number; host?: string; console?: Partial<ConsolePluginOptions>; db?: Database.Database } = {},
): Promise<Service> {
  const { db, dir } = o.db ? { db: o.db, dir: mkdtempSync(join(tmpdir(), 'ssiot-console-')) } : tempDb();
  if (o.db) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const m = await Manufacturer.create();
  const fleet = new Map<string, FleetDevice>();
  for (let i = 0; i < (o.fleetSize ?? 0); i++) {
    const signer = deviceSigner(i);
    const sim = await SimulatedDevice.manufacture(m, { capacity: 1024 * 1024, config: { reportSigner: signer } });
    sim.useImageSource(httpImageSource());
    const did = signer.verificationMethod.split('#')[0];
    fleet.set(did, { did, sim });
  }
  if (!masterKeys.has(db)) masterKeys.set(db, new Uint8Array(randomBytes(32)));
  const identity = await ManufacturerIdentity.open({ db, keySource: staticKeySource(masterKeys.get(db)!, 'test key'), domain: 'mfr.example' });
  const signer: ReleaseSigner = { kid: m.kid(0), alg: 'EdDSA', sign: async (b) => Manufacturer.key(0).sign(b) };
  const svc = { announced: [], fleet, db, identity } as unknown as Service;
  const app = Fastify({ logger: false });
  await app.register(consolePlugin, { db, argon2: LIGHT, ...o.console });
  await app.register(identityPlugin, { identity, authorize: app.staffOnly });
  await app.register(releasesPlugin, {
    db,
    imagesDir: join(dir, 'images'),
    signer,
    didLog: () => m.log,
    devices: { list: (c) => (c === 'grinder' ? [...fleet.keys()] : []) },
    announce: (devices, release) => void svc.announced.push({ devices: [...devices], release }),
    classes: { grinder: { vendorId: VENDOR_ID, classId: CLASS_ID } },
    authorize: app.staffOnly,
  });
  svc.devices = [
    ...[...fleet.keys()].map((did, i) => ({
      did,
      model: 'Grinder G1',
      serial: `G1-${String(i).padStart(4, '0')}`,
      classId: CLASS_ID,
      vendorId: VENDOR_ID,
      hardwareRevision: 'rev-b',
      firmware: { version: '1.0.0', sequence: 1 },
      lastStatus: 'installed',
      lastSeen: new Date().toISOString(),
      provisionedAt: '2026-01-05T10:00:00.000Z',
    })),
    { did: 'did:key:z6MkKettle1', model: 'Kettle K2', serial: 'K2-0001', classId: '11111111-2222-5333-8444-555555555555', vendorId: VENDOR_ID, hardwareRevision: 'rev-a', provisionedAt: '2026-02-01T08:00:00.000Z' },
    // data that would be markup if the page used innerHTML
    { did: 'did:key:z6MkKettle2', model: '<img src=x id=injected>', serial: 'K2-0002', classId: '11111111-2222-5333-8444-555555555555', vendorId: VENDOR_ID, hardwareRevision: 'rev-a', provisionedAt: '2026-02-01T08:00:00.000Z' },
  ];
  svc.threads = [
    {
      id: 'th_1',
      device: 'did:key:z6MkKettle1',
      subject: 'Kettle does not heat <b>at all</b>',
      status: 'open',
      messages: [{ from: 'owner', text: 'Since yesterday it stays cold. <script>alert(1)</script>', time: Date.UTC(2026, 5, 1, 9, 30) }],
    },
    { id: 'th_2', device: 'did:key:z6MkKettle2', subject: 'Descaling', status: 'closed', messages: [{ from: 'owner', text: 'How often?', time: Date.UTC(2026, 4, 1) }] },
  ];
  await app.register(stubRoutes, { devices: svc.devices, threads: svc.threads });
  await app.listen({ host: o.host ?? '127.0.0.1', port: 0 });
  svc.app = app;
  svc.base = `http://${o.host ?? '127.0.0.1'}:${(app.server.address() as AddressInfo).port}`;
  cleanups.push(() => app.close());
  return svc;
}

interface Res {
  status: number;
  body: any;
  headers: Headers;
}

async function call(base: string, method: string, path: string, o: { body?: unknown; cookie?: string; csrf?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.body !== undefined) headers['content-type'] ??= 'application/json';
  if (o.cookie) headers.cookie = o.cookie;
  if (o.csrf) headers['x-csrf-token'] = o.csrf;
  const res = await fetch(base + path, { method, headers, body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: the text */
  }
  return { status: res.status, body, headers: res.headers };
}

/** Signs in over HTTP; returns the cookie header value and the CSRF token. */
async function signIn(base: string, creds = ADMIN): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const r = await call(base, 'POST', '/api/session', { body: creds });
  expect(r.status).toBe(200);
  const setCookie = r.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0], csrf: r.body.csrfToken, setCookie };
}

// ---------------------------------------------------------------- accounts and passwords

describe('console: staff accounts and Argon2id passwords', () => {
  it('hashes as an Argon2id PHC string, verifies in constant time, tells when to re-hash', async () => {
    const h = await hashPassword('a long enough passphrase', LIGHT);
    expect(h).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('a long enough passphrase', h)).toBe(true);
    expect(await verifyPassword('a long enough passphrasE', h)).toBe(false);
    // a fresh salt each time
    expect(await hashPassword('a long enough passphrase', LIGHT)).not.toBe(h);
    expect(needsRehash(h, LIGHT)).toBe(false);
    expect(needsRehash(h)).toBe(true);
    // the string says what was computed: its hash is Argon2id(password, its salt, its parameters)
    const [, , , , salt, tag] = h.split('$');
    expect(base64nopad.encode(argon2id('a long enough passphrase', base64nopad.decode(salt), { ...LIGHT, dkLen: 32 }))).toBe(tag);
    const tail = h.slice(h.indexOf('$', '$argon2id$v=19$'.length));
    for (const bad of ['', 'plain', `$argon2i$v=19$m=64,t=1,p=1${tail}`, `$argon2id$v=16$m=64,t=1,p=1${tail}`, `$argon2id$v=19$m=9999999,t=1,p=1${tail}`]) {
      await expectCodeAsync(() => verifyPassword('password', bad), 'console.invalid_argument');
    }
    await expectCodeAsync(() => hashPassword('x', { m: 4, t: 1, p: 1 }), 'console.invalid_argument');
  });

  it('createStaff checks its input; names are unique regardless of case; the first admin comes from the environment once', async () => {
    const { db } = tempDb();
    await expectCodeAsync(() => createStaff(db, { username: 'bob smith', password: ADMIN.password, role: 'operator' }), 'console.invalid_argument');
    await expectCodeAsync(() => createStaff(db, { username: 'bob', password: 'short', role: 'operator' }), 'console.invalid_argument');
    await expectCodeAsync(() => createStaff(db, { username: 'bob', password: ADMIN.password, role: 'root' as never }), 'console.invalid_argument');

    expect(await bootstrapAdmin(db, {}, { argon2: LIGHT })).toEqual({ created: false, reason: 'no_credentials' });
    await expectCodeAsync(() => bootstrapAdmin(db, { SSIOT_ADMIN_USER: 'alice' }, { argon2: LIGHT }), 'console.invalid_argument');
    const boot = await bootstrapAdmin(db, { SSIOT_ADMIN_USER: 'alice', SSIOT_ADMIN_PASSWORD: ADMIN.password }, { argon2: LIGHT });
    expect(boot).toMatchObject({ created: true, staff: { username: 'alice', role: 'admin' } });
    // once staff exists the variables change nothing (no password reset by environment)
    expect(await bootstrapAdmin(db, { SSIOT_ADMIN_USER: 'mallory', SSIOT_ADMIN_PASSWORD: 'another password 123' }, { argon2: LIGHT })).toEqual({ created: false, reason: 'staff_exists' });
    await expectCodeAsync(() => createStaff(db, { username: 'ALICE', password: ADMIN.password, role: 'operator' }, { argon2: LIGHT }), 'console.username_taken');
    const row = db.prepare('SELECT password_hash FROM console_staff WHERE username = ?').get('alice') as { password_hash: string };
    expect(row.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(row.password_hash).not.toContain(ADMIN.password);
  });
});

// ---------------------------------------------------------------- sessions, CSRF, rate limit (HTTP)

describe('console: sessions, CSRF and the sign-in rate limit (real sockets)', () => {
  it('sign-in sets a HttpOnly Secure SameSite=Strict cookie whose id is stored only as a hash; sign-out ends it', async () => {
    const svc = await startService();
    await createStaff(svc.db, { ...ADMIN, role: 'admin' }, { argon2: LIGHT });

    const wrong = await call(svc.base, 'POST', '/api/session', { body: { username: 'alice', password: 'wrong password!' } });
    expect([wrong.status, wrong.body.error.code, wrong.headers.get('set-cookie')]).toEqual([401, 'console.bad_credentials', null]);
    const unknown = await call(svc.base, 'POST', '/api/session', { body: { username: 'nobody', password: 'wrong password!' } });
    expect([unknown.status, unknown.body.error.code]).toEqual([401, 'console.bad_credentials']);
    // only a JSON object is a sign-in (a cross-site form cannot send one)
    const form = await call(svc.base, 'POST', '/api/session', { body: 'username=alice&password=x', headers: { 'content-type': 'text/plain' } });
    expect([form.status, form.body.error.code]).toEqual([400, 'console.invalid_request']);

    const s = await signIn(svc.base);
    const attrs = s.setCookie.split(';').map((a) => a.trim());
    expect(attrs[0]).toMatch(/^ssiot_session=[A-Za-z0-9_-]{43}$/);
    for (const a of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) expect(attrs).toContain(a);
    expect(attrs.some((a) => /^Max-Age=\d+$/.test(a))).toBe(true);
    const id = readCookie(s.cookie)!;
    const rows = svc.db.prepare('SELECT id_hash FROM console_sessions').all() as { id_hash: string }[];
    expect(rows).toEqual([{ id_hash: sha256Hex(utf8Encode(id)) }]);
    expect(JSON.stringify(svc.db.prepare('SELECT * FROM console_sessions').all())).not.toContain(id);

    const me = await call(svc.base, 'GET', '/api/session', { cookie: s.cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'alice', role: 'admin', csrfToken: s.csrf });
    expect(me.headers.get('cache-control')).toBe('no-store');
    expect((await call(svc.base, 'GET', '/api/session')).body.error.code).toBe('console.unauthenticated');
    expect((await call(svc.base, 'GET', '/api/session', { cookie: 'ssiot_session=AAAA' })).status).toBe(401);

    // sign-out needs the token too, then the cookie is dead
    expect((await call(svc.base, 'DELETE', '/api/session', { cookie: s.cookie })).body.error.code).toBe('console.csrf');
    const out = await call(svc.base, 'DELETE', '/api/session', { cookie: s.cookie, csrf: s.csrf });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^ssiot_session=; .*Max-Age=0/);
    const after = await call(svc.base, 'GET', '/api/session', { cookie: s.cookie });
    expect([after.status, after.body.error.code]).toEqual([401, 'console.unauthenticated']);
  });

  it('staffOnly guards the other plugins: 401 without a session, 403 console.csrf on a state change without the token', async () => {
    const svc = await startService();
    await createStaff(svc.db, { ...ADMIN, role: 'admin' }, { argon2: LIGHT });
    const s = await signIn(svc.base);
    const image = new Uint8Array(randomBytes(2048));
    const up = (extra: Record<string, string>) =>
      fetch(`${svc.base}/api/releases?class=grinder&version=1.0.0`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...extra }, body: image });

    const cases: [string, Res, number, string][] = [
      ['releases list, no session', await call(svc.base, 'GET', '/api/releases'), 401, 'console.unauthenticated'],
      ['upload, no session', { status: 0, body: await (await up({})).json(), headers: new Headers() }, 401, 'console.unauthenticated'],
      ['upload, no token', { status: 0, body: await (await up({ cookie: s.cookie })).json(), headers: new Headers() }, 403, 'console.csrf'],
      ['upload, wrong token', { status: 0, body: await (await up({ cookie: s.cookie, 'x-csrf-token': s.csrf.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) })).json(), headers: new Headers() }, 403, 'console.csrf'],
      ['rollout pause, no token', await call(svc.base, 'POST', '/api/rollouts/ro_x/pause', { cookie: s.cookie }), 403, 'console.csrf'],
      ['rotate, no token', await call(svc.base, 'POST', '/api/identity/rotate', { cookie: s.cookie, body: {} }), 403, 'console.csrf'],
      ['support reply, no token', await call(svc.base, 'POST', '/api/support/threads/th_1/reply', { cookie: s.cookie, body: { text: 'hi' } }), 403, 'console.csrf'],
      ['devices, no session', await call(svc.base, 'GET', '/api/devices'), 401, 'console.unauthenticated'],
    ];
    for (const [name, r, status, code] of cases) {
      if (r.status !== 0) expect([name, r.status]).toEqual([name, status]);
      expect([name, r.body.error.code]).toEqual([name, code]);
    }
    expect(svc.db.prepare('SELECT COUNT(*) AS n FROM release_releases').get()).toEqual({ n: 0 });
    expect(svc.identity.history()).toHaveLength(1);

    // with the token: through (and the releases/identity plugins answer)
    const ok = await up({ cookie: s.cookie, 'x-csrf-token': s.csrf });
    expect(ok.status).toBe(201);
    expect((await call(svc.base, 'GET', '/api/releases', { cookie: s.cookie })).body.releases).toHaveLength(1);
    expect((await call(svc.base, 'POST', '/api/rollouts/ro_x/pause', { cookie: s.cookie, csrf: s.csrf })).body.error.code).toBe('release.rollout_not_found');
    const rotated = await call(svc.base, 'POST', '/api/identity/rotate', { cookie: s.cookie, csrf: s.csrf, body: { reason: 'test' } });
    expect([rotated.status, rotated.body.versionNumber]).toEqual([200, 2]);
    // public routes stay public
    expect((await call(svc.base, 'GET', '/api/identity')).status).toBe(200);
    expect((await call(svc.base, 'POST', '/api/reports', { body: { report: 'a.b.c' } })).body.error.code).toBe('firmware.invalid_report');
  });

  it('sessions expire when idle and after the absolute lifetime', async () => {
    let clock = Date.UTC(2026, 10, 1);
    const svc = await startService({ console: { now: () => clock, sessions: { idleMs: 60_000, absoluteMs: 300_000 } } });
    await createStaff(svc.db, { ...ADMIN, role: 'admin' }, { argon2: LIGHT });
    const s = await signIn(svc.base);
    clock += 59_000;
    expect((await call(svc.base, 'GET', '/api/session', { cookie: s.cookie })).status).toBe(200);
    // activity keeps it alive past the first idle minute...
    for (let i = 0; i < 4; i++) {
      clock += 50_000;
      expect([i, (await call(svc.base, 'GET', '/api/session', { cookie: s.cookie })).status]).toEqual([i, 200]);
    }
    // ...but never past the absolute lifetime (5 min after sign-in)
    clock += 50_000;
    const abs = await call(svc.base, 'GET', '/api/session', { cookie: s.cookie });
    expect([abs.status, abs.body.error.code]).toEqual([401, 'console.unauthenticated']);
    expect(abs.headers.get('set-cookie')).toMatch(/Max-Age=0/);

    const s2 = await signIn(svc.base);
    clock += 61_000;
    expect((await call(svc.base, 'GET', '/api/session', { cookie: s2.cookie })).status).toBe(401);
    expect(svc.db.prepare('SELECT COUNT(*) AS n FROM console_sessions').get()).toEqual({ n: 0 });
  });

  it('signing in again replaces the old session (no fixation) and upgrades a hash made with older parameters', async () => {
    const { db } = tempDb();
    await createStaff(db, { ...ADMIN, role: 'admin' }, { argon2: LIGHT });
    const stronger: Argon2Params = { m: 256, t: 2, p: 1 };
    const svc = await startService({ db, console: { argon2: stronger } });
    const first = await signIn(svc.base);
    const again = await call(svc.base, 'POST', '/api/session', { body: ADMIN, cookie: first.cookie });
    expect(again.status).toBe(200);
    const second = (again.headers.get('set-cookie') ?? '').split(';')[0];
    expect(second).not.toBe(first.cookie);
    expect((await call(svc.base, 'GET', '/api/session', { cookie: first.cookie })).status).toBe(401);
    expect((await call(svc.base, 'GET', '/api/session', { cookie: second })).body.username).toBe('alice');
    expect(again.body.csrfToken).not.toBe(first.csrf);
    const hash = (db.prepare('SELECT password_hash FROM console_staff').get() as { password_hash: string }).password_hash;
    expect(hash.startsWith('$argon2id$v=19$m=256,t=2,p=1$')).toBe(true);
    expect(await verifyPassword(ADMIN.password, hash)).toBe(true);
  });

  it('rate-limits failed sign-ins per username and address, persisted across a restart; success clears the count', async () => {
    const { db } = tempDb();
    await createStaff(db, { ...ADMIN, role: 'admin' }, { argon2: LIGHT });
    await createStaff(db, { username: 'bob', password: 'bobs long password', role: 'operator' }, { argon2: LIGHT });
    const limit = { console: { rateLimit: { max: 3, windowMs: 60_000 } }, db };
    let svc = await startService(limit);
    const wrong = { username: 'alice', password: 'not the password' };
    for (let i = 0; i < 3; i++) expect((await call(svc.base, 'POST', '/api/session', { body: wrong })).body.error.code).toBe('console.bad_credentials');
    const limited = await call(svc.base, 'POST', '/api/session', { body: ADMIN });
    expect([limited.status, limited.body.error.code]).toEqual([429, 'console.rate_limited']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // another account from the same address is not affected
    expect((await call(svc.base, 'POST', '/api/session', { body: { username: 'bob', password: 'bobs long password' } })).status).toBe(200);

    // a restart (new plugin instance over the same database) keeps the count
    await svc.app.close();
    svc = await startService(limit);
    expect((await call(svc.base, 'POST', '/api/session', { body: { username: 'ALICE', password: ADMIN.password } })).status).toBe(429);
    db.prepare('UPDATE console_signin_failures SET at = at - 61000').run();
    expect((await call(svc.base, 'POST', '/api/session', { body: wrong })).status).toBe(401);
    expect((await call(svc.base, 'POST', '/api/session', { body: wrong })).status).toBe(401);
    expect((await call(svc.base, 'POST', '/api/session', { body: ADMIN })).status).toBe(200);
    // the success cleared alice's failures: three more wrong tries are allowed again
    for (let i = 0; i < 3; i++) expect((await call(svc.base, 'POST', '/api/session', { body: wrong })).status).toBe(401);
    expect((await call(svc.base, 'POST', '/api/session', { body: wrong })).status).toBe(429);
  });

  it('serves the page with a strict CSP and no inline script; only its own assets', async () => {
    const svc = await startService();
    const page = await call(svc.base, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = page.body as string;
    // every <script> has a src; no inline handlers or styles
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/console/app.js">']);
    expect(html).not.toMatch(/\son[a-z]+=|\sstyle=/);
    const js = await call(svc.base, 'GET', '/console/app.js');
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(js.body as string).not.toContain('innerHTML');
    expect((await call(svc.base, 'GET', '/console/style.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/console/index.ts', '/console/..%2Fplugin.ts', '/console/%2e%2e%2fplugin.ts', '/console/nope.js']) {
      const r = await call(svc.base, 'GET', path);
      expect([path, r.status]).toEqual([path, 404]);
    }
  });
});

// ---------------------------------------------------------------- the browser

browserSuite('console in headless Chromium', 'the console browser test', (browser) => {

  async function newPage(): Promise<Page> {
    const context = await browser().newContext(DESKTOP_CONTEXT);
    cleanups.push(() => context.close());
    const page = await context.newPage();
    // abort/withdraw ask for confirmation
    page.on('dialog', (d) => void d.accept());
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });

  /** Hands each queued announcement to its devices (download over HTTP, install, reboot) and posts their signed reports. */
  async function deliver(svc: Service, batch: { devices: string[]; release: AnnouncedRelease }): Promise<void> {
    for (const did of batch.devices) {
      const d = svc.fleet.get(did)!;
      const before = d.sim.reports.length;
      const outcome = await d.sim.updater.handleAnnouncement(parseAnnouncement(batch.release.announcement));
      expect(outcome.status).toBe('rebooting');
      for (let i = 0; i < 3 && d.sim.rebootRequested; i++) await d.sim.restart();
      for (const jws of d.sim.reports.slice(before)) {
        const r = await call(svc.base, 'POST', '/api/reports', { body: { report: jws } });
        expect(r.status).toBe(202);
      }
    }
  }

  it('signs in (wrong password refused), uploads with a progress bar, signs, publishes, rolls out and watches it complete', async () => {
    const svc = await startService({ fleetSize: 12 });
    await createStaff(svc.db, { ...ADMIN, role: 'admin' }, { argon2: LIGHT });
    const page = await newPage();
    await page.goto(svc.base + '/');
    await page.locator('#sign-in-form').waitFor();

    // wrong password: refused, still on the sign-in form, no cookie
    await page.fill('#username', ADMIN.username);
    await page.fill('#password', 'not the password');
    await page.click('#sign-in-form button[type=submit]');
    await expect.poll(() => page.textContent('#sign-in-error')).toBe('wrong username or password');
    expect(await page.context().cookies()).toEqual([]);
    await shot(page, '01-sign-in-refused');

    await page.fill('#password', ADMIN.password);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#releases-view').waitFor();
    expect(await page.textContent('#whoami')).toBe('alice (admin)');
    // Chromium keeps a Secure cookie from http://127.0.0.1 (a secure context) and sends it back
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.secure, c.httpOnly, c.sameSite, c.path])).toEqual([['ssiot_session', true, true, 'Strict', '/']]);
    expect(new URL(svc.base).hostname).toBe('127.0.0.1');
    await page.reload();
    await page.locator('#releases-view').waitFor();
    expect(await page.textContent('#whoami')).toBe('alice (admin)');
    // no script can read the session cookie
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // a POST without the CSRF header is refused, even with the cookie; with it, it reaches the route
    const noToken = await page.evaluate(async () => {
      const r = await fetch('/api/rollouts/ro_x/pause', { method: 'POST' });
      return { status: r.status, body: await r.json() };
    });
    expect([noToken.status, noToken.body.error.code]).toEqual([403, 'console.csrf']);
    const withToken = await page.evaluate(async () => {
      const { csrfToken } = await (await fetch('/api/session')).json();
      const r = await fetch('/api/rollouts/ro_x/pause', { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
      return { status: r.status, body: await r.json() };
    });
    expect([withToken.status, withToken.body.error.code]).toEqual([404, 'release.rollout_not_found']);

    // upload a few hundred KiB through XMLHttpRequest with its progress bar
    const image = new Uint8Array(randomBytes(384 * 1024));
    await page.fill('#upload-class', 'grinder');
    await page.fill('#upload-version', '2.0.0');
    await page.setInputFiles('#upload-file', { name: 'grinder-2.0.0.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(image) });
    await page.click('#upload-form button[type=submit]');
    const row = page.locator('#releases-table tbody tr[data-state]');
    await row.waitFor();
    expect(await page.locator('#upload-progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(100);
    expect(await page.textContent('#upload-percent')).toBe('100%');
    expect(Number(await page.locator('#upload-progress').getAttribute('data-events'))).toBeGreaterThan(0);
    expect(await row.getAttribute('data-state')).toBe('draft');
    const releaseId = (await row.getAttribute('data-release-id'))!;
    const stored = (await call(svc.base, 'GET', `/api/releases/${releaseId}`, { cookie: await cookieHeader(page) })).body;
    expect(stored.image).toMatchObject({ size: image.length, sha256: sha256Hex(image) });
    await shot(page, '02-uploaded');

    await row.locator('button[data-action=sign]').click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('signed');
    await row.locator('button[data-action=publish]').click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('published');

    // a staged rollout: 12 devices, stages 10/50/100 % -> 2, 4, 6 devices
    await expect.poll(() => page.locator('#rollout-release option').count()).toBe(1);
    await page.selectOption('#rollout-release', releaseId);
    await page.fill('#rollout-stages', '10, 50, 100');
    await page.fill('#rollout-success', '1');
    await page.click('#rollout-form button[type=submit]');
    const card = page.locator('article.rollout');
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('running');
    expect(await card.locator('.stage[data-stage] progress').evaluateAll((ps: HTMLProgressElement[]) => ps.map((p) => p.max))).toEqual([2, 4, 6]);
    expect(await card.getAttribute('data-percent')).toBe('0');
    expect(svc.announced).toHaveLength(1);
    await shot(page, '03-rollout-started');

    // stage 1 installs; the page follows by polling
    await deliver(svc, svc.announced[0]);
    await expect.poll(() => card.getAttribute('data-percent'), { timeout: 10_000 }).toBe(String(Math.floor((2 / 12) * 100)));
    expect(await card.locator('.stage[data-stage="0"]').getAttribute('data-percent')).toBe('100');
    expect(await card.locator('.stage[data-stage="1"]').getAttribute('data-percent')).toBe('0');
    await shot(page, '04-rollout-stage-1');

    // pause and resume from the page
    await card.locator('button[data-action=pause]').click();
    await expect.poll(() => card.getAttribute('data-state')).toBe('paused');
    expect(await card.locator('button[data-action=pause]').isDisabled()).toBe(true);
    await card.locator('button[data-action=resume]').click();
    await expect.poll(() => card.getAttribute('data-state')).toBe('running');

    // the remaining stages, one announcement batch at a time
    for (let i = 1; i < svc.announced.length || i < 3; i++) {
      await expect.poll(() => svc.announced.length).toBeGreaterThan(i);
      await deliver(svc, svc.announced[i]);
    }
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('completed');
    expect(await card.getAttribute('data-percent')).toBe('100');
    const bars = await card.locator('progress').evaluateAll((ps: HTMLProgressElement[]) => ps.map((p) => [p.value, p.max]));
    expect(bars).toEqual([[12, 12], [2, 2], [4, 4], [6, 6]]);
    expect(await card.locator('button[data-action=abort]').isDisabled()).toBe(true);
    for (const d of svc.fleet.values()) expect(d.sim.runningDigest()).toBe(sha256Hex(image));
    await shot(page, '05-rollout-completed');
  }, 120_000);

  it('fleet search filters, identity rotates from the page, support replies; data is rendered as text', async () => {
    const svc = await startService({ fleetSize: 3 });
    await createStaff(svc.db, { ...ADMIN, role: 'admin' }, { argon2: LIGHT });
    const page = await newPage();
    await page.goto(svc.base + '/');
    await page.fill('#username', ADMIN.username);
    await page.fill('#password', ADMIN.password);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#releases-view').waitFor();

    await page.click('nav button[data-view=fleet]');
    const rows = page.locator('#fleet-table tbody tr[data-did]');
    await expect.poll(() => rows.count()).toBe(5);
    expect(await page.textContent('#fleet-total')).toBe('5 devices');
    // markup in data stays text
    expect(await page.locator('#injected').count()).toBe(0);
    await expect.poll(() => page.locator('#fleet-table td', { hasText: '<img src=x id=injected>' }).count()).toBe(1);
    await page.fill('#fleet-search', 'kettle');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.textContent('#fleet-total')).toBe('2 devices matching “kettle”');
    await page.fill('#fleet-search', 'G1-0001');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-did')).toBe([...svc.fleet.keys()][1]);
    await page.fill('#fleet-search', 'no such device');
    await expect.poll(() => rows.count()).toBe(0);
    await page.fill('#fleet-search', '');
    await expect.poll(() => rows.count()).toBe(5);
    await shot(page, '06-fleet');

    await page.click('nav button[data-view=identity]');
    const history = page.locator('#identity-history tbody tr');
    await expect.poll(() => history.count()).toBe(1);
    expect(await page.locator('#identity-summary dd').first().textContent()).toBe(svc.identity.did);
    await page.fill('#rotate-reason', 'yearly rotation');
    await page.click('#rotate-button');
    await expect.poll(() => history.count()).toBe(2);
    expect(await history.first().locator('td').nth(2).textContent()).toBe('yearly rotation');
    expect(svc.identity.history().map((v) => v.reason)).toEqual(['created', 'yearly rotation']);
    await shot(page, '07-identity-rotated');

    await page.click('nav button[data-view=support]');
    await page.locator('#threads button[data-thread-id=th_1]').click();
    const messages = page.locator('#thread .messages li');
    await expect.poll(() => messages.count()).toBe(1);
    expect(await page.locator('#thread h3').textContent()).toBe('Kettle does not heat <b>at all</b>');
    expect(await page.locator('#thread b, #thread script').count()).toBe(0);
    await page.fill('#reply-text', 'Please hold the button for 5 s.');
    await page.click('#reply-form button[type=submit]');
    await expect.poll(() => messages.count()).toBe(2);
    expect(await messages.nth(1).getAttribute('class')).toBe('manufacturer');
    expect(svc.threads[0].messages[1]).toMatchObject({ from: 'manufacturer', text: 'Please hold the button for 5 s.' });
    // a closed thread has no reply box
    await page.locator('#threads button[data-thread-id=th_2]').click();
    await expect.poll(() => page.locator('#thread h3').textContent()).toBe('Descaling');
    expect(await page.locator('#reply-form').count()).toBe(0);
    await page.locator('#threads button[data-thread-id=th_1]').click();
    await shot(page, '08-support');

    // sign-out: back to the form, the old cookie no longer works
    const old = await cookieHeader(page);
    await page.click('#sign-out');
    await page.locator('#sign-in-form').waitFor();
    expect((await call(svc.base, 'GET', '/api/session', { cookie: old })).status).toBe(401);
  }, 120_000);
});

async function cookieHeader(page: Page): Promise<string> {
  return (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}
