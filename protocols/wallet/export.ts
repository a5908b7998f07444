/**
 * Wallet export files: every item in plaintext form, encrypted in chunks
 * under a key from a passphrase (Argon2id) or a raw key, so a wallet can
 * move between backends and machines (indy-sdk's export, made streaming-safe).
 *
 * Format, version 1 (all integers big-endian):
 *   magic    "SSIOTWX1"                                   8 bytes
 *   hlen     u32, then header H = deterministic CBOR
 *            { v: 1, kdf: {alg:'argon2id', m, t, p, salt} | {alg:'raw'},
 *              aead: 'XC20P', chunk: C, nonce: P (15 random bytes) }
 *   check    HMAC-SHA256(Kcheck, H)                       32 bytes
 *   chunks   u32 (final flag in bit 31 | sealed length), sealed
 *            sealed = XChaCha20-Poly1305(Kenc, nonce = P || u64 index || final,
 *                                        plaintext, aad = SHA-256(H))
 * Keys: M = Argon2id(passphrase, salt; m, t, p) or the raw key;
 *   Kenc = HKDF-SHA256(M, salt P, "ssiot-wallet-export-v1 chunk"),
 *   Kcheck = HKDF-SHA256(M, salt P, "ssiot-wallet-export-v1 check").
 * Data chunks (final = 0) carry at most C plaintext bytes of the record
 * stream: records `u32 length || CBOR [type, id, value, tags]`, cut at any
 * byte. Exactly one final chunk (final = 1) ends the file; its plaintext is
 * CBOR { items: n, bytes: total record-stream length }.
 *
 * Why: the index and final flag in the nonce (the STREAM construction) make
 * reordering, dropping, duplicating or truncating chunks fail authentication
 * or leave the final chunk missing; the header is authenticated both by the
 * check value (which tells a wrong key from a damaged file) and as every
 * chunk's associated data; the final totals confirm the stream is whole.
 *
 * Errors: `wallet.export_invalid` (not an export / unknown version),
 * `wallet.wrong_passphrase` / `wallet.wrong_key`, `wallet.export_truncated`,
 * `wallet.export_corrupted`.
 */
import { getCrypto } from '../crypto/index.ts';
import { cborDecode, cborEncode, cborEncodeDeterministic } from '../encoding/cbor.ts';
import { concatBytes, equalBytes, joinBytes, utf8Encode } from '../encoding/bytes.ts';
import { WalletError, isSsiotError } from '../errors.ts';
import { type KdfParams, type KeySource, deriveKey, isPassphrase, kdfFromRecord, kdfToRecord, newKdfParams } from './kdf.ts';
import type { Tags, WalletItem } from './types.ts';
import { setTag } from './validate.ts';

export interface ExportOptions {
  /** Plaintext bytes per chunk (default 65536; 1024..1048576). */
  chunkSize?: number;
}

/** What the header says, readable without the key. */
export interface ExportHeader {
  version: 1;
  kdf: KdfParams;
  aead: 'XC20P';
  chunkSize: number;
}

const MAGIC = utf8Encode('SSIOTWX1');
const VERSION = 1;
const PREFIX_BYTES = 15;
const TAG_BYTES = 16;
const FINAL_BIT = 0x80000000;
const MIN_CHUNK = 1024;
const MAX_CHUNK = 1024 * 1024;
const DEFAULT_CHUNK = 65536;
const MAX_HEADER = 1024;
const MAX_FINAL = 256;
const INFO_CHUNK = utf8Encode('ssiot-wallet-export-v1 chunk');
const INFO_CHECK = utf8Encode('ssiot-wallet-export-v1 check');

function u32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
}

function chunkNonce(prefix: Uint8Array, index: number, final: boolean): Uint8Array {
  const n = new Uint8Array(24);
  n.set(prefix, 0);
  const hi = Math.floor(index / 0x100000000);
  const lo = index >>> 0;
  n.set(u32(hi), 15);
  n.set(u32(lo), 19);
  n[23] = final ? 1 : 0;
  return n;
}

function deriveExportKeys(master: Uint8Array, prefix: Uint8Array): { enc: Uint8Array; check: Uint8Array } {
  const c = getCrypto();
  return { enc: c.hkdf('sha256', master, prefix, INFO_CHUNK, 32), check: c.hkdf('sha256', master, prefix, INFO_CHECK, 32) };
}

function checkChunkSize(n: unknown, code: 'wallet.invalid_export_options' | 'wallet.export_corrupted'): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < MIN_CHUNK || n > MAX_CHUNK) {
    throw new WalletError(code, `chunk size must be an integer in ${MIN_CHUNK}..${MAX_CHUNK}`);
  }
  return n;
}

/** Writes the export file for `items` (the wallet passes its decrypted items). */
export async function exportItems(items: AsyncIterable<WalletItem>, key: KeySource, options: ExportOptions = {}): Promise<Uint8Array> {
  const chunkSize = checkChunkSize(options.chunkSize ?? DEFAULT_CHUNK, 'wallet.invalid_export_options');
  const c = getCrypto();
  const kdf = newKdfParams(key, c.randomBytes);
  const prefix = c.randomBytes(PREFIX_BYTES);
  const header = cborEncodeDeterministic({ v: VERSION, kdf: kdfToRecord(kdf), aead: 'XC20P', chunk: chunkSize, nonce: prefix });
  const keys = deriveExportKeys(deriveKey(key, kdf), prefix);
  const aad = c.sha256(header);
  const out: Uint8Array[] = [MAGIC, u32(header.length), header, c.hmac('sha256', keys.check, header)];
  let index = 0;
  const seal = (plaintext: Uint8Array, final: boolean) => {
    const { ciphertext, tag } = c.aead.XC20P.encrypt(keys.enc, chunkNonce(prefix, index++, final), plaintext, aad);
    const length = ciphertext.length + tag.length;
    out.push(u32((final ? FINAL_BIT : 0) + length), ciphertext, tag);
  };
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let count = 0;
  let total = 0;
  const flush = (all: boolean) => {
    if (pendingBytes === 0) return;
    let buf = joinBytes(pending);
    while (buf.length >= chunkSize || (all && buf.length > 0)) {
      const n = Math.min(chunkSize, buf.length);
      seal(buf.subarray(0, n), false);
      buf = buf.subarray(n);
    }
    pending = buf.length ? [buf.slice()] : [];
    pendingBytes = buf.length;
  };
  for await (const item of items) {
    const body = cborEncode([item.type, item.id, item.value, item.tags]);
    const record = concatBytes(u32(body.length), body);
    pending.push(record);
    pendingBytes += record.length;
    total += record.length;
    count++;
    if (pendingBytes >= chunkSize) flush(false);
  }
  flush(true);
  seal(cborEncode({ items: count, bytes: total }), true);
  return joinBytes(out);
}

function invalid(message: string): WalletError {
  return new WalletError('wallet.export_invalid', message);
}
function truncated(message: string): WalletError {
  return new WalletError('wallet.export_truncated', message);
}
function corrupted(message: string, cause?: unknown): WalletError {
  return new WalletError('wallet.export_corrupted', message, cause === undefined ? undefined : { cause });
}

function parseHeader(file: Uint8Array): { header: Uint8Array; info: ExportHeader; prefix: Uint8Array; end: number } {
  if (!(file instanceof Uint8Array)) throw invalid('an export file must be bytes');
  if (file.length < MAGIC.length || !equalBytes(file.subarray(0, MAGIC.length), MAGIC)) throw invalid('not an ssiot wallet export (bad magic)');
  if (file.length < MAGIC.length + 4) throw truncated('export ends inside its header');
  const hlen = readU32(file, MAGIC.length);
  if (hlen === 0 || hlen > MAX_HEADER) throw corrupted('export header length is out of range');
  const start = MAGIC.length + 4;
  if (file.length < start + hlen + 32) throw truncated('export ends inside its header');
  const header = file.subarray(start, start + hlen);
  let h: Record<string, unknown>;
  try {
    h = cborDecode(header, { maxDepth: 3, deterministic: true }) as Record<string, unknown>;
  } catch (e) {
    throw corrupted('export header does not decode', e);
  }
  if (typeof h !== 'object' || h === null) throw corrupted('export header is not a map');
  if (h.v !== VERSION) throw invalid(`unsupported export version ${String(h.v)}`);
  if (h.aead !== 'XC20P') throw corrupted('unsupported export cipher');
  const chunkSize = checkChunkSize(h.chunk, 'wallet.export_corrupted');
  let kdf: KdfParams;
  try {
    kdf = kdfFromRecord(h.kdf, 'wallet.export_corrupted');
  } catch (e) {
    throw isSsiotError(e) && e.code === 'wallet.export_corrupted' ? e : corrupted('export KDF parameters are invalid', e);
  }
  if (!(h.nonce instanceof Uint8Array) || h.nonce.length !== PREFIX_BYTES) throw corrupted('export nonce prefix is invalid');
  return { header, info: { version: VERSION, kdf, aead: 'XC20P', chunkSize }, prefix: h.nonce, end: start + hlen };
}

/** Reads the header of an export (no key needed): KDF parameters and chunk size. */
export function inspectExport(file: Uint8Array): ExportHeader {
  return parseHeader(file).info;
}

/**
 * Decrypts and verifies a whole export file and returns its items. Nothing is
 * returned unless every chunk authenticated, the final chunk is present and
 * the totals match.
 */
export function importItems(file: Uint8Array, key: KeySource): WalletItem[] {
  const { header, info, prefix, end } = parseHeader(file);
  const c = getCrypto();
  const keys = deriveExportKeys(deriveKey(key, info.kdf), prefix);
  if (!equalBytes(c.hmac('sha256', keys.check, header), file.subarray(end, end + 32))) {
    throw isPassphrase(key)
      ? new WalletError('wallet.wrong_passphrase', 'wrong export passphrase (or a modified export header)')
      : new WalletError('wallet.wrong_key', 'wrong export key (or a modified export header)');
  }
  const aad = c.sha256(header);
  const data: Uint8Array[] = [];
  let totals: unknown;
  let pos = end + 32;
  let index = 0;
  let final = false;
  while (pos < file.length) {
    if (final) throw corrupted('data after the final chunk');
    if (pos + 4 > file.length) throw truncated('export ends inside a chunk header');
    const word = readU32(file, pos);
    final = (word & FINAL_BIT) !== 0;
    const length = word & 0x7fffffff;
    const limit = (final ? MAX_FINAL : info.chunkSize) + TAG_BYTES;
    if (length < TAG_BYTES || length > limit) throw corrupted(`chunk ${index} has an impossible length`);
    if (pos + 4 + length > file.length) throw truncated(`export ends inside chunk ${index}`);
    const sealed = file.subarray(pos + 4, pos + 4 + length);
    let plain: Uint8Array;
    try {
      plain = c.aead.XC20P.decrypt(keys.enc, chunkNonce(prefix, index, final), sealed.subarray(0, length - TAG_BYTES), sealed.subarray(length - TAG_BYTES), aad);
    } catch (e) {
      throw corrupted(`chunk ${index} failed authentication (modified, reordered or from another export)`, e);
    }
    if (final) {
      try {
        totals = cborDecode(plain, { maxDepth: 1 });
      } catch (e) {
        throw corrupted('final chunk does not decode', e);
      }
    } else {
      data.push(plain);
    }
    pos += 4 + length;
    index++;
  }
  if (!final) throw truncated('export has no final chunk (truncated)');
  const stream = joinBytes(data);
  const t = totals as { items?: unknown; bytes?: unknown };
  if (typeof t !== 'object' || t === null || t.bytes !== stream.length || typeof t.items !== 'number') {
    throw corrupted('export totals do not match its contents');
  }
  const items = parseRecords(stream);
  if (items.length !== t.items) throw corrupted('export item count does not match its contents');
  return items;
}

function parseRecords(stream: Uint8Array): WalletItem[] {
  const items: WalletItem[] = [];
  let pos = 0;
  while (pos < stream.length) {
    if (pos + 4 > stream.length) throw corrupted('record stream ends inside a length');
    const n = readU32(stream, pos);
    if (pos + 4 + n > stream.length) throw corrupted('record stream ends inside a record');
    let r: unknown;
    try {
      r = cborDecode(stream.subarray(pos + 4, pos + 4 + n), { maxDepth: 3 });
    } catch (e) {
      throw corrupted(`record ${items.length} does not decode`, e);
    }
    if (!Array.isArray(r) || r.length !== 4) throw corrupted(`record ${items.length} has the wrong shape`);
    const [type, id, value, rawTags] = r as unknown[];
    if (typeof type !== 'string' || typeof id !== 'string' || typeof value !== 'string' || typeof rawTags !== 'object' || rawTags === null || Array.isArray(rawTags)) {
      throw corrupted(`record ${items.length} has the wrong shape`);
    }
    const tags: Tags = {};
    for (const name of Object.keys(rawTags)) {
      const v = (rawTags as Record<string, unknown>)[name];
      if (typeof v !== 'string') throw corrupted(`record ${items.length} has a non-string tag`);
      setTag(tags, name, v);
    }
    items.push({ type, id, value, tags });
    pos += 4 + n;
  }
  return items;
}
