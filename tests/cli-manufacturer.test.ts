/**
 * `ssiot manufacturer …` against a real manufacturer service (HTTP over a
 * real socket, SQLite in a temp dir, its broker on port 0): upload with
 * progress on stderr, publish, rollouts driven to completion by simulated
 * devices posting signed status reports, pause/resume/abort, `--watch`
 * exit statuses, the fleet, identity show/rotate, errors with the
 * service's codes, and real processes (`bin/ssiot.js`) for the upload in
 * non-TTY mode and `serve`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStatusReport } from '../device/updater/report.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { installCrypto, resetCrypto } from '../protocols/crypto/index.ts';
import { publicKeyFromPrivateKey, publicKeyToMultikey } from '../protocols/did/keys.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import { base64urlEncode } from '../protocols/encoding/base64url.ts';
import { utf8Encode } from '../protocols/encoding/bytes.ts';
import { ed25519Signer, type Signer } from '../protocols/vc/signer.ts';
import { startService, type ManufacturerService } from '../manufacturer/service/app.ts';
import { GRINDER_CLASS, loadConfig } from '../manufacturer/service/config.ts';
import { bar, ProgressBlock, progressStyle } from '../cli/manufacturer/progress.ts';
import { BIN, ROOT, run, spawnCli } from './support/cli.ts';

const ADMIN = { username: 'admin', password: 'correct horse battery staple' };
const MASTER_KEY = base64urlEncode(new Uint8Array(32).fill(7));
const CLASS = GRINDER_CLASS.name;

const dir = mkdtempSync(join(tmpdir(), 'ssiot-cli-mfr-'));
let svc: ManufacturerService;
let url: string[];
const savedEnv = { user: process.env.SSIOT_MFR_USER, password: process.env.SSIOT_MFR_PASSWORD, url: process.env.SSIOT_MFR_URL };

interface Device {
  did: string;
  signer: Signer;
  serial: string;
}
const devices: Device[] = [];

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** An image of `n` bytes whose content depends on `label`. */
function image(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const seed = nodeCrypto.sha256!(utf8Encode(label));
  for (let i = 0; i < n; i++) out[i] = seed[i % 32] ^ (i & 0xff);
  return out;
}

/** A device of the fleet as the registry knows it: its did:key (the key that signs reports) and a pairing did:peer:2. */
function registerDevice(i: number): Device {
  const seed = nodeCrypto.sha256!(utf8Encode(`cli-device-${i}`));
  const mk = publicKeyToMultikey(publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seed }));
  const did = `did:key:${mk}`;
  const serial = `SN-CLI-${1000 + i}`;
  svc.registry.register(
    { did, model: 'Grinder One', serial, vendorId: GRINDER_CLASS.vendorId, classId: CLASS, hardwareRevision: 'r1' },
    generateDidPeer2({ serviceUri: svc.brokerUrl }).did,
  );
  return { did, serial, signer: ed25519Signer(`${did}#${mk}`, seed) };
}

/** What a device sends after installing (or failing) a release: a signed status report, POSTed like the device host does. */
async function report(d: Device, release: { sequence: number; image: { sha256: string } }, status: 'installed' | 'failed'): Promise<any> {
  const jws = await signStatusReport(
    { status, sequence: release.sequence, digest: release.image.sha256, running: { slot: status === 'installed' ? 'b' : 'a', sequence: release.sequence }, ...(status === 'failed' ? { reason: 'self_test_failed' } : {}) },
    { signer: d.signer, to: svc.identity.did, now: Date.now() },
  );
  const res = await fetch(`${svc.url}/api/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ report: jws }) });
  expect(res.status).toBe(202);
  return res.json();
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Uploads and publishes `version` through the CLI; the published release. */
async function publishedRelease(version: string): Promise<any> {
  const up = await run(['manufacturer', 'release', 'upload', ...url, '--class', CLASS, '--version', version, '--progress', 'none', file(`${version}.bin`, image(version, 3000))]);
  expect(up.status).toBe(0);
  const pub = await run(['manufacturer', 'release', 'publish', ...url, up.json.id]);
  expect(pub.status).toBe(0);
  expect(pub.json.state).toBe('published');
  return pub.json;
}

beforeAll(async () => {
  installCrypto(nodeCrypto);
  const config = loadConfig({
    SSIOT_MFR_DATA_DIR: join(dir, 'service'),
    SSIOT_MFR_HTTP_PORT: '0',
    SSIOT_MFR_MQTT_PORT: '0',
    SSIOT_MFR_WS_PORT: '0',
    SSIOT_MASTER_KEY: MASTER_KEY,
    SSIOT_ADMIN_USER: ADMIN.username,
    SSIOT_ADMIN_PASSWORD: ADMIN.password,
  });
  svc = await startService({ config, logger: false, argon2: { m: 256, t: 1, p: 1 } });
  url = ['--url', svc.url];
  process.env.SSIOT_MFR_USER = ADMIN.username;
  process.env.SSIOT_MFR_PASSWORD = ADMIN.password;
  delete process.env.SSIOT_MFR_URL;
  for (let i = 0; i < 2; i++) devices.push(registerDevice(i));
}, 60_000);

afterAll(async () => {
  for (const [k, v] of [['SSIOT_MFR_USER', savedEnv.user], ['SSIOT_MFR_PASSWORD', savedEnv.password], ['SSIOT_MFR_URL', savedEnv.url]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
  resetCrypto();
});

describe('ssiot manufacturer: releases', () => {
  it('uploads with progress lines on stderr (JSON only on stdout), lists, shows and publishes; each run signs out', async () => {
    const sessions = () => (svc.db.prepare('SELECT COUNT(*) AS n FROM console_sessions').get() as { n: number }).n;
    const sessionsBefore = sessions();
    const bytes = image('1.0.0', 6 * 1024);
    const up = await run(['manufacturer', 'release', 'upload', ...url, '--class', CLASS, '--version', '1.0.0', '--progress', 'lines', file('fw-1.0.0.bin', bytes)]);
    expect(up.status).toBe(0);
    expect(up.json).toMatchObject({ deviceClass: CLASS, version: '1.0.0', state: 'draft', image: { size: bytes.length, sha256: Buffer.from(nodeCrypto.sha256!(bytes)).toString('hex') } });
    expect(up.json.id).toMatch(/^rel_/);
    // stdout is exactly the one JSON document
    expect(JSON.parse(up.stdout)).toEqual(up.json);
    const lines = up.stderr.trim().split('\n');
    const percents = lines.map((l) => /^upload: (\d+)% \((\d+)\/6144 bytes\)$/.exec(l)).filter((m) => m !== null);
    expect(percents.length).toBeGreaterThanOrEqual(4);
    expect(percents[0]![1]).toBe('0');
    expect(percents[percents.length - 1]![1]).toBe('100');
    const values = percents.map((m) => Number(m![1]));
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    expect(lines[lines.length - 1]).toContain(`release ${up.json.id}`);
    expect(up.stderr).not.toContain('\x1b[');

    const listed = await run(['manufacturer', 'release', 'list', ...url, '--class', CLASS, '--state', 'draft']);
    expect(listed.status).toBe(0);
    expect(listed.json.releases.map((r: { id: string }) => r.id)).toContain(up.json.id);
    expect((await run(['manufacturer', 'release', 'list', ...url, '--state', 'published'])).json.releases.map((r: { id: string }) => r.id)).not.toContain(up.json.id);

    const signed = await run(['manufacturer', 'release', 'sign', ...url, up.json.id]);
    expect(signed.json).toMatchObject({ id: up.json.id, state: 'signed' });
    expect(signed.json.kid).toMatch(new RegExp(`^${svc.identity.did}#`));
    const pub = await run(['manufacturer', 'release', 'publish', ...url, up.json.id]);
    expect(pub.status).toBe(0);
    expect(pub.json).toMatchObject({ id: up.json.id, state: 'published' });
    expect((await run(['manufacturer', 'release', 'show', ...url, up.json.id])).json.publishedAt).toBe(pub.json.publishedAt);
    // the published image is downloadable where the manifest says
    const img = await fetch(pub.json.image.uri);
    expect(new Uint8Array(await img.arrayBuffer())).toEqual(bytes);
    expect(sessions()).toBe(sessionsBefore);
  });

  it('draws bars in place with --progress bar, nothing with --progress none', async () => {
    const barRun = await run(['manufacturer', 'release', 'upload', ...url, '--class', CLASS, '--version', 'bar-1', '--progress', 'bar', file('bar.bin', image('bar', 5000))]);
    expect(barRun.status).toBe(0);
    expect(barRun.stderr).toContain('\x1b[1F\x1b[2K');
    expect(barRun.stderr).toContain(`upload [${'#'.repeat(30)}] 100%`);
    const quiet = await run(['manufacturer', 'release', 'upload', ...url, '--class', CLASS, '--version', 'quiet-1', '--progress', 'none', file('quiet.bin', image('quiet', 5000))]);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    // auto: bars only on a terminal, and not under CI or NO_COLOR
    expect(progressStyle({}, {}, false)).toBe('lines');
    expect(progressStyle({}, {}, true)).toBe('bar');
    expect(progressStyle({}, { CI: 'true' }, true)).toBe('lines');
    expect(progressStyle({ progress: 'none' }, {}, true)).toBe('none');
    expect(bar(1, 4, 1)).toBe(`[${'#'.repeat(8)}${'x'.repeat(8)}${'-'.repeat(14)}]`);
    const written: string[] = [];
    const block = new ProgressBlock('lines', (t) => written.push(t));
    block.show(['a', 'b']);
    block.show(['a', 'c']);
    block.show(['a', 'c']);
    expect(written).toEqual(['a\nb', 'c']);
  });

  it('withdraws a release; an unknown release id is the service code release.not_found', async () => {
    const rel = await publishedRelease('wd-1');
    const wd = await run(['manufacturer', 'release', 'withdraw', ...url, rel.id]);
    expect(wd.status).toBe(0);
    expect(wd.json.state).toBe('withdrawn');
    const missing = await run(['manufacturer', 'release', 'publish', ...url, 'rel_00000000000000000000000000000000']);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.error).toEqual({ code: 'release.not_found', message: expect.stringContaining('rel_00000000000000000000000000000000') });
    const rollout = await run(['manufacturer', 'rollout', 'start', ...url, rel.id]);
    expect(rollout.status).toBe(1);
    expect(rollout.error?.code).toBe('release.not_published');
  });
});

describe('ssiot manufacturer: rollouts', () => {
  it('start, status, pause, --watch (exit 1 when paused), resume, then devices report and --watch exits 0 on completion', async () => {
    const rel = await publishedRelease('2.0.0');
    const start = await run(['manufacturer', 'rollout', 'start', ...url, rel.id, '--stages', '50,100', '--success-threshold', '1', '--error-threshold', '0.5']);
    expect(start.status).toBe(0);
    expect(start.json).toMatchObject({ releaseId: rel.id, state: 'running', currentStage: 0, successThreshold: 1, errorThreshold: 0.5 });
    expect(start.json.stages.map((s: { percent: number; devices: number }) => [s.percent, s.devices])).toEqual([
      [50, 1],
      [100, 1],
    ]);
    const id: string = start.json.id;
    const status = await run(['manufacturer', 'rollout', 'status', ...url, id, '--progress', 'lines']);
    expect(status.status).toBe(0);
    expect(status.json).toMatchObject({ id, state: 'running', totals: { devices: 2, installing: 1, pending: 1 } });
    expect(status.stderr).toContain(`rollout ${id} (${CLASS}): running, 0/2 installed, 0 failed`);
    expect(status.stderr).toContain(`> stage 1/2 (50%) [${'-'.repeat(30)}] 0/1 installed, 0 failed, 1 installing, 0 pending`);

    const paused = await run(['manufacturer', 'rollout', 'pause', ...url, id]);
    expect(paused.json).toMatchObject({ state: 'paused', actions: ['resume', 'abort'] });
    const watchPaused = await run(['manufacturer', 'rollout', 'status', ...url, id, '--watch', '--interval', '0.05', '--progress', 'none']);
    expect(watchPaused.status).toBe(1);
    expect(watchPaused.json.state).toBe('paused');
    expect(watchPaused.error).toBeUndefined();
    expect((await run(['manufacturer', 'rollout', 'pause', ...url, id])).error?.code).toBe('release.invalid_transition');
    expect((await run(['manufacturer', 'rollout', 'resume', ...url, id])).json.state).toBe('running');

    const listed = await run(['manufacturer', 'rollout', 'list', ...url, '--release', rel.id]);
    expect(listed.json.rollouts.map((r: { id: string }) => r.id)).toEqual([id]);

    // the first stage's device installs: the rollout moves to stage 2
    const stageOf = (d: Device) => (svc.db.prepare('SELECT stage FROM release_rollout_devices WHERE rollout_id = ? AND device_did = ?').get(id, d.did) as { stage: number }).stage;
    const first = devices.find((d) => stageOf(d) === 0)!;
    const second = devices.find((d) => d !== first)!;
    expect((await report(first, rel, 'installed')).rolloutState).toBe('running');

    // watch (lines) while the last device reports: exit 0 at completed, every change drawn on stderr
    const watching = run(['manufacturer', 'rollout', 'status', ...url, id, '--watch', '--interval', '0.05', '--timeout', '30', '--progress', 'lines']);
    await until('stage 2 announced', async () => (await run(['manufacturer', 'rollout', 'status', ...url, id, '--progress', 'none'])).json.currentStage === 1);
    await report(second, rel, 'installed');
    const done = await watching;
    expect(done.status).toBe(0);
    expect(done.json).toMatchObject({ id, state: 'completed', totals: { devices: 2, installed: 2, failed: 0 } });
    expect(done.stderr).toContain(`rollout ${id} (${CLASS}): completed, 2/2 installed, 0 failed`);
    expect(done.stderr).toContain(`stage 2/2 (100%) [${'#'.repeat(30)}] 1/1 installed`);

    const reports = await run(['manufacturer', 'rollout', 'reports', ...url, id]);
    expect(reports.json.reports.map((r: { device: string; status: string }) => [r.device, r.status])).toEqual([
      [first.did, 'installed'],
      [second.did, 'installed'],
    ]);
  });

  it('a draft rollout: begin, abort, and --watch on an aborted rollout exits 1', async () => {
    const rel = await publishedRelease('3.0.0');
    const draft = await run(['manufacturer', 'rollout', 'start', ...url, rel.id, '--draft']);
    expect(draft.json).toMatchObject({ state: 'draft', actions: ['start', 'abort'] });
    expect((await run(['manufacturer', 'rollout', 'begin', ...url, draft.json.id])).json.state).toBe('running');
    const second = await run(['manufacturer', 'rollout', 'start', ...url, rel.id]);
    expect(second.status).toBe(1);
    expect(second.error?.code).toBe('release.rollout_active');
    // a watch outlives its session: signed out under it (all sessions gone), it signs in again and goes on
    const sessions = () => (svc.db.prepare('SELECT COUNT(*) AS n FROM console_sessions').get() as { n: number }).n;
    const watching = run(['manufacturer', 'rollout', 'status', ...url, draft.json.id, '--watch', '--interval', '0.05', '--progress', 'none']);
    await until('the watch to sign in', async () => sessions() > 0);
    svc.db.prepare('DELETE FROM console_sessions').run();
    await until('the watch to sign in again', async () => sessions() > 0);
    expect((await run(['manufacturer', 'rollout', 'pause', ...url, draft.json.id])).json.state).toBe('paused');
    const paused = await watching;
    expect(paused.error).toBeUndefined();
    expect(paused.status).toBe(1);
    expect(paused.json.state).toBe('paused');
    const aborted = await run(['manufacturer', 'rollout', 'abort', ...url, draft.json.id]);
    expect(aborted.json).toMatchObject({ state: 'aborted', actions: [] });
    const watch = await run(['manufacturer', 'rollout', 'status', ...url, draft.json.id, '--watch', '--progress', 'lines']);
    expect(watch.status).toBe(1);
    expect(watch.json.state).toBe('aborted');
    expect(watch.stderr).toContain(`rollout ${draft.json.id} (${CLASS}): aborted`);
    expect((await run(['manufacturer', 'rollout', 'resume', ...url, draft.json.id])).error?.code).toBe('release.invalid_transition');
    expect((await run(['manufacturer', 'rollout', 'status', ...url, 'ro_0000'])).error?.code).toBe('release.rollout_not_found');
  });

  it('checks rollout options before calling the service (cli.usage, exit 2)', async () => {
    for (const bad of [
      ['--stages', '50,10,100'],
      ['--stages', '10,50'],
      ['--stages', 'a,100'],
      ['--success-threshold', '1.5'],
      ['--error-threshold', '0'],
    ]) {
      const r = await run(['manufacturer', 'rollout', 'start', ...url, 'rel_x', ...bad]);
      expect(r.status).toBe(2);
      expect(r.error?.code).toBe('cli.usage');
    }
    expect((await run(['manufacturer', 'rollout', 'status', ...url, 'ro_x', '--interval', '1'])).error?.code).toBe('cli.usage');
    expect((await run(['manufacturer', 'release', 'list', ...url, '--state', 'gone'])).error?.code).toBe('cli.usage');
  });
});

describe('ssiot manufacturer: fleet and identity', () => {
  it('lists and searches devices, shows one', async () => {
    const all = await run(['manufacturer', 'devices', ...url]);
    expect(all.status).toBe(0);
    expect(all.json.total).toBe(2);
    expect(all.json.devices.map((d: { did: string }) => d.did).sort()).toEqual(devices.map((d) => d.did).sort());
    const found = await run(['manufacturer', 'devices', ...url, '--search', devices[1].serial]);
    expect(found.json).toMatchObject({ total: 1, devices: [{ did: devices[1].did, serial: devices[1].serial, classId: CLASS }] });
    expect((await run(['manufacturer', 'devices', ...url, '--search', 'no-such-serial'])).json).toEqual({ devices: [], total: 0 });
    expect((await run(['manufacturer', 'devices', ...url, '--limit', '1'])).json.devices).toHaveLength(1);
    const one = await run(['manufacturer', 'devices', 'show', ...url, devices[0].did]);
    expect(one.json).toMatchObject({ did: devices[0].did, serial: devices[0].serial });
    expect((await run(['manufacturer', 'devices', 'show', ...url, 'did:key:z6MkNope'])).error?.code).toBe('device.not_found');
  });

  it('shows the identity and rotates its keys; a release after the rotation is signed with the new key', async () => {
    const before = await run(['manufacturer', 'identity', 'show', ...url]);
    expect(before.status).toBe(0);
    expect(before.json).toMatchObject({ did: svc.identity.did });
    const n = before.json.versionNumber as number;
    expect(before.json.history).toHaveLength(n);
    const rotated = await run(['manufacturer', 'identity', 'rotate', ...url, '--reason', 'scheduled rotation']);
    expect(rotated.status).toBe(0);
    expect(rotated.json).toMatchObject({ did: svc.identity.did, versionNumber: n + 1 });
    expect(rotated.json.keys.firmware.id).not.toBe(before.json.keys.firmware.id);
    expect(JSON.stringify(rotated.json)).not.toMatch(/privateKey|"d":/);
    const after = await run(['manufacturer', 'identity', 'show', ...url]);
    expect(after.json.history[n].reason).toBe('scheduled rotation');
    const rel = await publishedRelease('4.0.0');
    const fragment = (kid: string) => kid.slice(kid.indexOf('#'));
    expect(rel.kid.startsWith(`${svc.identity.did}#`)).toBe(true);
    expect(fragment(rel.kid)).toBe(fragment(rotated.json.keys.firmware.id));
  });
});

describe('ssiot manufacturer: credentials and errors', () => {
  it('refuses a wrong password, missing credentials, a password in argv; reads a password file', async () => {
    process.env.SSIOT_MFR_PASSWORD = 'not the password';
    try {
      const wrong = await run(['manufacturer', 'release', 'list', ...url]);
      expect(wrong.status).toBe(1);
      expect(wrong.stdout).toBe('');
      expect(wrong.error?.code).toBe('console.bad_credentials');
      expect(wrong.stderr).not.toContain('not the password');
      delete process.env.SSIOT_MFR_PASSWORD;
      const missing = await run(['manufacturer', 'release', 'list', ...url]);
      expect(missing.status).toBe(1);
      expect(missing.error?.code).toBe('cli.missing_credentials');
      expect(missing.error?.message).toContain('SSIOT_MFR_PASSWORD');
      const withFile = await run(['manufacturer', 'release', 'list', ...url, '--password-file', file('password.txt', `${ADMIN.password}\n`)]);
      expect(withFile.status).toBe(0);
      expect(Array.isArray(withFile.json.releases)).toBe(true);
      const inArgv = await run(['manufacturer', 'release', 'list', ...url, '--password', ADMIN.password]);
      expect(inArgv.status).toBe(2);
      expect(inArgv.error?.code).toBe('cli.usage');
      const otherUser = await run(['manufacturer', 'release', 'list', ...url, '--user', 'nobody', '--password-file', file('password.txt', ADMIN.password)]);
      expect(otherUser.error?.code).toBe('console.bad_credentials');
      delete process.env.SSIOT_MFR_USER;
      expect((await run(['manufacturer', 'identity', 'show', ...url, '--password-file', file('password.txt', ADMIN.password)])).error?.code).toBe('cli.missing_credentials');
    } finally {
      process.env.SSIOT_MFR_USER = ADMIN.username;
      process.env.SSIOT_MFR_PASSWORD = ADMIN.password;
    }
  });

  it('needs a URL (--url or SSIOT_MFR_URL); an unreachable service is cli.io; a missing image is cli.io', async () => {
    const noUrl = await run(['manufacturer', 'release', 'list']);
    expect(noUrl.status).toBe(2);
    expect(noUrl.error?.code).toBe('cli.usage');
    process.env.SSIOT_MFR_URL = svc.url;
    try {
      expect((await run(['manufacturer', 'release', 'list'])).status).toBe(0);
    } finally {
      delete process.env.SSIOT_MFR_URL;
    }
    expect((await run(['manufacturer', 'release', 'list', '--url', 'ftp://x'])).error?.code).toBe('cli.usage');
    const down = await run(['manufacturer', 'release', 'list', '--url', 'http://127.0.0.1:1']);
    expect(down.status).toBe(1);
    expect(down.error?.code).toBe('cli.io');
    const noImage = await run(['manufacturer', 'release', 'upload', ...url, '--class', CLASS, '--version', 'x', join(dir, 'missing.bin')]);
    expect(noImage.error).toEqual({ code: 'cli.io', message: expect.stringContaining('no such file') });
    const badClass = await run(['manufacturer', 'release', 'upload', ...url, '--class', 'toaster', '--version', 'x', '--progress', 'none', file('t.bin', image('t', 100))]);
    expect(badClass.status).toBe(1);
    expect(badClass.error?.code).toMatch(/^release\./);
  });

  it('--help on every manufacturer command; the group lists them', async () => {
    const { manufacturerCommands } = await import('../cli/manufacturer.ts');
    for (const c of manufacturerCommands) {
      const h = await run([...c.path, '--help']);
      expect(h.status).toBe(0);
      expect(h.stdout).toContain(`usage: ssiot ${c.path.join(' ')}`);
    }
    expect((await run(['manufacturer', 'release', 'upload', '--help'])).stdout).toContain('--password-file FILE');
    const group = await run(['manufacturer', '--help']);
    expect(group.stdout).toContain('ssiot manufacturer rollout status ROLLOUT_ID');
  });
});

describe('ssiot manufacturer: real processes', () => {
  it('bin/ssiot.js uploads with percentage lines on a non-TTY stderr (auto) and JSON on stdout', async () => {
    const r = await spawnCli(['manufacturer', 'release', 'upload', '--class', CLASS, '--version', 'spawned-1', file('spawned.bin', image('spawned', 4096))], {
      env: { ...process.env, NO_COLOR: '1', SSIOT_MFR_URL: svc.url, SSIOT_MFR_USER: ADMIN.username, SSIOT_MFR_PASSWORD: ADMIN.password },
    });
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ version: 'spawned-1', state: 'draft', image: { size: 4096 } });
    expect(r.stderr).toMatch(/^upload: 0% \(0\/4096 bytes\)$/m);
    expect(r.stderr).toMatch(/^upload: 100% \(4096\/4096 bytes\)$/m);
    expect(r.stderr).not.toContain('\x1b[');
    const refused = await spawnCli(['manufacturer', 'release', 'show', '--url', svc.url, 'rel_nope'], { env: { ...process.env, SSIOT_MFR_USER: ADMIN.username, SSIOT_MFR_PASSWORD: ADMIN.password } });
    expect(refused.status).toBe(1);
    expect(refused.error?.code).toBe('release.not_found');
  }, 30_000);

  it('manufacturer serve: one JSON document on stdout once listening, logs on stderr, clean exit on SIGTERM', async () => {
    const data = join(dir, 'served');
    const child = spawn(process.execPath, [BIN, 'manufacturer', 'serve', '--log-level', 'info'], {
      cwd: ROOT,
      env: { ...process.env, SSIOT_MFR_DATA_DIR: data, SSIOT_MFR_HTTP_PORT: '0', SSIOT_MFR_MQTT_PORT: '0', SSIOT_MFR_WS_PORT: '0', SSIOT_MASTER_KEY: MASTER_KEY, SSIOT_ADMIN_USER: '', SSIOT_MFR_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await until('serve to print its URLs', async () => stdout.trimEnd().endsWith('}'), 30_000);
      const doc = JSON.parse(stdout);
      expect(doc).toMatchObject({ url: expect.stringMatching(/^http:\/\/localhost:\d+$/), mqtt: expect.stringMatching(/^mqtt:/), did: expect.stringMatching(/^did:webvh:/) });
      const identity = await fetch(`${doc.url}/api/identity`);
      expect(((await identity.json()) as { did: string }).did).toBe(doc.did);
      expect(stderr).toContain('manufacturer service ready');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // still exactly one document: nothing else reached stdout
    expect(JSON.parse(stdout).url).toMatch(/^http:/);
  }, 60_000);
});
