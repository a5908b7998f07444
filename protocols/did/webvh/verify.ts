/**
 * did:webvh 1.0 log verification (spec §Read (Resolve), the per-entry steps),
 * full and incremental.
 *
 * Every entry gets every check, in this order (cheap and structural first,
 * the signature last, so junk costs no public-key operation):
 *  1. shape: exactly versionId, versionTime, parameters, state, proof (a
 *     non-empty array); nothing may follow a deactivation;
 *  2. versionId `<n>-<entryHash>`: n = previous + 1 (gaps, repeats, reorders fail);
 *  3. versionTime: UTC ISO 8601, strictly after the previous one, not more
 *     than `maxClockSkewSeconds` (default 300) ahead of `now`;
 *  4. parameters (parameters.ts), incl. pre-rotation;
 *  5. first entry: the SCID recomputed from the entry;
 *  6. entryHash over the entry chained to the previous versionId (the SCID first);
 *  7. state.id: a valid did:webvh DID carrying the log's SCID; a changed id
 *     only for a portable DID that lists its previous DID in alsoKnownAs;
 *  8. the proofs, by the update keys that may sign this entry.
 * Then, after all of that and never instead of it, witnesses (witness.ts).
 *
 * Incremental verification (`verifyLogFrom`) runs the same steps starting
 * from a trusted state, which is what the spec's note on caching allows: the
 * state only moves forward, and input that does not continue it exactly
 * (replay, truncation, gap, fork) is refused with the trusted state untouched.
 */
import { parseDateTimeStamp } from '../../vc/datetime.ts';
import type { DidError } from '../../errors.ts';
import type { DidDocument } from '../types.ts';
import { webvhError, WEBVH_ERRORS } from './codes.ts';
import { parseWebvhDid, SCID_RE } from './did.ts';
import { assertWebvhHash, entryHash, scidOfFirstEntry } from './hash.ts';
import { applyParameters } from './parameters.ts';
import { isRecord } from '../../encoding/json.ts';
import { verifyEntryProofs } from './proof.ts';
import type { LogEntry, VerifyLogOptions, WebvhState, WitnessRule } from './types.ts';
import { firstUnwitnessed, parseWitnessFile } from './witness.ts';

const ENTRY_MEMBERS = ['versionId', 'versionTime', 'parameters', 'state', 'proof'];
const UTC_TIME_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|\+00:00)$/;
const VERSION_ID_RE = /^([1-9][0-9]{0,14})-([^-]+)$/;

/** A verified entry: the state after it and the witness rule it must meet. */
export interface VerifiedStep {
  state: WebvhState;
  witnessRule: WitnessRule | null;
}

interface Clock {
  /** Latest acceptable versionTime, ms since the epoch. */
  latest: number;
}

function clockOf(options: VerifyLogOptions): Clock {
  const now = options.now === undefined ? Date.now() : options.now instanceof Date ? options.now.getTime() : options.now;
  const skew = options.maxClockSkewSeconds ?? 300;
  if (typeof now !== 'number' || Number.isNaN(now) || typeof skew !== 'number' || !(skew >= 0)) {
    throw webvhError(WEBVH_ERRORS.versionTime, 'now and maxClockSkewSeconds must be numbers');
  }
  return { latest: now + skew * 1000 };
}

function cloneJson<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function checkShape(entry: unknown): asserts entry is Record<string, unknown> {
  if (!isRecord(entry)) throw webvhError(WEBVH_ERRORS.invalidEntry, 'a log entry must be a JSON object');
  const keys = Object.keys(entry);
  const missing = ENTRY_MEMBERS.filter((k) => !keys.includes(k));
  if (missing.length > 0) throw webvhError(WEBVH_ERRORS.invalidEntry, `log entry lacks ${missing.join(', ')}`);
  const extra = keys.filter((k) => !ENTRY_MEMBERS.includes(k));
  if (extra.length > 0) throw webvhError(WEBVH_ERRORS.invalidEntry, `log entry has unknown member ${extra[0].slice(0, 40)}`);
  if (!Array.isArray(entry.proof) || entry.proof.length === 0) throw webvhError(WEBVH_ERRORS.invalidEntry, 'log entry has no proof');
}

/** `<n>-<hash>` parts of a versionId. Errors: `did.webvh_invalid_version_id`. */
export function parseVersionId(versionId: unknown): { number: number; hash: string } {
  const m = typeof versionId === 'string' ? VERSION_ID_RE.exec(versionId) : null;
  if (!m) throw webvhError(WEBVH_ERRORS.invalidVersionId, 'versionId must be <version number>-<entryHash>');
  return { number: Number(m[1]), hash: m[2] };
}

function checkVersionTime(value: unknown, previous: WebvhState | undefined, clock: Clock): string {
  const t = typeof value === 'string' && UTC_TIME_RE.test(value) ? parseDateTimeStamp(value) : undefined;
  if (t === undefined) throw webvhError(WEBVH_ERRORS.versionTime, 'versionTime must be a UTC ISO 8601 date-time (Z)');
  if (previous && t <= (parseDateTimeStamp(previous.versionTime) as number)) {
    throw webvhError(WEBVH_ERRORS.versionTime, `versionTime ${value as string} is not after the previous entry's ${previous.versionTime}`);
  }
  if (t > clock.latest) throw webvhError(WEBVH_ERRORS.versionTime, `versionTime ${value as string} is in the future`);
  return value as string;
}

function checkState(state: unknown, scid: string, previous: WebvhState | undefined): DidDocument {
  if (!isRecord(state) || typeof state.id !== 'string') throw webvhError(WEBVH_ERRORS.invalidEntry, 'state must be a DID document with an id');
  const parts = parseWebvhDid(state.id);
  if (parts.scid !== scid) throw webvhError(WEBVH_ERRORS.invalidScid, 'state.id carries a SCID other than the log\'s');
  if (previous && state.id !== previous.did) {
    if (!previous.parameters.portable) throw webvhError(WEBVH_ERRORS.portability, `the DID moved to ${state.id} but is not portable`);
    const aka = state.alsoKnownAs;
    if (!Array.isArray(aka) || !aka.includes(previous.did)) {
      throw webvhError(WEBVH_ERRORS.portability, 'a moved DID must list its previous DID in alsoKnownAs');
    }
  }
  return state as DidDocument;
}

/**
 * Verify one entry after `previous` (undefined: the first entry). Pure: the
 * returned state is a fresh object, `previous` is not touched.
 */
function verifyEntry(previous: WebvhState | undefined, entry: unknown, clock: Clock): VerifiedStep {
  checkShape(entry);
  if (previous?.parameters.deactivated) throw webvhError(WEBVH_ERRORS.deactivated, 'the DID is deactivated: no entry may follow');
  const version = parseVersionId(entry.versionId);
  const expected = (previous?.versionNumber ?? 0) + 1;
  if (version.number !== expected) {
    throw webvhError(WEBVH_ERRORS.invalidVersionId, `entry has version number ${version.number}, expected ${expected}`);
  }
  assertWebvhHash(version.hash, 'entryHash', WEBVH_ERRORS.invalidEntryHash);
  const versionTime = checkVersionTime(entry.versionTime, previous, clock);
  const applied = applyParameters(previous?.parameters, entry.parameters);
  const scid = applied.parameters.scid;
  if (!previous) {
    if (!SCID_RE.test(scid)) throw webvhError(WEBVH_ERRORS.invalidScid, 'scid must be 46 base58btc characters');
    assertWebvhHash(scid, 'scid', WEBVH_ERRORS.invalidScid);
    if (scidOfFirstEntry(entry, scid) !== scid) throw webvhError(WEBVH_ERRORS.invalidScid, 'scid does not match the first entry');
  }
  if (entryHash(entry, previous?.versionId ?? scid) !== version.hash) {
    throw webvhError(WEBVH_ERRORS.invalidEntryHash, `entryHash of version ${version.number} does not match the entry`);
  }
  const doc = checkState(entry.state, scid, previous);
  verifyEntryProofs(entry, applied.signingKeys);
  const state: WebvhState = cloneJson({
    did: doc.id,
    scid,
    versionId: entry.versionId as string,
    versionNumber: version.number,
    versionTime,
    created: previous?.created ?? versionTime,
    document: doc,
    parameters: applied.parameters,
    lastEntryHash: version.hash,
  });
  return { state, witnessRule: applied.witnessRule };
}

/** Result of verifying as far as the log is valid. */
export interface VerifiedPrefix {
  /** One step per valid entry, in order. */
  steps: VerifiedStep[];
  /** Why verification stopped before the end, if it did. */
  error?: DidError;
}

/**
 * Verify `entries` after `from` (undefined: from the first entry) as far as
 * they are valid, witnesses NOT yet considered. Never throws for bad log content.
 */
export function verifyEntries(entries: readonly unknown[], from: WebvhState | undefined, options: VerifyLogOptions = {}): VerifiedPrefix {
  const steps: VerifiedStep[] = [];
  try {
    const clock = clockOf(options);
    let previous = from;
    for (const entry of entries) {
      const step = verifyEntry(previous, entry, clock);
      steps.push(step);
      previous = step.state;
    }
  } catch (e) {
    return { steps, error: e as DidError };
  }
  return { steps };
}

/** True when some verified entry must be witnessed (then did-witness.json is needed). */
export function needsWitnesses(steps: readonly VerifiedStep[]): boolean {
  return steps.some((s) => s.witnessRule !== null);
}

/** verifyEntries, then the witness check, which cuts the valid prefix at the first unwitnessed entry. */
export function verifyPrefix(entries: readonly unknown[], from: WebvhState | undefined, options: VerifyLogOptions = {}): VerifiedPrefix {
  const { steps, error } = verifyEntries(entries, from, options);
  return witnessPrefix(steps, error, options.witnessProofs);
}

/** Cut the verified steps at the first entry whose witness threshold is not met. */
export function witnessPrefix(steps: VerifiedStep[], error: DidError | undefined, proofs: VerifyLogOptions['witnessProofs']): VerifiedPrefix {
  const witnessed = steps.map((s) => ({ versionId: s.state.versionId, rule: s.witnessRule }));
  if (!needsWitnesses(steps)) return error ? { steps, error } : { steps };
  let failing: number;
  let reason = 'witness threshold not met';
  try {
    failing = firstUnwitnessed(witnessed, proofs === undefined ? undefined : parseWitnessFile(proofs));
    if (proofs === undefined) reason = 'witness proofs (did-witness.json) are required';
  } catch (e) {
    failing = witnessed.findIndex((w) => w.rule !== null);
    reason = (e as Error).message;
  }
  if (failing < 0) return error ? { steps, error } : { steps };
  const vid = steps[failing].state.versionId;
  return { steps: steps.slice(0, failing), error: webvhError(WEBVH_ERRORS.witness, `${vid}: ${reason}`) };
}

export function checkDidMatch(steps: readonly VerifiedStep[], did: string | undefined): void {
  if (did === undefined || steps.length === 0) return;
  if (!steps.some((s) => s.state.did === did)) {
    throw webvhError(WEBVH_ERRORS.didMismatch, `no entry of the log has the id ${did}`);
  }
}

/** All states of a fully valid log, one per entry. Throws the first problem (DidError). */
export function verifyLogStates(entries: readonly LogEntry[] | readonly unknown[], options: VerifyLogOptions = {}): WebvhState[] {
  if (!Array.isArray(entries) || entries.length === 0) throw webvhError(WEBVH_ERRORS.invalidEntry, 'a DID log needs at least one entry');
  const { steps, error } = verifyPrefix(entries, undefined, options);
  if (error) throw error;
  checkDidMatch(steps, options.did);
  return steps.map((s) => s.state);
}

/**
 * Full verification of a DID log from its first entry. Returns the state
 * after the last entry; throws a DidError (`did.webvh_*`) on any problem.
 */
export function verifyLog(entries: readonly LogEntry[] | readonly unknown[], options: VerifyLogOptions = {}): WebvhState {
  const states = verifyLogStates(entries, options);
  return states[states.length - 1];
}

const STATE_STRINGS = ['did', 'scid', 'versionId', 'versionTime', 'created', 'lastEntryHash'] as const;

/** A trusted state read back from storage must still be a WebvhState. */
function checkTrustedState(trusted: unknown): asserts trusted is WebvhState {
  const bad = (what: string): never => {
    throw webvhError(WEBVH_ERRORS.invalidState, `trusted state: ${what}`);
  };
  if (!isRecord(trusted)) bad('not an object');
  const t = trusted as Record<string, unknown>;
  for (const k of STATE_STRINGS) if (typeof t[k] !== 'string') bad(`${k} must be a string`);
  if (typeof t.versionNumber !== 'number' || !Number.isInteger(t.versionNumber) || t.versionNumber < 1) bad('versionNumber must be a positive integer');
  if (!isRecord(t.document) || !isRecord(t.parameters)) bad('document and parameters must be objects');
  const p = t.parameters as Record<string, unknown>;
  for (const k of ['updateKeys', 'nextKeyHashes', 'watchers']) if (!Array.isArray(p[k])) bad(`parameters.${k} must be an array`);
  for (const k of ['prerotation', 'portable', 'deactivated']) if (typeof p[k] !== 'boolean') bad(`parameters.${k} must be a boolean`);
  if (p.scid !== t.scid) bad('parameters.scid differs from scid');
  let version;
  try {
    version = parseVersionId(t.versionId);
  } catch {
    return bad('versionId is malformed');
  }
  if (version.number !== t.versionNumber || version.hash !== t.lastEntryHash) bad('versionId disagrees with versionNumber / lastEntryHash');
}

/**
 * Incremental verification: continue a trusted state with the entries that
 * follow it (`newEntries[0]` must be version `trusted.versionNumber + 1`).
 * Returns the new state; the trusted state is never modified, and on any
 * error nothing moves. Errors besides the per-entry ones:
 * `did.webvh_rollback` (an entry at or before the trusted version: replay or
 * rollback), `did.webvh_gap` (versions skipped, e.g. reordered entries),
 * `did.webvh_fork` (the next entry does not chain from the trusted entry),
 * `did.webvh_invalid_state` (the trusted state is malformed).
 * No new entries returns a copy of the trusted state.
 */
export function verifyLogFrom(
  trusted: WebvhState,
  newEntries: readonly LogEntry[] | readonly unknown[],
  options: VerifyLogOptions = {},
): WebvhState {
  checkTrustedState(trusted);
  if (!Array.isArray(newEntries)) throw webvhError(WEBVH_ERRORS.invalidEntry, 'new entries must be an array');
  const anchor = cloneJson(trusted);
  if (newEntries.length === 0) return anchor;
  const first = newEntries[0];
  const m = isRecord(first) && typeof first.versionId === 'string' ? /^([0-9]+)-/.exec(first.versionId) : null;
  if (m) {
    const n = Number(m[1]);
    if (n <= anchor.versionNumber) throw webvhError(WEBVH_ERRORS.rollback, `entry version ${n} is not after the trusted version ${anchor.versionNumber}`);
    if (n > anchor.versionNumber + 1) throw webvhError(WEBVH_ERRORS.gap, `entry version ${n} skips versions after the trusted ${anchor.versionNumber}`);
  }
  const { steps, error } = verifyPrefix(newEntries, anchor, options);
  if (error) {
    if (steps.length === 0 && error.code === WEBVH_ERRORS.invalidEntryHash) {
      throw webvhError(WEBVH_ERRORS.fork, `entry ${String((first as { versionId?: unknown }).versionId)} does not chain from the trusted ${anchor.versionId}`, error);
    }
    throw error;
  }
  return steps[steps.length - 1].state;
}

/**
 * The entries of a full log that come after a trusted state, after checking
 * the log still contains the trusted entry where it was: a shorter log is
 * `did.webvh_rollback` (truncation), another entry at the trusted version
 * is `did.webvh_fork`.
 */
export function entriesAfter(entries: readonly LogEntry[], trusted: WebvhState): LogEntry[] {
  checkTrustedState(trusted);
  if (!Array.isArray(entries)) throw webvhError(WEBVH_ERRORS.invalidEntry, 'entries must be an array');
  if (entries.length < trusted.versionNumber) {
    throw webvhError(WEBVH_ERRORS.rollback, `the log has ${entries.length} entries, the trusted state is at version ${trusted.versionNumber}`);
  }
  const at = entries[trusted.versionNumber - 1] as unknown;
  if (!isRecord(at) || at.versionId !== trusted.versionId) {
    throw webvhError(WEBVH_ERRORS.fork, `the log's entry ${trusted.versionNumber} is not the trusted ${trusted.versionId}`);
  }
  return entries.slice(trusted.versionNumber);
}
