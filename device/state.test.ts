import { describe, expect, it } from 'vitest';
import { expectCode, expectCodeAsync } from '../tests/support/assert.ts';
import { DeviceStateStore, initialState, MAX_PAIRING_ATTEMPTS, transition, type DeviceEvent, type DeviceState } from './state.ts';
import { openDeviceWallet } from './store.ts';
import { isPowerCut, MemoryDeviceHost } from './testing/memory-host.ts';

const owner = { did: 'did:peer:2.owner', deviceDid: 'did:peer:2.device', since: '2026-01-01T00:00:00Z', imprintIndex: 7 };

describe('device lifecycle transitions', () => {
  it('factory -> unowned -> owned -> transfer -> owned -> reset', () => {
    let s = initialState();
    s = transition(s, { type: 'manufactured', expiresAt: 100 });
    expect(s.lifecycle).toBe('unowned');
    expect(s.window).toEqual({ kind: 'pairing', expiresAt: 100, attempts: 0 });
    s = transition(s, { type: 'paired', owner });
    expect(s.lifecycle).toBe('owned');
    expect(s.window).toBeNull();
    expect(s.owner).toEqual(owner);
    s = transition(s, { type: 'open_transfer', expiresAt: 200 });
    expect(s.window?.kind).toBe('transfer');
    s = transition(s, { type: 'paired', owner: { ...owner, did: 'did:peer:2.next' } });
    expect(s.owner?.did).toBe('did:peer:2.next');
    s = transition(s, { type: 'factory_reset', expiresAt: 300 });
    expect(s.lifecycle).toBe('unowned');
    expect(s.owner).toBeNull();
    expect(s.window).toEqual({ kind: 'pairing', expiresAt: 300, attempts: 0 });
    expect(s.seq).toBe(5);
  });

  it('refuses events a state does not accept', () => {
    expectCode(() => transition(initialState(), { type: 'paired', owner }), 'device.invalid_transition');
    const unowned = transition(initialState(), { type: 'manufactured', expiresAt: 1 });
    expectCode(() => transition(unowned, { type: 'open_transfer', expiresAt: 2 }), 'device.invalid_transition');
    const owned = transition(unowned, { type: 'paired', owner });
    // an owned device without a transfer window cannot be paired again
    expectCode(() => transition(owned, { type: 'paired', owner }), 'device.invalid_transition');
    expectCode(() => transition(owned, { type: 'open_pairing', expiresAt: 2 }), 'device.invalid_transition');
    const closed = transition(unowned, { type: 'close_window' });
    expectCode(() => transition(closed, { type: 'paired', owner }), 'device.invalid_transition');
    expectCode(() => transition(closed, { type: 'attempt_failed' }), 'device.invalid_transition');
  });

  it(`closes the window at ${MAX_PAIRING_ATTEMPTS} failed attempts`, () => {
    let s: DeviceState = transition(initialState(), { type: 'manufactured', expiresAt: 1 });
    for (let i = 1; i < MAX_PAIRING_ATTEMPTS; i++) {
      s = transition(s, { type: 'attempt_failed' });
      expect(s.window?.attempts).toBe(i);
    }
    s = transition(s, { type: 'attempt_failed' });
    expect(s.window).toBeNull();
  });
});

describe('persisted lifecycle', () => {
  const events: DeviceEvent[] = [
    { type: 'manufactured', expiresAt: 100 },
    { type: 'attempt_failed' },
    { type: 'paired', owner },
    { type: 'open_transfer', expiresAt: 200 },
    { type: 'factory_reset', expiresAt: 300 },
  ];

  it('survives a reboot after every write: the stored state is always the one before or after', async () => {
    // reference run: the states after each event
    const expected: DeviceState[] = [initialState()];
    for (const e of events) expected.push(transition(expected[expected.length - 1], e));
    for (let cut = 0; cut <= events.length + 2; cut++) {
      const host = new MemoryDeviceHost();
      host.walletStore.cutAfter(cut);
      let applied = 0;
      try {
        const store = await DeviceStateStore.load(await openDeviceWallet(host));
        for (const e of events) {
          await store.apply(e);
          applied++;
        }
      } catch (e) {
        expect(isPowerCut(e)).toBe(true);
      }
      host.reboot();
      const after = await DeviceStateStore.load(await openDeviceWallet(host));
      expect(after.current).toEqual(expected[applied]);
      // and the device carries on from there
      for (const e of events.slice(applied)) await after.apply(e);
      expect(after.current).toEqual(expected[events.length]);
    }
  });

  it('a refused transition writes nothing', async () => {
    const host = new MemoryDeviceHost();
    const store = await DeviceStateStore.load(await openDeviceWallet(host));
    const writes = host.walletStore.writes;
    await expectCodeAsync(() => store.apply({ type: 'paired', owner }), 'device.invalid_transition');
    expect(host.walletStore.writes).toBe(writes);
    expect(store.current).toEqual(initialState());
  });
});
