/**
 * `openStores` (stores.ts) for the lin and win simulators, whose SDK builds
 * have no ECMA-419 `embedded:storage/key-value`: the same ECMA-419 shape
 * over Moddable's `preference` module (on lin a JSON file under the
 * simulator's file root, rewritten whole on each change: good enough for a
 * simulator, not power-safe). Values are ArrayBuffers; `preference` stores
 * them as such (kv.ts preferenceStore).
 */
import Preference from 'moddable:preference';
import { preferenceStore, UPDATER_DOMAIN, WALLET_DOMAIN, type DeviceStores } from './kv.ts';

export function openStores(): DeviceStores {
  return { wallet: preferenceStore(Preference, WALLET_DOMAIN), updater: preferenceStore(Preference, UPDATER_DOMAIN) };
}
