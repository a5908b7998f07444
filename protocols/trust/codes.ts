/**
 * The `trust.*` codes (stable; CLI JSON and problem reports carry them).
 * Verifiers return them as `{code, message}` reasons; builders throw them
 * as TrustError.
 *
 *   input
 *   trust.invalid_argument        a caller's misuse (bad weight, threshold, amount, option)
 *   trust.invalid_record          an edge record, update, epoch, answer or attestation is malformed
 *
 *   downstream-DID chains
 *   trust.resolution_failed       a DID of the chain could not be resolved
 *   trust.no_attestation          a DID that is not the pinned root carries no attestation
 *   trust.multiple_attestations   more than one attestation service in a document
 *   trust.subject_mismatch        the attestation names another downstream DID
 *   trust.document_mismatch       the attested digest is not the document's (keys rotated, not re-attested)
 *   trust.invalid_signature       the upstream's signature does not verify
 *   trust.upstream_key_unknown    the signing key is not (any more) an assertion key of the upstream DID
 *   trust.upstream_mismatch       the signing key belongs to another DID than the named upstream
 *   trust.attestation_expired     the attestation's proof has expired (or is dated in the future)
 *   trust.chain_cycle             the chain comes back to a DID it has already visited
 *   trust.chain_too_long          more links than the verifier allows before a root
 *   trust.root_mismatch           the chain ends at another DID than the pinned root
 *   trust.root_date_mismatch      the root's publication date is not the pinned date
 *   trust.root_code_mismatch      the root's confirmation code is not the pinned code
 *   trust.path_length_exceeded    a link allows fewer links below it than the chain has
 *   trust.credential_type_not_allowed  a link does not allow the credential type being checked
 *
 *   registry
 *   trust.not_listed              an issuer has no stake at or above the listing minimum
 *   trust.stale_update            an edge update's sequence number is not above the current one
 *   trust.invalid_merkle_proof    an edge's inclusion proof does not lead to the epoch root
 *   trust.epoch_below_threshold   fewer than k of the pinned maintainers signed the epoch
 *   trust.no_path                 no path from a trusted issuer to the credential's issuer
 *   trust.broken_path             the answer's edges do not form a path from a trusted issuer to the issuer
 *   trust.score_mismatch          the answer's score is not the product of its edge weights
 *   trust.below_threshold         the path's score is below the verifier's threshold
 *   trust.insufficient_funds      a withdrawal, fee or bond larger than the balance or stake
 *   trust.challenge_open          the action needs the issuer's open challenges resolved first
 *   trust.unknown_challenge       no open challenge with that id
 *
 *   ownership presentations
 *   trust.invalid_presentation    not an imprint plus a device certificate
 *   trust.imprint_invalid         the owner-imprint credential does not verify
 *   trust.certificate_invalid     the device certificate does not verify
 *   trust.binding_mismatch        the imprint was not issued by the certified device
 *   trust.manufacturer_untrusted  neither chain nor registry establishes the manufacturer
 *
 *   registry service (HTTP)
 *   trust.forbidden               an operator route without a valid bearer token
 *   trust.not_found               no epoch (or edge) to return yet
 */
export const TRUST_CODES = [
  'trust.invalid_argument',
  'trust.invalid_record',
  'trust.resolution_failed',
  'trust.no_attestation',
  'trust.multiple_attestations',
  'trust.subject_mismatch',
  'trust.document_mismatch',
  'trust.invalid_signature',
  'trust.upstream_key_unknown',
  'trust.upstream_mismatch',
  'trust.attestation_expired',
  'trust.chain_cycle',
  'trust.chain_too_long',
  'trust.root_mismatch',
  'trust.root_date_mismatch',
  'trust.root_code_mismatch',
  'trust.path_length_exceeded',
  'trust.credential_type_not_allowed',
  'trust.not_listed',
  'trust.stale_update',
  'trust.invalid_merkle_proof',
  'trust.epoch_below_threshold',
  'trust.no_path',
  'trust.broken_path',
  'trust.score_mismatch',
  'trust.below_threshold',
  'trust.insufficient_funds',
  'trust.challenge_open',
  'trust.unknown_challenge',
  'trust.invalid_presentation',
  'trust.imprint_invalid',
  'trust.certificate_invalid',
  'trust.binding_mismatch',
  'trust.manufacturer_untrusted',
  'trust.forbidden',
  'trust.not_found',
] as const;

export type TrustCode = (typeof TRUST_CODES)[number];

/** A reason a check did not hold: same `{code, message}` pair as VcProblem. */
export interface TrustProblem {
  code: TrustCode | string;
  message: string;
}
