/** The bounded replay guard: what it remembers, for how long, and its memory bound. */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { createReplayGuard, REPLAY_ENTRY_BYTES } from './replay.ts';

describe('replay guard', () => {
  it('refuses an id seen inside the window, per sender', () => {
    const g = createReplayGuard({ windowSeconds: 60 });
    g.check('did:example:a', 'm1', 1000);
    expectCode(() => g.check('did:example:a', 'm1', 1030), 'didcomm.replayed');
    // Same id from another sender, or anonymously, is another message.
    g.check('did:example:b', 'm1', 1030);
    g.check(undefined, 'm1', 1030);
    expectCode(() => g.check(undefined, 'm1', 1031), 'didcomm.replayed');
    // (from, id) pairs cannot be confused by moving characters between them.
    g.check('did:example:a:m', '1', 1031);
  });

  it('forgets after the window, or at expires_time when that comes first', () => {
    const g = createReplayGuard({ windowSeconds: 60 });
    g.check('a', 'm1', 1000);
    g.check('a', 'm1', 1061); // past the window: accepted again (and remembered again)
    expectCode(() => g.check('a', 'm1', 1062), 'didcomm.replayed');
    g.check('a', 'm2', 2000, 2010);
    expectCode(() => g.check('a', 'm2', 2010), 'didcomm.replayed');
    g.check('a', 'm2', 2011);
  });

  it('never holds more than maxEntries ids, however many arrive', () => {
    const g = createReplayGuard({ maxEntries: 16, windowSeconds: 3600 });
    expect(g.memoryBoundBytes).toBe(16 * REPLAY_ENTRY_BYTES);
    for (let i = 0; i < 200; i++) {
      g.check('x', `id-${i}-${'long'.repeat(i)}`, 5000 + i);
      expect(g.size).toBeLessThanOrEqual(16);
    }
    expect(g.size).toBe(16);
    // The newest are still remembered; the oldest were evicted (the stated limit of a bounded guard).
    expectCode(() => g.check('x', `id-199-${'long'.repeat(199)}`, 5300), 'didcomm.replayed');
    g.check('x', 'id-0-', 5300);
  });

  it('when full, drops entries past their time before evicting live ones', () => {
    const g = createReplayGuard({ maxEntries: 3, windowSeconds: 10 });
    g.check('x', 'old', 0);
    g.check('x', 'live-1', 15);
    g.check('x', 'live-2', 16);
    g.check('x', 'new', 17); // 'old' expired at 10: swept, live ones kept
    expectCode(() => g.check('x', 'live-1', 18), 'didcomm.replayed');
    expectCode(() => g.check('x', 'live-2', 18), 'didcomm.replayed');
  });

  it('rejects nonsensical sizes', () => {
    expectCode(() => createReplayGuard({ maxEntries: 0 }), 'didcomm.invalid_argument');
    expectCode(() => createReplayGuard({ windowSeconds: -1 }), 'didcomm.invalid_argument');
  });
});
