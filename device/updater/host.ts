/**
 * What the device updater needs from its platform (DESIGN.md §3), and
 * nothing more: key-value storage for its trusted state, A/B firmware slots
 * with a trial-boot bootloader, an HTTP client with Range for images, a
 * wall clock that may be wrong, a reboot request and a way to send status
 * reports. Hosts implement these (hosts/node/slots.ts over files,
 * device/updater/memory.ts in memory for tests and XS, hosts/moddable over
 * ECMA-419 `embedded:storage/flash` + `embedded:update`).
 *
 * The slot model is the MCUboot / ESP-IDF one: the updater writes the slot
 * that is not running, finalizes it, and asks the bootloader to boot it
 * once in *trial* mode; the new image must confirm itself, otherwise the
 * bootloader boots the old slot on the next start.
 */

/** Key-value storage, atomic per key (a power cut leaves either the old or the new value). */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export type SlotName = 'a' | 'b';

/** What finalize records about a slot's image (the bootloader's view of "version"). */
export interface SlotImageInfo {
  /** SUIT manifest sequence number of the image. */
  sequence: number;
  /** Lowercase hex SHA-256 of the image. */
  digest: string;
  size: number;
}

/** The image the device is running now. */
export interface RunningImage {
  slot: SlotName;
  /** True while a newly installed image runs unconfirmed (first boot after an update). */
  trial: boolean;
  /** Recorded at finalize; undefined for a factory image the host knows nothing about. */
  image?: SlotImageInfo;
}

/** The inactive slot, open for writing. */
export interface SlotWriter {
  readonly slot: SlotName;
  /** Bytes the slot holds. */
  readonly capacity: number;
  /** Writes `data` at `offset` (durable once the promise resolves). */
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Reads back what was written (to re-hash a partial image after a restart). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Marks the slot as holding a complete image (the bootloader boots only finalized slots). */
  finalize(info: SlotImageInfo): Promise<void>;
}

export interface FirmwareSlots {
  /** Bytes per slot. */
  readonly capacity: number;
  running(): Promise<RunningImage>;
  /**
   * Opens the slot that is not running. `erase: true` clears it (and its
   * finalized mark); `erase: false` keeps what is there, to resume a write.
   * Refused while the running image is on trial (the other slot is the way back).
   */
  openInactive(options: { erase: boolean }): Promise<SlotWriter>;
  /** Boot `slot` once, in trial mode, at the next start (the slot must be finalized). */
  setBootSlot(slot: SlotName): Promise<void>;
  /** The running trial image becomes the confirmed one. */
  confirm(): Promise<void>;
  /** Give up the running trial image: the next start boots the confirmed slot. */
  revert(): Promise<void>;
}

/**
 * Firmware image bytes over HTTP(S) with Range (`Range: bytes=<offset>-`).
 * The iterable yields the bytes from `offset` on as they arrive; it may end
 * early (connection lost) or throw. Nothing it yields is trusted: the
 * updater counts and hashes every byte against the signed manifest.
 */
export interface ImageSource {
  read(uri: string, offset: number): AsyncIterable<Uint8Array>;
}

/** Everything the updater is given by its host. */
export interface UpdaterHost {
  kv: KeyValueStore;
  slots: FirmwareSlots;
  images: ImageSource;
  /** Wall-clock milliseconds since the epoch; may be wrong (no RTC, not yet synced). */
  now(): number;
  /** Restart the device (the bootloader then starts the slot chosen with setBootSlot). */
  reboot(): void | Promise<void>;
  /** Deliver a signed status report to the manufacturer; a rejection keeps it queued. */
  sendReport(report: string): Promise<void>;
}
