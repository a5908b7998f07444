/**
 * Verifying a Verifiable Credential (VC DM 2.0 + Data Integrity
 * eddsa-jcs-2022). verifyCredential never throws for bad input: it returns
 * `{ verified, errors }`, the shape the CLI prints and problem reports carry.
 *
 * Error codes (stable; part of the public contract):
 *
 *   input / shape (VC DM 2.0)
 *   vc.invalid_json               not JSON text, not a JSON object, or not canonicalizable
 *   vc.invalid_context            @context missing, or first entry not https://www.w3.org/ns/credentials/v2
 *   vc.invalid_id                 id present but not a URL
 *   vc.invalid_type               type missing or without VerifiableCredential
 *   vc.invalid_issuer             issuer missing, or not a URL / object with a URL id
 *   vc.invalid_subject            credentialSubject missing, empty, or not object(s)
 *   vc.invalid_datetime           validFrom / validUntil not an XML Schema dateTimeStamp with timezone
 *   vc.invalid_validity_period    validUntil before validFrom
 *   vc.invalid_status             credentialStatus not object(s) with a type
 *   vc.invalid_options            verifier misconfigured (no resolver, invalid `now`)
 *
 *   proof (Data Integrity)
 *   vc.missing_proof              no proof
 *   vc.invalid_proof              proof not an object; type / verificationMethod / proofPurpose missing;
 *                                 created / expires not a dateTimeStamp; previousProof not in the set
 *   vc.unsupported_proof_type     proof type is not DataIntegrityProof
 *   vc.unsupported_cryptosuite    cryptosuite is not eddsa-jcs-2022
 *   vc.invalid_proof_value        proofValue missing, not base58btc multibase, or not 64 bytes
 *   vc.wrong_proof_purpose        proofPurpose differs from the expected one (default assertionMethod)
 *   vc.invalid_domain             expected domain given and the proof's differs
 *   vc.invalid_challenge          expected challenge given and the proof's differs
 *   vc.proof_created_in_future    created later than now (+ clock skew, default 300 s)
 *   vc.proof_expired              proof expires before now
 *   vc.verification_method_not_found  verificationMethod not a DID URL, DID unresolvable, or no such method
 *   vc.unauthorized_key           method not listed under the proof purpose's relationship, or
 *                                 controlled by another DID
 *   vc.unsupported_key_type       the method's key is not Ed25519 (or unusable)
 *   vc.context_mismatch           the credential's @context does not start with the proof's @context
 *   vc.invalid_signature          the Ed25519 signature does not verify
 *
 *   credential semantics
 *   vc.issuer_mismatch            no proof's key is controlled by the issuer (see below)
 *   vc.not_yet_valid              now is before validFrom
 *   vc.expired                    now is after validUntil
 *   vc.verification_failed        unexpected internal error (should not happen; reported, not thrown)
 *
 *   status (only with the `checkStatus` option; Bitstring Status List, see status-list.ts)
 *   vc.revoked                    a revocation entry's bit is set in its (verified) status list
 *   vc.suspended                  a suspension entry's bit is set
 *   vc.status_unavailable         the status could not be established: list unreachable, not
 *                                 verifying, another issuer or purpose, malformed, index out of
 *                                 range, or a credentialStatus type we cannot check (fail closed)
 *   vc.invalid_status             a BitstringStatusListEntry violates Bitstring Status List §2.1
 *
 * Without `checkStatus`, credentialStatus is only shape-checked (vc.invalid_status).
 */
import { parseJson } from '../encoding/json.ts';
import { isSsiotError } from '../errors.ts';
import type { DidResolver } from '../did/types.ts';
import { checkValidityPeriod, credentialShapeProblems, isJsonObject, issuerId } from './credential.ts';
import type { VerifiableCredential } from './credential.ts';
import { verifyProof } from './data-integrity.ts';
import type { VcProblem } from './problems.ts';
import { problemFrom } from './problems.ts';
import type { StatusCheckSettings } from './status-list.ts';
import { credentialStatusProblems } from './status-list.ts';

export interface VerifyCredentialOptions {
  resolver: DidResolver;
  /** Clock for the validity window and proof times; default the wall clock. */
  now?: Date;
  /** Default `assertionMethod` (an issuer's statement). */
  expectedProofPurpose?: string;
  domain?: string | string[];
  challenge?: string;
  /** See VerifyProofOptions.clockSkewSeconds (default 300). */
  clockSkewSeconds?: number;
  /**
   * Also check `credentialStatus` (Bitstring Status List): revocation and
   * suspension entries are looked up through `fetchStatusList`, their lists
   * verified with the same resolver and clock. Done only when the
   * credential is well formed and its proofs verify with a key of its
   * issuer: an unauthenticated credential's statusListCredential URL is
   * attacker-chosen and is not dereferenced.
   */
  checkStatus?: StatusCheckSettings;
}

export interface CredentialVerification {
  verified: boolean;
  errors: VcProblem[];
}

/**
 * Checks a credential (object, or JSON text) end to end: shape, every proof
 * (signature, purpose, key authorization, proof times), issuer binding and
 * validity window. `verified` is true only when `errors` is empty.
 *
 * Issuer binding (VC DM 2.0 §4.7 / Data Integrity): the issuer should be the
 * controller of the key that signed. We require at least one proof whose
 * verification method is controlled by the issuer's id; other proofs of a
 * set (endorsements, co-signatures) may come from other DIDs but must still
 * verify. A credential whose issuer is not a DID (like the W3C test vector's
 * https issuer signed with a did:key) therefore fails with
 * `vc.issuer_mismatch` even though its signature is valid.
 */
export async function verifyCredential(credential: unknown, options: VerifyCredentialOptions): Promise<CredentialVerification> {
  try {
    let value = credential;
    if (typeof value === 'string') {
      try {
        value = parseJson(value);
      } catch (e) {
        return fail([{ code: 'vc.invalid_json', message: `credential is not valid JSON (${isSsiotError(e) ? e.code : 'parse error'})` }]);
      }
    }
    if (!isJsonObject(value)) return fail([{ code: 'vc.invalid_json', message: 'credential must be a JSON object' }]);

    const errors: VcProblem[] = credentialShapeProblems(value);
    const shapeCodes = new Set(errors.map((e) => e.code));

    const proofResult = await verifyProof(value, {
      resolver: options?.resolver,
      expectedProofPurpose: options?.expectedProofPurpose,
      now: options?.now,
      domain: options?.domain,
      challenge: options?.challenge,
      clockSkewSeconds: options?.clockSkewSeconds,
    });
    errors.push(...proofResult.errors);

    const vc = value as VerifiableCredential;
    if (!shapeCodes.has('vc.invalid_issuer')) {
      const issuer = issuerId(vc);
      const controllers = proofResult.proofs.map((p) => p.controller).filter((c): c is string => c !== undefined);
      if (controllers.length > 0 && !controllers.includes(issuer)) {
        errors.push({
          code: 'vc.issuer_mismatch',
          message: `issuer ${issuer} does not control the signing key (controller ${controllers.join(', ')})`,
        });
      }
    }

    if (!shapeCodes.has('vc.invalid_datetime') && !errors.some((e) => e.code === 'vc.invalid_options')) {
      try {
        checkValidityPeriod(vc, options?.now ?? new Date());
      } catch (e) {
        errors.push(problemFrom(e, 'vc.verification_failed'));
      }
    }

    // Status only for an authenticated, well-formed credential (see checkStatus).
    const authenticated = proofResult.verified && shapeCodes.size === 0 && !errors.some((e) => e.code === 'vc.issuer_mismatch');
    const status = options?.checkStatus;
    if (status && vc.credentialStatus !== undefined && authenticated) {
      errors.push(
        ...(await credentialStatusProblems(vc, {
          // not a spread: fetchStatusList may be a method of a cache object
          fetchStatusList: typeof status.fetchStatusList === 'function' ? (url) => status.fetchStatusList(url) : status.fetchStatusList,
          trustedStatusListIssuers: status.trustedStatusListIssuers,
          minimumEntries: status.minimumEntries,
          maxBytes: status.maxBytes,
          resolver: options.resolver,
          now: options.now,
          clockSkewSeconds: options.clockSkewSeconds,
        })),
      );
    }
    return { verified: errors.length === 0, errors };
  } catch (e) {
    return fail([problemFrom(e, 'vc.verification_failed')]);
  }
}

function fail(errors: VcProblem[]): CredentialVerification {
  return { verified: false, errors };
}
