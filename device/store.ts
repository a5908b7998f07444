/**
 * The device's wallet and the JSON records it keeps in it. Everything
 * persistent goes through here: one record = one wallet item = one atomic
 * key-value write (the wallet's kv backend), so each `put` either happened
 * or did not after a power cut.
 */
import { KeyValueStorage } from '../protocols/wallet/kv.ts';
import { Wallet } from '../protocols/wallet/wallet.ts';
import { DeviceError } from './errors.ts';
import type { DeviceHost } from './host.ts';

/** Opens the device wallet, creating it on first boot (one write: its key record). */
export async function openDeviceWallet(host: Pick<DeviceHost, 'walletStore' | 'walletKey'>): Promise<Wallet> {
  const storage = await KeyValueStorage.open(host.walletStore);
  const key = { rawKey: host.walletKey() };
  try {
    return await Wallet.open(storage, key);
  } catch (e) {
    if ((e as { code?: string }).code !== 'wallet.not_found') throw e;
    return Wallet.create(storage, key);
  }
}

/** Reads a JSON record, or undefined. */
export async function getRecord<T>(wallet: Wallet, type: string, id: string): Promise<T | undefined> {
  const item = await wallet.get(type, id);
  if (!item) return undefined;
  try {
    return JSON.parse(item.value) as T;
  } catch {
    throw new DeviceError('device.state_corrupt', `record ${type}/${id} is not JSON`);
  }
}

/** Writes a JSON record (insert or replace; one write either way). */
export async function putRecord(wallet: Wallet, type: string, id: string, value: unknown, tags: Record<string, string> = {}): Promise<void> {
  const text = JSON.stringify(value);
  if (await wallet.get(type, id)) await wallet.update(type, id, { value: text, tags });
  else await wallet.add({ type, id, value: text, tags });
}
