/**
 * Stable error codes of did:webvh verification and resolution, and how each
 * maps to the DID Resolution `error` value the spec and the test suite use
 * (`invalidDid`, `invalidParameters`, `invalidProof`, `notFound`).
 */
import { DidError } from '../../errors.ts';

export const WEBVH_ERRORS = {
  /** DID syntax or DID-to-HTTPS rules (domain, port, path segments). */
  invalidDid: 'did.webvh_invalid_did',
  /** A log line that is not JSON, or an entry without the five members. */
  invalidEntry: 'did.webvh_invalid_entry',
  /** versionId format, or a version number out of sequence (gap, repeat, reorder). */
  invalidVersionId: 'did.webvh_invalid_version_id',
  invalidEntryHash: 'did.webvh_invalid_entry_hash',
  /** SCID does not hash to the first entry, or a state.id carries another SCID. */
  invalidScid: 'did.webvh_invalid_scid',
  /** versionTime malformed, not UTC, not strictly increasing, or in the future. */
  versionTime: 'did.webvh_version_time',
  /** Proof shape, cryptosuite, verificationMethod or signature. */
  invalidProof: 'did.webvh_invalid_proof',
  /** Proof by a key that is not an active update key. */
  unauthorizedKey: 'did.webvh_unauthorized_key',
  invalidParameters: 'did.webvh_invalid_parameters',
  /** `method` other than did:webvh:1.0. */
  unsupportedVersion: 'did.webvh_unsupported_version',
  /** Pre-rotation rule broken (updateKeys missing, not committed, nextKeyHashes missing). */
  prerotation: 'did.webvh_prerotation',
  /** Witness threshold not met / witness proofs missing. */
  witness: 'did.webvh_witness',
  /** An entry after deactivation, or an operation on a deactivated DID. */
  deactivated: 'did.webvh_deactivated',
  /** A move of a non-portable DID, or a move without the old DID in alsoKnownAs. */
  portability: 'did.webvh_portability',
  /** The DID asked for is not one the log names. */
  didMismatch: 'did.webvh_did_mismatch',
  /** Incremental verification: the entries do not continue the trusted state. */
  fork: 'did.webvh_fork',
  /** Incremental verification: entries at or before the trusted version (replay, truncation). */
  rollback: 'did.webvh_rollback',
  /** Incremental verification: the first new entry skips versions. */
  gap: 'did.webvh_gap',
  /** A trusted state that is not a WebvhState. */
  invalidState: 'did.webvh_invalid_state',
  /** The host's fetch failed for a reason other than "not found". */
  fetchFailed: 'did.webvh_fetch_failed',
} as const;

export type WebvhErrorCode = (typeof WEBVH_ERRORS)[keyof typeof WEBVH_ERRORS];

export function webvhError(code: WebvhErrorCode, message: string, cause?: unknown): DidError {
  return new DidError(code, message, cause === undefined ? undefined : { cause });
}

/** DID Resolution error values (DID Resolution §"DID Resolution Metadata", did:webvh §Read). */
export type ResolutionError = 'invalidDid' | 'invalidParameters' | 'invalidProof' | 'notFound' | 'internalError';

const TO_RESOLUTION: Record<string, ResolutionError> = {
  [WEBVH_ERRORS.invalidParameters]: 'invalidParameters',
  [WEBVH_ERRORS.prerotation]: 'invalidParameters',
  [WEBVH_ERRORS.invalidProof]: 'invalidProof',
  [WEBVH_ERRORS.unauthorizedKey]: 'invalidProof',
  [WEBVH_ERRORS.fetchFailed]: 'internalError',
  'did.not_found': 'notFound',
};

/**
 * The resolution `error` for an error code. Choice: everything that makes
 * the log or the DID unacceptable and is not a parameter or proof problem is
 * `invalidDid` (the spec's catch-all), as the test suite's negative vectors expect.
 */
export function resolutionError(code: string): ResolutionError {
  return TO_RESOLUTION[code] ?? (code.startsWith('did.') ? 'invalidDid' : 'internalError');
}
