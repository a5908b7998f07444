/**
 * `openSlots` (boot-slots.ts) for Moddable's desktop simulators: two slots
 * in memory with the trial-boot bootloader model of device/updater
 * (MemorySlots). An update installs and reports; the simulator process does
 * not restart into it.
 */
import type { FirmwareSlots, KeyValueStore } from '../../device/updater/host.ts';
import { MemorySlots } from '../../device/updater/memory.ts';

/** 1 MiB slots, like the Node host's default. */
export const SIMULATED_SLOT_BYTES = 1 << 20;

export async function openSlots(_kv: KeyValueStore): Promise<FirmwareSlots> {
  return new MemorySlots({ capacity: SIMULATED_SLOT_BYTES });
}

export function restart(): void {
  // the simulator keeps running: the new "image" is the same code
}
