/**
 * What the browser tests share (tests/owner-app.test.ts,
 * tests/manufacturer-console.test.ts, tests/story.test.ts): headless
 * Chromium found or installed by scripts/chromium.sh (driven by
 * playwright-core), where screenshots go, a phone's viewport, the owner
 * app's status line and a polling wait.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { ROOT } from './spawn-node.ts';

export const SCREENSHOTS = join(ROOT, '.cache/screenshots');

/** A phone: iPhone 12-ish CSS pixels. */
export const PHONE = { width: 390, height: 844 };

/** A browser context that is a phone (the owner app's target). */
export const PHONE_CONTEXT: BrowserContextOptions = { viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** A desktop browser context (the consoles). */
export const DESKTOP_CONTEXT: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };

/** scripts/chromium.sh installs Debian's chromium when missing and prints its path; the reason when it cannot. */
export function findChromium(): { path?: string; reason?: string } {
  try {
    const out = execFileSync('bash', [join(ROOT, 'scripts/chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000, env: { ...process.env, CI: 'true' } });
    const path = out.trim().split('\n').pop();
    return path ? { path } : { reason: 'scripts/chromium.sh printed no path' };
  } catch (e) {
    const err = e as { status?: number; stderr?: string; message: string };
    return { reason: `scripts/chromium.sh failed (exit ${err.status ?? '?'}): ${(err.stderr ?? err.message).trim().split('\n').slice(-3).join(' | ')}` };
  }
}

/**
 * A describe block with one headless Chromium for its tests (launched before,
 * closed after; the screenshots folder made), skipped with a warning naming
 * `what` when Chromium is not available. `body` gets the running browser.
 */
export function browserSuite(name: string, what: string, body: (browser: () => Browser) => void): void {
  const found = findChromium();
  if (!found.path) console.warn(`SKIPPING ${what}: Chromium is not available. ${found.reason}`);
  describe.skipIf(!found.path)(name, () => {
    let browser: Browser | undefined;
    beforeAll(async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      browser = await chromium.launch({ executablePath: found.path, args: ['--no-sandbox'] });
    });
    afterAll(async () => {
      await browser?.close();
    });
    body(() => {
      if (!browser) throw new Error('the browser is not running');
      return browser;
    });
  });
}

/** Waits for the owner app's status line (#notice) to say `text`, or fails with what it said instead. */
export async function expectNotice(page: Page, text: string | RegExp, ms = 30_000): Promise<void> {
  const notice = page.locator('#notice');
  try {
    await notice.filter({ hasText: text }).waitFor({ timeout: ms });
  } catch (e) {
    throw new Error(`expected the notice ${String(text)}, it says: ${await notice.textContent()}`, { cause: e });
  }
}

/** Polls `check` every 50 ms until it holds; throws "timed out waiting for <what>" after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
