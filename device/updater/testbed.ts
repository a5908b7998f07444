/**
 * A manufacturer and a simulated device for the updater's tests, the attack
 * suite and the benchmark: platform-neutral (runs in XS), built only from
 * the public APIs (did:webvh create/update, SUIT encode/sign, the memory
 * hosts). Not used by device code.
 *
 * Manufacturer: a did:webvh DID whose update keys also sign firmware (the
 * document lists each key under assertionMethod, kid = `<did>#<multikey>`),
 * optionally with pre-rotation. Device: memory storage and slots sharing a
 * PowerFaults, an image server, a report inbox, and `restart()` = what the
 * bootloader and the firmware do at power-on.
 */
import { getCrypto } from '../../protocols/crypto/index.ts';
import { publicKeyFromPrivateKey, publicKeyToMultikey, type PublicKey } from '../../protocols/did/keys.ts';
import {
  createWebvh,
  documentForKeys,
  nextKeyHashOf,
  rotateDocumentKey,
  updateWebvh,
  webvhSigner,
} from '../../protocols/did/webvh/create.ts';
import { entryHash } from '../../protocols/did/webvh/hash.ts';
import type { LogEntry, WebvhState } from '../../protocols/did/webvh/types.ts';
import { verifyLog } from '../../protocols/did/webvh/verify.ts';
import { bytesToHex } from '../../protocols/encoding/bytes.ts';
import { ed25519CoseSigner } from '../../protocols/firmware/cose-sign1.ts';
import { signEnvelope } from '../../protocols/firmware/envelope.ts';
import { encodeManifest } from '../../protocols/firmware/manifest.ts';
import { createProof } from '../../protocols/vc/data-integrity.ts';
import { ed25519Signer, type Signer } from '../../protocols/vc/signer.ts';
import type { ReleaseAnnouncement } from './announcement.ts';
import type { BootState } from './boot-state.ts';
import type { FirmwareSlots, ImageSource, RunningImage, SlotImageInfo, SlotName } from './host.ts';
import { MemoryImageSource, MemoryKv, MemorySlots, PowerCut, PowerFaults, type ImageSourceFaults } from './memory.ts';
import { provisionUpdater, Updater, type BootOutcome, type UpdatePolicy, type UpdaterConfig } from './updater.ts';

export const VENDOR_ID = 'fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe';
export const CLASS_ID = '1492af14-2569-5e48-bf42-9b2d51f2ab45';
/** An image starting with these bytes fails its self-test after the trial boot. */
export const SELF_TEST_FAIL = 'SELFTEST-FAIL';

function seedOf(n: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + n * 7 + 1) & 0xff);
}

/** Deterministic pseudo-random image bytes (xorshift), optionally with a text prefix. */
export function makeImage(size: number, seed: number, prefix = ''): Uint8Array {
  const b = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  for (let i = 0; i < prefix.length && i < size; i++) b[i] = prefix.charCodeAt(i);
  return b;
}

export function sha256Hex(b: Uint8Array): string {
  return bytesToHex(getCrypto().sha256(b));
}

export interface ReleaseOptions {
  sequence: number;
  image: Uint8Array;
  /** Index of the key that signs (default: the current one). */
  key?: number;
  vendorId?: string;
  classId?: string;
  uri?: string;
  /** Claimed size/digest (default: the image's). */
  size?: number;
  digest?: Uint8Array;
}

export interface Release {
  envelope: Uint8Array;
  uri: string;
  image: Uint8Array;
  sequence: number;
}

/** The manufacturer: DID log, keys, releases. Key i is an Ed25519 key from a fixed seed. */
export class Manufacturer {
  log: LogEntry[];
  /** Index of the key that is update key and assertionMethod now. */
  current: number;
  readonly did: string;

  private constructor(log: LogEntry[], did: string, current: number) {
    this.log = log;
    this.did = did;
    this.current = current;
  }

  static key(i: number): Signer {
    return webvhSigner(seedOf(i));
  }

  static multikey(i: number): string {
    return publicKeyToMultikey(publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seedOf(i) }));
  }

  /** A DID with key 0; with pre-rotation committing to key 1. `start` sets the first versionTime. */
  static async create(options: { prerotation?: boolean; start?: Date } = {}): Promise<Manufacturer> {
    const created = await createWebvh({
      domain: 'firmware.example.com',
      updateKeys: Manufacturer.key(0),
      prerotation: options.prerotation ? { nextKeyHashes: [nextKeyHashOf(Manufacturer.key(1))] } : undefined,
      versionTime: options.start ?? new Date(Date.UTC(2025, 0, 1)),
    });
    return new Manufacturer(created.log, created.did, 0);
  }

  state(): WebvhState {
    return verifyLog(this.log, { now: Date.now() + 1e12 });
  }

  stateAt(version: number): WebvhState {
    return verifyLog(this.log.slice(0, version), { now: Date.now() + 1e12 });
  }

  kid(i: number): string {
    return `${this.did}#${Manufacturer.multikey(i)}`;
  }

  private nextTime(): Date {
    const last = Date.parse(this.log[this.log.length - 1].versionTime);
    return new Date(last + 86_400_000);
  }

  /**
   * Rotates the update/firmware key to key `to` (a new log entry signed as
   * the spec requires: under pre-rotation by the committed new key).
   * `commitNext` commits to the key after it (keeps pre-rotation on).
   */
  async rotate(to: number, commitNext?: number): Promise<LogEntry> {
    const state = this.state();
    const pre = state.parameters.prerotation;
    const entry = await updateWebvh(this.log, {
      signer: pre ? Manufacturer.key(to) : Manufacturer.key(this.current),
      rotateTo: {
        updateKeys: [Manufacturer.key(to)],
        ...(commitNext !== undefined ? { nextKeyHashes: [nextKeyHashOf(Manufacturer.key(commitNext))] } : pre ? { nextKeyHashes: [] } : {}),
      },
      document: rotateDocumentKey(state.document, Manufacturer.multikey(this.current), Manufacturer.multikey(to)),
      versionTime: this.nextTime(),
      now: Date.now() + 1e12,
    });
    this.log.push(entry);
    this.current = to;
    return entry;
  }

  /** Deactivates the DID (final entry). */
  async deactivate(): Promise<LogEntry> {
    const pre = this.state().parameters.prerotation;
    const entry = await updateWebvh(this.log, {
      signer: Manufacturer.key(pre ? this.current + 1 : this.current),
      ...(pre ? { rotateTo: { updateKeys: [Manufacturer.key(this.current + 1)] } } : {}),
      deactivate: true,
      versionTime: this.nextTime(),
      now: Date.now() + 1e12,
    });
    this.log.push(entry);
    return entry;
  }

  /** A document-only update (e.g. a service endpoint), signed by the current key. */
  async touch(): Promise<LogEntry> {
    const state = this.state();
    const pre = state.parameters.prerotation;
    if (pre) throw new Error('touch() is for logs without pre-rotation');
    const document = { ...state.document, service: [{ id: `${this.did}#files`, type: 'LinkedDomains', serviceEndpoint: `https://firmware.example.com/v${this.log.length}` }] };
    const entry = await updateWebvh(this.log, { signer: Manufacturer.key(this.current), document, versionTime: this.nextTime(), now: Date.now() + 1e12 });
    this.log.push(entry);
    return entry;
  }

  /**
   * An entry after `after` (default: the last) that no honest implementation
   * would write: any versionTime, any document, signed by any key. For the
   * attack suite (forks, time going backwards, forged signers).
   */
  async forgeEntry(options: { after?: number; versionTime?: string; signer?: Signer; document?: Record<string, unknown>; parameters?: Record<string, unknown> }): Promise<LogEntry> {
    const upTo = options.after ?? this.log.length;
    const prev = this.log[upTo - 1];
    const versionTime = options.versionTime ?? new Date(Date.parse(prev.versionTime) + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const unsigned: Record<string, unknown> = {
      versionId: prev.versionId,
      versionTime,
      parameters: options.parameters ?? {},
      state: options.document ?? prev.state,
    };
    unsigned.versionId = `${upTo + 1}-${entryHash(unsigned, prev.versionId)}`;
    const proof = await createProof(unsigned, { signer: options.signer ?? Manufacturer.key(this.current), created: versionTime });
    return { ...unsigned, proof: [proof] } as unknown as LogEntry;
  }

  /** A signed release (manifest per encodeManifest, envelope signed by key `key` with kid = its DID URL). */
  async release(o: ReleaseOptions): Promise<Release> {
    const key = o.key ?? this.current;
    const uri = o.uri ?? `https://firmware.example.com/images/${o.sequence}.bin`;
    const manifest = encodeManifest({
      sequenceNumber: o.sequence,
      vendorId: o.vendorId ?? VENDOR_ID,
      classId: o.classId ?? CLASS_ID,
      image: { digest: o.digest ?? getCrypto().sha256(o.image), size: o.size ?? o.image.length },
      uri,
    });
    const envelope = await signEnvelope(manifest, ed25519CoseSigner(seedOf(key), this.kid(key)));
    return { envelope, uri, image: o.image, sequence: o.sequence };
  }

  /** Announcement of `r` with the log entries after version `anchor` (default: all new ones). */
  announce(r: Release, fromVersion: number, log?: LogEntry[]): ReleaseAnnouncement {
    return { envelope: r.envelope, log: log ?? this.log.slice(fromVersion) };
  }
}

/** Slots a simulated device can run on: the host interface plus the bootloader and a raw view. */
export interface SimulatedSlots extends FirmwareSlots {
  /** Power-on: the bootloader chooses the slot (reading persisted state). */
  boot(): RunningImage;
  readSlot(slot: SlotName, offset: number, length: number): Uint8Array;
  bootState(): BootState;
}

export interface DeviceOptions {
  /** Slot host (default MemorySlots); hosts/node/slots.ts plugs in FileSlots. */
  makeSlots?: (args: { faults: PowerFaults; capacity: number; factoryImage: { bytes: Uint8Array; info: SlotImageInfo } }) => SimulatedSlots;
  capacity?: number;
  factoryImage?: Uint8Array;
  installedSequence?: number;
  policy?: UpdatePolicy;
  /** Manufacturer log version the device is anchored at (default: the latest). */
  anchorVersion?: number;
  chunkSize?: number;
  sourceFaults?: ImageSourceFaults;
  config?: Partial<UpdaterConfig>;
}

/** A device with memory hosts. `restart()` simulates power-on; `reboots` counts reboots the updater asked for. */
export class SimulatedDevice {
  readonly faults = new PowerFaults();
  readonly kv = new MemoryKv(this.faults);
  readonly slots: SimulatedSlots;
  readonly files = new Map<string, Uint8Array>();
  images: MemoryImageSource;
  private source: ImageSource | undefined;
  readonly reports: string[] = [];
  /** Make sendReport fail (manufacturer unreachable). */
  offline = false;
  rebootRequested = false;
  policy: UpdatePolicy;
  updater: Updater;
  readonly factoryDigest: string;
  /** Digests of images a signed manifest stated and the device verified (plus the factory image). */
  readonly verifiedDigests = new Set<string>();
  private readonly options: DeviceOptions;
  clock = Date.UTC(2026, 0, 1);

  private constructor(options: DeviceOptions) {
    this.options = options;
    const factory = options.factoryImage ?? makeImage(2048, 99, 'factory');
    this.factoryDigest = sha256Hex(factory);
    this.verifiedDigests.add(this.factoryDigest);
    const info: SlotImageInfo = { sequence: options.installedSequence ?? 1, digest: this.factoryDigest, size: factory.length };
    const slotArgs = { capacity: options.capacity ?? 64 * 1024, factoryImage: { bytes: factory, info }, faults: this.faults };
    this.slots = options.makeSlots ? options.makeSlots(slotArgs) : new MemorySlots(slotArgs);
    this.images = new MemoryImageSource(this.files, options.chunkSize ?? 1024, options.sourceFaults);
    this.policy = options.policy ?? 'auto';
    this.updater = this.makeUpdater();
  }

  static async manufacture(m: Manufacturer, options: DeviceOptions = {}): Promise<SimulatedDevice> {
    const d = new SimulatedDevice(options);
    const anchor = options.anchorVersion === undefined ? m.state() : m.stateAt(options.anchorVersion);
    await provisionUpdater(d.kv, { manufacturer: anchor, installedSequence: options.installedSequence ?? 1 });
    await d.updater.boot(() => true);
    return d;
  }

  /** The public key of deviceSigner() (what the manufacturer knows from the device certificate). */
  static devicePublicKey(): PublicKey {
    return publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seedOf(1000) });
  }

  static deviceSigner(): Signer {
    const seed = seedOf(1000);
    const mk = publicKeyToMultikey(publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seed }));
    return ed25519Signer(`did:key:${mk}#${mk}`, seed);
  }

  private makeUpdater(): Updater {
    return new Updater(
      {
        kv: this.kv,
        slots: this.slots,
        images: { read: (uri, offset) => (this.source ?? this.images).read(uri, offset) },
        now: () => this.clock,
        reboot: () => {
          this.rebootRequested = true;
        },
        sendReport: async (r) => {
          if (this.offline) throw new Error('manufacturer unreachable');
          this.reports.push(r);
        },
      },
      {
        vendorId: VENDOR_ID,
        classId: CLASS_ID,
        reportSigner: SimulatedDevice.deviceSigner(),
        policy: () => this.policy,
        checkpointBytes: 2048,
        ...this.options.config,
      },
    );
  }

  /** Download images through another source (e.g. real HTTP) instead of the memory server. */
  useImageSource(source: ImageSource): void {
    this.source = source;
  }

  /** Make the image server misbehave from now on (a fresh server with these faults). */
  setSourceFaults(faults: ImageSourceFaults): void {
    this.images = new MemoryImageSource(this.files, this.options.chunkSize ?? 1024, faults);
  }

  /** Serve `r`'s image at its URI (or other bytes under it). */
  publish(r: Release, bytes?: Uint8Array): void {
    this.files.set(r.uri, bytes ?? r.image);
  }

  /** The bytes of the running slot's image (as the bootloader would run them). */
  runningBytes(): { running: RunningImage; bytes: Uint8Array } {
    const s = this.slots.bootState();
    const info = s.images[s.running];
    const bytes = info ? this.slots.readSlot(s.running, 0, info.size) : new Uint8Array(0);
    return { running: { slot: s.running, trial: s.trial === s.running && s.running !== s.confirmed, image: info }, bytes };
  }

  /** Power-on: the bootloader picks a slot, the firmware starts and runs the updater's boot(). */
  async restart(): Promise<BootOutcome> {
    this.rebootRequested = false;
    const running = this.slots.boot();
    this.updater = this.makeUpdater();
    const { bytes } = this.runningBytes();
    return this.updater.boot(() => {
      const text = String.fromCharCode(...bytes.subarray(0, SELF_TEST_FAIL.length));
      return text !== SELF_TEST_FAIL && running.image !== undefined;
    });
  }

  /** SHA-256 of what the running slot holds, recomputed from its bytes. */
  runningDigest(): string {
    return sha256Hex(this.runningBytes().bytes);
  }

  async installedSequence(): Promise<number> {
    return (await this.updater.trustedState()).installedSequence;
  }
}

export interface PowerCutRun {
  step: number;
  when: 'before' | 'after';
  label: string;
  /** Every start after the cut: what ran and the anti-rollback sequence then. */
  boots: { digest: string; installedSequence: number; status: string }[];
  finalDigest: string;
  finalSequence: number;
}

export interface PowerCutReport {
  /** The write steps of one uninterrupted update, in order. */
  labels: string[];
  oldDigest: string;
  newDigest: string;
  runs: PowerCutRun[];
}

/**
 * Runs one update (sequence 5 -> 6, with one new DID log entry so the trust
 * move is a write step too) once per write step and side: cut the power
 * there, then power on again (and re-announce / resume, as the device's
 * agent would) until the update is done. Records what every start ran.
 * Throws if a cut never happened or the update cannot finish.
 */
export async function powerCutCampaign(options: DeviceOptions = {}, imageSize = 8 * 1024): Promise<PowerCutReport> {
  const m = await Manufacturer.create();
  await m.touch();
  const r = await m.release({ sequence: 6, image: makeImage(imageSize, 6) });
  const make = async () => {
    const d = await SimulatedDevice.manufacture(m, { ...options, installedSequence: 5, anchorVersion: 1 });
    d.publish(r);
    return d;
  };
  const probe = await make();
  const start = probe.faults.steps;
  await probe.updater.handleAnnouncement(m.announce(r, 1));
  await probe.restart();
  const labels = probe.faults.labels.slice(start);
  const newDigest = sha256Hex(r.image);
  const runs: PowerCutRun[] = [];
  const onCut = (e: unknown) => {
    if (!(e instanceof PowerCut)) throw e;
  };
  for (let step = 0; step < labels.length; step++) {
    for (const when of ['before', 'after'] as const) {
      const d = await make();
      d.faults.cutAt({ step, when });
      const run: PowerCutRun = { step, when, label: labels[step], boots: [], finalDigest: '', finalSequence: -1 };
      let done = false;
      try {
        await d.updater.handleAnnouncement(m.announce(r, 1));
      } catch (e) {
        onCut(e);
      }
      for (let round = 0; round < 8 && !done; round++) {
        let status: string;
        try {
          status = (await d.restart()).status;
        } catch (e) {
          onCut(e);
          continue;
        }
        const digest = d.runningDigest();
        run.boots.push({ digest, installedSequence: await d.installedSequence(), status });
        if (status === 'installed' || (status === 'idle' && digest === newDigest)) {
          done = true;
          break;
        }
        try {
          if (status === 'resumable') await d.updater.resume();
          else if (status === 'idle') await d.updater.handleAnnouncement(m.announce(r, 1));
        } catch (e) {
          onCut(e);
        }
      }
      if (d.faults.armed) throw new Error(`the cut ${when} step ${step} (${labels[step]}) never happened`);
      if (!done) throw new Error(`the update did not finish after a cut ${when} step ${step} (${labels[step]})`);
      run.finalDigest = d.runningDigest();
      run.finalSequence = await d.installedSequence();
      runs.push(run);
    }
  }
  return { labels, oldDigest: probe.factoryDigest, newDigest, runs };
}
