/**
 * What the device agent receives from its platform (DESIGN.md §3). The
 * agent never reaches for a platform API itself: a host object is handed in
 * at boot, so the same code runs in Node (hosts/node/device-host.ts), in
 * memory for tests and XS (device/testing/memory-host.ts) and on Moddable.
 *
 * Two stores, on purpose: the wallet needs the ECMA-419
 * `embedded:storage/key-value` shape (synchronous, binary values, ≤15-char
 * keys), the firmware updater keeps its trusted state in its own
 * string-valued store (device/updater/host.ts). A host may back both with
 * one flash partition under different namespaces.
 */
import type { CryptoOverrides } from '../protocols/crypto/index.ts';
import type { KeyValueStore as WalletKeyValueStore } from '../protocols/wallet/kv.ts';
import type { FirmwareSlots, ImageSource, KeyValueStore } from './updater/host.ts';

export type { FirmwareSlots, ImageSource, KeyValueStore, WalletKeyValueStore };

/**
 * A DIDComm message transport as the device sees it: packed envelopes in
 * and out, nothing about their content. Request/response transports (the
 * local HTTP pairing endpoint) return the reply from the handler; pub/sub
 * transports (MQTT) deliver replies with `send`. (The bindings of
 * protocols/didcomm/transports are fire-and-forget `MessageTransport`s; a
 * host adapts one of them, or its local HTTP endpoint, to this shape.)
 */
export interface DeviceTransport {
  /** The endpoint URI peers reach this device at (goes into the pairing DID's service). */
  readonly endpoint: string;
  /** Delivers `packed` to `endpoint`; resolves to the peer's immediate reply, if the transport has one. */
  send(endpoint: string, packed: string): Promise<string | undefined>;
  /** Installs the inbound handler (one per transport); its result is the immediate reply. */
  listen(handler: InboundHandler): void;
}

export type InboundHandler = (packed: string) => Promise<string | undefined>;

/** What the device shows on its label / screen at manufacture: the QR payload and the manual code. */
export interface LabelOutput {
  /** OOB 2.0 invitation URL (`…?_oob=…`); the host renders it as a QR code. */
  url: string;
  /** Manual setup code, formatted for people (e.g. `1234-567-8901`). */
  manualCode: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  /** Never receives secrets: the agent logs codes and DIDs, not key material or pairing secrets. */
  log(level: LogLevel, message: string, fields?: Record<string, string | number | boolean>): void;
}

/** Everything the device agent is given by its host. */
export interface DeviceHost {
  /** Wallet storage (ECMA-419 key-value, format "buffer"); every single write atomic. */
  walletStore: WalletKeyValueStore;
  /** The updater's key-value store (trusted state, update record). */
  kv: KeyValueStore;
  /**
   * The device-unique 32-byte key the wallet is opened with (eFuse / NVS
   * encryption key on an ESP32). Read at each boot, never stored by the agent.
   */
  walletKey(): Uint8Array;
  /**
   * Crypto facade overrides installed at boot: the platform's random source
   * (ESP32 RNG) and native streaming digests (`createHash`, sha256/512).
   */
  crypto: CryptoOverrides;
  /** Monotonic milliseconds since an arbitrary origin (restarts at boot). */
  monotonic(): number;
  /** Wall-clock milliseconds since the epoch; may be wrong (no RTC, not synced). */
  now(): number;
  /**
   * A one-shot timer (Moddable `Timer.set`, ECMA-419 `System.setTimeout`):
   * calls `callback` once after `ms` and returns its cancel function.
   * Optional: without it, time-limited waits (an answer over MQTT) end
   * lazily, the next time the agent uses the link after their deadline.
   */
  setTimer?(ms: number, callback: () => void): () => void;
  slots: FirmwareSlots;
  /** Firmware images over HTTP with Range (needed only with DeviceAgentOptions.firmware). */
  images?: ImageSource;
  /** Restart the device (the bootloader then starts the slot the updater chose); without it the new image waits for the next power-on. */
  restart?(): void | Promise<void>;
  transport: DeviceTransport;
  /** Registers the factory-reset input (a long press); the agent calls it once at boot. */
  onFactoryReset(handler: () => Promise<void>): void;
  /** Shows the pairing label (QR + manual code); rendering is the host's. */
  showLabel(label: LabelOutput): void;
  logger: Logger;
}
