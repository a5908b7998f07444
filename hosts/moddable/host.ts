/**
 * The Moddable host of the device agent (DESIGN.md §3) as one object: the
 * pieces are made by platform code (main.ts) and handed in, so the object
 * itself is plain TypeScript over the DeviceHost interface.
 */
import type { CryptoOverrides } from '../../protocols/crypto/index.ts';
import type { KeyValueStore as WalletKeyValueStore } from '../../protocols/wallet/kv.ts';
import type { DeviceHost, DeviceTransport, LabelOutput, Logger } from '../../device/host.ts';
import type { FirmwareSlots, ImageSource, KeyValueStore } from '../../device/updater/host.ts';

export interface ModdableHostParts {
  walletStore: WalletKeyValueStore;
  kv: KeyValueStore;
  /** Where the device-unique wallet key lives: read it, or write a fresh one on the first boot. */
  keyStore: { read(): Uint8Array | undefined; write(key: Uint8Array): void };
  crypto: CryptoOverrides;
  /** Random bytes (the same hardware source as crypto.randomBytes). */
  randomBytes(n: number): Uint8Array;
  slots: FirmwareSlots;
  images?: ImageSource;
  transport: DeviceTransport;
  logger: Logger;
  /** Moddable `Timer.set` / `Timer.clear`. */
  timer: { set(callback: () => void, ms: number): unknown; clear(t: unknown): void };
  /** Monotonic ms (Moddable `Time.ticks`; `Date.now` where there is none). */
  ticks(): number;
  restart?(): void;
  /** Renders the label (QR on the display and/or the console). */
  render(label: LabelOutput): void;
}

export class ModdableDeviceHost implements DeviceHost {
  readonly walletStore: WalletKeyValueStore;
  readonly kv: KeyValueStore;
  readonly crypto: CryptoOverrides;
  readonly slots: FirmwareSlots;
  readonly images?: ImageSource;
  readonly transport: DeviceTransport;
  readonly logger: Logger;
  readonly restart?: () => void;
  private resetHandler: (() => Promise<void>) | undefined;

  constructor(private readonly parts: ModdableHostParts) {
    this.walletStore = parts.walletStore;
    this.kv = parts.kv;
    this.crypto = parts.crypto;
    this.slots = parts.slots;
    if (parts.images) this.images = parts.images;
    this.transport = parts.transport;
    this.logger = parts.logger;
    if (parts.restart) this.restart = parts.restart;
  }

  /**
   * The device-unique 32-byte wallet key: made from the hardware RNG on the
   * first boot and kept in its own key-value domain (on an ESP32 built with
   * NVS encryption, flash encryption protects it; an eFuse-derived key is
   * the better home, listed in README.md as not done).
   */
  walletKey(): Uint8Array {
    const existing = this.parts.keyStore.read();
    if (existing !== undefined) {
      if (existing.length !== 32) throw new RangeError('the stored wallet key is not 32 bytes');
      return existing;
    }
    const key = this.parts.randomBytes(32);
    this.parts.keyStore.write(key);
    return key;
  }

  monotonic(): number {
    return this.parts.ticks();
  }

  now(): number {
    return Date.now();
  }

  setTimer(ms: number, callback: () => void): () => void {
    const t = this.parts.timer.set(callback, ms);
    return () => this.parts.timer.clear(t);
  }

  onFactoryReset(handler: () => Promise<void>): void {
    this.resetHandler = handler;
  }

  /** The button's long press: runs the agent's factory reset (errors are logged, never thrown into the IO callback). */
  factoryReset(): void {
    const h = this.resetHandler;
    if (!h) return;
    this.logger.log('warn', 'factory reset requested');
    h().catch((e: unknown) => this.logger.log('error', 'factory reset failed', { code: (e as { code?: string })?.code ?? 'unknown' }));
  }

  showLabel(label: LabelOutput): void {
    this.parts.render(label);
  }
}
