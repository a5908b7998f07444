/**
 * The identity wallet (Aries RFC 0050 design): encrypted items with tags,
 * WQL search, passphrase or raw-key opening, one-write rekey, encrypted
 * export/import, and private keys used in place. Storage backends: memory
 * and ECMA-419 key-value here; SQLite and PostgreSQL in hosts/node/wallet.
 */
export * from './types.ts';
export { Wallet, type NewItem } from './wallet.ts';
export { parseWql, queryTagNames, type WqlInput, type WqlQuery, MAX_QUERY_DEPTH, MAX_QUERY_NODES } from './wql.ts';
export { compareBytes, evaluateQuery, likeMatch, matchStoredTags } from './match.ts';
export { MemoryStorage } from './memory.ts';
export { KeyValueStorage, MemoryKeyValue, type KeyValueStore, type KeyValueStorageOptions } from './kv.ts';
export { DEFAULT_ARGON2, MIN_ARGON2, type Argon2Params, type KdfParams, type KeySource } from './kdf.ts';
export { KEY_RECORD_META, keyRecordKdf } from './key-record.ts';
export { exportItems, importItems, inspectExport, type ExportHeader, type ExportOptions } from './export.ts';
export {
  keyOperations,
  secretsKeyOperations,
  WALLET_KEY_KINDS,
  type JweUnwrapRequest,
  type KeyInfo,
  type KeyOperations,
  type WalletKeyKind,
} from './key-ops.ts';
export { KEY_ALIAS_TYPE, KEY_TYPE, RESERVED_TYPE_PREFIX, WalletKeys } from './wallet-keys.ts';
