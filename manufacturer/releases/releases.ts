/**
 * The release store: upload (draft) -> sign (signed) -> publish (published)
 * -> withdraw (withdrawn).
 *
 * Atomicity of publishing (why no crash leaves a half-published release):
 * every file is written to a temp name, fsynced and renamed *before* the
 * database transaction that makes it count; the row changes and their
 * history event commit in one `db.transaction`. "Published" is one column
 * of one row, and the image route serves only files whose row says
 * published, so a crash anywhere leaves the release in its previous state
 * (a stray file at most, swept at start) and a retry redoes the step.
 *
 * Signing reuses protocols/firmware exactly as `ssiot firmware sign` does
 * (encodeManifest + signEnvelope, kid = the signer's DID URL), then checks
 * the envelope the way a device will (device/updater/release.ts
 * authenticateRelease against the current did:webvh log), so a kid that
 * devices would refuse (rotated out, not an assertionMethod) is caught here.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { authenticateRelease } from '../../device/updater/release.ts';
import { verifyLog } from '../../protocols/did/webvh/verify.ts';
import type { WebvhState } from '../../protocols/did/webvh/types.ts';
import { equalBytes, hexToBytes } from '../../protocols/encoding/bytes.ts';
import { isSsiotError } from '../../protocols/errors.ts';
import type { CoseSigner } from '../../protocols/firmware/cose-sign1.ts';
import { signEnvelope } from '../../protocols/firmware/envelope.ts';
import { encodeManifest } from '../../protocols/firmware/manifest.ts';
import { ReleaseError } from './errors.ts';
import { KeyedLock } from './lock.ts';
import { hashFile, receiveImage, sweepImagesDir, writeFileAtomic } from './images.ts';
import { migrate } from './schema.ts';
import type { PublishStep, ReleaseServiceOptions, ReleaseSigner, ReleaseState, ReleaseView } from './types.ts';

export const DEFAULT_MAX_IMAGE_BYTES = 32 * 1024 * 1024;
/** Versions are labels for people (semver or any build tag): short, printable, no path characters. */
const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;

/** A row of release_releases. */
export interface ReleaseRow {
  id: string;
  device_class: string;
  version: string;
  sequence: number;
  state: ReleaseState;
  image_file: string;
  image_sha256: string;
  image_size: number;
  image_uri: string | null;
  envelope: Uint8Array | null;
  envelope_file: string | null;
  kid: string | null;
  created_at: number;
  signed_at: number | null;
  published_at: number | null;
  withdrawn_at: number | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function releaseView(r: ReleaseRow): ReleaseView {
  return {
    id: r.id,
    deviceClass: r.device_class,
    version: r.version,
    sequence: r.sequence,
    state: r.state,
    image: { file: r.image_file, sha256: r.image_sha256, size: r.image_size, uri: r.image_uri },
    envelopeFile: r.envelope_file,
    kid: r.kid,
    createdAt: iso(r.created_at) as string,
    signedAt: iso(r.signed_at),
    publishedAt: iso(r.published_at),
    withdrawnAt: iso(r.withdrawn_at),
  };
}

/** `<prefix>_` + 32 hex characters of randomness. */
export function newId(prefix: 'rel' | 'ro'): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

export interface UploadInput {
  deviceClass: string;
  version: string;
  /** Anti-rollback sequence; default max(last of the class + 1, now in seconds). */
  sequence?: number;
  /** Declared length (Content-Length), refused early when over the limit. */
  declaredLength?: number;
  body: AsyncIterable<Uint8Array | string>;
}

export class ReleaseStore {
  readonly db: Database;
  readonly imagesDir: string;
  readonly maxImageBytes: number;
  private readonly o: ReleaseServiceOptions;
  private readonly now: () => number;
  /** Signing and publishing of one release run one at a time (they write the same files). */
  private readonly locks = new KeyedLock();

  constructor(options: ReleaseServiceOptions) {
    this.o = options;
    this.db = options.db;
    this.imagesDir = options.imagesDir;
    this.maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
    this.now = options.now ?? Date.now;
    migrate(this.db);
    mkdirSync(this.imagesDir, { recursive: true });
  }

  private fault(step: PublishStep): void {
    this.o.faults?.(step);
  }

  /** Records a state change in the history (inside the caller's transaction). */
  event(subject: string, event: string, from: string | null, to: string | null, detail?: unknown): void {
    this.db
      .prepare('INSERT INTO release_events (subject, event, from_state, to_state, detail, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(subject, event, from, to, detail === undefined ? null : JSON.stringify(detail), this.now());
  }

  row(id: string): ReleaseRow | undefined {
    return this.db.prepare('SELECT * FROM release_releases WHERE id = ?').get(id) as ReleaseRow | undefined;
  }

  /** The row, or `release.not_found`. */
  get(id: string): ReleaseRow {
    const r = this.row(id);
    if (!r) throw new ReleaseError('release.not_found', `no release ${id}`);
    return r;
  }

  list(filter: { deviceClass?: string; state?: ReleaseState } = {}): ReleaseRow[] {
    return this.db
      .prepare('SELECT * FROM release_releases WHERE (@c IS NULL OR device_class = @c) AND (@s IS NULL OR state = @s) ORDER BY created_at DESC, id')
      .all({ c: filter.deviceClass ?? null, s: filter.state ?? null }) as ReleaseRow[];
  }

  /** Checks the upload's metadata before any byte is read. */
  checkUpload(input: Pick<UploadInput, 'deviceClass' | 'version' | 'sequence' | 'declaredLength'>): void {
    if (!Object.hasOwn(this.o.classes, input.deviceClass)) throw new ReleaseError('release.unknown_class', `unknown device class ${input.deviceClass}`);
    if (typeof input.version !== 'string' || !VERSION_RE.test(input.version)) throw new ReleaseError('release.invalid_version', 'version must be 1-64 characters of [0-9A-Za-z._+-]');
    if (input.sequence !== undefined && (!Number.isSafeInteger(input.sequence) || input.sequence < 0)) {
      throw new ReleaseError('release.invalid_sequence', 'sequence must be an unsigned integer');
    }
    if (input.declaredLength !== undefined && input.declaredLength > this.maxImageBytes) {
      throw new ReleaseError('release.too_large', `the image is larger than ${this.maxImageBytes} bytes`);
    }
    if (this.db.prepare('SELECT 1 FROM release_releases WHERE device_class = ? AND version = ?').get(input.deviceClass, input.version)) {
      throw new ReleaseError('release.duplicate_version', `${input.deviceClass} already has a release ${input.version}`);
    }
  }

  /**
   * Upload: streams the image to a temp file (SHA-256 while streaming, size
   * limit), renames it to `<id>.bin`, then inserts the draft row. On any
   * failure nothing stays (temp or renamed file removed).
   */
  async upload(input: UploadInput): Promise<ReleaseRow> {
    this.checkUpload(input);
    const received = await receiveImage(input.body, this.imagesDir, this.maxImageBytes);
    if (received.size === 0) {
      await unlink(received.tempPath).catch(() => undefined);
      throw new ReleaseError('release.empty_image', 'the image is empty');
    }
    const id = newId('rel');
    const file = `${id}.bin`;
    const path = join(this.imagesDir, file);
    await rename(received.tempPath, path);
    try {
      this.db.transaction(() => {
        this.checkUpload({ ...input, declaredLength: undefined });
        const last = (this.db.prepare('SELECT MAX(sequence) AS s FROM release_releases WHERE device_class = ?').get(input.deviceClass) as { s: number | null }).s;
        let sequence = input.sequence;
        if (sequence === undefined) sequence = Math.max(last === null ? 0 : last + 1, Math.floor(this.now() / 1000));
        else if (last !== null && sequence <= last) {
          throw new ReleaseError('release.sequence_not_increasing', `sequence ${sequence} is not above the class's last ${last}`);
        }
        this.db
          .prepare(
            `INSERT INTO release_releases (id, device_class, version, sequence, state, image_file, image_sha256, image_size, created_at)
             VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?)`,
          )
          .run(id, input.deviceClass, input.version, sequence, file, received.sha256, received.size, this.now());
        this.event(id, 'upload', null, 'draft', { sha256: received.sha256, size: received.size });
      })();
    } catch (e) {
      await unlink(path).catch(() => undefined);
      throw e;
    }
    this.o.log?.info({ release: id, deviceClass: input.deviceClass, version: input.version, size: received.size }, 'release uploaded');
    return this.get(id);
  }

  private async signer(): Promise<ReleaseSigner> {
    const s = typeof this.o.signer === 'function' ? await this.o.signer() : this.o.signer;
    if (!s || typeof s.kid !== 'string' || (s.alg !== 'EdDSA' && s.alg !== 'ES256') || typeof s.sign !== 'function') {
      throw new ReleaseError('release.invalid_signer', 'the release signer needs a kid, alg EdDSA or ES256 and sign()');
    }
    return s;
  }

  private async manufacturerState(): Promise<{ state: WebvhState; log: unknown[] }> {
    const log = await this.o.didLog();
    const state = this.o.verifyDidLog ? await this.o.verifyDidLog(log) : verifyLog(log, { now: this.now() });
    return { state, log };
  }

  /** The check a device makes: the envelope verifies under an assertionMethod of the current DID document. */
  private async checkAsDevice(envelope: Uint8Array): Promise<string> {
    const { state } = await this.manufacturerState();
    try {
      return (await authenticateRelease(envelope, state)).kid;
    } catch (e) {
      if (isSsiotError(e) && (e.code.startsWith('firmware.') || e.code.startsWith('did.'))) {
        throw new ReleaseError('release.signer_not_authorized', `devices would refuse this release: ${e.code}`, { cause: e });
      }
      throw e;
    }
  }

  private async checkImage(r: ReleaseRow): Promise<void> {
    let actual: { sha256: string; size: number };
    try {
      actual = await hashFile(join(this.imagesDir, r.image_file));
    } catch (e) {
      throw new ReleaseError('release.image_corrupt', `the image of ${r.id} cannot be read`, { cause: e });
    }
    if (actual.sha256 !== r.image_sha256 || actual.size !== r.image_size) throw new ReleaseError('release.image_corrupt', `the image of ${r.id} changed on disk`);
  }

  /**
   * Signs a draft (or re-signs a signed release, e.g. after a key rotation):
   * the manifest names the image at `imagesUrl/<file>`. Writes `<id>.suit`
   * (temp + rename), then commits state `signed` with the envelope.
   */
  sign(id: string, imagesUrl: string): Promise<ReleaseRow> {
    return this.locks.run(id, () => this.signLocked(id, imagesUrl));
  }

  private async signLocked(id: string, imagesUrl: string): Promise<ReleaseRow> {
    const r = this.get(id);
    if (r.state !== 'draft' && r.state !== 'signed') throw new ReleaseError('release.invalid_state', `a ${r.state} release cannot be signed again`);
    const { vendorId, classId } = this.o.classes[r.device_class];
    this.fault('sign.hash-image');
    await this.checkImage(r);
    const uri = `${imagesUrl.replace(/\/+$/, '')}/${r.image_file}`;
    const signer = await this.signer();
    this.fault('sign.sign');
    const manifest = encodeManifest({ sequenceNumber: r.sequence, vendorId, classId, image: { digest: hexToBytes(r.image_sha256), size: r.image_size }, uri });
    const envelope = await signEnvelope(manifest, signer as CoseSigner);
    const kid = await this.checkAsDevice(envelope);
    const envelopeFile = `${id}.suit`;
    this.fault('sign.write-envelope');
    await writeFileAtomic(join(this.imagesDir, `.${envelopeFile}.tmp`), join(this.imagesDir, envelopeFile), envelope, () => this.fault('sign.rename-envelope'));
    this.fault('sign.commit');
    const signedAt = this.now();
    this.db.transaction(() => {
      const now = this.get(id);
      if (now.state !== r.state) throw new ReleaseError('release.invalid_state', `release ${id} changed while signing`);
      this.db
        .prepare(`UPDATE release_releases SET state = 'signed', envelope = ?, envelope_file = ?, kid = ?, image_uri = ?, signed_at = ? WHERE id = ?`)
        .run(envelope, envelopeFile, kid, uri, signedAt, id);
      this.fault('sign.commit-event');
      this.event(id, 'sign', r.state, 'signed', { kid });
    })();
    this.o.log?.info({ release: id, kid }, 'release signed');
    return this.get(id);
  }

  /**
   * Publishes: a draft is signed first. Before the commit the envelope file
   * must be the signed one, the image unchanged, and the signature still
   * acceptable to devices under the current DID log.
   */
  publish(id: string, imagesUrl: string): Promise<ReleaseRow> {
    return this.locks.run(id, () => this.publishLocked(id, imagesUrl));
  }

  private async publishLocked(id: string, imagesUrl: string): Promise<ReleaseRow> {
    let r = this.get(id);
    if (r.state === 'draft') r = await this.signLocked(id, imagesUrl);
    if (r.state !== 'signed') throw new ReleaseError('release.invalid_state', `a ${r.state} release cannot be published`);
    this.fault('publish.verify');
    const onDisk = await readFile(join(this.imagesDir, r.envelope_file as string)).catch(() => undefined);
    if (!onDisk || !r.envelope || !equalBytes(new Uint8Array(onDisk), new Uint8Array(r.envelope))) {
      throw new ReleaseError('release.envelope_mismatch', `the envelope file of ${id} is not the signed one; sign it again`);
    }
    await this.checkImage(r);
    await this.checkAsDevice(new Uint8Array(r.envelope));
    this.fault('publish.commit');
    this.db.transaction(() => {
      if (this.get(id).state !== 'signed') throw new ReleaseError('release.invalid_state', `release ${id} changed while publishing`);
      this.db.prepare(`UPDATE release_releases SET state = 'published', published_at = ? WHERE id = ?`).run(this.now(), id);
      this.fault('publish.commit-event');
      this.event(id, 'publish', 'signed', 'published');
    })();
    this.o.log?.info({ release: id }, 'release published');
    return this.get(id);
  }

  /** Removes temp files and files no release row names (call at start). */
  sweep(): Promise<string[]> {
    const names = new Set<string>();
    for (const r of this.db.prepare('SELECT image_file, envelope_file FROM release_releases').all() as { image_file: string; envelope_file: string | null }[]) {
      names.add(r.image_file);
      if (r.envelope_file) names.add(r.envelope_file);
    }
    return sweepImagesDir(this.imagesDir, (f) => names.has(f));
  }
}
