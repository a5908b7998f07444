/**
 * Verifiable Credentials: VC Data Model 2.0 with Data Integrity
 * `eddsa-jcs-2022` proofs, and Bitstring Status List v1.0 for revocation,
 * suspension and status messages (`credentialStatus`).
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
export type {
  BitstringStatusListEntry,
  CheckCredentialStatusOptions,
  CreateStatusListOptions,
  CredentialStatusResult,
  DecodeStatusListOptions,
  ParsedStatusEntry,
  StatusCheckSettings,
  StatusList,
  StatusListCredentialOptions,
  StatusListEntryOptions,
  StatusMessage,
  StatusPurpose,
} from './status-list.ts';
export {
  BITSTRING_STATUS_LIST,
  BITSTRING_STATUS_LIST_CREDENTIAL,
  BITSTRING_STATUS_LIST_ENTRY,
  STATUS_LIST_MAX_BYTES,
  STATUS_LIST_MIN_ENTRIES,
  STATUS_SIZE_MAX,
  checkCredentialStatus,
  createStatusList,
  credentialStatusProblems,
  decodeStatusList,
  encodeStatusList,
  getStatus,
  isBitstringStatusListEntry,
  parseStatusEntry,
  randomStatusIndex,
  setStatus,
  statusListCredential,
  statusListEntry,
} from './status-list.ts';
export type { CreatePresentationOptions, PresentationVerification, VerifiablePresentation, VerifyPresentationOptions } from './presentation.ts';
export { createPresentation, verifyPresentation } from './presentation.ts';
