/**
 * The manufacturer's identity inside the service: its did:webvh (created on
 * first start, with pre-rotation), the signing keys in the service's wallet
 * (opened with the master key from a KeySource), rotation, and the signers
 * the factory station and the release pipeline use.
 *
 *   const identity = await ManufacturerIdentity.open({ db, keySource: fileKeySource(path), domain: 'mfr.example' });
 *   identity.did;                                   // did:webvh:<scid>:mfr.example
 *   await identity.rotate();                        // pre-committed update key, new signing keys
 *   const signer = await identity.certificateSigner();  // for issueDeviceCertificate
 *
 * Storage: the DID log in table `identity_log` (one row per entry, the
 * entry's JSON as published), the keys in the wallet (by default the table
 * `identity_wallet` of the same database, see wallet-store.ts). Private keys
 * never leave the wallet: signers sign by handle (wallet.keys.sign).
 *
 * Source of truth for "which key does what" is the verified log itself: the
 * update key is the last entry's `updateKeys`, the committed next key is the
 * wallet key whose hash is in `nextKeyHashes`, the signing keys are the
 * document's `#cert-<n>` / `#firmware-<n>` (document.ts). The wallet's keys
 * carry a tag `identity` (what they were created for) so the identity
 * touches only its own keys in a wallet the service may share.
 *
 * Crash safety: a rotation creates its new keys first, then appends the
 * entry (one INSERT: the commit point), then deletes the keys the log no
 * longer needs. A crash before the INSERT leaves unused keys, after it
 * leaves old keys; `open` sweeps both. The log row and the keys that
 * control it are in one database file, so one backup holds both.
 *
 * One process owns an identity: rotations in this process are serialized;
 * a second process rotating the same database at once would lose the race
 * at the INSERT (version is the primary key) and change nothing.
 */
import type Database from 'better-sqlite3';
import { resolveWebvh } from '../../protocols/did/webvh/resolve.ts';
import { createWebvh, nextKeyHashOf, updateWebvh } from '../../protocols/did/webvh/create.ts';
import { didToHttpsUrl, parseWebvhDid, webvhDidFor } from '../../protocols/did/webvh/did.ts';
import { serializeLog } from '../../protocols/did/webvh/log.ts';
import type { LogEntry, WebvhState } from '../../protocols/did/webvh/types.ts';
import { verifyLogStates } from '../../protocols/did/webvh/verify.ts';
import { publicKeyToMultikey } from '../../protocols/did/keys.ts';
import type { DidDocument } from '../../protocols/did/types.ts';
import { parseJson } from '../../protocols/encoding/json.ts';
import { IdentityError, isSsiotError } from '../../protocols/errors.ts';
import type { CoseSigner } from '../../protocols/firmware/cose-sign1.ts';
import type { Signer } from '../../protocols/vc/signer.ts';
import { KeyValueStorage } from '../../protocols/wallet/kv.ts';
import { KEY_RECORD_META } from '../../protocols/wallet/key-record.ts';
import type { KeyInfo } from '../../protocols/wallet/key-ops.ts';
import type { WalletStorage } from '../../protocols/wallet/types.ts';
import { Wallet } from '../../protocols/wallet/wallet.ts';
import { buildDocument, documentKeys, type DocumentKeys, type KeyRef } from './document.ts';
import type { KeySource } from './key-source.ts';
import { migrateWalletTable, SqliteKeyValue } from './wallet-store.ts';

export const LOG_TABLE = 'identity_log';
/** Wallet tag naming what an identity key was created for. */
export const IDENTITY_TAG = 'identity';
type KeyPurpose = 'update' | 'certificate' | 'firmware';

/** Creates the identity's tables (idempotent): the log and the default wallet table. */
export function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${LOG_TABLE} (
    version INTEGER PRIMARY KEY,
    version_id TEXT NOT NULL UNIQUE,
    version_time TEXT NOT NULL,
    reason TEXT NOT NULL,
    entry TEXT NOT NULL
  )`);
  migrateWalletTable(db);
}

export interface ManufacturerIdentityOptions {
  /** The service database (better-sqlite3); the identity creates its tables in it. */
  db: Database.Database;
  /** Opens (or, on first start, creates) the wallet. */
  keySource: KeySource;
  /** Host, or `host:port`, where the log is published (`did.jsonl`). */
  domain: string;
  /** Optional path (`dids/manufacturer` or its segments); none = `/.well-known/did.jsonl`. */
  path?: string | readonly string[];
  /** Clock (versionTime of new entries, log verification). Default the wall clock. */
  now?: () => Date | number;
  /**
   * The wallet's storage; default: table `identity_wallet` of `db`. Pass e.g.
   * `SqliteStorage.open(file)` for a separate wallet file (closed by `close()`).
   */
  walletStorage?: WalletStorage;
}

/** One version of the DID, for the console's key history. */
export interface IdentityVersion {
  versionNumber: number;
  versionId: string;
  versionTime: string;
  /** Why this entry was written: `created`, `rotation`, or what the operator said. */
  reason: string;
  /** The update keys in force after this entry (under pre-rotation: the committed keys it rotated to). */
  updateKeys: string[];
  /** Pre-rotation commitments to the next update key. */
  nextKeyHashes: string[];
  certificateKey: KeyRef;
  firmwareKey: KeyRef;
  retiredCertificateKeys: KeyRef[];
}

/** The identity's current public state (what GET /api/identity shows). */
export interface IdentitySummary {
  did: string;
  /** Where the log is published (`https://…/did.jsonl`). */
  logUrl: string;
  versionId: string;
  versionNumber: number;
  updated: string;
  keys: DocumentKeys & { updateKeys: string[]; nextKeyHashes: string[] };
}

export interface RotateOptions {
  /** Recorded with the entry and shown in the history (no secrets: it is stored in clear). */
  reason?: string;
  /** Also drop the earlier certificate keys from the document (rotation for compromise). Default false. */
  revokeCertificateKeys?: boolean;
}

const MAX_REASON = 200;
const SYNTAX_CHECK_SCID = 'Q'.repeat(46);

function multikeyOf(k: KeyInfo): string {
  return publicKeyToMultikey(k.publicKey);
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

interface LogRow {
  version: number;
  reason: string;
  entry: string;
}

const WRONG_KEY_CODES = new Set(['wallet.wrong_key', 'wallet.wrong_passphrase', 'wallet.key_method_mismatch']);

export class ManufacturerIdentity {
  /** The service's wallet (the identity's keys are tagged `identity`; the service may keep other keys here). */
  readonly wallet: Wallet;
  private readonly db: Database.Database;
  private readonly clock: () => Date;
  private readonly insert: Database.Statement<[number, string, string, string, string]>;
  private entries: LogEntry[] = [];
  private reasons: string[] = [];
  private states: WebvhState[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(db: Database.Database, wallet: Wallet, clock: () => Date) {
    this.db = db;
    this.wallet = wallet;
    this.clock = clock;
    this.insert = db.prepare(`INSERT INTO ${LOG_TABLE} (version, version_id, version_time, reason, entry) VALUES (?, ?, ?, ?, ?)`);
  }

  /**
   * Opens the identity in `db`, creating the DID on first start. Errors:
   * `identity.wrong_master_key` (nothing is written), `identity.wallet_missing`
   * (a log but no wallet: the keys are gone), `identity.domain_mismatch` (the
   * stored DID is for another domain/path), `identity.log_invalid`, the key
   * source's `identity.*` errors.
   */
  static async open(o: ManufacturerIdentityOptions): Promise<ManufacturerIdentity> {
    if (!o || !o.db || !o.keySource || typeof o.keySource.masterKey !== 'function') {
      throw new IdentityError('identity.invalid_argument', 'open needs db, keySource and domain');
    }
    const clock = (): Date => {
      const t = o.now ? o.now() : new Date();
      return t instanceof Date ? t : new Date(t);
    };
    // refuse a domain or path no resolver would accept before touching anything
    // (any syntactically valid SCID stands in for the one creation will compute)
    parseWebvhDid(webvhDidFor(o.domain, o.path ?? [], SYNTAX_CHECK_SCID));
    migrate(o.db);
    const rows = o.db.prepare(`SELECT version, reason, entry FROM ${LOG_TABLE} ORDER BY version`).all() as LogRow[];
    const entries = rows.map((r) => parseJson<LogEntry>(r.entry));
    let states: WebvhState[] = [];
    if (entries.length > 0) {
      try {
        states = verifyLogStates(entries, { now: clock() });
      } catch (e) {
        throw new IdentityError('identity.log_invalid', `the stored DID log does not verify (${isSsiotError(e) ? e.code : 'error'})`, { cause: e });
      }
      const expected = webvhDidFor(o.domain, o.path ?? [], states[0].scid);
      if (states[states.length - 1].did !== expected) {
        throw new IdentityError('identity.domain_mismatch', `the stored DID ${states[states.length - 1].did} is not for the configured domain and path (${expected})`);
      }
    }
    const wallet = await openWallet(o, entries.length > 0);
    const identity = new ManufacturerIdentity(o.db, wallet, clock);
    identity.entries = entries;
    identity.reasons = rows.map((r) => r.reason);
    identity.states = states;
    try {
      if (entries.length === 0) {
        await identity.sweep();
        await identity.create(o.domain, o.path ?? []);
      } else {
        await identity.sweep();
      }
    } catch (e) {
      await wallet.close();
      throw e;
    }
    return identity;
  }

  private get state(): WebvhState {
    return this.states[this.states.length - 1];
  }

  private now(): Date {
    return this.clock();
  }

  /** The DID (did:webvh). */
  get did(): string {
    return this.state.did;
  }

  /** The log entries, oldest first (copies). */
  log(): LogEntry[] {
    return clone(this.entries);
  }

  /** `did.jsonl` as served. */
  logText(): string {
    return serializeLog(this.entries);
  }

  /** The URL the log is published at, per the DID-to-HTTPS transformation. */
  logUrl(): string {
    return didToHttpsUrl(this.did);
  }

  /** The path part of logUrl(): where the service must serve `did.jsonl` (`/.well-known/did.jsonl` or `/<path>/did.jsonl`). */
  logPath(): string {
    return new URL(this.logUrl()).pathname;
  }

  /** The current DID document, as signed (resolvers add the implicit #files and #whois services). */
  document(): DidDocument {
    return clone(this.state.document);
  }

  /** The current verified state (what a device pins). */
  webvhState(): WebvhState {
    return clone(this.state);
  }

  /** Current DID, version and public keys. */
  summary(): IdentitySummary {
    const s = this.state;
    return {
      did: s.did,
      logUrl: this.logUrl(),
      versionId: s.versionId,
      versionNumber: s.versionNumber,
      updated: s.versionTime,
      keys: { ...documentKeys(s.document), updateKeys: [...s.parameters.updateKeys], nextKeyHashes: [...s.parameters.nextKeyHashes] },
    };
  }

  /** Every version with the keys active in it, oldest first. */
  history(): IdentityVersion[] {
    return this.states.map((s, i) => {
      const keys = documentKeys(s.document);
      return {
        versionNumber: s.versionNumber,
        versionId: s.versionId,
        versionTime: s.versionTime,
        reason: this.reasons[i],
        updateKeys: [...s.parameters.updateKeys],
        nextKeyHashes: [...s.parameters.nextKeyHashes],
        certificateKey: keys.certificate,
        firmwareKey: keys.firmware,
        retiredCertificateKeys: keys.retiredCertificates,
      };
    });
  }

  /**
   * Signs device certificates (eddsa-jcs-2022) with the current `#cert-<n>`
   * key: the `signer` of issueDeviceCertificate. Take a new one after a
   * rotation: an older signer's key is deleted, it fails with `wallet.key_not_found`.
   * Errors: `identity.key_missing`.
   */
  async certificateSigner(): Promise<Signer> {
    const key = documentKeys(this.state.document).certificate;
    await this.mustHold(key, 'certificate');
    const keys = this.wallet.keys;
    return Object.freeze({
      verificationMethod: key.id,
      algorithm: 'Ed25519' as const,
      sign: (data: Uint8Array) => keys.sign(key.publicKeyMultibase, data),
    });
  }

  /**
   * Signs SUIT manifests (COSE EdDSA, kid = the `#firmware-<n>` DID URL the
   * device updater checks against the current document): pass it to
   * signEnvelope. Same rotation rule as certificateSigner. Errors: `identity.key_missing`.
   */
  async firmwareSigner(): Promise<CoseSigner> {
    const key = documentKeys(this.state.document).firmware;
    await this.mustHold(key, 'firmware');
    const keys = this.wallet.keys;
    return Object.freeze({
      alg: 'EdDSA' as const,
      kid: key.id,
      sign: (data: Uint8Array) => keys.sign(key.publicKeyMultibase, data),
    });
  }

  /**
   * Rotates: appends an entry signed by the pre-committed next update key,
   * which becomes the update key, commits a fresh next key, and switches to
   * new certificate and firmware keys (earlier certificate keys stay listed
   * unless `revokeCertificateKeys`, see document.ts). The new log is
   * resolved with the did:webvh resolver before it is stored. Returns the
   * new summary. Errors: `identity.prerotation_key_missing` (the wallet does
   * not hold the committed key: no rotation is possible, nothing changes),
   * `identity.invalid_argument`, and the did:webvh errors (nothing stored).
   */
  rotate(options: RotateOptions = {}): Promise<IdentitySummary> {
    const run = this.queue.then(() => this.rotateNow(options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the wallet (and a walletStorage given to open); the database stays the caller's. */
  async close(): Promise<void> {
    await this.queue;
    await this.wallet.close();
  }

  // ------------------------------------------------------------------ internals

  private async rotateNow(options: RotateOptions): Promise<IdentitySummary> {
    const reason = options.reason ?? 'rotation';
    if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON || /[\u0000-\u001f]/.test(reason)) {
      throw new IdentityError('identity.invalid_argument', `reason must be 1 to ${MAX_REASON} printable characters`);
    }
    const state = this.state;
    const committed = await this.committedNextKey(state);
    if (!committed) {
      throw new IdentityError('identity.prerotation_key_missing', 'the wallet holds no key matching the pre-rotation commitment (nextKeyHashes); the DID cannot be rotated');
    }
    const current = documentKeys(state.document);
    const created: string[] = [];
    let entry: LogEntry;
    try {
      const next = await this.newKey('update', created);
      const certificate = await this.newKey('certificate', created);
      const firmware = await this.newKey('firmware', created);
      const document = buildDocument(state.did, {
        generation: state.versionNumber + 1,
        certificate,
        firmware,
        retiredCertificates: options.revokeCertificateKeys ? [] : [current.certificate, ...current.retiredCertificates],
      });
      const now = this.now();
      entry = await updateWebvh(this.entries, {
        signer: this.updateSigner(committed),
        document,
        rotateTo: { updateKeys: [committed], nextKeyHashes: [nextKeyHashOf(next)] },
        versionTime: now,
        now,
      });
      await this.store(entry, reason);
    } catch (e) {
      for (const kid of created) await this.wallet.keys.delete(kid).catch(() => false);
      throw e;
    }
    await this.sweep();
    return this.summary();
  }

  /** First start: keys, then the DID's first entry. */
  private async create(domain: string, path: string | readonly string[]): Promise<void> {
    const created: string[] = [];
    try {
      const update = await this.newKey('update', created);
      const next = await this.newKey('update', created);
      const certificate = await this.newKey('certificate', created);
      const firmware = await this.newKey('firmware', created);
      const now = this.now();
      const { log } = await createWebvh({
        domain,
        path,
        updateKeys: this.updateSigner(update),
        prerotation: { nextKeyHashes: [nextKeyHashOf(next)] },
        document: buildDocument(webvhDidFor(domain, path), { generation: 1, certificate, firmware }),
        versionTime: now,
        now,
      });
      await this.store(log[0], 'created');
    } catch (e) {
      for (const kid of created) await this.wallet.keys.delete(kid).catch(() => false);
      throw e;
    }
  }

  /**
   * Resolves the log with `entry` appended (the repo's did:webvh resolver, as
   * any verifier would), then INSERTs it: the commit point.
   */
  private async store(entry: LogEntry, reason: string): Promise<void> {
    const entries = [...this.entries, entry];
    const resolved = await resolveWebvh(entry.state.id, { log: serializeLog(entries), now: this.now() });
    const states = [...this.states, resolved.state];
    const n = resolved.state.versionNumber;
    if (n !== entries.length) throw new IdentityError('identity.log_invalid', 'the resolved version is not the appended entry');
    this.insert.run(n, entry.versionId, entry.versionTime, reason, JSON.stringify(entry));
    this.entries = entries;
    this.reasons = [...this.reasons, reason];
    this.states = states;
  }

  private async newKey(purpose: KeyPurpose, created: string[]): Promise<string> {
    const info = await this.wallet.keys.create('Ed25519', { tags: { [IDENTITY_TAG]: purpose } });
    created.push(info.kid);
    return multikeyOf(info);
  }

  /** An update-key Signer (`did:key:<mk>#<mk>`) that signs inside the wallet. */
  private updateSigner(multikey: string): Signer {
    const keys = this.wallet.keys;
    return Object.freeze({
      verificationMethod: `did:key:${multikey}#${multikey}`,
      algorithm: 'Ed25519' as const,
      sign: (data: Uint8Array) => keys.sign(multikey, data),
    });
  }

  private async identityKeys(): Promise<KeyInfo[]> {
    return (await this.wallet.keys.list()).filter((k) => k.kind === 'Ed25519' && k.tags[IDENTITY_TAG] !== undefined);
  }

  /** The Multikey of the wallet key committed by `state.parameters.nextKeyHashes`, if held. */
  private async committedNextKey(state: WebvhState): Promise<string | undefined> {
    const hashes = state.parameters.nextKeyHashes;
    for (const k of await this.identityKeys()) {
      const mk = multikeyOf(k);
      if (hashes.includes(nextKeyHashOf(mk))) return mk;
    }
    return undefined;
  }

  private async mustHold(key: KeyRef, what: string): Promise<void> {
    if (!(await this.wallet.keys.getKey(key.publicKeyMultibase))) {
      throw new IdentityError('identity.key_missing', `the wallet does not hold the ${what} key ${key.id}`);
    }
  }

  /**
   * Deletes identity keys the log no longer needs (all of them before the
   * first entry): earlier update and signing keys, and keys a crashed
   * rotation created but never published.
   */
  private async sweep(): Promise<void> {
    const keep = new Set<string>();
    const state = this.states.length > 0 ? this.state : undefined;
    if (state) {
      for (const k of state.parameters.updateKeys) keep.add(k);
      const next = await this.committedNextKey(state);
      if (next) keep.add(next);
      const doc = documentKeys(state.document);
      keep.add(doc.certificate.publicKeyMultibase);
      keep.add(doc.firmware.publicKeyMultibase);
    }
    for (const k of await this.identityKeys()) {
      if (!keep.has(multikeyOf(k))) await this.wallet.keys.delete(k.kid);
    }
  }
}

/**
 * Opens the wallet with the master key (creating it when there is neither
 * wallet nor log). The key is wiped once the wallet has its column keys.
 */
async function openWallet(o: ManufacturerIdentityOptions, hasLog: boolean): Promise<Wallet> {
  const storage = o.walletStorage ?? (await KeyValueStorage.open(new SqliteKeyValue(o.db)));
  let key: Uint8Array | undefined;
  try {
    const exists = (await storage.getMeta(KEY_RECORD_META)) !== undefined;
    if (!exists && hasLog) {
      throw new IdentityError('identity.wallet_missing', 'the DID log is stored but its wallet is not: the update keys are gone (restore the wallet from backup)');
    }
    key = await o.keySource.masterKey();
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new IdentityError('identity.invalid_master_key', `the master key from ${o.keySource.description} is not 32 bytes`);
    }
    if (!exists) return await Wallet.create(storage, { rawKey: key });
    try {
      return await Wallet.open(storage, { rawKey: key });
    } catch (e) {
      if (isSsiotError(e) && WRONG_KEY_CODES.has(e.code)) {
        throw new IdentityError('identity.wrong_master_key', `the master key from ${o.keySource.description} does not open the service wallet`, { cause: e });
      }
      throw e;
    }
  } catch (e) {
    await storage.close();
    throw e;
  } finally {
    key?.fill(0);
  }
}
