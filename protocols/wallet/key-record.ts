/**
 * The key record: the wallet's seven column keys, wrapped by the master key.
 * It is the only thing a rekey rewrites (items are encrypted under the column
 * keys, which do not change), so rotating a passphrase is one write however
 * large the wallet is.
 *
 * Format (CBOR map, stored as storage meta 'keys'):
 *   { v: 1, kdf: {alg:'argon2id', m, t, p, salt} | {alg:'raw'}, nonce: bstr(24), keys: bstr }
 * `keys` = XChaCha20-Poly1305 under HKDF-SHA256(master, info
 * "ssiot-wallet-keys-v1"), with `v` and `kdf` (deterministic CBOR) as
 * associated data: a record whose KDF parameters were edited fails to open,
 * it is not silently re-derived with other costs.
 */
import { getCrypto } from '../crypto/index.ts';
import { cborDecode, cborEncode, cborEncodeDeterministic } from '../encoding/cbor.ts';
import { concatBytes, utf8Encode } from '../encoding/bytes.ts';
import { WalletError } from '../errors.ts';
import { type ColumnKeys, decodeColumnKeys, encodeColumnKeys } from './column-crypto.ts';
import { type KdfParams, type KeySource, deriveKey, isPassphrase, kdfFromRecord, kdfToRecord, newKdfParams } from './kdf.ts';

export const KEY_RECORD_META = 'keys';
const VERSION = 1;
const INFO = utf8Encode('ssiot-wallet-keys-v1');
const AAD_LABEL = utf8Encode('ssiot-wallet-key-record');

function wrappingKey(master: Uint8Array): Uint8Array {
  return getCrypto().hkdf('sha256', master, new Uint8Array(0), INFO, 32);
}

function aad(kdf: KdfParams): Uint8Array {
  return concatBytes(AAD_LABEL, cborEncodeDeterministic({ v: VERSION, kdf: kdfToRecord(kdf) }));
}

/** Seals `keys` for `source` with fresh KDF parameters (new salt) and a fresh nonce. */
export function sealKeyRecord(keys: ColumnKeys, source: KeySource): Uint8Array {
  const c = getCrypto();
  const kdf = newKdfParams(source, c.randomBytes);
  const master = deriveKey(source, kdf);
  const nonce = c.randomBytes(24);
  const { ciphertext, tag } = c.aead.XC20P.encrypt(wrappingKey(master), nonce, encodeColumnKeys(keys), aad(kdf));
  return cborEncode({ v: VERSION, kdf: kdfToRecord(kdf), nonce, keys: concatBytes(ciphertext, tag) });
}

/** The KDF parameters of a record, without opening it (CLI diagnostics, benchmarks). */
export function keyRecordKdf(record: Uint8Array): KdfParams {
  return parse(record).kdf;
}

function parse(record: Uint8Array): { kdf: KdfParams; nonce: Uint8Array; sealed: Uint8Array } {
  let r: unknown;
  try {
    r = cborDecode(record, { maxDepth: 3, maxBytes: 4096 });
  } catch (e) {
    throw new WalletError('wallet.invalid_key_record', 'the key record is not valid CBOR', { cause: e });
  }
  const o = r as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) throw new WalletError('wallet.invalid_key_record', 'the key record is not a map');
  if (o.v !== VERSION) throw new WalletError('wallet.invalid_key_record', `unsupported key record version ${String(o.v)}`);
  const kdf = kdfFromRecord(o.kdf, 'wallet.invalid_key_record');
  if (!(o.nonce instanceof Uint8Array) || o.nonce.length !== 24 || !(o.keys instanceof Uint8Array) || o.keys.length < 17) {
    throw new WalletError('wallet.invalid_key_record', 'the key record lacks its nonce or sealed keys');
  }
  return { kdf, nonce: o.nonce, sealed: o.keys };
}

/**
 * Opens a key record. A wrong passphrase is `wallet.wrong_passphrase`, a
 * wrong raw key `wallet.wrong_key` (indistinguishable, by design, from a
 * modified record).
 */
export function openKeyRecord(record: Uint8Array, source: KeySource): ColumnKeys {
  const { kdf, nonce, sealed } = parse(record);
  const master = deriveKey(source, kdf);
  let plain: Uint8Array;
  try {
    plain = getCrypto().aead.XC20P.decrypt(wrappingKey(master), nonce, sealed.subarray(0, sealed.length - 16), sealed.subarray(sealed.length - 16), aad(kdf));
  } catch (e) {
    throw isPassphrase(source)
      ? new WalletError('wallet.wrong_passphrase', 'wrong passphrase (or a modified key record)', { cause: e })
      : new WalletError('wallet.wrong_key', 'wrong wallet key (or a modified key record)', { cause: e });
  }
  return decodeColumnKeys(plain);
}
