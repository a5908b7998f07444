/**
 * The updater's trusted state, like a TUF client's trusted metadata: the
 * manufacturer DID pinned at manufacture, its verified did:webvh state, the
 * installed (anti-rollback) sequence number and the latest time the device
 * has evidence of. It is read once per operation, only ever replaced by a
 * state that is at least as far forward in every member (checked here, so a
 * bug elsewhere cannot move trust backwards), and written in one atomic
 * key-value write.
 */
import type { WebvhState } from '../../protocols/did/webvh/types.ts';
import { parseDateTimeStamp } from '../../protocols/vc/datetime.ts';
import { FirmwareError } from '../../protocols/errors.ts';
import type { KeyValueStore } from './host.ts';

export const TRUSTED_STATE_KEY = 'firmware/trusted';

export interface TrustedState {
  version: 1;
  /** The manufacturer DID pinned at manufacture; the log's SCID never changes after it. */
  pinnedDid: string;
  /** The manufacturer's verified did:webvh state (document, keys, parameters). */
  manufacturer: WebvhState;
  /** Anti-rollback counter: the sequence number of the confirmed running image. */
  installedSequence: number;
  /** Latest trustworthy time seen (the newest verified versionTime), ISO 8601. */
  lastSeen: string;
}

function corrupt(message: string): FirmwareError {
  return new FirmwareError('firmware.state_corrupt', `trusted state: ${message}`);
}

/** Structural check of a stored trusted state (storage is not trusted to be intact). */
export function checkTrustedState(v: unknown): TrustedState {
  if (typeof v !== 'object' || v === null) throw corrupt('not an object');
  const t = v as Record<string, unknown>;
  if (t.version !== 1) throw corrupt('unknown version');
  if (typeof t.pinnedDid !== 'string') throw corrupt('pinnedDid');
  if (typeof t.manufacturer !== 'object' || t.manufacturer === null) throw corrupt('manufacturer');
  const m = t.manufacturer as Record<string, unknown>;
  if (typeof m.scid !== 'string' || typeof m.did !== 'string' || typeof m.versionNumber !== 'number') throw corrupt('manufacturer state');
  if (!Number.isSafeInteger(t.installedSequence) || (t.installedSequence as number) < 0) throw corrupt('installedSequence');
  if (typeof t.lastSeen !== 'string' || parseDateTimeStamp(t.lastSeen) === undefined) throw corrupt('lastSeen');
  return v as TrustedState;
}

export async function loadTrustedState(kv: KeyValueStore): Promise<TrustedState> {
  const text = await kv.get(TRUSTED_STATE_KEY);
  if (text === undefined) throw new FirmwareError('firmware.not_provisioned', 'the device has no pinned manufacturer DID');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  return checkTrustedState(v);
}

function timeOf(s: string): number {
  return parseDateTimeStamp(s) ?? Number.NaN;
}

/**
 * Replaces the stored state with `next` when `next` is at least as far
 * forward as `current` in every member; anything else is a bug and throws
 * `firmware.state_regression` without writing.
 */
export async function advanceTrustedState(kv: KeyValueStore, current: TrustedState, next: TrustedState): Promise<void> {
  const c = current.manufacturer;
  const n = next.manufacturer;
  const backwards =
    next.pinnedDid !== current.pinnedDid ||
    n.scid !== c.scid ||
    n.versionNumber < c.versionNumber ||
    (n.versionNumber === c.versionNumber && n.versionId !== c.versionId) ||
    next.installedSequence < current.installedSequence ||
    !(timeOf(next.lastSeen) >= timeOf(current.lastSeen));
  if (backwards) throw new FirmwareError('firmware.state_regression', 'refusing to move the trusted state backwards');
  await kv.set(TRUSTED_STATE_KEY, JSON.stringify(checkTrustedState(next)));
}

/** Later of two ISO times (the second may be undefined). */
export function laterTime(a: string, b: string | undefined): string {
  if (b === undefined) return a;
  return timeOf(b) > timeOf(a) ? b : a;
}
