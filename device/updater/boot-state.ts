/**
 * The A/B bootloader state every simulated slot host shares (memory and
 * files): which slot is confirmed, which one is on trial, and what each
 * slot holds. Pure functions over a JSON value, so a host persists it in
 * one atomic write and a power cut leaves the old or the new state.
 *
 * Boot rule (MCUboot "test" swap / ESP-IDF PENDING_VERIFY): a slot set for
 * trial boots once; if the device starts again without the trial image
 * having confirmed itself, the bootloader goes back to the confirmed slot.
 */
import type { RunningImage, SlotImageInfo, SlotName } from './host.ts';

export interface BootState {
  /** The confirmed slot (what boots when nothing is on trial). */
  confirmed: SlotName;
  /** The slot to try, if any. */
  trial?: SlotName;
  /** Whether the trial slot has been started once already. */
  trialStarted: boolean;
  /** The slot running now (set by boot()). */
  running: SlotName;
  /** Finalized image info per slot; absent while a slot is erased or being written. */
  images: Partial<Record<SlotName, SlotImageInfo>>;
}

/** Thrown by simulated hosts for operations the bootloader model forbids (a bug in the caller). */
export class SlotStateError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = 'SlotStateError';
    this.code = 'host.slot_state';
  }
}

export function otherSlot(s: SlotName): SlotName {
  return s === 'a' ? 'b' : 'a';
}

/** A factory-fresh device: `image` in slot a, confirmed and running. */
export function initialBootState(image?: SlotImageInfo): BootState {
  return { confirmed: 'a', trialStarted: false, running: 'a', images: image ? { a: image } : {} };
}

/** What the bootloader does at power-on: the slot it starts and the state it writes. */
export function bootDecision(s: BootState): BootState {
  const next: BootState = JSON.parse(JSON.stringify(s)) as BootState;
  if (next.trial !== undefined && !next.trialStarted && next.images[next.trial]) {
    next.trialStarted = true;
    next.running = next.trial;
  } else {
    // no trial, or the trial image did not confirm itself: back to the confirmed slot
    delete next.trial;
    next.trialStarted = false;
    next.running = next.confirmed;
  }
  return next;
}

export function runningImage(s: BootState): RunningImage {
  const r: RunningImage = { slot: s.running, trial: s.trial !== undefined && s.running === s.trial && s.running !== s.confirmed };
  const img = s.images[s.running];
  if (img) r.image = { ...img };
  return r;
}

/** State after opening the inactive slot (erase drops its finalized mark and any pending trial of it). */
export function openInactiveState(s: BootState, erase: boolean): BootState {
  if (runningImage(s).trial) throw new SlotStateError('the running image is on trial: the other slot is the way back');
  const target = otherSlot(s.running);
  const next: BootState = JSON.parse(JSON.stringify(s)) as BootState;
  if (erase || next.images[target]) {
    delete next.images[target];
    if (next.trial === target) {
      delete next.trial;
      next.trialStarted = false;
    }
  }
  return next;
}

export function finalizeState(s: BootState, slot: SlotName, info: SlotImageInfo): BootState {
  if (slot === s.running) throw new SlotStateError('cannot finalize the running slot');
  return { ...s, images: { ...s.images, [slot]: { ...info } } };
}

export function setBootSlotState(s: BootState, slot: SlotName): BootState {
  if (slot === s.running) throw new SlotStateError('the slot to boot must be the inactive one');
  if (!s.images[slot]) throw new SlotStateError('only a finalized slot can be booted');
  return { ...s, trial: slot, trialStarted: false };
}

export function confirmState(s: BootState): BootState {
  if (!runningImage(s).trial) return s;
  const next: BootState = { ...s, confirmed: s.running, trialStarted: false };
  delete next.trial;
  return next;
}

export function revertState(s: BootState): BootState {
  const next: BootState = { ...s, trialStarted: false };
  delete next.trial;
  return next;
}
