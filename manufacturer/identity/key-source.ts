/**
 * Where the service's master key comes from. The master key (32 random
 * bytes) opens the service's wallet (a raw-key wallet, protocols/wallet): it
 * wraps the wallet's column keys, which encrypt the signing keys. It is
 * pluggable so an operator can swap the default file or environment secret
 * for a KMS, a TPM or a secret manager without touching the identity.
 *
 * Both sources here hand out a fresh copy on every call (the caller may wipe
 * it) and never put key material in an error message.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { getCrypto } from '../../protocols/crypto/index.ts';
import { base64urlDecode } from '../../protocols/encoding/base64url.ts';
import { IdentityError } from '../../protocols/errors.ts';

/** A master key: 32 bytes, fetched when the identity opens its wallet. */
export interface KeySource {
  /** Short description for logs and errors ("file /etc/ssiot/master.key", "env SSIOT_MASTER_KEY"); never the key. */
  readonly description: string;
  masterKey(): Promise<Uint8Array>;
}

export const MASTER_KEY_BYTES = 32;
/** The environment variable `envKeySource` reads by default. */
export const MASTER_KEY_ENV = 'SSIOT_MASTER_KEY';

/**
 * Permission bits a key file must not have: any access by others, or write
 * access by the group. Choice: the brief asks to refuse world-readable
 * files; a group-readable file (a service group, systemd credentials) is
 * accepted, a group-writable one is not (whoever can write the key can
 * replace it).
 */
export const FORBIDDEN_KEY_FILE_MODE = 0o027;

function invalidKey(where: string, why: string): IdentityError {
  return new IdentityError('identity.invalid_master_key', `the master key from ${where} ${why} (it must be ${MASTER_KEY_BYTES} bytes)`);
}

/** Reads an open key file: a regular file of exactly 32 bytes, no group-write or other access. */
function readKeyFile(fd: number, path: string): Uint8Array {
  const st = fstatSync(fd);
  if (!st.isFile()) throw invalidKey(`file ${path}`, 'is not a regular file');
  if ((st.mode & FORBIDDEN_KEY_FILE_MODE) !== 0) {
    throw new IdentityError(
      'identity.key_file_permissions',
      `master key file ${path} has mode ${(st.mode & 0o777).toString(8)}: it must not be readable by others nor writable by the group (chmod 600)`,
    );
  }
  if (st.size !== MASTER_KEY_BYTES) throw invalidKey(`file ${path}`, `has ${st.size} bytes`);
  const key = new Uint8Array(MASTER_KEY_BYTES);
  let got = 0;
  while (got < MASTER_KEY_BYTES) {
    const n = readSync(fd, key, got, MASTER_KEY_BYTES - got, got);
    if (n === 0) break;
    got += n;
  }
  if (got !== MASTER_KEY_BYTES) throw invalidKey(`file ${path}`, 'could not be read in full');
  return key;
}

/** Creates the key file with 32 fresh random bytes, mode 0600, durably; false when it already exists. */
function createKeyFile(path: string): boolean {
  let fd: number;
  try {
    // 'wx': O_CREAT|O_EXCL, so two processes starting at once cannot both create a key
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') return false;
    throw new IdentityError('identity.key_file_io', `cannot create master key file ${path}: ${(e as { code?: string }).code ?? 'error'}`, { cause: e });
  }
  const key = getCrypto().randomBytes(MASTER_KEY_BYTES);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    key.fill(0);
    closeSync(fd);
  }
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // some filesystems cannot fsync a directory; the file itself is synced
  }
  return true;
}

/**
 * A master key kept in a file of 32 raw bytes. On first use a missing file
 * is created (mode 0600, random bytes from the crypto facade); an existing
 * file that others may read, or the group may write, is refused with
 * `identity.key_file_permissions`; a file of another size is
 * `identity.invalid_master_key`. Back the file up: without it the wallet,
 * and so the DID's update keys, cannot be opened.
 */
export function fileKeySource(path: string, options: { create?: boolean } = {}): KeySource {
  if (typeof path !== 'string' || path.length === 0) throw new IdentityError('identity.invalid_argument', 'the master key file path must be a non-empty string');
  const create = options.create ?? true;
  return {
    description: `file ${path}`,
    async masterKey(): Promise<Uint8Array> {
      if (create) createKeyFile(path);
      let fd: number;
      try {
        // symlinks are followed on purpose: mounted secrets (Kubernetes, systemd credentials) are links
        fd = openSync(path, constants.O_RDONLY);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'ENOENT') throw new IdentityError('identity.master_key_missing', `no master key file at ${path}`);
        throw new IdentityError('identity.key_file_io', `cannot open master key file ${path}: ${code ?? 'error'}`, { cause: e });
      }
      try {
        return readKeyFile(fd, path);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/**
 * A master key from an environment variable (default SSIOT_MASTER_KEY)
 * holding the unpadded base64url of 32 bytes, e.g. made with
 * `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`.
 * The variable is read on every call (a process that rotates its secrets
 * can change it). Missing: `identity.master_key_missing`; malformed or not
 * 32 bytes: `identity.invalid_master_key` (the message gives the length only).
 */
export function envKeySource(options: { name?: string; env?: Record<string, string | undefined> } = {}): KeySource {
  const name = options.name ?? MASTER_KEY_ENV;
  const env = options.env ?? process.env;
  return {
    description: `env ${name}`,
    async masterKey(): Promise<Uint8Array> {
      const value = env[name];
      if (value === undefined || value.trim() === '') {
        throw new IdentityError('identity.master_key_missing', `set ${name} to the base64url of ${MASTER_KEY_BYTES} random bytes`);
      }
      let key: Uint8Array;
      try {
        key = base64urlDecode(value.trim());
      } catch {
        throw invalidKey(`env ${name}`, 'is not unpadded base64url');
      }
      if (key.length !== MASTER_KEY_BYTES) {
        const n = key.length;
        key.fill(0);
        throw invalidKey(`env ${name}`, `decodes to ${n} bytes`);
      }
      return key;
    },
  };
}

/** A fixed master key (tests, or a host that fetched it elsewhere); a copy is kept and a copy handed out. */
export function staticKeySource(key: Uint8Array, description = 'static key'): KeySource {
  if (!(key instanceof Uint8Array) || key.length !== MASTER_KEY_BYTES) throw invalidKey(description, 'is not a byte array of the right size');
  const held = key.slice();
  return { description, masterKey: async () => held.slice() };
}
