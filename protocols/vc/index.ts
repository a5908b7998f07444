/**
 * Verifiable Credentials: VC Data Model 2.0 with Data Integrity
 * `eddsa-jcs-2022` proofs.
 *
 * Not yet here: Bitstring Status List (revocation/suspension through
 * `credentialStatus`) — a later issue; today only the status entry's shape
 * is checked.
 */
export type {
  CredentialStatus,
  CredentialSubject,
  DataIntegrityProof,
  IssuerObject,
  JsonLdContextEntry,
  VerifiableCredential,
} from './credential.ts';
export {
  CREDENTIALS_V2_CONTEXT,
  checkValidityPeriod,
  credentialShapeProblems,
  isJsonObject,
  isUrl,
  issuerId,
  validateCredentialShape,
} from './credential.ts';
export { DATE_TIME_STAMP_RE, formatDateTimeStamp, isDateTimeStamp, parseDateTimeStamp } from './datetime.ts';
export type { VcProblem } from './problems.ts';
export type { Signer } from './signer.ts';
export { ed25519Signer } from './signer.ts';
export type { CreateProofOptions, Cryptosuite, ProofResult, ProofSetResult, VerifyProofOptions } from './data-integrity.ts';
export { SUPPORTED_CRYPTOSUITES, addProof, createProof, verifyProof } from './data-integrity.ts';
export {
  DATA_INTEGRITY_PROOF,
  EDDSA_JCS_2022,
  createProofJcs,
  decodeProofValue,
  eddsaJcs2022,
  encodeProofValue,
  hashDataJcs,
  proofConfigurationJcs,
  transformJcs,
  verifyProofJcs,
} from './eddsa-jcs-2022.ts';
export type { IssueCredentialOptions } from './issue.ts';
export { issueCredential } from './issue.ts';
export type { CredentialVerification, VerifyCredentialOptions } from './verify.ts';
export { verifyCredential } from './verify.ts';
