/**
 * In-memory hosts for the updater: key-value store, A/B slots and an image
 * source, all platform-neutral (they run in XS) and able to simulate the
 * faults the updater must survive: a power cut before or after any
 * persistent write (PowerFaults, shared by the store and the slots so the
 * write steps of both are numbered in one sequence), dropped connections,
 * truncated and endless image streams.
 *
 * The simulator's virtual devices use them too; the Node host has the same
 * slots over files (hosts/node/slots.ts).
 */
import { initialBootState, type BootState } from './boot-state.ts';
import { SimulatedSlotsBase } from './simulated-slots.ts';
import type { ImageSource, KeyValueStore, SlotImageInfo, SlotName } from './host.ts';

/** The power went off (simulated). Every host call fails with it until the device is "restarted". */
export class PowerCut extends Error {
  readonly code = 'host.power_cut';
  constructor(step: number, label: string) {
    super(`power cut at write step ${step} (${label})`);
    this.name = 'PowerCut';
  }
}

/** Where to cut: at write step `step` (0-based), before the write happens or after it is durable. */
export interface CutPlan {
  step: number;
  when: 'before' | 'after';
}

/**
 * Numbers every persistent write of the hosts that share it and cuts the
 * power at a planned step. After a cut the hosts are dead (every call
 * throws PowerCut) until `restore()` — the simulated restart.
 */
export class PowerFaults {
  /** Write steps performed (or attempted) since construction / the last restore. */
  steps = 0;
  /** Labels of the write steps, in order (to name them in test output). */
  readonly labels: string[] = [];
  private plan: CutPlan | undefined;
  private dead = false;

  /** Cut the power at `plan.step` (counted from now). */
  cutAt(plan: CutPlan | undefined): void {
    this.plan = plan ? { step: this.steps + plan.step, when: plan.when } : undefined;
  }

  get isDead(): boolean {
    return this.dead;
  }

  /** True while a planned cut has not happened yet. */
  get armed(): boolean {
    return this.plan !== undefined;
  }

  /** Power back on: hosts work again, the counter keeps going (a plan that has not fired yet stays armed). */
  restore(): void {
    this.dead = false;
  }

  /** Throws when the power is off (hosts call this before any operation). */
  check(): void {
    if (this.dead) throw new PowerCut(this.steps, 'device is off');
  }

  /** Runs one persistent write under the plan. */
  async write<T>(label: string, action: () => T | Promise<T>): Promise<T> {
    this.check();
    const step = this.steps++;
    this.labels.push(label);
    const cut = this.plan && this.plan.step === step ? this.plan.when : undefined;
    if (cut) this.plan = undefined;
    if (cut === 'before') {
      this.dead = true;
      throw new PowerCut(step, `before ${label}`);
    }
    const result = await action();
    if (cut === 'after') {
      this.dead = true;
      throw new PowerCut(step, `after ${label}`);
    }
    return result;
  }
}

/** A KeyValueStore in a Map; each set/delete is one atomic write step. */
export class MemoryKv implements KeyValueStore {
  private readonly data = new Map<string, string>();
  constructor(private readonly faults?: PowerFaults) {}

  async get(key: string): Promise<string | undefined> {
    this.faults?.check();
    return this.data.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    if (typeof value !== 'string') throw new TypeError('MemoryKv stores strings');
    const write = () => void this.data.set(key, value);
    if (this.faults) await this.faults.write(`kv.set ${key}`, write);
    else write();
  }

  async delete(key: string): Promise<void> {
    const write = () => void this.data.delete(key);
    if (this.faults) await this.faults.write(`kv.delete ${key}`, write);
    else write();
  }

  /** Keys present (tests). */
  keys(): string[] {
    return [...this.data.keys()].sort();
  }
}

export interface MemorySlotsOptions {
  /** Bytes per slot. */
  capacity: number;
  /** Factory image in slot a (confirmed, running). */
  factoryImage?: { bytes: Uint8Array; info: SlotImageInfo };
  faults?: PowerFaults;
}

/**
 * Two slots in memory with the trial-boot bootloader of boot-state.ts.
 * Slot memory is allocated in 4 KiB pages as written, so a large capacity
 * costs nothing until used. The "persisted" state is simply kept: only the
 * PowerFaults decide what a cut loses.
 */
export class MemorySlots extends SimulatedSlotsBase {
  private readonly pages: Record<SlotName, Map<number, Uint8Array>> = { a: new Map(), b: new Map() };
  private static readonly PAGE = 4096;

  constructor(options: MemorySlotsOptions) {
    super(options.capacity, initialBootState(options.factoryImage?.info), options.faults);
    if (options.factoryImage) this.writeData('a', 0, options.factoryImage.bytes);
  }

  protected saveState(): void {
    // kept in this.state by the base class
  }

  protected loadState(): BootState {
    return this.state;
  }

  protected eraseData(slot: SlotName): void {
    this.pages[slot].clear();
  }

  protected writeData(slot: SlotName, offset: number, data: Uint8Array): void {
    const P = MemorySlots.PAGE;
    for (let i = 0; i < data.length; ) {
      const at = offset + i;
      const pageNo = Math.floor(at / P);
      let page = this.pages[slot].get(pageNo);
      if (!page) this.pages[slot].set(pageNo, (page = new Uint8Array(P).fill(0xff)));
      const n = Math.min(P - (at % P), data.length - i);
      page.set(data.subarray(i, i + n), at % P);
      i += n;
    }
  }

  readSlot(slot: SlotName, offset: number, length: number): Uint8Array {
    const P = MemorySlots.PAGE;
    const out = new Uint8Array(length).fill(0xff);
    for (let i = 0; i < length; ) {
      const at = offset + i;
      const page = this.pages[slot].get(Math.floor(at / P));
      const n = Math.min(P - (at % P), length - i);
      if (page) out.set(page.subarray(at % P, (at % P) + n), i);
      i += n;
    }
    return out;
  }
}

/** How a MemoryImageSource misbehaves. */
export interface ImageSourceFaults {
  /** Drop the connection (end the stream early) once when a response passes each of these offsets. */
  dropAt?: number[];
  /** Throw a network error instead of ending cleanly when dropping. */
  throwOnDrop?: boolean;
  /** Serve only this many bytes of the image, ever (a short file on the server). */
  truncateAt?: number;
  /** Bytes the server sends after the image (`'endless'`: never stops). */
  trailing?: Uint8Array | 'endless';
  /** Ignore Range and always answer from byte 0 (the updater must cope or refuse). */
  ignoreRange?: boolean;
  /** The server fails (network error) whenever a response reaches this offset: it is down from there on. */
  downFrom?: number;
}

/** Serves images from memory by URI, in chunks, with scripted faults. Records every request. */
export class MemoryImageSource implements ImageSource {
  /** Each read: the URI and the offset asked for. */
  readonly requests: { uri: string; offset: number }[] = [];
  private readonly drops: Set<number>;

  constructor(
    private readonly files: Map<string, Uint8Array>,
    private readonly chunkSize = 1024,
    private readonly faults: ImageSourceFaults = {},
  ) {
    this.drops = new Set(faults.dropAt ?? []);
  }

  async *read(uri: string, offset: number): AsyncIterable<Uint8Array> {
    this.requests.push({ uri, offset });
    const file = this.files.get(uri);
    if (!file) throw Object.assign(new Error(`404 ${uri}`), { code: 'host.not_found' });
    const end = Math.min(file.length, this.faults.truncateAt ?? file.length);
    let pos = this.faults.ignoreRange ? 0 : offset;
    const down = this.faults.downFrom;
    while (pos < end) {
      if (down !== undefined && pos >= down) throw Object.assign(new Error('server unreachable'), { code: 'host.network' });
      const stop = Math.min(end, pos + this.chunkSize, down !== undefined && down > pos ? down : end);
      for (const d of this.drops) {
        if (d > pos && d <= stop) {
          this.drops.delete(d);
          yield file.slice(pos, d);
          if (this.faults.throwOnDrop) throw Object.assign(new Error('connection reset'), { code: 'host.network' });
          return;
        }
      }
      yield file.slice(pos, stop);
      pos = stop;
    }
    if (end < file.length) return;
    const t = this.faults.trailing;
    if (t === 'endless') {
      for (;;) yield new Uint8Array(this.chunkSize).fill(0x5a);
    } else if (t) yield t.slice();
  }
}
