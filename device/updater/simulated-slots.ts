/**
 * What every simulated slot host shares (memory here, files in
 * hosts/node/slots.ts): the FirmwareSlots operations over the bootloader
 * state of boot-state.ts, each persistent step numbered through an optional
 * PowerFaults, and `boot()` — the bootloader at power-on. A subclass only
 * stores bytes and the state.
 *
 * Write steps: open = boot state (finalized mark dropped) then, when
 * erasing, the erase; each slot write; finalize, setBootSlot, confirm and
 * revert = one boot-state write each. The mark is dropped before the erase
 * so a half-erased slot is never marked bootable.
 */
import {
  bootDecision,
  confirmState,
  finalizeState,
  openInactiveState,
  otherSlot,
  revertState,
  runningImage,
  setBootSlotState,
  type BootState,
} from './boot-state.ts';
import type { FirmwareSlots, RunningImage, SlotName, SlotWriter } from './host.ts';
import type { PowerFaults } from './memory.ts';

export abstract class SimulatedSlotsBase implements FirmwareSlots {
  readonly capacity: number;
  protected state: BootState;
  protected readonly faults?: PowerFaults;

  protected constructor(capacity: number, state: BootState, faults?: PowerFaults) {
    this.capacity = capacity;
    this.state = state;
    this.faults = faults;
  }

  /** Store the boot state atomically (old or new after a crash). */
  protected abstract saveState(next: BootState): void;
  /** The boot state as persisted (what a restarted device reads). */
  protected abstract loadState(): BootState;
  protected abstract eraseData(slot: SlotName): void;
  protected abstract writeData(slot: SlotName, offset: number, data: Uint8Array): void;
  /** Bytes of a slot; never-written bytes read as 0xff (erased flash). */
  abstract readSlot(slot: SlotName, offset: number, length: number): Uint8Array;

  /** One persistent write step, under the power-cut plan. */
  protected async step(label: string, action: () => void): Promise<void> {
    if (this.faults) await this.faults.write(label, action);
    else action();
  }

  private persist(label: string, next: BootState): Promise<void> {
    return this.step(label, () => {
      this.saveState(next);
      this.state = next;
    });
  }

  /** The bootloader at power-on: picks the slot from the persisted state and records a trial start. */
  boot(): RunningImage {
    this.faults?.restore();
    const next = bootDecision(this.loadState());
    this.saveState(next);
    this.state = next;
    return runningImage(next);
  }

  /** A copy of the bootloader state (tests, tools). */
  bootState(): BootState {
    return JSON.parse(JSON.stringify(this.state)) as BootState;
  }

  async running(): Promise<RunningImage> {
    this.faults?.check();
    return runningImage(this.state);
  }

  async openInactive(options: { erase: boolean }): Promise<SlotWriter> {
    this.faults?.check();
    const slot = otherSlot(this.state.running);
    await this.persist(`slots.open ${slot}`, openInactiveState(this.state, options.erase));
    if (options.erase) await this.step(`slots.erase ${slot}`, () => this.eraseData(slot));
    return {
      slot,
      capacity: this.capacity,
      write: async (offset, data) => {
        if (offset < 0 || offset + data.length > this.capacity) throw new RangeError('write beyond the slot');
        // the step runs synchronously before any await: no copy of `data` is needed (or made: memory stays flat)
        await this.step(`slots.write ${slot}@${offset}+${data.length}`, () => this.writeData(slot, offset, data));
      },
      read: async (offset, length) => {
        this.faults?.check();
        if (offset < 0 || offset + length > this.capacity) throw new RangeError('read beyond the slot');
        return this.readSlot(slot, offset, length);
      },
      finalize: async (info) => this.persist(`slots.finalize ${slot}`, finalizeState(this.state, slot, info)),
    };
  }

  async setBootSlot(slot: SlotName): Promise<void> {
    this.faults?.check();
    await this.persist(`slots.setBoot ${slot}`, setBootSlotState(this.state, slot));
  }

  async confirm(): Promise<void> {
    this.faults?.check();
    await this.persist('slots.confirm', confirmState(this.state));
  }

  async revert(): Promise<void> {
    this.faults?.check();
    await this.persist('slots.revert', revertState(this.state));
  }
}
