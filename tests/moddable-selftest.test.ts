/**
 * The real C module (hosts/moddable/native/curve25519.c on the system
 * libsodium) in the Moddable lin simulator: builds the selftest app
 * (hosts/moddable/selftest) in a scratch folder, runs it under Xvfb and
 * checks its JSON line: every shared case (hosts/moddable/selftest/cases.ts)
 * passes on the native and the pure-JS path. Opt-in: runs only when
 * MODDABLE points at an SDK with its lin tools built and Xvfb and
 * libsodium-dev are installed (about a minute: the build, then 1,000 pure-JS
 * X25519 ladders in a debug XS). Timings are printed, never asserted.
 */
import { describe, expect, it } from 'vitest';
import { runSelftest, selftestUnavailable } from './support/moddable-selftest.ts';

const why = selftestUnavailable();

describe('curve25519 selftest in the Moddable lin simulator', () => {
  it.skipIf(why !== undefined)(why ? `skipped: ${why}` : 'passes every shared case on the native (libsodium) and the pure-JS path', async () => {
    const result = await runSelftest();
    console.log(JSON.stringify(result));
    expect(result.error).toBeUndefined();
    expect(result.libsodium).toMatch(/^1\.0\.\d+$/);
    expect(result.cases).toBeGreaterThanOrEqual(68);
    expect(result.native).toEqual({ pass: result.cases, fail: 0, failed: [] });
    expect(result.js).toEqual({ pass: result.cases, fail: 0, failed: [] });
    expect(Object.keys(result.usPerOp ?? {}).sort()).toEqual(['ed25519PublicKey', 'ed25519Sign', 'ed25519Verify', 'x25519PublicKey', 'x25519SharedSecret']);
  }, 600_000);
});
