/**
 * Issuing a Verifiable Credential: check the VC DM 2.0 shape, then secure it
 * with an eddsa-jcs-2022 Data Integrity proof. Mistakes are refused here,
 * at the issuer, rather than discovered by every verifier later.
 */
import { parseDidUrl } from '../did/did-url.ts';
import { VcError } from '../errors.ts';
import type { DataIntegrityProof, VerifiableCredential } from './credential.ts';
import { issuerId, validateCredentialShape } from './credential.ts';
import { addProof } from './data-integrity.ts';
import type { Signer } from './signer.ts';

export interface IssueCredentialOptions {
  signer: Signer;
  /** Proof `created`; default `now`, else the wall clock. */
  created?: Date | string;
  now?: Date;
  /** Proof `expires` (the proof's, not the credential's validUntil). */
  expires?: Date | string;
  /** Default `assertionMethod`. */
  proofPurpose?: string;
  /** Proof id, so that a later proof can chain to it. */
  proofId?: string;
  /**
   * Add this proof to the credential's existing proof(s), making a proof set
   * (co-signature, endorsement). Without it a credential that already has a
   * proof is refused (`vc.proof_present`): re-signing is usually a mistake.
   */
  addToProofSet?: boolean;
  /** With addToProofSet: id(s) of the proofs this one chains to (a proof chain). */
  previousProof?: string | string[];
}

/**
 * Returns a new credential carrying an eddsa-jcs-2022 proof by `signer`
 * (the input is not modified; nested values are shared with it).
 *
 * Throws VcError: the shape codes of validateCredentialShape,
 * `vc.proof_present`, `vc.issuer_mismatch` (the issuer is a DID and the
 * signer's key belongs to another DID: such a credential would never
 * verify; only checked for the first proof, since later proofs of a set may
 * be co-signatures), `vc.invalid_signer`, `vc.invalid_datetime`.
 */
export async function issueCredential(
  credential: unknown,
  options: IssueCredentialOptions,
): Promise<VerifiableCredential & { proof: DataIntegrityProof | DataIntegrityProof[] }> {
  validateCredentialShape(credential);
  if (!options || !options.signer) throw new VcError('vc.invalid_signer', 'a signer is required');
  const hasProof = credential.proof !== undefined && !(Array.isArray(credential.proof) && credential.proof.length === 0);
  if (hasProof && !options.addToProofSet) {
    throw new VcError('vc.proof_present', 'credential already has a proof; pass addToProofSet to add another');
  }
  if (!hasProof) {
    const issuer = issuerId(credential);
    if (issuer.startsWith('did:')) {
      let keyDid: string;
      try {
        keyDid = parseDidUrl(options.signer.verificationMethod).did;
      } catch (e) {
        throw new VcError('vc.invalid_signer', 'signer verificationMethod must be a DID URL', { cause: e });
      }
      if (keyDid !== issuer) {
        throw new VcError('vc.issuer_mismatch', `issuer ${issuer} cannot sign with a key of ${keyDid}`);
      }
    }
  }
  const { proof: _existing, ...rest } = credential;
  const input = (hasProof ? credential : rest) as VerifiableCredential;
  return addProof(input, {
    signer: options.signer,
    created: options.created,
    now: options.now,
    expires: options.expires,
    proofPurpose: options.proofPurpose,
    id: options.proofId,
    previousProof: options.previousProof,
  }) as Promise<VerifiableCredential & { proof: DataIntegrityProof | DataIntegrityProof[] }>;
}
