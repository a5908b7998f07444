/** File and key-material inputs shared by CLI groups (formats in shared/CLI.md). */
import { readFileSync } from 'node:fs';
import { SsiotError } from '../protocols/errors.ts';
import { parseJson } from '../protocols/encoding/json.ts';
import { parseSecret, type ParsedSecret } from '../protocols/did/keys.ts';
import type { DidDocument } from '../protocols/did/types.ts';
import { UsageError } from './command.ts';

/** Reads a file, turning a failure into `cli.io` naming `what` and the path (never the content). */
function readOrFail<T>(path: string, what: string, read: (path: string) => T): T {
  try {
    return read(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new SsiotError('cli.io', `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? 'error'}`);
  }
}

export function readTextFile(path: string, what: string): string {
  return readOrFail(path, what, (p) => readFileSync(p, 'utf8'));
}

/** A binary input (SUIT envelope, firmware image, wallet export) as bytes. */
export function readBinary(path: string, what: string): Uint8Array {
  return readOrFail(path, what, (p) => new Uint8Array(readFileSync(p)));
}

export function readJsonFile<T = unknown>(path: string, what: string): T {
  return parseJson<T>(readTextFile(path, what));
}

/** A secrets file: a JSON array of JWK (or Multikey) secrets. Never echoes key material. */
export function readSecrets(path: string): ParsedSecret[] {
  const list = readJsonFile<unknown>(path, 'secrets file');
  if (!Array.isArray(list)) throw new SsiotError('cli.invalid_secrets', `secrets file ${path} must hold a JSON array`);
  return list.map((entry) => parseSecret(entry));
}

/** A DIDs file: a JSON array of DID documents (for DIDs that do not resolve locally). */
export function readDidDocuments(path: string | undefined): DidDocument[] {
  if (path === undefined) return [];
  const list = readJsonFile<unknown>(path, 'DIDs file');
  if (!Array.isArray(list)) throw new SsiotError('cli.invalid_dids', `DIDs file ${path} must hold a JSON array of DID documents`);
  return list as DidDocument[];
}

export function parseHex32(value: string, option: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new UsageError(`--${option} must be 64 hex digits (32 bytes)`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(value.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
