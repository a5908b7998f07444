/**
 * A replay guard for received messages: remembers message ids for a time
 * window and refuses one seen again (`didcomm.replayed`).
 *
 * Why bounded: anyone who can reach a device can send it messages, so the
 * memory a guard uses must not grow with what strangers send. This one keeps
 * at most `maxEntries` ids, each stored as a fixed-size digest (16 bytes of
 * SHA-256, as 32 hex characters) whatever the id's length, and forgets an id
 * after `windowSeconds` or when the message's own `expires_time` has passed
 * (an expired message is refused anyway). When full it first drops entries
 * past their time, then the oldest ones (insertion order).
 *
 * Memory bound: maxEntries × (32-character key + one number + Map overhead),
 * about 100 bytes per entry in V8 and XS; `memoryBoundBytes` states it.
 *
 * The limit of a bounded guard, stated plainly: an id evicted early (more
 * than maxEntries distinct messages inside one window) can be replayed.
 * Size the guard for the message rate the device accepts; anoncrypted
 * messages (which anyone can produce) count against it too.
 *
 * The key is the pair (from, id): ids are unique per sender (spec §Message
 * Headers), so two senders choosing the same id do not collide.
 */
import { getCrypto } from '../crypto/index.ts';
import { bytesToHex, utf8Encode } from '../encoding/bytes.ts';
import { DidcommError } from '../errors.ts';

export interface ReplayGuard {
  /**
   * Record (from, id) as seen at `now` (epoch seconds), or throw
   * `didcomm.replayed` if it was seen inside the window. `expiresTime` (the
   * message's `expires_time`) may shorten how long it is remembered.
   * May return a promise (a persistent guard over the wallet).
   */
  check(from: string | undefined, id: string, now: number, expiresTime?: number): void | Promise<void>;
}

export interface MemoryReplayGuard extends ReplayGuard {
  /** Entries held now. */
  readonly size: number;
  readonly maxEntries: number;
  readonly windowSeconds: number;
  /** Upper bound of the memory the entries take, in bytes (estimate: 100 per entry). */
  readonly memoryBoundBytes: number;
}

export interface ReplayGuardOptions {
  /** Most ids remembered at once (default 1024). */
  maxEntries?: number;
  /** How long an id is remembered, seconds (default 86400: one day). */
  windowSeconds?: number;
}

/** Estimated bytes per entry (key string, number, Map slot) used for memoryBoundBytes. */
export const REPLAY_ENTRY_BYTES = 100;

function digestKey(from: string | undefined, id: string): string {
  // Length-prefixing `from` keeps ("a b", "c") and ("a", "b c") apart.
  const f = from ?? '';
  return bytesToHex(getCrypto().sha256(utf8Encode(`${f.length}:${f}:${id}`)).subarray(0, 16));
}

/** An in-memory, bounded replay guard. */
export function createReplayGuard(options: ReplayGuardOptions = {}): MemoryReplayGuard {
  const maxEntries = options.maxEntries ?? 1024;
  const windowSeconds = options.windowSeconds ?? 86400;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new DidcommError('didcomm.invalid_argument', 'maxEntries must be a positive integer');
  if (typeof windowSeconds !== 'number' || !(windowSeconds > 0)) throw new DidcommError('didcomm.invalid_argument', 'windowSeconds must be positive');
  /** digest -> forget-after time (epoch seconds). */
  const seen = new Map<string, number>();

  function sweep(now: number): void {
    for (const [k, until] of seen) if (until < now) seen.delete(k);
  }

  return {
    check(from, id, now, expiresTime) {
      const key = digestKey(from, id);
      const until = seen.get(key);
      if (until !== undefined && until >= now) throw new DidcommError('didcomm.replayed', 'message id already received');
      seen.delete(key);
      if (seen.size >= maxEntries) {
        sweep(now);
        while (seen.size >= maxEntries) seen.delete(seen.keys().next().value as string);
      }
      const forgetAt = expiresTime !== undefined && expiresTime < now + windowSeconds ? expiresTime : now + windowSeconds;
      seen.set(key, forgetAt);
    },
    get size() {
      return seen.size;
    },
    maxEntries,
    windowSeconds,
    memoryBoundBytes: maxEntries * REPLAY_ENTRY_BYTES,
  };
}
