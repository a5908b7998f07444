/**
 * The wallet's column encryption (the indy-sdk / Askar design that Aries
 * RFC 0050 describes):
 *
 *  - seven random 256-bit column keys: `type`, `id` (with `itemHmac`),
 *    `tagName`, `tagValue` (with `tagHmac`) and `value`;
 *  - searchable columns (type, id, tag names, encrypted tag values) are
 *    encrypted DETERMINISTICALLY: nonce = first 24 bytes of
 *    HMAC-SHA256(hmacKey, context || plaintext), then XChaCha20-Poly1305
 *    (XC20P) under the column key; stored as nonce || ciphertext || tag.
 *    Equal plaintexts give equal bytes, so storage can index and compare
 *    them for equality without ever seeing the plaintext;
 *  - item values are sealed with a FRESH RANDOM 24-byte nonce (no equality
 *    leaks), with the encrypted type and id as associated data, so a value
 *    cannot be moved to another row unnoticed.
 *
 * Choice beyond indy-sdk: the nonce of an encrypted tag VALUE also hashes
 * the tag name (`context`), so equal values under different tag names do
 * not give equal ciphertexts (indy-sdk leaks that cross-tag equality).
 *
 * XChaCha20's 192-bit nonce makes the random nonces safe without counters,
 * and its pure-JS cost is modest in XS. Failures to authenticate are
 * `wallet.corrupted_item`.
 */
import { getCrypto } from '../crypto/index.ts';
import { cborDecode, cborEncode } from '../encoding/cbor.ts';
import { concatBytes, utf8Encode } from '../encoding/bytes.ts';
import { WalletError } from '../errors.ts';

export interface ColumnKeys {
  type: Uint8Array;
  id: Uint8Array;
  itemHmac: Uint8Array;
  tagName: Uint8Array;
  tagValue: Uint8Array;
  tagHmac: Uint8Array;
  value: Uint8Array;
}

export const COLUMN_KEY_NAMES: readonly (keyof ColumnKeys)[] = ['type', 'id', 'itemHmac', 'tagName', 'tagValue', 'tagHmac', 'value'];

const NONCE = 24;
const TAG = 16;

/** Fresh random column keys (a new wallet). */
export function generateColumnKeys(): ColumnKeys {
  const c = getCrypto();
  const keys = {} as ColumnKeys;
  for (const name of COLUMN_KEY_NAMES) keys[name] = c.randomBytes(32);
  return keys;
}

/** CBOR map of the seven keys: the plaintext of the key record. */
export function encodeColumnKeys(keys: ColumnKeys): Uint8Array {
  const m: Record<string, Uint8Array> = {};
  for (const name of COLUMN_KEY_NAMES) m[name] = keys[name];
  return cborEncode(m);
}

export function decodeColumnKeys(bytes: Uint8Array): ColumnKeys {
  let m: unknown;
  try {
    m = cborDecode(bytes, { maxDepth: 2 });
  } catch (e) {
    throw new WalletError('wallet.invalid_key_record', 'key record does not hold column keys', { cause: e });
  }
  if (typeof m !== 'object' || m === null) throw new WalletError('wallet.invalid_key_record', 'key record does not hold column keys');
  const keys = {} as ColumnKeys;
  for (const name of COLUMN_KEY_NAMES) {
    const k = (m as Record<string, unknown>)[name];
    if (!(k instanceof Uint8Array) || k.length !== 32) throw new WalletError('wallet.invalid_key_record', `column key ${name} missing or not 32 bytes`);
    keys[name] = k;
  }
  return keys;
}

/** Deterministic encryption of a searchable field: nonce || ciphertext || tag. */
export function encryptSearchable(key: Uint8Array, hmacKey: Uint8Array, plaintext: Uint8Array, context?: Uint8Array): Uint8Array {
  const c = getCrypto();
  const mac = c.hmac('sha256', hmacKey, context ? concatBytes(context, plaintext) : plaintext);
  const nonce = mac.subarray(0, NONCE);
  const { ciphertext, tag } = c.aead.XC20P.encrypt(key, nonce, plaintext, new Uint8Array(0));
  return concatBytes(nonce, ciphertext, tag);
}

/** Inverse of encryptSearchable (diagnostics, tests): `wallet.corrupted_item` when it does not authenticate. */
export function decryptSearchable(key: Uint8Array, blob: Uint8Array): Uint8Array {
  return openWith(key, blob, new Uint8Array(0), 'searchable field');
}

/** `u16 length || name`: the context that binds an encrypted tag value to its tag name. */
export function tagValueContext(nameUtf8: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + nameUtf8.length);
  out[0] = nameUtf8.length >>> 8;
  out[1] = nameUtf8.length & 0xff;
  out.set(nameUtf8, 2);
  return out;
}

const ITEM_AAD_LABEL = utf8Encode('ssiot-wallet-item-v1');

/** Associated data of an item value: a label and the item's encrypted type and id. */
export function itemAad(typeEnc: Uint8Array, idEnc: Uint8Array): Uint8Array {
  return concatBytes(ITEM_AAD_LABEL, cborEncode([typeEnc, idEnc]));
}

/** Randomized encryption of an item value: nonce || ciphertext || tag. */
export function sealValue(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = getCrypto();
  const nonce = c.randomBytes(NONCE);
  const { ciphertext, tag } = c.aead.XC20P.encrypt(key, nonce, plaintext, aad);
  return concatBytes(nonce, ciphertext, tag);
}

export function openValue(key: Uint8Array, blob: Uint8Array, aad: Uint8Array): Uint8Array {
  return openWith(key, blob, aad, 'item value');
}

function openWith(key: Uint8Array, blob: Uint8Array, aad: Uint8Array, what: string): Uint8Array {
  if (!(blob instanceof Uint8Array) || blob.length < NONCE + TAG) throw new WalletError('wallet.corrupted_item', `${what} is truncated`);
  try {
    return getCrypto().aead.XC20P.decrypt(
      key,
      blob.subarray(0, NONCE),
      blob.subarray(NONCE, blob.length - TAG),
      blob.subarray(blob.length - TAG),
      aad,
    );
  } catch (e) {
    throw new WalletError('wallet.corrupted_item', `${what} failed authentication (modified, or not from this wallet)`, { cause: e });
  }
}
