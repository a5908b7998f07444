/**
 * did:webvh 1.0 (https://identity.foundation/didwebvh/v1.0/): the
 * manufacturer's DID. Create / update / rotate with pre-rotation /
 * deactivate (create.ts), full and incremental log verification (verify.ts),
 * witnesses (witness.ts), DID-to-HTTPS and resolution (did.ts, resolve.ts).
 * Errors are DidError with `did.webvh_*` codes (codes.ts).
 */
export * from './types.ts';
export { WEBVH_ERRORS, resolutionError, type ResolutionError, type WebvhErrorCode } from './codes.ts';
export { computeScid, entryHash, isWebvhHash, nextKeyHash, SCID_PLACEHOLDER } from './hash.ts';
export { didBaseUrl, didToHttpsUrl, didToWitnessUrl, parseWebvhDid, webvhDidFor, type WebvhDidParts } from './did.ts';
export { parseLog, parseLogPrefix, serializeLog } from './log.ts';
export { parseWitnessFile, parseWitnessRule } from './witness.ts';
export { entriesAfter, parseVersionId, verifyLog, verifyLogFrom, verifyLogStates } from './verify.ts';
export {
  createWebvh,
  createWitnessProof,
  documentForKeys,
  multikeyOfSigner,
  nextKeyHashOf,
  rotateDocumentKey,
  updateWebvh,
  webvhSigner,
  type CreatedWebvh,
  type CreateWebvhOptions,
  type UpdateWebvhOptions,
} from './create.ts';
export {
  resolveWebvh,
  webvhResolver,
  withImplicitServices,
  type ResolveWebvhOptions,
  type WebvhDocumentMetadata,
  type WebvhFetch,
  type WebvhResolution,
  type WebvhResolverOptions,
} from './resolve.ts';
