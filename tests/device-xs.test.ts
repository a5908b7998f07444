/**
 * The device story with the device agent running inside XS (the engine of
 * the Moddable target): hosts/xs/device-story.ts runs in a process of its
 * own (xsnap needs a locked-down realm, never a vitest worker), with the
 * agent in an xsnap worker and the factory station and the owner's phone in
 * Node; this test spawns it and checks what it reports.
 */
import { describe, expect, it } from 'vitest';
import type { StoryResult } from '../hosts/xs/device-story.ts';
import { runTsxScript } from './support/spawn-node.ts';

const runStory = () => runTsxScript('hosts/xs/device-story.ts');

describe('device agent inside XS', () => {
  it('is manufactured, paired by QR, issues an imprint that verifies to the manufacturer, keeps its owner across a reboot and revokes on reset', async () => {
    const run = await runStory();
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const r = JSON.parse(run.stdout.trim().split('\n').pop() as string) as StoryResult;
    expect(r.deviceDid).toMatch(/^did:key:z6Mk/);
    expect(r.lifecycleAfterPairing).toBe('owned');
    expect(r.ownerDid).toMatch(/^did:peer:2\./);
    expect(r.imprintChainOwner).toBe(r.ownerDid);
    expect(r.ownerAfterReboot).toBe(r.ownerDid);
    expect(r.transferWindow).toBe('transfer');
    expect(r.lifecycleAfterReset).toBe('unowned');
    expect(r.revokedAfterReset).toBe('vc.imprint_revoked');
    // every device crank ran in XS and was metered
    for (const c of [r.cranks.pairRequest, r.cranks.requestCredential, r.cranks.transferOpen]) expect(c.compute).toBeGreaterThan(0);
  }, 120_000);
});
