/**
 * An in-memory DeviceHost for tests, the simulator and XS: a wallet store
 * that can lose power after any write (to test that every persistent change
 * survives a reboot at any point), in-memory firmware slots and updater
 * store from device/updater, a deterministic clock, and an in-process
 * message network that connects devices and owner agents by endpoint URI.
 *
 * "Rebooting" is: build a new agent over the same host (the stores keep what
 * was written; `restore()` powers the host back on after a cut).
 */
import { MemoryKeyValue } from '../../protocols/wallet/kv.ts';
import { MemoryImageSource, MemoryKv, MemorySlots, PowerCut } from '../updater/memory.ts';
import type { DeviceHost, InboundHandler, LabelOutput, Logger, LogLevel, DeviceTransport } from '../host.ts';

/**
 * The wallet's key-value store with a power switch: `cutAfter(n)` lets n
 * more writes (or deletes) through and fails the next one and everything
 * after it with PowerCut, as if the power went off just before it.
 */
export class CuttableKeyValue extends MemoryKeyValue {
  /** Writes and deletes performed so far. */
  writes = 0;
  private budget: number | undefined;
  private dead = false;

  cutAfter(n: number | undefined): void {
    this.budget = n;
  }

  get isDead(): boolean {
    return this.dead;
  }

  /** Power back on (an armed cut that has not fired is disarmed). */
  restore(): void {
    this.dead = false;
    this.budget = undefined;
  }

  private step(label: string): void {
    if (this.dead) throw new PowerCut(this.writes, 'device is off');
    if (this.budget !== undefined) {
      if (this.budget === 0) {
        this.dead = true;
        throw new PowerCut(this.writes, `before ${label}`);
      }
      this.budget--;
    }
    this.writes++;
  }

  override read(key: string): ArrayBuffer | undefined {
    if (this.dead) throw new PowerCut(this.writes, 'device is off');
    return super.read(key);
  }

  override write(key: string, value: ArrayBuffer | string): void {
    this.step(`write ${key}`);
    super.write(key, value);
  }

  override delete(key: string): void {
    this.step(`delete ${key}`);
    super.delete(key);
  }
}

/** In-process delivery between endpoints: what a local HTTP request or an MQTT publish would do. */
export class MemoryNetwork {
  private readonly handlers = new Map<string, InboundHandler>();
  /** Every envelope delivered, in order (attack tests replay them). */
  readonly delivered: { endpoint: string; packed: string }[] = [];

  /** A transport reachable at `endpoint`. */
  transport(endpoint: string): DeviceTransport {
    return {
      endpoint,
      send: (to, packed) => this.deliver(to, packed),
      listen: (handler) => void this.handlers.set(endpoint, handler),
    };
  }

  /** Delivers `packed` to `endpoint`'s handler; resolves to its reply. */
  async deliver(endpoint: string, packed: string): Promise<string | undefined> {
    const h = this.handlers.get(endpoint);
    if (!h) throw new Error(`nothing listens at ${endpoint}`);
    this.delivered.push({ endpoint, packed });
    return h(packed);
  }
}

/** A logger that keeps lines (tests check that secrets never reach it). */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  log(level: LogLevel, message: string, fields?: Record<string, string | number | boolean>): void {
    this.lines.push(`${level} ${message}${fields ? ' ' + JSON.stringify(fields) : ''}`);
  }
}

export interface MemoryDeviceHostOptions {
  network?: MemoryNetwork;
  endpoint?: string;
  /** Initial wall clock (ms); default 2026-01-01T00:00:00Z. */
  now?: number;
  /** The device-unique wallet key; default a fixed test key. */
  walletKey?: Uint8Array;
}

/** A complete in-memory host. `advance(ms)` moves both clocks. */
export class MemoryDeviceHost implements DeviceHost {
  readonly walletStore = new CuttableKeyValue();
  readonly kv = new MemoryKv();
  readonly slots = new MemorySlots({ capacity: 1 << 16 });
  /** Firmware images the memory image server serves, by URI. */
  readonly files = new Map<string, Uint8Array>();
  readonly images = new MemoryImageSource(this.files, 1024);
  /** Set when the agent asked for a restart (a test then calls reboot()). */
  restartRequested = false;
  readonly crypto = {};
  readonly transport: DeviceTransport;
  readonly network: MemoryNetwork;
  readonly logger = new MemoryLogger();
  /** Labels shown, newest last. */
  readonly labels: LabelOutput[] = [];
  private wall: number;
  private mono = 0;
  /** Pending one-shot timers, fired by advance() when due (virtual time). */
  private timers: { due: number; callback: () => void }[] = [];
  private readonly key: Uint8Array;
  private resetHandler: (() => Promise<void>) | undefined;

  constructor(options: MemoryDeviceHostOptions = {}) {
    this.network = options.network ?? new MemoryNetwork();
    this.transport = this.network.transport(options.endpoint ?? 'memory://device');
    this.wall = options.now ?? Date.UTC(2026, 0, 1);
    this.key = options.walletKey ?? new Uint8Array(32).fill(7);
  }

  walletKey(): Uint8Array {
    return this.key.slice();
  }

  monotonic(): number {
    return this.mono;
  }

  now(): number {
    return this.wall;
  }

  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
    const due = this.timers.filter((t) => t.due <= this.mono);
    this.timers = this.timers.filter((t) => t.due > this.mono);
    for (const t of due) t.callback();
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer = { due: this.mono + ms, callback };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((t) => t !== timer));
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** A reboot: the monotonic clock restarts, the power comes back, the bootloader picks the slot. */
  reboot(): void {
    this.mono = 0;
    this.timers = []; // a reboot loses every timer
    this.restartRequested = false;
    this.slots.boot();
    this.walletStore.restore();
    this.resetHandler = undefined;
  }

  /** The agent's restart request: recorded; the test reboots when it chooses. */
  restart(): void {
    this.restartRequested = true;
  }

  onFactoryReset(handler: () => Promise<void>): void {
    this.resetHandler = handler;
  }

  /** Presses the factory-reset button. */
  async pressFactoryReset(): Promise<void> {
    if (!this.resetHandler) throw new Error('no factory-reset handler registered');
    await this.resetHandler();
  }

  showLabel(label: LabelOutput): void {
    this.labels.push(label);
  }
}

/** True when `e` is (or was caused by) a simulated power cut; the wallet wraps host errors as `wallet.storage`. */
export function isPowerCut(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if ((x as { code?: unknown }).code === 'host.power_cut') return true;
  }
  return false;
}
