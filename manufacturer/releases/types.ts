/**
 * What the releases module is given by the service (identity, device
 * registry, announcement channel) and what it hands back (views).
 */
import type { PublicKey } from '../../protocols/did/keys.ts';
import type { WebvhState } from '../../protocols/did/webvh/types.ts';
import type { ReleaseAnnouncementJson } from '../../device/updater/announcement.ts';

/**
 * Signs SUIT manifests for the manufacturer: `kid` is the DID URL of an
 * assertionMethod of the manufacturer's did:webvh (what devices check),
 * `sign` signs the COSE Sig_structure (EdDSA: as is; ES256: SHA-256 then
 * ECDSA, r||s). The identity module owns the key; only this object is seen here.
 */
export interface ReleaseSigner {
  readonly kid: string;
  readonly alg: 'EdDSA' | 'ES256';
  sign(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

/** The manufacturer's devices, per device class (the device registry). */
export interface ReleaseDeviceDirectory {
  /** DIDs (the did:key of each device certificate's subject: the key that signs status reports). */
  list(deviceClass: string): readonly (string | { did: string })[] | Promise<readonly (string | { did: string })[]>;
  /** The public key behind a report's kid, for devices whose DID is not a did:key (default: did:key only). */
  publicKey?(kid: string): PublicKey | undefined | Promise<PublicKey | undefined>;
}

/** SUIT vendor and class ids (RFC 4122 UUIDs) of a device class, as devices are built with. */
export interface DeviceClassIds {
  vendorId: string;
  classId: string;
}

/** What goes to the devices of a stage (the broker / DIDComm side wraps it). */
export interface AnnouncedRelease {
  releaseId: string;
  rolloutId: string;
  deviceClass: string;
  version: string;
  sequence: number;
  /** The announcement as devices parse it (device/updater/announcement.ts): envelope + did:webvh log. */
  announcement: ReleaseAnnouncementJson;
}

/**
 * Sends `release` to `devices`. Choice: always a list of device DIDs, never
 * a class-wide broadcast: a stage is a subset, and reports are accepted only
 * from the devices a rollout named.
 */
export type AnnounceFn = (devices: readonly string[], release: AnnouncedRelease) => void | Promise<void>;

/** pino-compatible subset (fastify's logger). */
export interface ReleaseLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Steps of signing and publishing where a test may inject a crash (a throw). */
export type PublishStep =
  | 'sign.hash-image'
  | 'sign.sign'
  | 'sign.write-envelope'
  | 'sign.rename-envelope'
  | 'sign.commit'
  | 'sign.commit-event'
  | 'publish.verify'
  | 'publish.commit'
  | 'publish.commit-event';

export const PUBLISH_STEPS: readonly PublishStep[] = Object.freeze([
  'sign.hash-image',
  'sign.sign',
  'sign.write-envelope',
  'sign.rename-envelope',
  'sign.commit',
  'sign.commit-event',
  'publish.verify',
  'publish.commit',
  'publish.commit-event',
]);

export interface ReleaseServiceOptions {
  /** better-sqlite3 database (the service's one); `migrate` is run on it. */
  db: import('better-sqlite3').Database;
  /** Where images and envelopes are stored (created if missing). */
  imagesDir: string;
  /** The manifest signer, or a function giving the current one (after a key rotation). */
  signer: ReleaseSigner | (() => ReleaseSigner | Promise<ReleaseSigner>);
  /** The manufacturer's did:webvh log entries (did.jsonl lines, parsed), sent with every announcement. */
  didLog: () => unknown[] | Promise<unknown[]>;
  devices: ReleaseDeviceDirectory;
  announce: AnnounceFn;
  /** Device classes by name (the `class` of an upload) with their SUIT ids. */
  classes: Readonly<Record<string, DeviceClassIds>>;
  /** Largest image accepted (default 32 MiB). */
  maxImageBytes?: number;
  /**
   * Verifies the did:webvh log into the state a device would reach (default
   * verifyLog with the wall clock). Used to check, before signing and
   * publishing, that devices will accept the signer's kid.
   */
  verifyDidLog?: (log: readonly unknown[]) => WebvhState | Promise<WebvhState>;
  now?: () => number;
  log?: ReleaseLogger;
  /** Test hook: called at each step of signing/publishing; a throw there is a simulated crash. */
  faults?: (step: PublishStep) => void;
}

export type ReleaseState = 'draft' | 'signed' | 'published' | 'withdrawn';

export interface ReleaseView {
  id: string;
  deviceClass: string;
  version: string;
  sequence: number;
  state: ReleaseState;
  image: { file: string; sha256: string; size: number; uri: string | null };
  envelopeFile: string | null;
  kid: string | null;
  createdAt: string;
  signedAt: string | null;
  publishedAt: string | null;
  withdrawnAt: string | null;
}
