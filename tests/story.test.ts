/**
 * The whole story of DESIGN.md §1 against `npm start`'s processes
 * (demo/start.ts in a process of its own: the manufacturer service, the
 * owner phone app, a fleet of two simulated grinders provisioned by the
 * service, the fleet's dashboard and push relay), in headless Chromium with
 * two kinds of page: the owner app at a phone's viewport (a first owner, and
 * a second one in another browser context) and the manufacturer console at a
 * desktop's. Once with the device agents on Node, once in XS:
 *
 *  1. the first owner creates a wallet, pastes device 0's label link, pairs and
 *     sees the imprint (issued by the device to the owner's pairwise DID) and
 *     the device certificate (issued by the manufacturer DID to the device);
 *  2. gets introduced to the manufacturer, proves ownership; the console's
 *     fleet shows the warranty registered;
 *  3. sets a policy (share diagnostics, firmware auto);
 *  4. grants a service authorization: the console's Diagnostics answers;
 *     revokes it: the console's Diagnostics is refused;
 *  5. the console uploads, signs and publishes a release and rolls it out in
 *     stages 50 %, 100 % to both devices (device 1 is paired by the second
 *     owner with firmware "auto" first: an unowned device installs nothing,
 *     device/policy.ts updaterPolicy); the rollout completes in the console's
 *     bars and both devices run the new sequence (dashboard API);
 *  6. a support thread from the owner app; the console replies; the reply
 *     reaches the phone through the dashboard's push relay;
 *  7. a transfer to the second owner by the invitation link; the first phone
 *     forgets the device (transfer-closed through the push relay); the first
 *     imprint is revoked in the device's signed status list;
 *  8. a factory reset from the dashboard's button: the second owner's imprint is
 *     revoked in the status list, and the device no longer answers them.
 * Screenshots: .cache/screenshots/story-<engine>-NN-<step>.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { installCrypto, resetCrypto } from '../protocols/crypto/index.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import { checkCredentialStatus } from '../protocols/vc/status-list.ts';
import { browserSuite, DESKTOP_CONTEXT, expectNotice, PHONE_CONTEXT, SCREENSHOTS, until } from './support/browser.ts';
import { ROOT } from './support/spawn-node.ts';

const ADMIN_PASSWORD = 'story admin password 0123';
const ENGINES = ['node', 'xs'] as const;
type Engine = (typeof ENGINES)[number];

/** `npm start -- --json`'s line. */
interface Story {
  console: string;
  consoleUser: string;
  consolePassword: string;
  manufacturerDid: string;
  broker: string;
  dashboard: string;
  ownerApp: string;
  engine: Engine;
  dataDir: string;
  devices: { serial: string; did: string; endpoint: string; pairingLink: string; manualCode: string }[];
}

interface Running {
  story: Story;
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s); resolves to the exit code. */
  stop: () => Promise<number | null>;
}

beforeAll(() => installCrypto(nodeCrypto));
afterAll(() => resetCrypto());

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Starts `npm start -- --devices 2 --json --engine <engine>` (demo/start.ts through tsx) and reads its JSON line. */
async function npmStart(engine: Engine): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'demo/start.ts'), '--devices', '2', '--json', '--engine', engine], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', SSIOT_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const story = await new Promise<Story>((resolveStory, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no JSON line in 180 s; stderr: ${stderr.slice(-2000)}`)), 180_000);
    child.stdout!.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      const line = stdout.split('\n').find((l) => l.startsWith('{') && stdout.includes('\n'));
      if (!line) return;
      clearTimeout(timer);
      resolveStory(JSON.parse(line) as Story);
    });
    void exited.then((code) => reject(new Error(`npm start exited (${code}) before its JSON line; stderr: ${stderr.slice(-2000)}`)));
  });
  let stopped: Promise<number | null> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(kill);
      return code;
    })());
  return { story, child, stderr: () => stderr, stop };
}

browserSuite('the whole story against npm start, in headless Chromium', 'the story browser test', (browser) => {
  async function context(o: BrowserContextOptions): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const ctx = await browser().newContext(o);
    cleanups.push(() => ctx.close());
    const page = await ctx.newPage();
    page.on('dialog', (d) => void d.accept()); // the introduction asks to accept the manufacturer
    const errors: string[] = [];
    page.on('pageerror', (e) => void errors.push(e.message));
    return { context: ctx, page, errors };
  }
  const phone = () => context(PHONE_CONTEXT);
  const desktop = () => context(DESKTOP_CONTEXT);

  for (const engine of ENGINES) {
    it(`${engine}: pair, imprint, introduction, proof, policy, service authorization, rollout, support, transfer, factory reset`, async () => {
      const run = await npmStart(engine);
      cleanups.push(() => run.stop());
      const { story } = run;
      const [dev0, dev1] = story.devices;
      const log = (step: string) => console.log(`[story ${engine}] ${step}`);
      let n = 0;
      const shot = async (page: Page, name: string, o: { at?: string; fullPage?: boolean } = {}) => {
        if (o.at) await page.locator(o.at).evaluate((el) => window.scrollBy(0, el.getBoundingClientRect().top - 64));
        await page.screenshot({ path: join(SCREENSHOTS, `story-${engine}-${String(++n).padStart(2, '0')}-${name}.png`), fullPage: o.fullPage });
      };
      const dashboard = async (path: string, init?: RequestInit): Promise<any> => {
        const r = await fetch(`${story.dashboard}${path}`, init);
        const body = await r.json();
        if (!r.ok) throw new Error(`dashboard ${path}: ${r.status} ${JSON.stringify(body)}`);
        return body;
      };
      /** The status of `imprint` in its issuer's signed status list, fetched from the dashboard. */
      const imprintRevoked = async (imprint: VerifiableCredential, index: number): Promise<boolean> =>
        (
          await checkCredentialStatus(imprint, {
            resolver: createDefaultResolver(),
            fetchStatusList: () => dashboard(`/api/devices/${index}/status-list`),
          })
        ).status === true;
      const imprintOf = async (page: Page): Promise<VerifiableCredential> => JSON.parse((await page.locator('[data-testid="imprint-json"]').textContent()) as string);

      expect(story.engine).toBe(engine);
      expect(story.devices).toHaveLength(2);
      expect(story.consolePassword).toBe('SSIOT_ADMIN_PASSWORD');
      expect(dev0.pairingLink).toMatch(/^https:\/\/ssiot\.dev\/pair\?_oob=/);
      expect((await dashboard('/api/devices')).devices.map((d: { did: string; owner: unknown; engine: string }) => [d.did, d.owner, d.engine])).toEqual([
        [dev0.did, null, engine],
        [dev1.did, null, engine],
      ]);

      const first = await phone();
      const second = await phone();
      const staff = await desktop();
      const owner = first.page;
      const consolePage = staff.page;

      /** A new wallet in the owner app; the service URL and the manufacturer DID come from npm start's page settings. */
      const createWallet = async (page: Page, passphrase: string) => {
        await page.goto(story.ownerApp);
        await page.locator('#create-form').waitFor();
        expect(await page.locator('#manufacturer-did').inputValue()).toBe(story.manufacturerDid);
        expect(await page.locator('#manufacturer-url').inputValue()).toBe(story.console.replace(/\/$/, ''));
        await page.fill('#new-passphrase', passphrase);
        await page.fill('#new-passphrase-again', passphrase);
        await page.click('#create-wallet');
        await page.locator('#no-devices').waitFor({ timeout: 60_000 });
      };
      const pair = async (page: Page, link: string) => {
        await page.click('#add-device');
        await page.fill('#label-link', link);
        await page.click('#pair');
        await expectNotice(page, 'Paired with', 90_000);
      };
      const setPolicy = async (page: Page, share: boolean, firmware: 'auto' | 'ask' | 'never') => {
        await page.locator('#policy-form[data-loaded]').waitFor({ timeout: 60_000 });
        await page.setChecked('#share-diagnostics', share);
        await page.selectOption('#firmware-mode', firmware);
        await page.click('#save-policy');
        await expectNotice(page, 'The device applied the policy', 60_000);
        return JSON.parse((await page.locator('#policy-form').getAttribute('data-policy')) as string);
      };
      const consoleNotice = async (text: string | RegExp, ms = 45_000) => {
        try {
          await consolePage.locator('#notice').filter({ hasText: text }).waitFor({ timeout: ms });
        } catch (e) {
          throw new Error(`expected the console notice ${String(text)}, it says: ${await consolePage.locator('#notice').textContent()}`, { cause: e });
        }
      };
      const fleetRow = (did: string) => consolePage.locator(`#fleet-table tbody tr[data-did="${did}"]`);

      // ---------------------------------------------------------------- 1. pair by the label link, the imprint
      log('1. pair');
      await createWallet(owner, 'first owner passphrase');
      await shot(owner, 'wallet');
      await pair(owner, dev0.pairingLink);
      const view0 = await dashboard('/api/devices/0');
      expect(view0.owner).not.toBeNull();
      const imprint1 = await imprintOf(owner);
      expect(imprint1.issuer).toBe(dev0.did); // issued by the device...
      expect((imprint1.credentialSubject as { id: string }).id).toBe(view0.owner.did); // ...to the owner's pairwise DID it recorded
      const imprintFields = (await owner.locator('[data-testid="imprint"]').textContent()) as string;
      expect(imprintFields).toContain(dev0.did);
      expect(imprintFields).toContain(view0.owner.did);
      expect(imprintFields).toMatch(/Revocation.*#\d+/);
      // the chain: the device certificate, issued by the manufacturer DID to the device
      const certificate = (await owner.locator('[data-testid="certificate"]').textContent()) as string;
      expect(certificate).toContain(story.manufacturerDid);
      expect(certificate).toContain(dev0.did);
      expect(certificate).toContain(dev0.serial);
      expect(await imprintRevoked(imprint1, 0)).toBe(false);
      await shot(owner, 'paired');

      // ---------------------------------------------------------------- 2. introduction, proof of ownership, warranty
      log('2. introduction and proof');
      await owner.click('#introduce');
      await expectNotice(owner, /Connected to /, 90_000);
      expect(await owner.locator('#relationship').textContent()).toContain('Grinders Inc.');
      await owner.click('#prove-ownership');
      await expectNotice(owner, 'The manufacturer verified your ownership', 90_000);
      await owner.locator('#ownership-result [data-verified="true"]').waitFor();
      await shot(owner, 'ownership-verified', { at: '#manufacturer' });

      await consolePage.goto(story.console);
      await consolePage.fill('#username', story.consoleUser);
      await consolePage.fill('#password', ADMIN_PASSWORD);
      await consolePage.click('#sign-in-form button[type=submit]');
      await consolePage.locator('#releases-view').waitFor();
      await consolePage.click('nav button[data-view=fleet]');
      await fleetRow(dev0.did).waitFor();
      expect(await consolePage.locator('#fleet-table tbody tr[data-did]').count()).toBe(2);
      // warranty column: registered from the verified proof (the fleet list is read when the view opens)
      await expect
        .poll(async () => {
          await consolePage.click('nav button[data-view=fleet]');
          return fleetRow(dev0.did).locator('td').nth(8).textContent();
        }, { timeout: 20_000 })
        .toMatch(/^registered /);
      expect(await fleetRow(dev1.did).locator('td').nth(8).textContent()).toBe('—');
      expect(await fleetRow(dev0.did).locator('td').nth(7).textContent()).toBe('connected');
      await shot(consolePage, 'console-warranty', { fullPage: true });

      // ---------------------------------------------------------------- 3. policy
      log('3. policy');
      expect(await setPolicy(owner, true, 'auto')).toMatchObject({ share: { diagnostics: true }, firmware: 'auto' });
      await shot(owner, 'policy', { at: '#policy' });

      // ---------------------------------------------------------------- 4. service authorization: diagnostics answered, then refused
      log('4. service authorization');
      await owner.click('#grant');
      await expectNotice(owner, 'The device and the manufacturer have the authorization', 90_000);
      await owner.locator('#authorizations li[data-state="active"]').waitFor();
      await fleetRow(dev0.did).locator('button.diagnostics').click();
      await consoleNotice(`${dev0.serial}: {`);
      await shot(consolePage, 'diagnostics-answered');
      await owner.click('#authorizations [data-revoke]');
      await expectNotice(owner, 'Revoked on the device and at the manufacturer', 90_000);
      await owner.locator('#authorizations li[data-state="revoked"]').waitFor();
      await shot(owner, 'authorization-revoked', { at: '#service-auth' });
      // the owner withdrew it from the manufacturer too: the service has nothing to present (409)
      await fleetRow(dev0.did).locator('button.diagnostics').click();
      await consoleNotice('device.no_authorization');
      await shot(consolePage, 'diagnostics-refused');

      // ---------------------------------------------------------------- 5. a staged rollout the owners' policies allow
      log('5. rollout');
      // an unowned device installs nothing (updaterPolicy: 'never'): the second owner pairs device 1, firmware "auto"
      await createWallet(second.page, 'second owner passphrase');
      await pair(second.page, dev1.pairingLink);
      expect(await setPolicy(second.page, false, 'auto')).toMatchObject({ firmware: 'auto' });
      const before = (await dashboard('/api/devices')).devices.map((d: { firmware: { sequence: number | null } }) => d.firmware.sequence);

      await consolePage.click('nav button[data-view=releases]');
      const image = new Uint8Array(randomBytes(300 * 1024));
      await consolePage.fill('#upload-class', 'coffee-grinder');
      await consolePage.fill('#upload-version', '1.1.0');
      await consolePage.setInputFiles('#upload-file', { name: 'grinder-1.1.0.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(image) });
      await consolePage.click('#upload-form button[type=submit]');
      const row = consolePage.locator('#releases-table tbody tr[data-state]');
      await row.waitFor();
      expect(await consolePage.textContent('#upload-percent')).toBe('100%');
      await row.locator('button[data-action=sign]').click();
      await expect.poll(() => row.getAttribute('data-state')).toBe('signed');
      await row.locator('button[data-action=publish]').click();
      await expect.poll(() => row.getAttribute('data-state')).toBe('published');
      const sequence = Number(await row.locator('td').nth(2).textContent());
      expect(sequence).toBeGreaterThan(Math.max(0, ...before.filter((s: number | null) => s !== null)));
      const releaseId = (await row.getAttribute('data-release-id')) as string;
      await expect.poll(() => consolePage.locator('#rollout-release option').count()).toBe(1);
      await consolePage.selectOption('#rollout-release', releaseId);
      await consolePage.fill('#rollout-stages', '50, 100');
      await consolePage.fill('#rollout-success', '1');
      await consolePage.click('#rollout-form button[type=submit]');
      const card = consolePage.locator('article.rollout');
      await card.waitFor();
      expect(await card.locator('.stage[data-stage] progress').evaluateAll((ps: HTMLProgressElement[]) => ps.map((p) => p.max))).toEqual([1, 1]);
      await shot(consolePage, 'rollout-started', { fullPage: true });
      await expect.poll(() => card.getAttribute('data-state'), { timeout: engine === 'xs' ? 150_000 : 90_000, interval: 1000 }).toBe('completed');
      expect(await card.getAttribute('data-percent')).toBe('100');
      expect(await card.locator('progress').evaluateAll((ps: HTMLProgressElement[]) => ps.map((p) => [p.value, p.max]))).toEqual([
        [2, 2],
        [1, 1],
        [1, 1],
      ]);
      await shot(consolePage, 'rollout-completed', { fullPage: true });
      // the devices run it (the dashboard reads their slots): both on the new sequence, the image's digest
      const digest = createHash('sha256').update(image).digest('hex');
      await until('both devices confirmed on the new image', async () =>
        (await dashboard('/api/devices')).devices.every((d: { firmware: { sequence: number; trial: boolean } }) => d.firmware.sequence === sequence && !d.firmware.trial),
      );
      for (const d of (await dashboard('/api/devices')).devices) expect([d.serial, d.firmware.digest]).toEqual([d.serial, digest]);
      const dashboardPage = (await desktop()).page;
      await dashboardPage.goto(story.dashboard);
      await dashboardPage.locator('body').waitFor();
      await dashboardPage.locator('article.device[data-index="1"]').waitFor();
      await shot(dashboardPage, 'dashboard-firmware', { fullPage: true });

      // ---------------------------------------------------------------- 6. support through the device, the reply by the push relay
      log('6. support');
      const subject = `Grinds too coarse (${engine})`;
      await owner.fill('#support-subject', subject);
      await owner.fill('#support-text', 'Setting 3 is like setting 8');
      await owner.click('#open-support');
      await owner.locator('#support-threads .thread').waitFor({ timeout: 90_000 });
      await consolePage.click('nav button[data-view=support]');
      const threadButton = consolePage.locator('#threads button', { hasText: subject });
      await expect
        .poll(async () => {
          await consolePage.click('nav button[data-view=support]');
          return threadButton.count();
        }, { timeout: 30_000 })
        .toBe(1);
      await threadButton.click();
      const messages = consolePage.locator('#thread .messages li');
      await expect.poll(() => messages.count()).toBeGreaterThanOrEqual(1);
      await consolePage.fill('#reply-text', 'Try cleaning the burrs');
      await consolePage.click('#reply-form button[type=submit]');
      await expect.poll(() => messages.count()).toBeGreaterThanOrEqual(2);
      await shot(consolePage, 'support-inbox');
      // nobody hands the envelope to the page: the app polls the dashboard's /api/pushes every 2 s
      await owner.locator('#support-threads li.from-manufacturer', { hasText: 'Try cleaning the burrs' }).waitFor({ timeout: 60_000 });
      await shot(owner, 'support-reply', { at: '#support' });

      // ---------------------------------------------------------------- 7. transfer to the second owner
      log('7. transfer');
      await owner.click('#open-transfer');
      await expectNotice(owner, 'Transfer window open', 60_000);
      const invitation = await owner.locator('#transfer-link').inputValue();
      expect(invitation).toMatch(/^https:\/\/ssiot\.dev\/pair\?_oob=/);
      await shot(owner, 'transfer-open', { at: '#transfer-section' });
      await second.page.click('#back');
      await second.page.locator('#device-list').waitFor();
      await pair(second.page, invitation);
      expect(await second.page.locator('[data-testid="certificate"]').textContent()).toContain(dev0.serial);
      const imprint2 = await imprintOf(second.page);
      const view0b = await dashboard('/api/devices/0');
      expect((imprint2.credentialSubject as { id: string }).id).toBe(view0b.owner.did);
      expect(view0b.owner.did).not.toBe(view0.owner.did);
      await shot(second.page, 'transfer-paired');
      // transfer-closed reaches the first phone through the relay: it forgets the device
      await owner.locator('#no-devices').waitFor({ timeout: 60_000 });
      await expectNotice(owner, `${dev0.serial} now has a new owner`);
      await shot(owner, 'transfer-closed');
      expect(await imprintRevoked(imprint1, 0)).toBe(true);
      expect(await imprintRevoked(imprint2, 0)).toBe(false);

      // ---------------------------------------------------------------- 8. factory reset
      log('8. factory reset');
      // the device's button, pressed on the simulator's dashboard page (POST /api/devices/0/actions/factory-reset)
      await dashboardPage.click('article.device[data-index="0"] button[data-action="factory-reset"]');
      await until('device 0 to forget its owner', async () => (await dashboard('/api/devices/0')).owner === null, 30_000);
      const reset = await dashboard('/api/devices/0');
      expect(reset.label).not.toBeNull(); // a fresh pairing window, a new label
      expect(reset.window).not.toBeNull();
      expect(await dashboardPage.locator('#notice').isVisible()).toBe(false); // no error from the button
      await shot(dashboardPage, 'dashboard-factory-reset', { fullPage: true });
      expect(await imprintRevoked(imprint2, 0)).toBe(true);
      // the device no longer knows the second owner: the app's request is refused
      await second.page.locator('#policy-form[data-loaded]').waitFor();
      await second.page.click('#load-policy');
      // (it dropped the pairwise DID the owner wrote to: the envelope is unreadable to it and gets no answer)
      await expectNotice(second.page, /Reading the policy failed: .*\(owner\.no_reply\)/, 60_000);
      await shot(second.page, 'after-factory-reset', { at: '#policy' });
      // device 1 is untouched
      expect((await dashboard('/api/devices/1')).owner).not.toBeNull();

      expect([...first.errors, ...second.errors, ...staff.errors]).toEqual([]);

      // SIGTERM stops everything and removes its temporary directory
      expect(await run.stop()).toBe(0);
      expect(existsSync(story.dataDir)).toBe(false);
    }, engine === 'xs' ? 300_000 : 180_000);
  }
});
