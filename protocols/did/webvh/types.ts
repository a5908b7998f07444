/**
 * did:webvh 1.0 data model (https://identity.foundation/didwebvh/v1.0/):
 * the log entries as published, and the verified state a verifier keeps.
 *
 * A `WebvhState` is plain JSON on purpose: a device stores it as its trust
 * anchor (key-value storage, JSON round trip) and later verifies only the
 * entries that came after it (`verifyLogFrom`).
 */
import type { DidDocument } from '../types.ts';
import type { DataIntegrityProof } from '../../vc/credential.ts';

/** The only method version this implementation knows (anything else is refused, never downgraded). */
export const WEBVH_METHOD_V1 = 'did:webvh:1.0';

/** `parameters` of a log entry as written in the log (every member optional after the first entry). */
export interface WebvhLogParameters {
  method?: string;
  scid?: string;
  updateKeys?: string[];
  nextKeyHashes?: string[];
  witness?: WitnessRule | Record<string, never>;
  watchers?: string[];
  portable?: boolean;
  deactivated?: boolean;
  ttl?: number;
  [extra: string]: unknown;
}

/** One line of `did.jsonl`. */
export interface LogEntry {
  /** `<versionNumber>-<entryHash>`. */
  versionId: string;
  /** UTC ISO 8601 time asserted by the controller. */
  versionTime: string;
  parameters: WebvhLogParameters;
  /** The DID document of this version. */
  state: DidDocument;
  /** Data Integrity proofs (eddsa-jcs-2022) by an authorized update key. */
  proof: DataIntegrityProof[];
}

/** A witness configuration (`witness` parameter other than `{}`); ids are normalized to `did:key:z...`. */
export interface WitnessRule {
  threshold: number;
  witnesses: { id: string }[];
}

/** One record of `did-witness.json`. */
export interface WitnessProofRecord {
  versionId: string;
  proof: DataIntegrityProof[];
}

export type WitnessProofFile = WitnessProofRecord[];

/** The parameters in force after an entry: what governs the next entry. */
export interface WebvhParameters {
  method: string;
  scid: string;
  /** Multikeys authorized to sign the next entry (when pre-rotation is off). */
  updateKeys: string[];
  /** Pre-rotation commitments: hashes of the keys the next entry must present. */
  nextKeyHashes: string[];
  /** True when `nextKeyHashes` is non-empty (the next entry must rotate to committed keys). */
  prerotation: boolean;
  portable: boolean;
  /** Latest declared witness rule; null when witnesses are not used. */
  witness: WitnessRule | null;
  watchers: string[];
  deactivated: boolean;
  /** Cache guidance in seconds (default 3600). */
  ttl: number;
}

/** A verified DID log, as of its last entry. What a device pins and moves forward. */
export interface WebvhState {
  /** `state.id` of the last entry (changes only when a portable DID moves). */
  did: string;
  scid: string;
  versionId: string;
  versionNumber: number;
  versionTime: string;
  /** versionTime of the first entry. */
  created: string;
  /** The DID document of the last entry, as signed (no implicit services). */
  document: DidDocument;
  parameters: WebvhParameters;
  /** The entry hash part of `versionId`: the link the next entry must chain to. */
  lastEntryHash: string;
}

/** Options shared by the log verifiers. */
export interface VerifyLogOptions {
  /** Clock for the "versionTime not in the future" rule; default the wall clock. */
  now?: Date | number;
  /** Tolerated future drift of versionTime in seconds (default 300, the spec's SHOULD bound). */
  maxClockSkewSeconds?: number;
  /** `did-witness.json` (text or parsed); required when any verified entry must be witnessed. */
  witnessProofs?: string | WitnessProofFile;
  /** When given, some entry's `state.id` must equal this DID (the spec's didIdMatchCount > 0). */
  did?: string;
}
