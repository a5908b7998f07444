/**
 * The firmware slots of an ESP32 build: slots.ts EspOtaSlots on the real
 * partitions. `embedded:update` erases and writes the inactive partition,
 * `embedded:storage/flash` ("nextota") reads it back and resumes a write,
 * our native `ssiot/ota` (native/ota.c) answers what runs and selects,
 * confirms and reverts. The simulators map this module to boot-slots-sim.ts.
 */
import Flash from 'embedded:storage/flash';
import Update from 'embedded:update';
import * as Ota from 'ssiot/ota';
import type { FirmwareSlots, KeyValueStore } from '../../device/updater/host.ts';
import { EspOtaSlots, type OtaPlatform } from './slots.ts';

function espOtaPlatform(): OtaPlatform {
  const openNext = () => Flash.open({ path: 'nextota', mode: 'r+' });
  const probe = openNext();
  const capacity = probe.status().size;
  probe.close();
  let partition: ReturnType<typeof openNext> | undefined;
  const inactive = () => (partition ??= openNext());
  return {
    capacity,
    runningSlot: () => (Ota.running() === 'ota_1' ? 'b' : 'a'),
    pendingVerify: () => Ota.pendingVerify(),
    beginUpdate() {
      const u = Update.open({ partition: inactive(), mode: 'w', byteLength: capacity });
      return { write: (bytes, offset) => u.write(bytes, offset), complete: () => u.complete(), close: () => u.close() };
    },
    inactivePartition: () => {
      const p = inactive();
      return { read: (n, offset) => p.read(n, offset), write: (b, offset) => p.write(b, offset) };
    },
    setBootInactive: () => Ota.setBoot('nextota'),
    markValid: () => Ota.markValid(),
  };
}

export function openSlots(kv: KeyValueStore): Promise<FirmwareSlots> {
  return EspOtaSlots.open(espOtaPlatform(), kv);
}

/** The chip's bootloader chose the slot before the firmware started: nothing to do. */
export function powerOn(_slots: FirmwareSlots): void {}

/** The chip restarts into the slot the bootloader picks. */
export const restartsInProcess = false;

export function restart(): void {
  Ota.restart();
}
