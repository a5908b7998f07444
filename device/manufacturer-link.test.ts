import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { conduitWorld } from './testing/conduit.ts';
import { supportThreads } from './support.ts';
import type { MemoryDeviceHost } from './testing/memory-host.ts';

/** The manufacturer behind a broker that never answers: its envelopes are kept, not handled. */
const BROKER = 'mqtt://broker.test';

async function worldBehindSilentBroker() {
  const w = await conduitWorld({ endpoint: BROKER });
  const swallowed: string[] = [];
  w.network.transport(BROKER).listen(async (packed) => void swallowed.push(packed));
  return { ...w, swallowed };
}

/** Lets the device's handler run up to its wait (a few promise turns; no timers exist in XS). */
async function untilWaiting(host: MemoryDeviceHost): Promise<void> {
  for (let i = 0; i < 500 && host.pendingTimers === 0; i++) await Promise.resolve();
  expect(host.pendingTimers).toBe(1);
}

describe('the link to the manufacturer over a broker', () => {
  it('a lost answer ends the wait after the timeout (host timer); the thread is recorded as refused', async () => {
    const w = await worldBehindSilentBroker();
    const opening = w.owner.conduit.openSupport(w.paired, 'Grinds coarse');
    await untilWaiting(w.dev.host);
    w.dev.host.advance(29_000);
    expect(w.dev.host.pendingTimers).toBe(1); // not yet
    w.dev.host.advance(1_000);
    const refused = await expectCodeAsync(() => opening, 'owner.pairing_refused');
    expect((refused as { problem?: string }).problem).toBe('e.p.xfer.cant-use-endpoint');
    expect(w.dev.host.pendingTimers).toBe(0);
    expect(w.swallowed).toHaveLength(1);
    const threads = await supportThreads(w.dev.agent.wallet, w.paired.ownerDid);
    expect(threads.map((t) => t.status)).toEqual(['refused']);
  });

  it("the manufacturer's answer after the deadline is refused as a stray", async () => {
    const w = await worldBehindSilentBroker();
    const opening = w.owner.conduit.openSupport(w.paired, 'Grinds coarse');
    await untilWaiting(w.dev.host);
    w.dev.host.advance(30_000);
    await expectCodeAsync(() => opening, 'owner.pairing_refused');
    // the manufacturer finally handles the open-thread; its thread-opened reaches the device late
    const late = await w.maker.receive(w.swallowed[0]);
    expect(late).toBeDefined();
    const answer = await w.dev.agent.receive(late as string);
    expect(answer).toBeDefined(); // a problem report back to the manufacturer
    expect((await supportThreads(w.dev.agent.wallet, w.paired.ownerDid))[0].status).toBe('refused');
  });

  it('an answer in time completes the request and cancels the timer', async () => {
    const w = await worldBehindSilentBroker();
    const opening = w.owner.conduit.openSupport(w.paired, 'Grinds coarse');
    await untilWaiting(w.dev.host);
    w.dev.host.advance(10_000);
    const answer = await w.maker.receive(w.swallowed[0]);
    await w.dev.agent.receive(answer as string);
    const handle = await opening;
    expect(handle.supportThreadId).toBeDefined();
    expect(w.dev.host.pendingTimers).toBe(0);
    expect((await supportThreads(w.dev.agent.wallet, w.paired.ownerDid))[0].status).toBe('open');
  });

  it('without a host timer the wait ends lazily, when the link is next used past the deadline', async () => {
    const w = await worldBehindSilentBroker();
    (w.dev.host as { setTimer?: unknown }).setTimer = undefined;
    await w.dev.reboot();
    const first = w.owner.conduit.openSupport(w.paired, 'Grinds coarse');
    for (let i = 0; i < 500 && w.swallowed.length === 0; i++) await Promise.resolve();
    expect(w.swallowed).toHaveLength(1);
    w.dev.host.advance(31_000);
    // the next request through the link ends the expired wait (its own stays pending, unanswered)
    void w.owner.conduit.openSupport(w.paired, 'Still coarse').catch(() => undefined);
    await expectCodeAsync(() => first, 'owner.pairing_refused');
  });
});
