/**
 * did:webvh witnesses (spec §DID Witnesses): the `witness` parameter and the
 * `did-witness.json` proofs that must reach its threshold.
 *
 * A witness proof is an eddsa-jcs-2022 Data Integrity proof over
 * `{"versionId": "<versionId>"}` by the witness's did:key. A proof for entry
 * j approves every entry i <= j, so entry i is witnessed when `threshold`
 * distinct witnesses of the rule governing i have a valid proof for some
 * published j >= i of THIS log (proofs naming versionIds the log does not
 * contain are discarded: that is what defeats cross-DID replay).
 *
 * Rule governing an entry (spec §Witness Lists / §Parameters): the first
 * entry's own; later, the rule declared before it, except that an entry
 * turning witnessing on (previous rule `{}`) is itself witnessed by the new
 * rule. A replacement list takes effect only after its entry is published.
 *
 * Compatibility choice: a witness `id` written as a bare Multikey (`z6Mk…`,
 * as the Rust implementation's vectors do) is read as `did:key:z6Mk…`; the
 * key binding is the same. Witness `weight` (pre-1.0) is accepted and ignored:
 * 1.0 counts each distinct witness once.
 */
import { publicKeyFromMultikey } from '../keys.ts';
import { parseJson } from '../../encoding/json.ts';
import { webvhError, WEBVH_ERRORS } from './codes.ts';
import { isRecord } from '../../encoding/json.ts';
import { multikeyOfDidKeyUrl, verifyEd25519Proof } from './proof.ts';
import type { WitnessProofFile, WitnessRule } from './types.ts';

function bad(message: string): Error {
  return webvhError(WEBVH_ERRORS.invalidParameters, `witness: ${message}`);
}

/** The did:key of a witness id (`did:key:z…`, or a bare `z…` Multikey), checked to be an Ed25519 key. */
function witnessDidKey(id: unknown): string {
  if (typeof id !== 'string') throw bad('witness id must be a string');
  const mk = id.startsWith('did:key:') ? id.slice(8) : id;
  if (!/^z[1-9A-HJ-NP-Za-km-z]+$/.test(mk)) throw bad('witness id must be a did:key DID');
  let kind: string;
  try {
    kind = publicKeyFromMultikey(mk).kind;
  } catch (e) {
    throw webvhError(WEBVH_ERRORS.invalidParameters, 'witness: witness id is not a valid key', e);
  }
  if (kind !== 'Ed25519') throw bad('witness keys must be Ed25519 (eddsa-jcs-2022)');
  return `did:key:${mk}`;
}

/**
 * Validate a `witness` parameter value: `{}` (no witnesses) gives null; else
 * `threshold` an integer from 1 to the number of distinct witnesses, and
 * non-empty, duplicate-free `witnesses`. Anything else is refused (never
 * coerced to "no witnesses"). Errors: `did.webvh_invalid_parameters`.
 */
export function parseWitnessRule(value: unknown): WitnessRule | null {
  if (!isRecord(value)) throw bad('witness must be an object');
  const keys = Object.keys(value);
  if (keys.length === 0) return null;
  for (const k of keys) if (k !== 'threshold' && k !== 'witnesses') throw bad(`unknown member ${k}`);
  const { threshold, witnesses } = value;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1) throw bad('threshold must be an integer >= 1');
  if (!Array.isArray(witnesses) || witnesses.length === 0) throw bad('witnesses must be a non-empty array');
  const ids: string[] = [];
  for (const w of witnesses) {
    if (!isRecord(w)) throw bad('each witness must be an object');
    for (const k of Object.keys(w)) if (k !== 'id' && k !== 'weight') throw bad(`unknown witness member ${k}`);
    if (w.weight !== undefined && (typeof w.weight !== 'number' || !Number.isInteger(w.weight) || w.weight < 1)) {
      throw bad('weight must be a positive integer');
    }
    const id = witnessDidKey(w.id);
    if (ids.includes(id)) throw bad('witness ids must be distinct');
    ids.push(id);
  }
  if (threshold > ids.length) throw bad('threshold exceeds the number of witnesses');
  return { threshold, witnesses: ids.map((id) => ({ id })) };
}

/** The rule an entry must meet, from the rule in force before it and the one it declares. */
export function governingWitnessRule(previous: WitnessRule | null, declared: WitnessRule | null | undefined): WitnessRule | null {
  if (previous !== null) return previous;
  return declared ?? null;
}

/** `did-witness.json` text or value, shape-checked. Errors: `did.webvh_witness`. */
export function parseWitnessFile(input: string | WitnessProofFile): WitnessProofFile {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = parseJson(input);
    } catch (e) {
      throw webvhError(WEBVH_ERRORS.witness, 'did-witness.json is not JSON', e);
    }
  }
  if (!Array.isArray(value)) throw webvhError(WEBVH_ERRORS.witness, 'did-witness.json must be an array');
  for (const r of value) {
    if (!isRecord(r) || typeof r.versionId !== 'string' || !Array.isArray(r.proof)) {
      throw webvhError(WEBVH_ERRORS.witness, 'did-witness.json records need a versionId and a proof array');
    }
  }
  return value as WitnessProofFile;
}

/** An entry as the witness check sees it. */
export interface WitnessedEntry {
  versionId: string;
  rule: WitnessRule | null;
}

/**
 * Index of the first entry whose witness threshold is not met, or -1 when
 * all are witnessed. Each (versionId, witness) pair is verified at most once
 * and only for witnesses some rule names, so a stuffed file costs at most
 * entries x witnesses signature checks. Invalid proofs are discarded.
 */
export function firstUnwitnessed(entries: readonly WitnessedEntry[], file: WitnessProofFile | undefined): number {
  const required = entries.findIndex((e) => e.rule !== null);
  if (required < 0) return -1;
  if (file === undefined) return required;
  const index = new Map<string, number>();
  entries.forEach((e, i) => index.set(e.versionId, i));
  // witnesses some rule up to entry j names: only those can approve j
  const namedUpTo: Set<string>[] = [];
  let named = new Set<string>();
  for (const e of entries) {
    if (e.rule) named = new Set([...named, ...e.rule.witnesses.map((w) => w.id)]);
    namedUpTo.push(named);
  }
  const approvals: Set<string>[] = entries.map(() => new Set<string>());
  for (const record of file) {
    const j = index.get(record.versionId);
    if (j === undefined) continue;
    for (const proof of record.proof) {
      let mk: string;
      try {
        mk = multikeyOfDidKeyUrl(isRecord(proof) ? proof.verificationMethod : undefined);
      } catch {
        continue;
      }
      const id = `did:key:${mk}`;
      if (!namedUpTo[j].has(id) || approvals[j].has(id)) continue;
      try {
        verifyEd25519Proof({ versionId: record.versionId }, proof, mk);
        approvals[j].add(id);
      } catch {
        // spec: proofs that fail verification are discarded from the count
      }
    }
  }
  let seen = new Set<string>();
  let failing = -1;
  for (let i = entries.length - 1; i >= 0; i--) {
    seen = new Set([...seen, ...approvals[i]]);
    const rule = entries[i].rule;
    if (rule && rule.witnesses.filter((w) => seen.has(w.id)).length < rule.threshold) failing = i;
  }
  return failing;
}
