/**
 * The Node host of the device agent (DESIGN.md §3): a device living in a
 * directory. The wallet's key-value store is hosts/node/wallet/kv-dir.ts
 * (one file per key, atomic rename), the updater's store is a directory of
 * JSON files written the same way, the firmware slots are
 * hosts/node/slots.ts, the wallet key is a 32-byte file standing in for an
 * eFuse key, crypto is node:crypto (hosts/node/crypto.ts). The transport is
 * handed in (in-process, local HTTP, MQTT), the label is written to
 * `label.json` and announced on the logger (`qrTerminal` renders it).
 *
 * Layout: <dir>/wallet/, <dir>/kv/, <dir>/slots/, <dir>/wallet.key, <dir>/label.json.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CryptoOverrides } from '../../protocols/crypto/index.ts';
import type { DeviceHost, DeviceTransport, LabelOutput, Logger, LogLevel } from '../../device/host.ts';
import type { ImageSource, KeyValueStore } from '../../device/updater/host.ts';
import { nodeCrypto } from './crypto.ts';
import { FileSlots } from './slots.ts';
import { DirectoryKeyValue } from './wallet/kv-dir.ts';

/** The updater's string store over files: `<dir>/<encoded key>`, written by temp file + fsync + rename. */
export class FileKv implements KeyValueStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(key: string): string {
    return join(this.dir, encodeURIComponent(key));
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return readFileSync(this.path(key), 'utf8');
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async set(key: string, value: string): Promise<void> {
    const target = this.path(key);
    const tmp = `${target}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, value);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  }

  async delete(key: string): Promise<void> {
    try {
      unlinkSync(this.path(key));
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
  }
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** A logger to stderr (JSON lines) from `level` up. */
export function consoleLogger(level: LogLevel = 'info'): Logger {
  const min = LEVELS.indexOf(level);
  return {
    log(l, message, fields) {
      if (LEVELS.indexOf(l) >= min) process.stderr.write(JSON.stringify({ level: l, message, ...fields }) + '\n');
    },
  };
}

export interface NodeDeviceHostOptions {
  dir: string;
  transport: DeviceTransport;
  /** Bytes per firmware slot (default 1 MiB). */
  slotCapacity?: number;
  logger?: Logger;
  /** Crypto overrides (default node:crypto). */
  crypto?: CryptoOverrides;
  /** Firmware images (e.g. httpImageSource()), for an agent with DeviceAgentOptions.firmware. */
  images?: ImageSource;
  /** The agent's restart request (a process supervisor restarts the device). */
  restart?: () => void | Promise<void>;
}

/** DeviceHost.setTimer on Node: unref'd, so a pending wait never keeps the process alive. */
export function nodeTimer(ms: number, callback: () => void): () => void {
  const t = setTimeout(callback, ms);
  t.unref();
  return () => clearTimeout(t);
}

export class NodeDeviceHost implements DeviceHost {
  readonly dir: string;
  readonly walletStore: DirectoryKeyValue;
  readonly kv: FileKv;
  readonly slots: FileSlots;
  readonly crypto: CryptoOverrides;
  readonly transport: DeviceTransport;
  readonly logger: Logger;
  readonly images?: ImageSource;
  readonly restart?: () => void | Promise<void>;
  private resetHandler: (() => Promise<void>) | undefined;

  constructor(o: NodeDeviceHostOptions) {
    this.dir = o.dir;
    mkdirSync(o.dir, { recursive: true });
    this.walletStore = new DirectoryKeyValue(join(o.dir, 'wallet'));
    this.kv = new FileKv(join(o.dir, 'kv'));
    const slotDir = join(o.dir, 'slots');
    const capacity = o.slotCapacity ?? 1 << 20;
    this.slots = existsSync(join(slotDir, 'boot.json')) ? FileSlots.open({ dir: slotDir, capacity }) : FileSlots.create({ dir: slotDir, capacity });
    this.crypto = o.crypto ?? nodeCrypto;
    this.transport = o.transport;
    this.logger = o.logger ?? consoleLogger();
    if (o.images) this.images = o.images;
    if (o.restart) this.restart = o.restart;
  }

  /** The device-unique wallet key (created once, like an eFuse key burnt at the factory). */
  walletKey(): Uint8Array {
    const file = join(this.dir, 'wallet.key');
    if (!existsSync(file)) writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
    const key = new Uint8Array(readFileSync(file));
    if (key.length !== 32) throw new Error(`${file} must hold 32 bytes`);
    return key;
  }

  monotonic(): number {
    return performance.now();
  }

  now(): number {
    return Date.now();
  }

  setTimer(ms: number, callback: () => void): () => void {
    return nodeTimer(ms, callback);
  }

  onFactoryReset(handler: () => Promise<void>): void {
    this.resetHandler = handler;
  }

  /** The factory-reset input (a CLI command, a signal, a simulator button). */
  async factoryReset(): Promise<void> {
    if (!this.resetHandler) throw new Error('the device agent has not booted');
    await this.resetHandler();
  }

  showLabel(label: LabelOutput): void {
    writeFileSync(join(this.dir, 'label.json'), JSON.stringify(label, null, 2) + '\n');
    this.logger.log('info', 'pairing label', { url: label.url, manualCode: label.manualCode });
  }

  /** The label last shown. */
  label(): LabelOutput | undefined {
    const file = join(this.dir, 'label.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LabelOutput) : undefined;
  }
}
