/**
 * The storage and host of one virtual grinder. Storage outlives boots (it
 * is the device's flash); a `SimHost` is made for every boot, with a fresh
 * PowerGate over the wallet store (faults.ts).
 *
 * Two storage kinds:
 *   file    the NodeDeviceHost layout in the device's own directory
 *           (<dir>/wallet/ one file per key, <dir>/kv/, <dir>/slots/ FileSlots,
 *           <dir>/wallet.key): a restarted simulator finds its devices again.
 *   memory  the device/updater and protocols/wallet in-memory stores
 *           (MemoryKeyValue, MemoryKv, MemorySlots): for big fleets and the
 *           bench; gone when the process ends.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DeviceHost, DeviceTransport, LabelOutput, Logger, LogLevel } from '../device/host.ts';
import type { ImageSource, KeyValueStore as UpdaterKv } from '../device/updater/host.ts';
import { MemoryKv, MemorySlots } from '../device/updater/memory.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { FileKv, nodeTimer } from '../hosts/node/device-host.ts';
import { FileSlots } from '../hosts/node/slots.ts';
import { DirectoryKeyValue } from '../hosts/node/wallet/kv-dir.ts';
import { MemoryKeyValue, type KeyValueStore } from '../protocols/wallet/kv.ts';
import type { PowerGate } from './faults.ts';

export type StorageKind = 'file' | 'memory';

/** The device's persistent parts. */
export interface DeviceStorage {
  kind: StorageKind;
  wallet: KeyValueStore;
  kv: UpdaterKv;
  slots: FileSlots | MemorySlots;
  walletKey: Uint8Array;
}

/** Opens (file: creates or finds again) the storage of one device. */
export function openStorage(kind: StorageKind, dir: string, slotCapacity: number): DeviceStorage {
  if (kind === 'memory') {
    return { kind, wallet: new MemoryKeyValue(), kv: new MemoryKv(), slots: new MemorySlots({ capacity: slotCapacity }), walletKey: new Uint8Array(randomBytes(32)) };
  }
  mkdirSync(dir, { recursive: true });
  const slotDir = join(dir, 'slots');
  const slots = existsSync(join(slotDir, 'boot.json')) ? FileSlots.open({ dir: slotDir, capacity: slotCapacity }) : FileSlots.create({ dir: slotDir, capacity: slotCapacity });
  // the eFuse key: burnt once, read at every boot
  const keyFile = join(dir, 'wallet.key');
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32), { mode: 0o600, flag: 'wx' });
  return { kind, wallet: new DirectoryKeyValue(join(dir, 'wallet')), kv: new FileKv(join(dir, 'kv')), slots, walletKey: new Uint8Array(readFileSync(keyFile)) };
}

/** A logger keeping the device's last lines (the dashboard shows them); never given secrets by the agent. */
export class RingLogger implements Logger {
  readonly lines: { time: number; level: LogLevel; message: string; fields?: Record<string, string | number | boolean> }[] = [];
  constructor(
    private readonly keep = 30,
    private readonly echo?: (line: string) => void,
  ) {}

  log(level: LogLevel, message: string, fields?: Record<string, string | number | boolean>): void {
    // the label URL carries the pairing invitation: the dashboard shows it, the log does not
    const safe = fields && 'url' in fields ? { ...fields, url: '(label)' } : fields;
    this.lines.push({ time: Date.now(), level, message, ...(safe ? { fields: safe } : {}) });
    if (this.lines.length > this.keep) this.lines.shift();
    this.echo?.(JSON.stringify({ level, message, ...safe }));
  }
}

export interface SimHostParts {
  storage: DeviceStorage;
  gate: PowerGate;
  transport: DeviceTransport;
  images: ImageSource;
  logger: Logger;
  restart(): void;
  showLabel(label: LabelOutput): void;
}

/** The DeviceHost of one boot of a virtual grinder. */
export class SimHost implements DeviceHost {
  readonly walletStore: PowerGate;
  readonly kv: UpdaterKv;
  readonly slots: FileSlots | MemorySlots;
  readonly crypto = nodeCrypto;
  readonly transport: DeviceTransport;
  readonly images: ImageSource;
  readonly logger: Logger;
  resetHandler: (() => Promise<void>) | undefined;
  private readonly started = performance.now();

  constructor(private readonly parts: SimHostParts) {
    this.walletStore = parts.gate;
    this.kv = parts.storage.kv;
    this.slots = parts.storage.slots;
    this.transport = parts.transport;
    this.images = parts.images;
    this.logger = parts.logger;
  }

  walletKey(): Uint8Array {
    return this.parts.storage.walletKey.slice();
  }

  monotonic(): number {
    return performance.now() - this.started;
  }

  now(): number {
    return Date.now();
  }

  setTimer(ms: number, callback: () => void): () => void {
    return nodeTimer(ms, callback);
  }

  restart(): void {
    this.parts.restart();
  }

  onFactoryReset(handler: () => Promise<void>): void {
    this.resetHandler = handler;
  }

  showLabel(label: LabelOutput): void {
    this.parts.showLabel(label);
  }
}
