import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { loadSupportThread, supportThreads, limitContext } from './support.ts';
import { conduitWorld } from './testing/conduit.ts';

describe('thing as conduit: support threads through the device', () => {
  it('opens a thread, shares nothing by default, relays both ways and survives a reboot', async () => {
    const w = await conduitWorld();
    const thread = await w.owner.conduit.openSupport(w.paired, 'Grinder stalls', 'It stops after 3 seconds');
    const mt = w.maker.supportThreads.get(thread.supportThreadId);
    expect(mt?.subject).toBe('Grinder stalls');
    expect(mt?.device).toBe(w.dev.agent.identity.pairingDid);
    expect(mt?.messages).toEqual([{ from: 'owner', text: 'It stops after 3 seconds' }]);
    // default policy: nothing about the device is shared
    expect(mt?.context).toEqual({});
    const audit = await w.owner.readAuditLog(w.paired);
    expect(audit.entries.some((e) => e.event === 'support.context' && e.detail === 'none')).toBe(true);

    // owner -> manufacturer
    await w.owner.conduit.sendSupport(w.paired, thread, 'Burrs look clean');
    expect(mt?.messages[1]).toEqual({ from: 'owner', text: 'Burrs look clean' });
    // manufacturer -> owner, relayed by the device
    await w.maker.reply(thread.supportThreadId, 'Please hold the button for 5 s');
    expect(w.pushed).toHaveLength(1);
    const got = await w.owner.conduit.receive(w.paired, w.pushed[0]);
    expect(got).toEqual({ supportThreadId: thread.supportThreadId, from: 'manufacturer', text: 'Please hold the button for 5 s' });

    // the thread is a wallet object: after a reboot it is still there and still relays
    await w.dev.reboot();
    const stored = await loadSupportThread(w.dev.agent.wallet, thread.supportThreadId);
    expect(stored?.status).toBe('open');
    expect(stored?.messages.map((m) => m.from)).toEqual(['owner', 'owner', 'manufacturer']);
    await w.owner.conduit.sendSupport(w.paired, thread, 'Done, it works');
    expect(mt?.messages[mt.messages.length - 1]).toEqual({ from: 'owner', text: 'Done, it works' });
    await w.maker.reply(thread.supportThreadId, 'Great');
    expect((await w.owner.conduit.receive(w.paired, w.pushed[1])).text).toBe('Great');

    // closing: relayed; a closed thread takes no more messages
    await w.owner.conduit.closeSupport(w.paired, thread, 'solved');
    expect(mt?.closed).toBe('solved');
    await expectCodeAsync(() => w.owner.conduit.sendSupport(w.paired, thread, 'again?'), 'owner.refused');
  });

  it('the context is limited by the owner policy', async () => {
    const w = await conduitWorld();
    await w.owner.setPolicy(w.paired, { share: { diagnostics: true } });
    const a = await w.owner.conduit.openSupport(w.paired, 'diagnostics only');
    expect(w.maker.supportThreads.get(a.supportThreadId)?.context).toEqual({ model: 'Grinder One', firmware: '1.4.2' });
    await w.owner.setPolicy(w.paired, { share: { diagnostics: false, usageCounters: true } });
    const b = await w.owner.conduit.openSupport(w.paired, 'counters only');
    expect(w.maker.supportThreads.get(b.supportThreadId)?.context).toEqual({ counters: { cycles: 12, grams: 216 } });
    expect((await loadSupportThread(w.dev.agent.wallet, b.supportThreadId))?.shared).toEqual({ counters: { cycles: 12, grams: 216 } });
    expect(limitContext(w.facts, { model: false, firmware: false, counters: false })).toEqual({});
  });

  it('only the owner and the manufacturer write into a thread; a reset drops it', async () => {
    const w = await conduitWorld();
    const thread = await w.owner.conduit.openSupport(w.paired, 'noise');
    // another device's owner cannot write into this device's thread
    const stranger = (await conduitWorld()).paired;
    await expectCodeAsync(() => w.owner.conduit.sendSupport({ ...stranger, deviceDid: w.paired.deviceDid }, thread, 'hi'), 'owner.refused');
    expect(w.dev.agent.lastRefusal?.code).toBe('e.p.trust.not-owner');
    // an unknown thread id is refused
    await expectCodeAsync(() => w.owner.conduit.sendSupport(w.paired, { ...thread, supportThreadId: 'nope' }, 'hi'), 'owner.refused');
    expect(await supportThreads(w.dev.agent.wallet, w.paired.ownerDid)).toHaveLength(1);
    w.dev.host.advance(1000);
    await w.dev.host.pressFactoryReset();
    expect(await loadSupportThread(w.dev.agent.wallet, thread.supportThreadId)).toBeUndefined();
  });
});
