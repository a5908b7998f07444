/**
 * The device updater, built like python-tuf's ngclient: a trusted state
 * that only moves forward after verification (trusted-state.ts), the
 * verification steps as pure functions (release.ts), and this class, which
 * sequences them with the host's slots, storage and network and makes
 * every step survive a power cut.
 *
 * Steps (issue 5):
 *  1. handleAnnouncement: verify the log forward from the anchor (trust
 *     moves and is persisted even if the release is then refused), then
 *     the envelope's signature by an assertionMethod key of the current
 *     DID document;
 *  2. vendor, class, sequence > installed, size <= slot, owner policy
 *     (auto installs, ask waits for approve(), never refuses);
 *  3. download with Range into the inactive slot, hashing as bytes arrive
 *     (ImageVerifier), checkpointing the offset so an interrupted download
 *     resumes — after a reboot the written prefix is re-hashed from flash
 *     in small reads, so memory never depends on the image size;
 *  4. digest matches -> finalize the slot, set it for a trial boot, reboot;
 *     boot() on the new image runs the self-test and confirms, or reverts;
 *  5. the anti-rollback sequence is raised only after the confirmation;
 *  6. a signed status report (installed / failed + reason / reverted) is
 *     queued in storage and sent; unsent reports survive restarts.
 *
 * Persistent write order (each line one atomic write; a cut between any
 * two leaves a state boot() or resume() completes):
 *   trusted state (new DID state) -> update record 'downloading' ->
 *   slot opened + erased -> chunk writes + offset checkpoints -> slot finalize ->
 *   boot slot (trial) -> record 'staged' -> reboot -> [new image] confirm ->
 *   trusted state (installed sequence) -> report queued -> record deleted.
 * The bootloader never gets a slot that is not finalized, and only
 * finalize()s after the full digest matched: the device always boots an
 * image whose digest a signed manifest stated.
 */
import { base64urlDecode, base64urlEncode } from '../../protocols/encoding/base64url.ts';
import { bytesToHex, utf8Decode } from '../../protocols/encoding/bytes.ts';
import { FirmwareError, isSsiotError } from '../../protocols/errors.ts';
import type { SuitDigestAlgorithm } from '../../protocols/firmware/digest.ts';
import { ImageVerifier } from '../../protocols/firmware/image-verifier.ts';
import type { FirmwareTarget } from '../../protocols/firmware/target.ts';
import { uuidBytes } from '../../protocols/firmware/uuid.ts';
import type { Signer } from '../../protocols/vc/signer.ts';
import type { WebvhState } from '../../protocols/did/webvh/types.ts';
import { checkLogSize, type ReleaseAnnouncement } from './announcement.ts';
import { otherSlot } from './boot-state.ts';
import type { RunningImage, SlotName, SlotWriter, UpdaterHost } from './host.ts';
import { advanceManufacturer, authenticateRelease, checkRelease, type DeviceClass, type ManufacturerLogVerifier } from './release.ts';
import { signStatusReport, statusReportId, type StatusReportBody, type UpdateStatus } from './report.ts';
import { advanceTrustedState, laterTime, loadTrustedState, TRUSTED_STATE_KEY, type TrustedState } from './trusted-state.ts';

export const UPDATE_RECORD_KEY = 'firmware/update';
export const OUTBOX_KEY = 'firmware/outbox';
/** Reports kept when the manufacturer is unreachable (oldest dropped first). */
export const OUTBOX_LIMIT = 16;

export type UpdatePolicy = 'auto' | 'ask' | 'never';

export interface UpdaterConfig {
  /** The device's SUIT vendor and class (UUIDs). */
  vendorId: Uint8Array | string;
  classId: Uint8Array | string;
  /** The device key that signs status reports (kept by the wallet). */
  reportSigner: Signer;
  /** The owner's update policy, read at each announcement. */
  policy: () => UpdatePolicy | Promise<UpdatePolicy>;
  /** Log verification (default did:webvh verifyLogFrom). */
  verifyLog?: ManufacturerLogVerifier;
  /** Offset checkpoint interval in bytes (default 64 KiB): at most this much is downloaded again after a power cut. */
  checkpointBytes?: number;
  /** Download attempts in a row without progress before giving up (default 3). */
  maxStalls?: number;
  /** Read size when re-hashing a partial image from the slot (default 4 KiB). */
  readChunk?: number;
  /** Largest SUIT envelope accepted (default 64 KiB). */
  maxEnvelopeBytes?: number;
}

/** The release being installed, persisted under UPDATE_RECORD_KEY. */
export interface UpdateRecord {
  phase: 'awaiting_approval' | 'downloading' | 'staged';
  /** The SUIT envelope, base64url (re-verified against the current trust before any further step). */
  envelope: string;
  sequence: number;
  digest: { algorithm: SuitDigestAlgorithm; hex: string };
  size: number;
  uri: string;
  /** The slot being written (set when the download starts). */
  slot?: SlotName;
  /** Bytes durably written to the slot (checkpoint). */
  offset: number;
  /** Why a staged image is being given up (set before revert). */
  reason?: string;
}

export type UpdateOutcome =
  | { status: 'awaiting_approval'; sequence: number }
  | { status: 'interrupted'; sequence: number; offset: number }
  | { status: 'rebooting'; sequence: number };

export type BootOutcome =
  | { status: 'idle' }
  | { status: 'installed'; sequence: number }
  | { status: 'reverting'; sequence: number; reason: string }
  | { status: 'reverted'; sequence: number; reason: string }
  | { status: 'resumable'; sequence: number; offset: number }
  | { status: 'awaiting_approval'; sequence: number };

/** Failures of an accepted release that are reported as `failed` (the rest are refusals). */
const DOWNLOAD_FAILURES = ['firmware.image_too_long', 'firmware.image_too_short', 'firmware.digest_mismatch'];

/**
 * Writes the first trusted state of a device (at manufacture): the pinned
 * manufacturer DID with its verified log state, and the factory image's
 * sequence number. Refuses to overwrite an existing anchor.
 */
export async function provisionUpdater(
  kv: UpdaterHost['kv'],
  anchor: { manufacturer: WebvhState; installedSequence: number },
): Promise<TrustedState> {
  if ((await kv.get(TRUSTED_STATE_KEY)) !== undefined) throw new FirmwareError('firmware.already_provisioned', 'the device already has a trust anchor');
  const state: TrustedState = {
    version: 1,
    pinnedDid: anchor.manufacturer.did,
    manufacturer: JSON.parse(JSON.stringify(anchor.manufacturer)) as WebvhState,
    installedSequence: anchor.installedSequence,
    lastSeen: anchor.manufacturer.versionTime,
  };
  await kv.set(TRUSTED_STATE_KEY, JSON.stringify(state));
  return state;
}

export class Updater {
  private readonly host: UpdaterHost;
  private readonly config: UpdaterConfig;
  private readonly device: DeviceClass;
  private busy = false;

  constructor(host: UpdaterHost, config: UpdaterConfig) {
    this.host = host;
    this.config = config;
    this.device = { vendorId: uuidBytes(config.vendorId, 'vendorId'), classId: uuidBytes(config.classId, 'classId') };
  }

  /** The trusted state as stored. */
  trustedState(): Promise<TrustedState> {
    return loadTrustedState(this.host.kv);
  }

  /** The release in progress, if any. */
  async pendingUpdate(): Promise<UpdateRecord | undefined> {
    const text = await this.host.kv.get(UPDATE_RECORD_KEY);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as UpdateRecord;
    } catch {
      // a corrupt record is dropped: the release can be announced again
      await this.host.kv.delete(UPDATE_RECORD_KEY);
      return undefined;
    }
  }

  private saveRecord(r: UpdateRecord): Promise<void> {
    return this.host.kv.set(UPDATE_RECORD_KEY, JSON.stringify(r));
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new FirmwareError('firmware.busy', 'the updater is already running an operation');
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Call at every start, before anything else. Completes what a restart
   * interrupted: a trial image self-tests and confirms (raising the
   * anti-rollback sequence) or reverts; a revert by the bootloader is
   * reported; queued reports are sent.
   */
  boot(selfTest: () => boolean | Promise<boolean>): Promise<BootOutcome> {
    return this.exclusive(async () => {
      const trusted = await loadTrustedState(this.host.kv);
      const record = await this.pendingUpdate();
      const running = await this.host.slots.running();
      let outcome: BootOutcome;
      if (!record) {
        if (running.trial) {
          // a trial image nobody staged: never keep what we did not verify
          await this.host.slots.revert();
          await this.host.reboot();
          return { status: 'reverting', sequence: running.image?.sequence ?? -1, reason: 'unknown_trial_image' };
        }
        outcome = { status: 'idle' };
      } else if (record.phase === 'awaiting_approval') {
        outcome = { status: 'awaiting_approval', sequence: record.sequence };
      } else if (record.slot !== undefined && running.slot === record.slot && running.image?.digest === record.digest.hex) {
        // the new image is running (cut between setBootSlot and 'staged' included)
        if (running.trial) {
          let ok = false;
          try {
            ok = (await selfTest()) === true;
          } catch {
            ok = false;
          }
          if (!ok) {
            await this.saveRecord({ ...record, phase: 'staged', reason: 'self_test_failed' });
            await this.host.slots.revert();
            await this.host.reboot();
            return { status: 'reverting', sequence: record.sequence, reason: 'self_test_failed' };
          }
          await this.host.slots.confirm();
        }
        await this.finishInstall(trusted, record);
        outcome = { status: 'installed', sequence: record.sequence };
      } else if (record.phase === 'staged') {
        // back on the old slot: the trial image failed its self-test or never confirmed
        const reason = record.reason ?? 'not_confirmed';
        await this.queueReport('reverted', record, running, reason);
        await this.host.kv.delete(UPDATE_RECORD_KEY);
        outcome = { status: 'reverted', sequence: record.sequence, reason };
      } else {
        outcome = { status: 'resumable', sequence: record.sequence, offset: record.offset };
      }
      await this.flushReports();
      return outcome;
    });
  }

  /** Confirmed: raise anti-rollback (only now), report, forget the record. Idempotent. */
  private async finishInstall(trusted: TrustedState, record: UpdateRecord): Promise<void> {
    if (trusted.installedSequence < record.sequence) {
      await advanceTrustedState(this.host.kv, trusted, { ...trusted, installedSequence: record.sequence });
    }
    await this.queueReport('installed', record, await this.host.slots.running());
    await this.host.kv.delete(UPDATE_RECORD_KEY);
  }

  /**
   * Steps 1-3 for an announcement. Returns how far it got (awaiting the
   * owner, interrupted download, or rebooting into the new image); any
   * refusal or failure throws a typed error (`did.webvh_*` for the log,
   * `firmware.*` for the rest).
   */
  handleAnnouncement(announcement: ReleaseAnnouncement): Promise<UpdateOutcome> {
    return this.exclusive(async () => {
      if (!announcement || !(announcement.envelope instanceof Uint8Array) || !Array.isArray(announcement.log)) {
        throw new FirmwareError('firmware.malformed', 'an announcement is {envelope: bytes, log: entries[]}');
      }
      checkLogSize(announcement.log);
      const record = await this.pendingUpdate();
      if (record?.phase === 'staged') throw new FirmwareError('firmware.busy', 'an installed image is waiting for its trial boot');
      const trusted = await this.advanceTrust(announcement.log);
      const target = await this.authenticate(announcement.envelope, trusted);
      if (record && record.sequence === target.sequenceNumber && record.digest.hex === bytesToHex(target.digest.bytes)) {
        // the release in progress, announced again
        if (record.phase === 'awaiting_approval') return { status: 'awaiting_approval', sequence: record.sequence };
        return this.download(record, target);
      }
      if (record && target.sequenceNumber <= record.sequence) {
        throw new FirmwareError('firmware.superseded', `release ${record.sequence} is already in progress`);
      }
      const policy = await this.config.policy();
      if (policy === 'never') throw new FirmwareError('firmware.policy_refused', 'the owner does not allow firmware updates');
      const next: UpdateRecord = {
        phase: policy === 'ask' ? 'awaiting_approval' : 'downloading',
        envelope: base64urlEncode(announcement.envelope),
        sequence: target.sequenceNumber,
        digest: { algorithm: target.digest.algorithm, hex: bytesToHex(target.digest.bytes) },
        size: target.size,
        uri: target.uri,
        offset: 0,
      };
      await this.saveRecord(next);
      if (next.phase === 'awaiting_approval') return { status: 'awaiting_approval', sequence: next.sequence };
      return this.download(next, target);
    });
  }

  /** The owner approved the release waiting under the `ask` policy. */
  approve(sequence: number): Promise<UpdateOutcome> {
    return this.exclusive(async () => {
      const record = await this.pendingUpdate();
      if (!record || record.phase !== 'awaiting_approval' || record.sequence !== sequence) {
        throw new FirmwareError('firmware.nothing_to_approve', `no release ${sequence} is waiting for approval`);
      }
      const next: UpdateRecord = { ...record, phase: 'downloading', offset: 0 };
      await this.saveRecord(next);
      return this.download(next);
    });
  }

  /** Continues an interrupted download (after a network failure or a restart). */
  resume(): Promise<UpdateOutcome> {
    return this.exclusive(async () => {
      const record = await this.pendingUpdate();
      if (!record || record.phase !== 'downloading') throw new FirmwareError('firmware.nothing_to_resume', 'no download in progress');
      return this.download(record);
    });
  }

  /** Step 1a, persisted: the DID state moves forward even when the release is then refused. */
  private async advanceTrust(log: readonly unknown[]): Promise<TrustedState> {
    const trusted = await loadTrustedState(this.host.kv);
    const manufacturer = await advanceManufacturer(trusted.manufacturer, trusted.lastSeen, log, this.host.now(), this.config.verifyLog);
    if (manufacturer === trusted.manufacturer) return trusted;
    const next: TrustedState = { ...trusted, manufacturer, lastSeen: laterTime(trusted.lastSeen, manufacturer.versionTime) };
    await advanceTrustedState(this.host.kv, trusted, next);
    return next;
  }

  /** Steps 1b + 2 (without the policy) against the given trust. */
  private async authenticate(envelope: Uint8Array, trusted: TrustedState): Promise<FirmwareTarget> {
    const { target } = await authenticateRelease(envelope, trusted.manufacturer, { maxBytes: this.config.maxEnvelopeBytes });
    checkRelease(target, this.device, trusted.installedSequence, this.host.slots.capacity);
    return target;
  }

  /** Step 3 and the start of 4. */
  private async download(record: UpdateRecord, verifiedNow?: FirmwareTarget): Promise<UpdateOutcome> {
    // Trust may have moved since the release was accepted (key rotated out,
    // newer release installed): check it again before writing anything.
    let target: FirmwareTarget;
    if (verifiedNow) target = verifiedNow;
    else {
      try {
        target = await this.authenticate(base64urlDecode(record.envelope), await loadTrustedState(this.host.kv));
      } catch (e) {
        if (isRefusal(e)) await this.fail(record, e.code);
        throw e;
      }
    }
    const running = await this.host.slots.running();
    if (running.trial) throw new FirmwareError('firmware.busy', 'the running image is not confirmed yet');
    const slot = otherSlot(running.slot);
    const fresh = record.offset === 0 || record.slot !== slot;
    const writer = await this.host.slots.openInactive({ erase: fresh });
    let r: UpdateRecord = record;
    if (fresh && (record.slot !== writer.slot || record.offset !== 0)) {
      r = { ...record, slot: writer.slot, offset: 0 };
      await this.saveRecord(r);
    }
    const verifier = new ImageVerifier({ digest: target.digest, size: target.size });
    await this.rehash(writer, verifier, r.offset);
    try {
      const result = await this.fetchInto(writer, verifier, r);
      if (result.status === 'interrupted') return result;
      verifier.finish();
    } catch (e) {
      if (isSsiotError(e) && DOWNLOAD_FAILURES.includes(e.code)) {
        await this.fail(r, e.code);
      }
      throw e;
    }
    await writer.finalize({ sequence: r.sequence, digest: r.digest.hex, size: r.size });
    await this.host.slots.setBootSlot(writer.slot);
    await this.saveRecord({ ...r, phase: 'staged', offset: r.size });
    await this.host.reboot();
    return { status: 'rebooting', sequence: r.sequence };
  }

  /** Feeds the bytes already in the slot (a previous run's checkpoint) to the verifier. */
  private async rehash(writer: SlotWriter, verifier: ImageVerifier, upTo: number): Promise<void> {
    const step = this.config.readChunk ?? 4096;
    for (let o = 0; o < upTo; o += step) verifier.update(await writer.read(o, Math.min(step, upTo - o)));
  }

  /**
   * Downloads from `r.offset` with Range, resuming after drops, until the
   * image is complete. Source errors (network) are retried; host errors
   * (storage, power) propagate. Returns 'interrupted' (offset saved) after
   * maxStalls attempts in a row without progress that ended in errors;
   * clean ends without progress mean the image is short.
   */
  private async fetchInto(writer: SlotWriter, verifier: ImageVerifier, r: UpdateRecord): Promise<{ status: 'complete' } | UpdateOutcome> {
    const checkpointBytes = this.config.checkpointBytes ?? 64 * 1024;
    const maxStalls = this.config.maxStalls ?? 3;
    let offset = r.offset;
    let checkpoint = offset;
    let stalls = 0;
    for (;;) {
      const before = offset;
      let networkError = false;
      const it = this.host.images.read(r.uri, offset)[Symbol.asyncIterator]();
      try {
        for (;;) {
          let step: IteratorResult<Uint8Array>;
          try {
            step = await it.next();
          } catch {
            networkError = true;
            break;
          }
          if (step.done) break;
          const chunk = step.value;
          if (!(chunk instanceof Uint8Array)) throw new FirmwareError('firmware.malformed', 'image source yielded a non-byte chunk');
          if (chunk.length === 0) continue;
          verifier.update(chunk); // refuses bytes past the size before they are written
          await writer.write(offset, chunk);
          offset += chunk.length;
          if (offset - checkpoint >= checkpointBytes && offset < r.size) {
            await this.saveRecord({ ...r, offset });
            checkpoint = offset;
          }
        }
      } finally {
        if (it.return) {
          try {
            await it.return();
          } catch {
            // closing a broken stream
          }
        }
      }
      if (offset === r.size && !networkError) return { status: 'complete' };
      stalls = offset > before ? 0 : stalls + 1;
      if (stalls >= maxStalls) {
        if (!networkError && offset < r.size) {
          throw new FirmwareError('firmware.image_too_short', `the image ends after ${offset} of ${r.size} bytes`);
        }
        if (offset !== r.offset) await this.saveRecord({ ...r, offset });
        return { status: 'interrupted', sequence: r.sequence, offset };
      }
    }
  }

  /** An accepted release failed: report it and forget it. */
  private async fail(record: UpdateRecord, reason: string): Promise<void> {
    await this.queueReport('failed', record, await this.host.slots.running(), reason);
    await this.host.kv.delete(UPDATE_RECORD_KEY);
    await this.flushReports();
  }

  private async outbox(): Promise<string[]> {
    const text = await this.host.kv.get(OUTBOX_KEY);
    if (text === undefined) return [];
    try {
      const v = JSON.parse(text) as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Signs a report and stores it for sending (same outcome twice = one report). */
  private async queueReport(status: UpdateStatus, record: UpdateRecord, running: RunningImage, reason?: string): Promise<void> {
    const trusted = await loadTrustedState(this.host.kv);
    const body: StatusReportBody = {
      status,
      sequence: record.sequence,
      digest: record.digest.hex,
      running: { slot: running.slot, ...(running.image ? { sequence: running.image.sequence } : {}) },
    };
    if (reason !== undefined) body.reason = reason;
    const id = statusReportId(body);
    const queue = await this.outbox();
    if (queue.some((jws) => reportId(jws) === id)) return;
    const jws = await signStatusReport(body, { signer: this.config.reportSigner, to: trusted.manufacturer.did, now: this.host.now() });
    queue.push(jws);
    await this.host.kv.set(OUTBOX_KEY, JSON.stringify(queue.slice(-OUTBOX_LIMIT)));
  }

  /** Sends queued reports in order; stops at the first the host cannot deliver. Returns how many went out. */
  async flushReports(): Promise<number> {
    let queue = await this.outbox();
    let sent = 0;
    while (queue.length > 0) {
      try {
        await this.host.sendReport(queue[0]);
      } catch {
        break;
      }
      queue = queue.slice(1);
      sent++;
      if (queue.length === 0) await this.host.kv.delete(OUTBOX_KEY);
      else await this.host.kv.set(OUTBOX_KEY, JSON.stringify(queue));
    }
    return sent;
  }
}

/** A verification refusal (as opposed to a host failure such as storage or power). */
function isRefusal(e: unknown): e is FirmwareError {
  return isSsiotError(e) && (e.code.startsWith('firmware.') || e.code.startsWith('did.'));
}

/** The id of a queued compact-JWS report (its payload's `id`). */
function reportId(jws: string): string | undefined {
  try {
    const payload = JSON.parse(utf8Decode(base64urlDecode(jws.split('.')[1]))) as { id?: unknown };
    return typeof payload.id === 'string' ? payload.id : undefined;
  } catch {
    return undefined;
  }
}
