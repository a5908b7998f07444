/**
 * `openSlots` (boot-slots.ts) for Moddable's desktop simulators: two slots
 * in memory with the trial-boot bootloader model of device/updater
 * (MemorySlots). The simulator process cannot restart itself, so main.ts
 * boots the agent again in process over the same slots (restartsInProcess):
 * the trial boot, the confirmation and the report run as on hardware.
 */
import type { FirmwareSlots, KeyValueStore } from '../../device/updater/host.ts';
import { MemorySlots } from '../../device/updater/memory.ts';

/** 1 MiB slots, like the Node host's default. */
export const SIMULATED_SLOT_BYTES = 1 << 20;

export async function openSlots(_kv: KeyValueStore): Promise<FirmwareSlots> {
  return new MemorySlots({ capacity: SIMULATED_SLOT_BYTES });
}

/** The bootloader at power-on (and at each in-process reboot): picks the slot, starts a trial. */
export function powerOn(slots: FirmwareSlots): void {
  if (slots instanceof MemorySlots) slots.boot();
}

/** main.ts reboots the agent in process instead of calling restart(). */
export const restartsInProcess = true;

export function restart(): void {
  // not called on the simulators (restartsInProcess)
}
