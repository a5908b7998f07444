/**
 * The updater's string store (device/updater/host.ts KeyValueStore) over
 * an ECMA-419 `embedded:storage/key-value` domain opened with
 * `format: "buffer"`, values UTF-8 (NVS caps *string* values at 4000 bytes,
 * blobs at ~500 KB, and the trusted state holds a DID log snapshot). ESP32 NVS keys are at most 15 characters and the
 * updater's keys are longer (`firmware/trusted`), so a key that does not
 * fit is stored under `~` + 14 base64url characters of its SHA-256 (84
 * bits; the updater has three keys). A single NVS write is atomic, which is
 * all the updater asks.
 */
import { getCrypto } from '../../protocols/crypto/index.ts';
import { base64urlEncode } from '../../protocols/encoding/base64url.ts';
import { utf8Decode, utf8Encode } from '../../protocols/encoding/bytes.ts';
import type { KeyValueStore } from '../../device/updater/host.ts';
import type { KeyValueStore as WalletKeyValueStore } from '../../protocols/wallet/kv.ts';

/** The ECMA-419 Storage members used here (format "buffer"). */
export interface BufferStorage {
  read(key: string): ArrayBuffer | string | number | bigint | undefined;
  write(key: string, value: ArrayBuffer): void;
  delete(key: string): void;
}

/** ESP32 NVS key limit (NVS_KEY_NAME_MAX_SIZE − 1). */
export const MAX_KEY_LENGTH = 15;

/** The storage key for `key`: itself when it fits and does not start with `~`, else its hash. */
export function storageKey(key: string): string {
  if (key.length > 0 && key.length <= MAX_KEY_LENGTH && !key.startsWith('~')) return key;
  return '~' + base64urlEncode(getCrypto().sha256(utf8Encode(key))).slice(0, MAX_KEY_LENGTH - 1);
}

export class StorageKv implements KeyValueStore {
  constructor(private readonly storage: BufferStorage) {}

  async get(key: string): Promise<string | undefined> {
    const v = this.storage.read(storageKey(key));
    if (v === undefined || v === null) return undefined;
    if (!(v instanceof ArrayBuffer)) throw new TypeError('the updater store must be opened with format "buffer"');
    return utf8Decode(new Uint8Array(v));
  }

  async set(key: string, value: string): Promise<void> {
    this.storage.write(storageKey(key), utf8Encode(value).slice().buffer as ArrayBuffer);
  }

  /** Deleting an absent key is not an error (NVS reports ESP_ERR_NVS_NOT_FOUND for it). */
  async delete(key: string): Promise<void> {
    const k = storageKey(key);
    if (this.storage.read(k) !== undefined) this.storage.delete(k);
  }
}

/** Key-value domains: one for the wallet, one for the updater, so their keys never meet. */
export const WALLET_DOMAIN = 'ssiot-wallet';
export const UPDATER_DOMAIN = 'ssiot-fw';

/** What the platform's `openStores` (stores.ts, stores-preference.ts) returns. */
export interface DeviceStores {
  wallet: WalletKeyValueStore;
  updater: BufferStorage;
}

/** The members of `preference` used (typings/preference.d.ts). */
export interface PreferenceApi {
  set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void;
  get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined;
  delete(domain: string, key: string): void;
  keys(domain: string): string[];
}

/** One preference domain as an ECMA-419 key-value Storage opened with format "buffer". */
export function preferenceStore(prefs: PreferenceApi, domain: string): WalletKeyValueStore & BufferStorage {
  return {
    read(key) {
      const v = prefs.get(domain, key);
      return v instanceof ArrayBuffer ? v : undefined;
    },
    write(key, value) {
      if (typeof value === 'string') throw new TypeError('this store is opened with format "buffer"');
      if (key.length === 0 || key.length > 15) throw new RangeError('key-value keys are 1..15 characters');
      prefs.set(domain, key, value.slice(0));
    },
    delete(key) {
      prefs.delete(domain, key);
    },
    [Symbol.iterator]() {
      return prefs.keys(domain)[Symbol.iterator]();
    },
  };
}
