/**
 * The manufacturer's identity in the service: master key sources, the
 * did:webvh DID with its keys in the service wallet, rotation with
 * pre-rotation, and the fastify plugin that publishes the log.
 */
export { envKeySource, fileKeySource, staticKeySource, MASTER_KEY_BYTES, MASTER_KEY_ENV, type KeySource } from './key-source.ts';
export { buildDocument, documentKeys, type DocumentKeys, type KeyRef } from './document.ts';
export {
  IDENTITY_TAG,
  LOG_TABLE,
  ManufacturerIdentity,
  migrate,
  type IdentitySummary,
  type IdentityVersion,
  type ManufacturerIdentityOptions,
  type RotateOptions,
} from './identity.ts';
export { identityPlugin, JSONL_CONTENT_TYPE, type IdentityAuthorize, type IdentityPluginOptions } from './plugin.ts';
export { SqliteKeyValue, WALLET_TABLE, migrateWalletTable } from './wallet-store.ts';
