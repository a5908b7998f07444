/**
 * Firmware slots for the Node host (simulator, desktop device): two slot
 * files and the bootloader state in one directory, with the trial-boot
 * rules of device/updater/boot-state.ts.
 *
 *   <dir>/slot-a.bin, <dir>/slot-b.bin   image bytes (erased = empty file;
 *                                        bytes never written read as 0xff)
 *   <dir>/boot.json                      BootState, replaced atomically
 *                                        (write temp file, fsync, rename)
 *
 * Every persistent write (boot state, slot erase, slot write) goes through
 * an optional PowerFaults, so a test can cut the power before or after any
 * of them; `boot()` then re-reads everything from disk as a restarted
 * device would. Files are written with synchronous calls: a write is on
 * disk (in the page cache; `sync: true` adds fdatasync) when it returns,
 * which is the ordering the updater relies on.
 */
import { closeSync, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { initialBootState, SlotStateError, type BootState } from '../../device/updater/boot-state.ts';
import type { SlotImageInfo, SlotName } from '../../device/updater/host.ts';
import type { PowerFaults } from '../../device/updater/memory.ts';
import { SimulatedSlotsBase } from '../../device/updater/simulated-slots.ts';

export interface FileSlotsOptions {
  dir: string;
  /** Bytes per slot. */
  capacity: number;
  faults?: PowerFaults;
  /** fdatasync after each slot write and fsync the boot state (default false: page cache is enough for a simulation). */
  sync?: boolean;
}

export class FileSlots extends SimulatedSlotsBase {
  readonly dir: string;
  private readonly sync: boolean;

  private constructor(options: FileSlotsOptions, state: BootState) {
    super(options.capacity, state, options.faults);
    this.dir = options.dir;
    this.sync = options.sync === true;
  }

  /** A factory-fresh device: `image` in slot a, confirmed. Overwrites what is in `dir`. */
  static create(options: FileSlotsOptions & { factoryImage?: { bytes: Uint8Array; info: SlotImageInfo } }): FileSlots {
    mkdirSync(options.dir, { recursive: true });
    writeFileSync(join(options.dir, 'slot-a.bin'), options.factoryImage?.bytes ?? new Uint8Array(0));
    writeFileSync(join(options.dir, 'slot-b.bin'), new Uint8Array(0));
    const state = initialBootState(options.factoryImage?.info);
    writeFileSync(join(options.dir, 'boot.json'), JSON.stringify(state));
    return new FileSlots(options, state);
  }

  /** The slots as left on disk (a restart reads them this way). */
  static open(options: FileSlotsOptions): FileSlots {
    const slots = new FileSlots(options, initialBootState());
    slots.state = slots.loadState();
    return slots;
  }

  private slotPath(slot: SlotName): string {
    return join(this.dir, `slot-${slot}.bin`);
  }

  protected loadState(): BootState {
    const p = join(this.dir, 'boot.json');
    if (!existsSync(p)) throw new SlotStateError(`no boot state in ${this.dir}`);
    return JSON.parse(readFileSync(p, 'utf8')) as BootState;
  }

  /** Temp file, (fsync,) rename: a crash leaves the old or the new state. */
  protected saveState(next: BootState): void {
    const tmp = join(this.dir, 'boot.json.tmp');
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(next));
      if (this.sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, 'boot.json'));
  }

  protected eraseData(slot: SlotName): void {
    truncateSync(this.slotPath(slot), 0);
  }

  protected writeData(slot: SlotName, offset: number, data: Uint8Array): void {
    const path = this.slotPath(slot);
    const fd = openSync(path, 'r+');
    try {
      const size = statSync(path).size;
      // a gap before `offset` must read as erased flash, not as zeros
      if (offset > size) writeSync(fd, new Uint8Array(offset - size).fill(0xff), 0, offset - size, size);
      writeSync(fd, data, 0, data.length, offset);
      if (this.sync) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  readSlot(slot: SlotName, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length).fill(0xff);
    const path = this.slotPath(slot);
    const fd = openSync(path, 'r');
    try {
      const n = Math.max(0, Math.min(length, statSync(path).size - offset));
      if (n > 0) readSync(fd, out, 0, n, offset);
    } finally {
      closeSync(fd);
    }
    return out;
  }
}
