/**
 * FirmwareSlots (device/updater/host.ts) on an ESP32's two OTA app
 * partitions, `ota_0` = slot a and `ota_1` = slot b (esp32/partitions.csv),
 * with ESP-IDF's bootloader as the trial-boot bootloader
 * (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE: a new image boots in
 * PENDING_VERIFY and is rolled back unless it marks itself valid).
 *
 * The pieces and why:
 *  - a fresh write (`erase: true`) goes through ECMA-419 `embedded:update`
 *    (`mode: "w"`, `byteLength` = the slot: esp_ota_begin erases it), with
 *    `write(bytes, offset)`;
 *  - a write resumed after a restart (`erase: false`) cannot reopen
 *    `embedded:update` (esp_ota_begin would erase what is there), so it
 *    writes the same partition through `embedded:storage/flash` ("nextota",
 *    r+), which is also how `read` re-reads a partial image;
 *  - selecting the boot slot is `Updater.complete()` (esp_ota_end checks the
 *    image, then esp_ota_set_boot_partition) when the image was written in
 *    this session, else the native `ssiot/ota` setBoot; confirm and the
 *    PENDING_VERIFY state are `ssiot/ota` (esp_ota_mark_app_valid_cancel_rollback,
 *    esp_ota_get_state_partition), which `embedded:update` does not expose.
 *  - what finalize records (sequence, digest, size) and the slot on trial
 *    live in the updater's key-value store under `slots`, one atomic write
 *    each, so `running()` knows the running image and works even when the
 *    bootloader was built without rollback.
 *
 * The platform is passed in (`OtaPlatform`) so the bookkeeping runs under
 * Node against a fake; hosts/moddable/platform.ts builds the real one.
 */
import type { FirmwareSlots, KeyValueStore, RunningImage, SlotImageInfo, SlotName, SlotWriter } from '../../device/updater/host.ts';
import { otherSlot, SlotStateError } from '../../device/updater/boot-state.ts';

/** The inactive partition as `embedded:storage/flash` opens it ("nextota"). */
export interface PartitionIo {
  read(byteLength: number, byteOffset: number): ArrayBuffer;
  write(buffer: ArrayBuffer, byteOffset: number): void;
}

/** An `embedded:update` Updater on the inactive partition. */
export interface UpdateSession {
  write(bytes: ArrayBuffer, byteOffset: number): void;
  complete(): void;
  close(): void;
}

export interface OtaPlatform {
  /** Bytes of one app partition. */
  readonly capacity: number;
  /** The slot running now (`ota_0` → a, `ota_1` → b; a factory partition counts as a). */
  runningSlot(): SlotName;
  /** ESP-IDF reports the running image as PENDING_VERIFY. */
  pendingVerify(): boolean;
  /** Erases the inactive partition and opens it for writing (embedded:update, mode "w"). */
  beginUpdate(): UpdateSession;
  /** The inactive partition, read/write (embedded:storage/flash "nextota"). */
  inactivePartition(): PartitionIo;
  /** esp_ota_set_boot_partition(inactive). */
  setBootInactive(): void;
  /** esp_ota_mark_app_valid_cancel_rollback(). */
  markValid(): void;
}

/** The `slots` record: finalized image per slot and the slot booted on trial. */
interface SlotRecord {
  images: Partial<Record<SlotName, SlotImageInfo>>;
  trial?: SlotName;
}

export const SLOT_RECORD_KEY = 'slots';

const copy = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

export class EspOtaSlots implements FirmwareSlots {
  readonly capacity: number;
  /** The embedded:update session of a slot written since boot, if any. */
  private session: UpdateSession | undefined;
  private reverted = false;

  private constructor(
    private readonly platform: OtaPlatform,
    private readonly kv: KeyValueStore,
    private record: SlotRecord,
  ) {
    this.capacity = platform.capacity;
  }

  /** Reads the record; a trial mark for a slot that is not running is dropped (the bootloader rolled back). */
  static async open(platform: OtaPlatform, kv: KeyValueStore): Promise<EspOtaSlots> {
    const raw = await kv.get(SLOT_RECORD_KEY);
    let record: SlotRecord = { images: {} };
    if (raw !== undefined) {
      try {
        const parsed = JSON.parse(raw) as SlotRecord;
        if (parsed && typeof parsed === 'object' && parsed.images && typeof parsed.images === 'object') record = parsed;
      } catch {
        /* an unreadable record: images unknown, like a factory device */
      }
    }
    const slots = new EspOtaSlots(platform, kv, record);
    if (record.trial !== undefined && record.trial !== platform.runningSlot()) await slots.save({ ...record, trial: undefined });
    return slots;
  }

  private async save(next: SlotRecord): Promise<void> {
    const clean: SlotRecord = { images: next.images };
    if (next.trial !== undefined) clean.trial = next.trial;
    await this.kv.set(SLOT_RECORD_KEY, JSON.stringify(clean));
    this.record = clean;
  }

  private trial(): boolean {
    const slot = this.platform.runningSlot();
    return this.platform.pendingVerify() || this.record.trial === slot;
  }

  async running(): Promise<RunningImage> {
    const slot = this.platform.runningSlot();
    const image = this.record.images[slot];
    return image ? { slot, trial: this.trial(), image: { ...image } } : { slot, trial: this.trial() };
  }

  async openInactive(options: { erase: boolean }): Promise<SlotWriter> {
    if (this.trial()) throw new SlotStateError('the running image is on trial: the other slot is the way back');
    const slot = otherSlot(this.platform.runningSlot());
    // the finalized mark goes first, so a half-erased slot is never taken for an image
    if (this.record.images[slot] !== undefined) {
      const images = { ...this.record.images };
      delete images[slot];
      await this.save({ ...this.record, images });
    }
    this.session?.close();
    this.session = options.erase ? this.platform.beginUpdate() : undefined;
    const session = this.session;
    const partition = this.platform.inactivePartition();
    const capacity = this.capacity;
    const inRange = (offset: number, length: number): void => {
      if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > capacity) throw new RangeError(`slot access ${offset}+${length} outside ${capacity} bytes`);
    };
    return {
      slot,
      capacity,
      write: async (offset, data) => {
        inRange(offset, data.length);
        if (session) session.write(copy(data), offset);
        else partition.write(copy(data), offset);
      },
      read: async (offset, length) => {
        inRange(offset, length);
        return new Uint8Array(partition.read(length, offset));
      },
      finalize: async (info) => {
        await this.save({ ...this.record, images: { ...this.record.images, [slot]: { ...info } } });
      },
    };
  }

  async setBootSlot(slot: SlotName): Promise<void> {
    if (slot === this.platform.runningSlot()) throw new SlotStateError('the running slot is already the boot slot');
    if (this.record.images[slot] === undefined) throw new SlotStateError(`slot ${slot} holds no finalized image`);
    if (this.session) {
      this.session.complete();
      this.session = undefined;
    } else this.platform.setBootInactive();
    await this.save({ ...this.record, trial: slot });
  }

  async confirm(): Promise<void> {
    if (this.reverted) throw new SlotStateError('the trial image was reverted');
    if (!this.trial()) return;
    this.platform.markValid();
    await this.save({ ...this.record, trial: undefined });
  }

  /**
   * The other slot holds the confirmed image: boot it next (ESP-IDF would
   * also roll back on its own). The trial mark stays until that boot
   * (`open` drops it), so nothing writes over the way back meanwhile.
   */
  async revert(): Promise<void> {
    if (!this.trial()) throw new SlotStateError('no trial image to revert');
    this.platform.setBootInactive();
    this.reverted = true;
  }
}
