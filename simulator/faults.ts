/**
 * Fault injection for the virtual devices: what a simulated grinder can
 * suffer that a real one does, as small wrappers around the host pieces.
 *
 * - `PowerGate` wraps the wallet's key-value store for ONE boot: `cutAfter(n)`
 *   lets n more writes (or deletes) through and kills the store at the next
 *   one, `cutNow()` kills it at once. A dead gate stays dead: the next boot
 *   gets a new gate over the same store, so an agent of a previous boot that
 *   is still awaiting something can never write after the power came back
 *   (on a real device its RAM is gone). Choice: only the wallet store is
 *   cut, the updater's store and the slots have their own power-cut tests
 *   (device/updater) — the wallet is where pairing commits.
 * - `FaultyImageSource` wraps the firmware image source: counts the bytes of
 *   the download in progress (the dashboard's progress bar) and, while armed,
 *   flips bytes of the downloads it serves (the updater must refuse them).
 */
import type { ImageSource } from '../device/updater/host.ts';
import { PowerCut } from '../device/updater/memory.ts';
import type { KeyValueStore } from '../protocols/wallet/kv.ts';

export { PowerCut };

export class PowerGate implements KeyValueStore {
  private budget: number | undefined;
  private dead = false;
  /** Writes and deletes let through by this gate. */
  writes = 0;

  constructor(
    private readonly inner: KeyValueStore,
    /** Called once, when the power goes off (the device schedules its reboot). */
    private readonly onCut: () => void,
  ) {}

  get isDead(): boolean {
    return this.dead;
  }

  /** A cut is planned and has not happened yet. */
  get armed(): boolean {
    return this.budget !== undefined && !this.dead;
  }

  /** Arms a cut: `n` more writes succeed, the one after dies (undefined disarms). */
  cutAfter(n: number | undefined): void {
    this.budget = n;
  }

  /** The power goes off now. */
  cutNow(): void {
    this.die();
  }

  /** This boot is over (a reboot): the gate dies without reporting a power cut. */
  retire(): void {
    this.dead = true;
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    this.onCut();
  }

  private check(): void {
    if (this.dead) throw new PowerCut(this.writes, 'device is off');
  }

  private step(label: string): void {
    this.check();
    if (this.budget !== undefined) {
      if (this.budget === 0) {
        this.die();
        throw new PowerCut(this.writes, `before ${label}`);
      }
      this.budget--;
    }
    this.writes++;
  }

  read(key: string): ReturnType<KeyValueStore['read']> {
    this.check();
    return this.inner.read(key);
  }

  write(key: string, value: ArrayBuffer | string): void {
    this.step(`write ${key}`);
    this.inner.write(key, value);
  }

  delete(key: string): void {
    this.step(`delete ${key}`);
    this.inner.delete(key);
  }

  [Symbol.iterator](): Iterator<string> {
    this.check();
    return this.inner[Symbol.iterator]();
  }
}

/** What the image source saw of the current download. */
export interface DownloadProgress {
  uri: string;
  /** Bytes received from the offset the download (re)started at. */
  received: number;
  offset: number;
  corrupted: boolean;
}

export class FaultyImageSource implements ImageSource {
  /** Downloads (reads from offset 0 or resumed) still to corrupt. */
  corruptRemaining = 0;
  /** Downloads corrupted so far. */
  corrupted = 0;
  current: DownloadProgress | undefined;

  constructor(private readonly inner: ImageSource) {}

  /** Corrupts the next `n` image reads (each read: one download or one resumption of it). */
  corruptNext(n = 1): void {
    this.corruptRemaining = Math.max(0, n);
  }

  read(uri: string, offset: number): AsyncIterable<Uint8Array> {
    const corrupt = this.corruptRemaining > 0;
    if (corrupt) {
      this.corruptRemaining--;
      this.corrupted++;
    }
    const progress: DownloadProgress = { uri, received: 0, offset, corrupted: corrupt };
    this.current = progress;
    const inner = this.inner;
    return {
      async *[Symbol.asyncIterator]() {
        let first = true;
        for await (const chunk of inner.read(uri, offset)) {
          let out = chunk;
          if (corrupt && first && chunk.length > 0) {
            // a flipped bit in the first chunk: the size stays right, only the digest can tell
            out = chunk.slice();
            out[0] ^= 0x01;
            first = false;
          }
          progress.received += out.length;
          yield out;
        }
      },
    };
  }
}
