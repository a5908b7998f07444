/**
 * Reconnect delays: exponential, capped, jittered. Every device of a fleet
 * loses its broker at the same moment when the broker restarts; without
 * jitter they would all come back in the same millisecond, and without a
 * cap a device offline for a day would wait hours after the network returns.
 *
 *   base(n)  = min(maxMs, initialMs * factor^(n-1))     n = 1, 2, 3, ...
 *   delay(n) = base(n) * (1 - jitter) + random * base(n) * jitter
 *
 * ("equal jitter" when jitter = 0.5: never less than half the base, so the
 * backoff still grows). Pure and deterministic given `random`, so it is
 * tested exactly; hosts own the timers (XS has none).
 */
import { getCrypto } from '../../crypto/index.ts';
import { DidcommError } from '../../errors.ts';

export interface BackoffPolicy {
  /** Delay before the first reconnect attempt, ms. */
  initialMs: number;
  /** Cap on any delay, ms. */
  maxMs: number;
  /** Growth per attempt (> 1). */
  factor: number;
  /** Fraction of the delay that is random, 0..1. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 60_000, factor: 2, jitter: 0.5 };

/** Uniform in [0, 1) from the crypto facade (the only randomness neutral code may use). */
export function cryptoRandom(): number {
  const b = getCrypto().randomBytes(4);
  return (((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3]) / 4294967296;
}

/** Throws `didcomm.invalid_backoff` for a policy that could not produce sane delays. */
export function checkBackoffPolicy(p: BackoffPolicy): BackoffPolicy {
  const ok =
    typeof p === 'object' &&
    p !== null &&
    Number.isFinite(p.initialMs) &&
    p.initialMs > 0 &&
    Number.isFinite(p.maxMs) &&
    p.maxMs >= p.initialMs &&
    Number.isFinite(p.factor) &&
    p.factor >= 1 &&
    Number.isFinite(p.jitter) &&
    p.jitter >= 0 &&
    p.jitter <= 1;
  if (!ok) throw new DidcommError('didcomm.invalid_backoff', 'backoff needs 0 < initialMs <= maxMs, factor >= 1, 0 <= jitter <= 1');
  return p;
}

/** Delay before reconnect attempt `attempt` (1-based), in whole ms, never above `maxMs`. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = cryptoRandom): number {
  checkBackoffPolicy(policy);
  const n = Number.isInteger(attempt) && attempt > 0 ? attempt : 1;
  // factor^(n-1) overflows to Infinity for large n; min() caps it
  const base = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, n - 1));
  let r = random();
  if (!(r >= 0 && r < 1)) r = 0;
  const delay = base * (1 - policy.jitter) + r * base * policy.jitter;
  return Math.max(1, Math.min(policy.maxMs, Math.round(delay)));
}
