/**
 * The device lifecycle as data: states, events and one transition table.
 *
 *   factory  --manufactured-->  unowned (pairing window open)
 *   unowned  --paired-->        owned
 *   owned    --open_transfer--> owned (transfer window open)
 *   owned    --paired-->        owned (new owner, only through a transfer window)
 *   unowned|owned --factory_reset--> unowned (fresh pairing window, attempts 0)
 *
 * A pairing/transfer window closes on success, on timeout (`close_window`)
 * or after MAX_PAIRING_ATTEMPTS failed proofs (`attempt_failed`). Nothing
 * reopens a window except a physical act (factory reset, the host's pairing
 * button: `open_pairing`) or the owner (`open_transfer`): a reboot does not,
 * so rebooting cannot reset the attempt counter.
 *
 * The whole state is one JSON record in the wallet (type DEVICE_STATE_TYPE),
 * written with one atomic key-value write per transition: after a power cut
 * at any point the device boots either in the state before or after it.
 */
import type { Wallet } from '../protocols/wallet/wallet.ts';
import { DeviceError } from './errors.ts';

export type Lifecycle = 'factory' | 'unowned' | 'owned';

/** At most this many failed pairing proofs per window (issue 6). */
export const MAX_PAIRING_ATTEMPTS = 20;

export interface PairingWindow {
  kind: 'pairing' | 'transfer';
  /** Wall-clock ms; the host clock may be wrong, so the window also closes on a monotonic budget per boot. */
  expiresAt: number;
  /** Failed proofs in this window (persisted: survives reboots). */
  attempts: number;
}

export interface OwnerRecord {
  /** The owner's pairwise DID (did:peer:2). */
  did: string;
  /** The device's pairwise DID for this owner. */
  deviceDid: string;
  /** ISO 8601 time of pairing (the imprint's `since`). */
  since: string;
  /** Index of the owner's imprint in the device's status list. */
  imprintIndex: number;
}

export interface DeviceState {
  version: 1;
  lifecycle: Lifecycle;
  window: PairingWindow | null;
  owner: OwnerRecord | null;
  /** Transitions applied since manufacture (a write counter, to see progress in tests and logs). */
  seq: number;
}

export type DeviceEvent =
  | { type: 'manufactured'; expiresAt: number }
  | { type: 'open_pairing'; expiresAt: number }
  | { type: 'open_transfer'; expiresAt: number }
  | { type: 'attempt_failed' }
  | { type: 'close_window' }
  | { type: 'paired'; owner: OwnerRecord }
  | { type: 'factory_reset'; expiresAt: number };

type Rule = (s: DeviceState, e: DeviceEvent) => Omit<DeviceState, 'version' | 'seq'> | undefined;

const openWindow = (kind: PairingWindow['kind'], expiresAt: number): PairingWindow => ({ kind, expiresAt, attempts: 0 });

/** Rules of both manufactured states: failures, closing a window, factory reset. */
const MANUFACTURED: Partial<Record<DeviceEvent['type'], Rule>> = {
  attempt_failed: (s) => failed(s),
  close_window: (s) => (s.window ? { lifecycle: s.lifecycle, window: null, owner: s.owner } : undefined),
  factory_reset: (_s, e) => reset(e),
};

/** `paired` is accepted only inside a window of `kind` (pairing when unowned, transfer when owned). */
const pairedIn =
  (kind: PairingWindow['kind']): Rule =>
  (s, e) =>
    s.window?.kind === kind ? { lifecycle: 'owned', window: null, owner: (e as { owner: OwnerRecord }).owner } : undefined;

/**
 * The transition table: lifecycle → event type → rule. A rule returns the
 * next state, or undefined when its guard refuses; a missing entry is an
 * event the state does not accept.
 */
export const TRANSITIONS: Readonly<Record<Lifecycle, Partial<Record<DeviceEvent['type'], Rule>>>> = {
  factory: {
    manufactured: (_s, e) => ({ lifecycle: 'unowned', window: openWindow('pairing', (e as { expiresAt: number }).expiresAt), owner: null }),
  },
  unowned: {
    ...MANUFACTURED,
    open_pairing: (s, e) => ({ lifecycle: 'unowned', window: openWindow('pairing', (e as { expiresAt: number }).expiresAt), owner: s.owner }),
    paired: pairedIn('pairing'),
  },
  owned: {
    ...MANUFACTURED,
    open_transfer: (s, e) => ({ lifecycle: 'owned', window: openWindow('transfer', (e as { expiresAt: number }).expiresAt), owner: s.owner }),
    paired: pairedIn('transfer'),
  },
};

function failed(s: DeviceState): Omit<DeviceState, 'version' | 'seq'> | undefined {
  if (!s.window) return undefined;
  const attempts = s.window.attempts + 1;
  // the window closes with the last allowed failure
  return { lifecycle: s.lifecycle, window: attempts >= MAX_PAIRING_ATTEMPTS ? null : { ...s.window, attempts }, owner: s.owner };
}

function reset(e: DeviceEvent): Omit<DeviceState, 'version' | 'seq'> {
  return { lifecycle: 'unowned', window: openWindow('pairing', (e as { expiresAt: number }).expiresAt), owner: null };
}

/** The state of a freshly flashed device. */
export function initialState(): DeviceState {
  return { version: 1, lifecycle: 'factory', window: null, owner: null, seq: 0 };
}

/** Pure: the state after `event`, or `device.invalid_transition`. */
export function transition(state: DeviceState, event: DeviceEvent): DeviceState {
  const rule = TRANSITIONS[state.lifecycle][event.type];
  const next = rule && rule(state, event);
  if (!next) throw new DeviceError('device.invalid_transition', `${event.type} is not allowed in state ${state.lifecycle}${state.window ? ` (${state.window.kind} window)` : ''}`);
  return { version: 1, ...next, seq: state.seq + 1 };
}

/** True when `state` has a window of `kind` open at wall time `now`. */
export function windowOpen(state: DeviceState, now: number): boolean {
  return state.window !== null && now < state.window.expiresAt;
}

export const DEVICE_STATE_TYPE = 'device:state';
const STATE_ID = 'lifecycle';

function corrupt(what: string): DeviceError {
  return new DeviceError('device.state_corrupt', `stored device state: ${what}`);
}

/** Structural check of a stored state (the wallet authenticates it, but versions change). */
export function checkDeviceState(v: unknown): DeviceState {
  if (typeof v !== 'object' || v === null) throw corrupt('not an object');
  const s = v as Record<string, unknown>;
  if (s.version !== 1) throw corrupt('unknown version');
  if (s.lifecycle !== 'factory' && s.lifecycle !== 'unowned' && s.lifecycle !== 'owned') throw corrupt('lifecycle');
  if (!Number.isSafeInteger(s.seq)) throw corrupt('seq');
  if (s.window !== null) {
    const w = s.window as Record<string, unknown>;
    if (typeof w !== 'object' || (w.kind !== 'pairing' && w.kind !== 'transfer') || typeof w.expiresAt !== 'number' || !Number.isSafeInteger(w.attempts)) throw corrupt('window');
  }
  if (s.owner !== null) {
    const o = s.owner as Record<string, unknown>;
    if (typeof o !== 'object' || typeof o.did !== 'string' || typeof o.deviceDid !== 'string' || typeof o.since !== 'string' || !Number.isSafeInteger(o.imprintIndex)) throw corrupt('owner');
  }
  return v as DeviceState;
}

/**
 * The persisted lifecycle: `current` is what is in the wallet; `apply`
 * writes the next state (one atomic write) before it becomes current, so a
 * failed write leaves both the wallet and `current` unchanged.
 */
export class DeviceStateStore {
  private constructor(
    private readonly wallet: Wallet,
    private state: DeviceState,
  ) {}

  /** Loads the stored state, or writes the initial one on first boot. */
  static async load(wallet: Wallet): Promise<DeviceStateStore> {
    const item = await wallet.get(DEVICE_STATE_TYPE, STATE_ID);
    if (item) {
      let v: unknown;
      try {
        v = JSON.parse(item.value);
      } catch {
        throw corrupt('not JSON');
      }
      return new DeviceStateStore(wallet, checkDeviceState(v));
    }
    const s = initialState();
    await wallet.add({ type: DEVICE_STATE_TYPE, id: STATE_ID, value: JSON.stringify(s), tags: {} });
    return new DeviceStateStore(wallet, s);
  }

  get current(): DeviceState {
    return this.state;
  }

  async apply(event: DeviceEvent): Promise<DeviceState> {
    const next = transition(this.state, event);
    await this.wallet.update(DEVICE_STATE_TYPE, STATE_ID, { value: JSON.stringify(next) });
    this.state = next;
    return next;
  }
}
