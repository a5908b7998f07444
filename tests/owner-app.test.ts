/**
 * The owner's phone app (owner/app) in headless Chromium at a phone-sized
 * viewport, against a real manufacturer service (its did:webvh resolved over
 * HTTP through the "manufacturer service URL" setting) and one grinder on
 * the Node host whose local endpoint allows the app's origin (CORS): create
 * a wallet, pair by the label link, see the imprint and the certificate, set
 * a policy, read the audit log, get introduced to the manufacturer, prove
 * ownership, grant and revoke a service authorization, a support reply
 * pushed by the device, a transfer window, export the wallet, reload and
 * unlock, import the export in a second browser context and use the device
 * from there. Also: the shared wallet storage suite against IndexedDbStorage
 * in the browser, the bundle's neutrality, the server's headers, and push
 * routing. Screenshots: .cache/screenshots/owner-*.png.
 */
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceAgent } from '../device/agent.ts';
import { agentOptions } from '../device/testing/fixtures.ts';
import { makeImage, TEST_FIRMWARE } from '../device/testing/firmware.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { NodeDeviceHost } from '../hosts/node/device-host.ts';
import { DeviceLink, LocalHttpTransport } from '../hosts/node/device-transports.ts';
import { httpImageSource } from '../hosts/node/http-images.ts';
import { MqttTransport } from '../hosts/node/transports/mqtt.ts';
import type { ManufacturerService } from '../manufacturer/service/app.ts';
import { GRINDER_CLASS } from '../manufacturer/service/config.ts';
import { staffSession, startTestService, TEST_FACTORY_TOKEN } from './support/service.ts';
import { generateOwnerDid, type PairedDevice } from '../owner/agent.ts';
import { buildOwnerApp } from '../owner/app/bundle.ts';
import { installBrowserCrypto, mappedWebvhFetch } from '../owner/app/platform.ts';
import { routePush, envelopeRecipients } from '../owner/app/push.ts';
import { OWNER_APP_CSP, ownerAppPage, startOwnerApp, type OwnerAppServer } from '../owner/app/server.ts';
import { getCrypto, installCrypto, resetCrypto } from '../protocols/crypto/index.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createSecretsResolver } from '../protocols/didcomm/secrets.ts';
import { parseSecret } from '../protocols/did/keys.ts';
import { createPing } from '../protocols/messages/trust-ping.ts';
import { expectCode, expectCodeAsync } from './support/assert.ts';
import { browserSuite, expectNotice, PHONE_CONTEXT, SCREENSHOTS, until } from './support/browser.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FACTORY_TOKEN = TEST_FACTORY_TOKEN;
const PASSPHRASE = 'my grinder wallet';
const EXPORT_PASSPHRASE = 'export to the new phone';

beforeAll(() => installCrypto(nodeCrypto));
afterAll(() => resetCrypto());

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ssiot-owner-app-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

// ---------------------------------------------------------------- Node-side pieces

describe('owner app: bundle, server, push routing', () => {
  it('bundles main.ts for the browser with no Node built-in, minified ESM including the neutral protocols code', async () => {
    const b = await buildOwnerApp();
    expect(b.inputs).toContain('owner/agent.ts');
    expect(b.inputs).toContain('owner/conduit.ts');
    expect(b.inputs.some((i) => i.startsWith('protocols/wallet/'))).toBe(true);
    expect(b.inputs.filter((i) => i.startsWith('node:') || i.startsWith('hosts/'))).toEqual([]);
    expect(b.js).not.toMatch(/\brequire\(["']node:/);
    expect(b.js.split('\n').length).toBeLessThan(50); // minified
  }, 60_000);

  it('serves the page, the bundle and the stylesheet under a strict CSP, and nothing else', async () => {
    const app = await startOwnerApp({ manufacturerUrl: 'http://localhost:1234', manufacturerDid: 'did:webvh:x:"<evil>' });
    cleanups.push(() => app.close());
    const page = await fetch(`${app.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(OWNER_APP_CSP);
    expect(OWNER_APP_CSP).toMatch(/script-src 'self'(;|$)/);
    expect(OWNER_APP_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script
    expect(html).toContain('content="did:webvh:x:&quot;&lt;evil&gt;"');
    const js = await fetch(`${app.url}/app.js`);
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await fetch(`${app.url}/style.css`)).status).toBe(200);
    for (const path of ['/main.ts', '/server.ts', '/../package.json', '/static/style.css', '/api/anything']) expect((await fetch(`${app.url}${path}`)).status).toBe(404);
    expect(ownerAppPage({})).toContain('name="ssiot-manufacturer-url" content=""');
  }, 60_000);

  it("maps the manufacturer DID's https URLs onto the configured service URL (explicit setting), and nothing else", async () => {
    const did = 'did:webvh:QmXjw5P9ywj38SJNGDYBczeYRLzLBoWVCnn8Twv9oBbSqn:manufacturer.localhost%3A46783';
    const asked: string[] = [];
    const fakeFetch = (async (url: string) => {
      asked.push(url);
      return new Response(url.includes('missing') ? 'no' : 'log', { status: url.includes('missing') ? 404 : 200 });
    }) as unknown as typeof fetch;
    const mapped = mappedWebvhFetch({ manufacturerDid: did, manufacturerUrl: 'http://localhost:46783' }, fakeFetch);
    expect(await mapped('https://manufacturer.localhost:46783/.well-known/did.jsonl')).toBe('log');
    await mapped('https://other.example/.well-known/did.jsonl');
    expect(asked).toEqual(['http://localhost:46783/.well-known/did.jsonl', 'https://other.example/.well-known/did.jsonl']);
    // a service under a path keeps it; without the setting nothing is mapped
    await mappedWebvhFetch({ manufacturerDid: did, manufacturerUrl: 'http://127.0.0.1:9/mfr' }, fakeFetch)('https://manufacturer.localhost:46783/.well-known/did.jsonl');
    await mappedWebvhFetch({}, fakeFetch)('https://manufacturer.localhost:46783/.well-known/did.jsonl');
    expect(asked.slice(2)).toEqual(['http://127.0.0.1:9/mfr/.well-known/did.jsonl', 'https://manufacturer.localhost:46783/.well-known/did.jsonl']);
    await expectCodeAsync(() => mapped('https://manufacturer.localhost:46783/missing/did.jsonl'), 'did.not_found');
  });

  it('feeds the crypto facade from getRandomValues in chunks of at most 65536 bytes', () => {
    const calls: number[] = [];
    installBrowserCrypto({ getRandomValues: (a: Uint8Array) => (calls.push(a.length), a.fill(7)) } as unknown as Crypto);
    try {
      const r = getCrypto().randomBytes(150_000);
      expect(r.length).toBe(150_000);
      expect(r.every((b) => b === 7)).toBe(true);
      expect(calls).toEqual([65536, 65536, 150_000 - 131072]);
    } finally {
      resetCrypto();
      installCrypto(nodeCrypto);
    }
  });

  it('routes a pushed envelope to the device whose owner DID it is encrypted to; garbage is a typed error', async () => {
    const a = generateOwnerDid();
    const b = generateOwnerDid();
    const device = generateOwnerDid();
    const paired = (me: { did: string }) => ({ ownerDid: me.did, device: { did: `did:key:${me.did.slice(-8)}` } }) as unknown as PairedDevice;
    const devices = [paired(a), paired(b)];
    const resolver = createDefaultResolver();
    const packed = await packEncrypted(createPing({ from: device.did, to: [b.did] }), {
      to: b.did,
      from: device.did,
      resolver,
      secrets: createSecretsResolver(device.secrets.map((s) => parseSecret(s))),
    });
    expect(envelopeRecipients(packed.packed)).toEqual([b.did]);
    expect(routePush(devices, packed.packed)).toBe(devices[1]);
    expect(routePush([devices[0]], packed.packed)).toBeUndefined();
    expectCode(() => envelopeRecipients('not json'), 'encoding.invalid_json');
    expectCode(() => envelopeRecipients('{"ciphertext":"x"}'), 'encoding.invalid_json');
  });
});

// ---------------------------------------------------------------- the browser


async function service(): Promise<ManufacturerService> {
  const s = await startTestService(tempDir());
  cleanups.push(() => s.close());
  return s;
}

interface Grinder {
  agent: DeviceAgent;
  label: { url: string };
  /** Envelopes the device pushed to its owner (its host's push channel). */
  pushes: string[];
  /** Restarts the agent asked its host for (a firmware install). */
  restarts: number;
}

/** A grinder on the Node host, provisioned by the service, on its broker; its local endpoint allows `appOrigin`. */
async function grinder(s: ManufacturerService, serial: string, appOrigin: string): Promise<Grinder> {
  const link = new DeviceLink(await LocalHttpTransport.listen({ cors: { origins: [appOrigin] } }));
  cleanups.push(() => link.close());
  const pushes: string[] = [];
  const g = { pushes, restarts: 0 } as Grinder;
  const host = new NodeDeviceHost({ dir: tempDir(), transport: link, logger: { log: () => {} }, slotCapacity: 8192, images: httpImageSource(), restart: () => void g.restarts++ });
  host.slots.boot();
  const agent = await DeviceAgent.boot(host, { ...agentOptions(serial), firmware: TEST_FIRMWARE, deliverToOwner: async (packed) => void pushes.push(packed) });
  const res = await fetch(`${s.url}/api/provisioning/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${FACTORY_TOKEN}` },
    body: JSON.stringify({ device: agent.certificateRequest(), pairingDid: agent.identity.pairingDid }),
  });
  expect(res.status).toBe(201);
  const { certificate, log, contact } = (await res.json()) as { certificate: unknown; log: never; contact: never };
  const label = await agent.installCertificate(certificate, log, { contact });
  const mqtt = await MqttTransport.connect({
    url: s.brokerUrl,
    protocolVersion: 4,
    username: agent.identity.did,
    dids: [agent.identity.pairingDid],
    credentials: () => agent.brokerToken(),
    connectTimeoutMs: 5000,
  });
  cleanups.push(() => mqtt.kill());
  await link.attachMqtt(mqtt, s.brokerUrl);
  return Object.assign(g, { agent, label });
}

const staff = staffSession;

browserSuite('owner app in headless Chromium (phone viewport)', 'the owner app browser tests', (browser) => {

  async function phone(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser().newContext({ ...PHONE_CONTEXT, acceptDownloads: true });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    return { context, page };
  }

  /** A phone-screen screenshot; with `at`, scrolled so that element is at the top under the app bar. */
  const shot = async (page: Page, name: string, at?: string) => {
    if (at) await page.locator(at).evaluate((el) => window.scrollBy(0, el.getBoundingClientRect().top - 64));
    await page.screenshot({ path: join(SCREENSHOTS, `owner-${name}.png`) });
  };

  it('passes the shared wallet storage suite with IndexedDbStorage in the browser', async () => {
    const app = await startOwnerApp({});
    cleanups.push(() => app.close());
    const suite = await build({
      entryPoints: [join(root, 'owner/app/testing/idb-suite.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const { page } = await phone();
    await page.goto(app.url); // an origin of its own for IndexedDB
    await page.evaluate(suite.outputFiles[0].text); // DevTools evaluation: not subject to the page's CSP
    const results = (await page.evaluate('globalThis.ssiotIdbSuite()')) as { name: string; ok: boolean; error?: string }[];
    expect(results.length).toBeGreaterThan(10);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  }, 120_000);

  it('the whole owner story: wallet, pair, imprint, policy, audit, introduction, proof, authorization, firmware approval, support, export, unlock, import, transfer', async () => {
    const s = await service();
    const app: OwnerAppServer = await startOwnerApp({ manufacturerUrl: s.url });
    cleanups.push(() => app.close());
    const dev = await grinder(s, 'SN-7001', app.url);
    await until('the device on the broker', () => s.broker.connectedDevices().includes(dev.agent.identity.did));

    const { page } = await phone();
    const consoleErrors: string[] = [];
    // the location names the resource (a 404 for /favicon.ico, which Chromium asks for on its own, says only "404")
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(`${m.text()} ${m.location().url}`)));
    page.on('pageerror', (e) => void consoleErrors.push(e.message));
    // the manufacturer's owner endpoint allows other origins (didcommReplyRoutes' `cors`, manufacturer/didcomm/plugin.ts)
    const pre = await fetch(`${s.url}/didcomm`, { method: 'OPTIONS', headers: { origin: app.url, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(pre.status).toBe(204);

    // 1. a new wallet; the manufacturer DID read from the service's did.jsonl (CORS *)
    await page.goto(app.url);
    await page.locator('#create-form').waitFor();
    expect(await page.locator('#manufacturer-url').inputValue()).toBe(s.url);
    await page.fill('#new-passphrase', PASSPHRASE);
    await page.fill('#new-passphrase-again', PASSPHRASE);
    await page.click('#discover-did');
    await expectNotice(page, 'Manufacturer DID: did:webvh:');
    expect(await page.locator('#manufacturer-did').inputValue()).toBe(s.identity.did);
    await shot(page, '01-create');
    await page.click('#create-wallet');
    await page.locator('#no-devices').waitFor({ timeout: 30_000 });

    // 2. pair by pasting the label link (headless Chromium on Linux has no BarcodeDetector: the fallback says so)
    await page.click('#add-device');
    await page.click('#scan');
    await expect(page.locator('#scan-unavailable').textContent()).resolves.toMatch(/paste the link/i);
    await page.fill('#label-link', dev.label.url);
    await shot(page, '02-add-device');
    await page.click('#pair');
    await expectNotice(page, 'Paired with');
    const imprint = await page.locator('[data-testid="imprint"]').textContent();
    const ownerDid = dev.agent.state.owner?.did;
    expect(ownerDid).toBeDefined();
    expect(imprint).toContain(ownerDid as string);
    const certificate = await page.locator('[data-testid="certificate"]').textContent();
    expect(certificate).toContain(s.identity.did);
    expect(certificate).toContain('SN-7001');
    expect(certificate).toContain(dev.agent.identity.did);
    await page.locator('#policy-form[data-loaded]').waitFor();
    await shot(page, '03-device');

    // 3. policy: share diagnostics and usage counters; firmware only when the owner approves
    await page.check('#share-diagnostics');
    await page.check('#share-usage');
    await page.selectOption('#firmware-mode', 'ask');
    await page.click('#save-policy');
    await expectNotice(page, 'The device applied the policy');
    expect(JSON.parse((await page.locator('#policy-form').getAttribute('data-policy')) as string)).toEqual({
      share: { diagnostics: true, usageCounters: true, errorLogs: false },
      firmware: 'ask',
    });

    // 4. the audit log shows the change
    await page.click('#load-audit');
    await page.locator('#audit-log tr[data-event="policy.set"]').first().waitFor();

    // 4b. a firmware release reaches the device, which holds it under "ask" until the owner approves from the app
    const api = await staff(s);
    const up = await api('POST', `/api/releases?class=${GRINDER_CLASS.name}&version=1.1.0`, makeImage(3000, 31), 'application/octet-stream');
    expect(up.status).toBe(201);
    expect((await api('POST', `/api/releases/${up.body.id}/publish`)).body.state).toBe('published');
    expect((await api('POST', '/api/rollouts', { releaseId: up.body.id, stages: [100], successThreshold: 1, errorThreshold: 0.5, start: true })).status).toBe(201);
    await until('the release to await the owner', async () => {
      await page.click('#load-audit');
      await expectNotice(page, /audit entries/);
      return (await page.locator('#firmware-approvals [data-approve]').count()) > 0;
    }, 30_000);
    await shot(page, '03b-firmware-approval', '#audit');
    await page.click('#firmware-approvals [data-approve]');
    await expectNotice(page, /^Release \d+: (rebooting|installed)/, 60_000);
    expect(dev.restarts).toBe(1);

    // 5. introduction to the manufacturer, then a proof of ownership it verifies
    await page.click('#introduce');
    await expectNotice(page, /Connected to /);
    expect(await page.locator('#relationship').textContent()).toContain('Grinders Inc.');
    await page.click('#prove-ownership');
    await expectNotice(page, 'The manufacturer verified your ownership');
    await page.locator('#ownership-result [data-verified="true"]').waitFor();
    expect(await page.locator('#ownership-checks li').count()).toBeGreaterThan(0);
    await shot(page, '04-manufacturer', '#manufacturer');

    // 6. a service authorization granted to the manufacturer's DID, then revoked
    await page.click('#grant');
    await expectNotice(page, 'The device and the manufacturer have the authorization');
    await page.locator('#authorizations li[data-state="active"]').waitFor();
    const credentialId = (await page.locator('#authorizations li[data-state="active"]').getAttribute('data-credential')) as string;
    const held = s.agent.agent.authorizations.get(credentialId);
    expect(held).toMatchObject({ device: dev.agent.identity.did, scope: ['diagnostics'], revoked: false });
    await page.click('#authorizations [data-revoke]');
    await expectNotice(page, 'Revoked on the device and at the manufacturer');
    expect(s.agent.agent.authorizations.get(credentialId)?.revoked).toBe(true);
    await page.locator('#authorizations li[data-state="revoked"]').waitFor();
    await page.click('#load-audit');
    await page.locator('#audit-log tr[data-event^="service-auth"]').first().waitFor();
    await shot(page, '05-authorization', '#service-auth');

    // 7. support through the device; the staff reply comes back as a push the host delivers
    await page.fill('#support-subject', 'Grinds too coarse');
    await page.fill('#support-text', 'Setting 3 is like setting 8');
    await page.click('#open-support');
    await page.locator('#support-threads .thread').waitFor();
    let threadId = '';
    await until('the support thread at the manufacturer', async () => {
      const t = (await api('GET', '/api/support/threads')).body.threads as { id: string; subject: string }[];
      threadId = t.find((x) => x.subject === 'Grinds too coarse')?.id ?? '';
      return threadId !== '';
    });
    const before = dev.pushes.length;
    expect((await api('POST', `/api/support/threads/${threadId}/reply`, { text: 'Try cleaning the burrs' })).status).toBe(204);
    await until('the device to push the reply', () => dev.pushes.length > before);
    for (const p of dev.pushes.slice(before)) expect(await page.evaluate((packed) => window.ssiotOwnerApp!.deliver(packed), p)).toBe('support');
    await page.locator('#support-threads li.from-manufacturer', { hasText: 'Try cleaning the burrs' }).waitFor();
    await shot(page, '06-support', '#support');

    // 8. a transfer window: the invitation link and its QR code, then cancelled
    await page.click('#open-transfer');
    await expectNotice(page, 'Transfer window open');
    expect(await page.locator('#transfer-link').inputValue()).toMatch(/^https:\/\/ssiot\.dev\/pair\?_oob=/);
    expect(await page.locator('#transfer svg.qr path').count()).toBe(1);
    await shot(page, '07-transfer', '#transfer-section');
    await page.click('#cancel-transfer');
    await expectNotice(page, 'Transfer cancelled');

    // 9. export the wallet to a file
    await page.click('#back');
    await page.locator('#device-list').waitFor();
    await page.click('#open-export');
    await page.fill('#export-passphrase', EXPORT_PASSPHRASE);
    const download = page.waitForEvent('download');
    await page.click('#export-wallet');
    const file = join(tempDir(), 'owner.ssiotwallet');
    await (await download).saveAs(file);
    expect(readFileSync(file).subarray(0, 8).toString()).toBe('SSIOTWX1');

    // 10. reload: the wallet is locked; a wrong passphrase is refused, the right one opens it
    await page.reload();
    await page.locator('#unlock-form').waitFor();
    await page.fill('#passphrase', 'not my passphrase');
    await page.click('#unlock-form button[type="submit"]');
    await expectNotice(page, 'wallet.wrong_passphrase');
    await page.fill('#passphrase', PASSPHRASE);
    await page.click('#unlock-form button[type="submit"]');
    await page.locator(`#device-list [data-device="${dev.agent.identity.did}"]`).waitFor({ timeout: 30_000 });
    await shot(page, '08-unlocked');

    // 11. another phone: import the export, see the device and talk to it with the imported keys
    const second = await phone();
    await second.page.goto(app.url);
    await second.page.locator('#import-form').waitFor();
    await second.page.setInputFiles('#import-file', file);
    await second.page.fill('#import-passphrase', EXPORT_PASSPHRASE);
    await second.page.fill('#import-new-passphrase', 'second phone passphrase');
    await second.page.click('#import-wallet');
    await expectNotice(second.page, /Imported \d+ items/);
    await second.page.click(`#device-list [data-device="${dev.agent.identity.did}"]`);
    await second.page.locator('#policy-form[data-loaded]').waitFor();
    expect(JSON.parse((await second.page.locator('#policy-form').getAttribute('data-policy')) as string).share.usageCounters).toBe(true);
    expect(await second.page.locator('#relationship').textContent()).toContain('Grinders Inc.');
    expect(await second.page.locator('#authorizations li[data-state="revoked"]').count()).toBe(1);
    await shot(second.page, '09-imported');

    // 12. ownership transfer: the first phone opens a window, a third phone pairs with its link; the device
    //     pushes transfer-closed{completed} to the first phone, which forgets the device
    await page.click(`#device-list [data-device="${dev.agent.identity.did}"]`);
    await page.click('#open-transfer');
    await expectNotice(page, 'Transfer window open');
    const invitation = await page.locator('#transfer-link').inputValue();
    const third = await phone();
    await third.page.goto(app.url);
    await third.page.fill('#new-passphrase', 'third phone passphrase');
    await third.page.fill('#new-passphrase-again', 'third phone passphrase');
    await third.page.click('#discover-did');
    await expectNotice(third.page, 'Manufacturer DID: did:webvh:');
    await third.page.click('#create-wallet');
    await third.page.click('#add-device');
    const pushed = dev.pushes.length;
    await third.page.fill('#label-link', invitation);
    await third.page.click('#pair');
    await expectNotice(third.page, 'Paired with Grinder');
    expect(await third.page.locator('[data-testid="certificate"]').textContent()).toContain('SN-7001');
    await until('the device to tell the previous owner', () => dev.pushes.length > pushed);
    expect(await page.evaluate((packed) => window.ssiotOwnerApp!.deliver(packed), dev.pushes[pushed])).toBe('transfer-completed');
    await page.locator('#no-devices').waitFor();
    await shot(page, '10-transferred');

    expect(consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  }, 240_000);
});
