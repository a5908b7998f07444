/**
 * `ssiot wallet create|add|get|search|rekey|export|import` (shared/CLI.md).
 *
 * Passphrases come from the environment only: SSIOT_WALLET_PASSPHRASE opens
 * (and creates) the wallet, SSIOT_WALLET_NEW_PASSPHRASE is the new one for
 * rekey, SSIOT_EXPORT_PASSPHRASE protects export files. New wallets and
 * exports use Argon2id with protocols/wallet/kdf.ts DEFAULT_ARGON2, or the
 * cost in SSIOT_WALLET_ARGON2 (`m=KiB,t=N,p=N`; an addition to CLI.md).
 * A wallet path that is a file is SQLite; a directory is the device's
 * key-value layout (`--backend kv` at create).
 *
 * Choices where CLI.md is terse:
 *  - `rekey` prints {rewrapped: 7}: the number of column keys re-wrapped
 *    under the new passphrase (no item is rewritten), plus {items: 0}.
 *  - `import` into a path with no wallet creates one first (SQLite unless
 *    `--backend kv`) and removes it again if the import fails; into an
 *    existing wallet it needs that wallet to be empty.
 *  - `get` of a missing item is the error `wallet.item_not_found`.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { SsiotError, WalletError } from '../protocols/errors.ts';
import { parseJson } from '../protocols/encoding/json.ts';
import { type Argon2Params, type KeySource, checkArgon2 } from '../protocols/wallet/kdf.ts';
import { COLUMN_KEY_NAMES } from '../protocols/wallet/column-crypto.ts';
import { Wallet } from '../protocols/wallet/wallet.ts';
import { backendAt, openPathStorage, type PathBackend } from '../hosts/node/wallet/open.ts';
import { type Command, UsageError } from './command.ts';
import { readBinary, str } from './io.ts';

export const WALLET_PASSPHRASE_ENV = 'SSIOT_WALLET_PASSPHRASE';
export const WALLET_NEW_PASSPHRASE_ENV = 'SSIOT_WALLET_NEW_PASSPHRASE';
export const EXPORT_PASSPHRASE_ENV = 'SSIOT_EXPORT_PASSPHRASE';

/**
 * Argon2id cost for NEW key records and exports, `m=KiB,t=N,p=N`, from
 * SSIOT_WALLET_ARGON2 (an addition to CLI.md for small hosts and tests);
 * default DEFAULT_ARGON2. Opening always uses the parameters stored with the data.
 */
export const ARGON2_ENV = 'SSIOT_WALLET_ARGON2';

function argon2FromEnv(): Argon2Params | undefined {
  const text = process.env[ARGON2_ENV];
  if (text === undefined || text === '') return undefined;
  const m = /^m=(\d+),t=(\d+),p=(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`${ARGON2_ENV} must look like m=19456,t=2,p=1`);
  return checkArgon2({ m: Number(m[1]), t: Number(m[2]), p: Number(m[3]) });
}

function passphrase(name: string): KeySource {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new SsiotError('cli.missing_passphrase', `set the passphrase in the environment variable ${name}`);
  }
  const argon2 = argon2FromEnv();
  return argon2 ? { passphrase: value, argon2 } : { passphrase: value };
}

function backendOption(v: unknown): PathBackend | undefined {
  if (v === undefined) return undefined;
  if (v !== 'sqlite' && v !== 'kv') throw new UsageError('--backend must be sqlite or kv');
  return v;
}

async function openWallet(path: string): Promise<Wallet> {
  const key = passphrase(WALLET_PASSPHRASE_ENV);
  const storage = await openPathStorage(path, { create: false });
  try {
    return await Wallet.open(storage, key);
  } catch (e) {
    await storage.close();
    throw e;
  }
}

/** Runs `fn` on the open wallet at `path`, always closing it. */
async function withWallet<T>(path: string, fn: (w: Wallet) => Promise<T>): Promise<T> {
  const w = await openWallet(path);
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}

/** A wallet that failed to come into being leaves nothing behind (SQLite's -wal/-shm files included). */
function removeWallet(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`]) rmSync(p, { recursive: true, force: true });
}

const PATH = { type: 'string', value: 'FILE', required: true, help: 'wallet: a SQLite file, or a directory for the key-value layout' } as const;
const TYPE = { type: 'string', value: 'T', required: true, help: 'item type' } as const;

export const walletCommands: Command[] = [
  {
    path: ['wallet', 'create'],
    summary: `create an encrypted wallet (passphrase from ${WALLET_PASSPHRASE_ENV})`,
    usage: 'wallet create --path FILE [--backend sqlite|kv]',
    options: {
      path: PATH,
      backend: { type: 'string', value: 'sqlite|kv', help: 'storage: sqlite (default, one file) or kv (a directory, the device layout)' },
    },
    async run({ options }) {
      const path = str(options.path)!;
      const backend = backendOption(options.backend) ?? 'sqlite';
      const key = passphrase(WALLET_PASSPHRASE_ENV);
      const existed = backendAt(path) !== undefined;
      const storage = await openPathStorage(path, { backend, create: true });
      try {
        const w = await Wallet.create(storage, key);
        await w.close();
      } catch (e) {
        await storage.close();
        if (!existed) removeWallet(path);
        throw e;
      }
      return { output: { path } };
    },
  },
  {
    path: ['wallet', 'add'],
    summary: 'add an item (tags named ~x are stored in plaintext and searchable by range and $like)',
    usage: 'wallet add --path FILE --type T --id ID --value STRING [--tags JSON]',
    options: {
      path: PATH,
      type: TYPE,
      id: { type: 'string', value: 'ID', required: true, help: 'item id (unique per type)' },
      value: { type: 'string', value: 'STRING', required: true, help: 'item value' },
      tags: { type: 'string', value: 'JSON', help: 'tags as a JSON object of strings, e.g. {"issuer":"did:…","~date":"2026-01-01"}' },
    },
    async run({ options }) {
      const tagsText = str(options.tags);
      const tags = tagsText === undefined ? undefined : parseJson<Record<string, string>>(tagsText);
      const type = str(options.type)!;
      const id = str(options.id)!;
      await withWallet(str(options.path)!, (w) => w.add({ type, id, value: str(options.value)!, tags }));
      return { output: { type, id } };
    },
  },
  {
    path: ['wallet', 'get'],
    summary: 'print one item',
    usage: 'wallet get --path FILE --type T --id ID',
    options: {
      path: PATH,
      type: TYPE,
      id: { type: 'string', value: 'ID', required: true, help: 'item id' },
    },
    async run({ options }) {
      const type = str(options.type)!;
      const id = str(options.id)!;
      const item = await withWallet(str(options.path)!, (w) => w.get(type, id));
      if (!item) throw new WalletError('wallet.item_not_found', `no item ${type}/${id}`);
      return { output: item };
    },
  },
  {
    path: ['wallet', 'search'],
    summary: 'print the items of a type that match a WQL query ($eq $neq $gt $gte $lt $lte $like $in $and $or $not)',
    usage: 'wallet search --path FILE --type T [--query WQL_JSON]',
    options: {
      path: PATH,
      type: TYPE,
      query: { type: 'string', value: 'WQL_JSON', help: 'WQL query as JSON (default {}: every item of the type)' },
    },
    async run({ options }) {
      const type = str(options.type)!;
      const query = str(options.query);
      return { output: await withWallet(str(options.path)!, (w) => w.search(type, query)) };
    },
  },
  {
    path: ['wallet', 'rekey'],
    summary: `re-wrap the wallet keys under ${WALLET_NEW_PASSPHRASE_ENV} (one write; items untouched)`,
    usage: 'wallet rekey --path FILE',
    options: { path: PATH },
    async run({ options }) {
      const next = passphrase(WALLET_NEW_PASSPHRASE_ENV);
      await withWallet(str(options.path)!, (w) => w.rekey(next));
      return { output: { rewrapped: COLUMN_KEY_NAMES.length, items: 0 } };
    },
  },
  {
    path: ['wallet', 'export'],
    summary: `write every item (keys included) to an encrypted export file (passphrase from ${EXPORT_PASSPHRASE_ENV})`,
    usage: 'wallet export --path FILE --out EXPORT_FILE',
    options: { path: PATH, out: { type: 'string', value: 'EXPORT_FILE', required: true, help: 'export file to write' } },
    async run({ options }) {
      const key = passphrase(EXPORT_PASSPHRASE_ENV);
      const { file, items } = await withWallet(str(options.path)!, async (w) => ({ file: await w.export(key), items: await w.count() }));
      try {
        writeFileSync(str(options.out)!, file, { mode: 0o600 });
      } catch (e) {
        throw new SsiotError('cli.io', `cannot write ${str(options.out)}: ${(e as { code?: string }).code ?? 'error'}`);
      }
      return { output: { items } };
    },
  },
  {
    path: ['wallet', 'import'],
    summary: `import an export file into an empty (or new) wallet (passphrases from ${WALLET_PASSPHRASE_ENV} and ${EXPORT_PASSPHRASE_ENV})`,
    usage: 'wallet import --path FILE --in EXPORT_FILE [--backend sqlite|kv]',
    options: {
      path: PATH,
      in: { type: 'string', value: 'EXPORT_FILE', required: true, help: 'export file to read' },
      backend: { type: 'string', value: 'sqlite|kv', help: 'storage for a wallet this command creates (default sqlite)' },
    },
    async run({ options }) {
      const path = str(options.path)!;
      const exportKey = passphrase(EXPORT_PASSPHRASE_ENV);
      const walletKey = passphrase(WALLET_PASSPHRASE_ENV);
      const file = readBinary(str(options.in)!, 'export file');
      const backend = backendOption(options.backend);
      const created = backendAt(path) === undefined;
      const storage = await openPathStorage(path, { backend, create: created });
      let wallet: Wallet | undefined;
      try {
        wallet = created ? await Wallet.create(storage, walletKey) : await Wallet.open(storage, walletKey);
        const items = await wallet.import(file, exportKey);
        return { output: { items } };
      } catch (e) {
        if (created) {
          await (wallet ? wallet.close() : storage.close());
          wallet = undefined;
          removeWallet(path);
        }
        throw e;
      } finally {
        if (wallet) await wallet.close();
        else if (!created) await storage.close();
      }
    },
  },
];
