/**
 * The device's two key-value stores on ECMA-419 `embedded:storage/key-value`
 * (ESP32: NVS; macOS simulator: the SDK's own), both `format: "buffer"`:
 * domain `ssiot-wallet` for the wallet (protocols/wallet/kv.ts), domain
 * `ssiot-fw` for the updater (kv.ts). Separate domains, so a wallet key can
 * never meet an updater key. On lin/win, where the SDK has no ECMA-419
 * key-value module, the manifest maps this module to stores-preference.ts,
 * which exports the same `openStores`.
 */
import KeyValueStorage from 'embedded:storage/key-value';
import { UPDATER_DOMAIN, WALLET_DOMAIN, type DeviceStores } from './kv.ts';

export function openStores(): DeviceStores {
  const open = (path: string) => KeyValueStorage.open({ path, format: 'buffer', mode: 'r+' });
  const wallet = open(WALLET_DOMAIN);
  const updater = open(UPDATER_DOMAIN);
  return {
    wallet: {
      read: (key) => {
        const v = wallet.read(key);
        return typeof v === 'bigint' ? undefined : v;
      },
      write: (key, value) => wallet.write(key, value),
      delete: (key) => wallet.delete(key),
      [Symbol.iterator]: () => wallet[Symbol.iterator](),
    },
    updater: {
      read: (key) => updater.read(key),
      write: (key, value) => updater.write(key, value),
      delete: (key) => updater.delete(key),
    },
  };
}
