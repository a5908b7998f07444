/**
 * Opening wallet storage by path on a Node host (CLI, services): a file is a
 * SQLite wallet, a directory is a key-value wallet (the device layout, see
 * kv-dir.ts). `backend` only matters when the path does not exist yet.
 */
import { existsSync, statSync } from 'node:fs';
import { WalletError } from '../../../protocols/errors.ts';
import { KeyValueStorage } from '../../../protocols/wallet/kv.ts';
import type { WalletStorage } from '../../../protocols/wallet/types.ts';
import { DirectoryKeyValue } from './kv-dir.ts';
import { SqliteStorage } from './sqlite.ts';

export type PathBackend = 'sqlite' | 'kv';

/** What is at `path`: 'sqlite' (a file), 'kv' (a directory), or undefined (nothing). */
export function backendAt(path: string): PathBackend | undefined {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? 'kv' : 'sqlite';
}

/**
 * Storage at `path`. With `create: false` a missing path is `wallet.not_found`
 * (so a typo does not silently create an empty wallet).
 */
export async function openPathStorage(path: string, options: { backend?: PathBackend; create: boolean }): Promise<WalletStorage> {
  const found = backendAt(path);
  if (!found && !options.create) throw new WalletError('wallet.not_found', `no wallet at ${path}`);
  const backend = found ?? options.backend ?? 'sqlite';
  if (found && options.backend && found !== options.backend) {
    throw new WalletError('wallet.storage', `${path} holds a ${found} wallet, not ${options.backend}`);
  }
  if (backend === 'kv') return KeyValueStorage.open(new DirectoryKeyValue(path));
  return SqliteStorage.open(path);
}
