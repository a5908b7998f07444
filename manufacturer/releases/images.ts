/**
 * Image files on disk: streaming an upload into the images directory, and
 * answering HTTP Range requests for the files devices download.
 *
 * Files are named after the release id (`<id>.bin` the image, `<id>.suit`
 * the signed envelope) and are immutable once their row says published.
 * Writes go to a temp name (`.upload-*.tmp`, `.<id>.suit.tmp`), are
 * fsynced, then renamed: a crash leaves at most a temp file or a file no
 * published row points at, and the route serves only what a published row
 * names, so neither is ever visible. `sweepImagesDir` removes such leftovers.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { getCrypto } from '../../protocols/crypto/index.ts';
import { bytesToHex } from '../../protocols/encoding/bytes.ts';
import { ReleaseError } from './errors.ts';

/** `<release id>.bin` / `<release id>.suit`. */
export const IMAGE_FILE_RE = /^(rel_[0-9a-f]{32})\.(bin|suit)$/;
const TEMP_RE = /^\.(upload-[0-9a-f]{32}|rel_[0-9a-f]{32}\.suit)\.tmp$/;

export interface ReceivedImage {
  /** Temp path in the images directory (the caller renames or removes it). */
  tempPath: string;
  sha256: string;
  size: number;
}

/**
 * Streams `body` into a temp file in `dir`, hashing as it goes; more than
 * `maxBytes` is `release.too_large` (the temp file removed, the rest of the
 * body not read). The file is fsynced before this resolves.
 */
export async function receiveImage(body: AsyncIterable<Uint8Array | string>, dir: string, maxBytes: number): Promise<ReceivedImage> {
  const tempPath = join(dir, `.upload-${randomBytes(16).toString('hex')}.tmp`);
  const fh = await open(tempPath, 'wx', 0o644);
  const hash = getCrypto().createHash('sha256');
  let size = 0;
  try {
    for await (const part of body) {
      const chunk = typeof part === 'string' ? new TextEncoder().encode(part) : part;
      size += chunk.length;
      if (size > maxBytes) throw new ReleaseError('release.too_large', `the image is larger than ${maxBytes} bytes`);
      hash.update(chunk);
      await fh.write(chunk);
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    if (e instanceof ReleaseError) throw e;
    throw new ReleaseError('release.upload_failed', 'the upload was interrupted', { cause: e });
  }
  await fh.close();
  return { tempPath, sha256: bytesToHex(hash.digest()), size };
}

/** Writes `bytes` to `path` through a fsynced temp file and a rename (all or nothing). */
export async function writeFileAtomic(tempPath: string, path: string, bytes: Uint8Array, beforeRename?: () => void): Promise<void> {
  const fh = await open(tempPath, 'w', 0o644);
  try {
    await fh.write(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    beforeRename?.();
    await rename(tempPath, path);
  } catch (e) {
    await unlink(tempPath).catch(() => undefined);
    throw e;
  }
}

/** SHA-256 (hex) and size of a file, read in a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = getCrypto().createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: bytesToHex(hash.digest()), size };
}

/**
 * Removes temp files and image/envelope files that no row references
 * (what a crash between a rename and its commit leaves). Only names this
 * module writes are touched.
 */
export async function sweepImagesDir(dir: string, referenced: (file: string) => boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    if (TEMP_RE.test(name) || (IMAGE_FILE_RE.test(name) && !referenced(name))) {
      await unlink(join(dir, name)).catch(() => undefined);
      removed.push(name);
    }
  }
  return removed;
}

export type RangeAnswer = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * One `Range: bytes=…` header against a representation of `size` bytes
 * (RFC 9110 §14). A single range (`a-b`, `a-`, `-n`) is answered; a
 * syntactically invalid header or several ranges are ignored (200 with the
 * whole file, which the RFC allows and hosts/node/http-images.ts handles);
 * a range starting at or past the end, or `-0`, is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

/** A read stream over [start, end] of a file (inclusive, as Range counts). */
export function fileRange(path: string, start?: number, end?: number): Readable {
  return createReadStream(path, start === undefined ? {} : { start, end });
}
