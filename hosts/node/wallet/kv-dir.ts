/**
 * The desktop host's `embedded:storage/key-value`: one file per key in a
 * directory, with the ECMA-419 Storage shape (read / write / delete /
 * iteration, format "buffer"). Lets the CLI and the simulator keep a device
 * wallet on disk with exactly the device's storage layout.
 *
 * A write is atomic per key, as DESIGN.md §3 asks of a host: the value goes
 * to a temporary file, is fsync'ed, and is renamed over the key's file; a
 * crash leaves the old or the new value, never a torn one (stray temporary
 * files are ignored and removed on open).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyValueStore } from '../../../protocols/wallet/kv.ts';

const TMP = '.tmp-';
const KEY = /^[A-Za-z0-9_-]{1,15}$/;

export class DirectoryKeyValue implements KeyValueStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (name.startsWith(TMP)) rmSync(join(dir, name), { force: true });
  }

  private path(key: string): string {
    if (!KEY.test(key)) throw new RangeError('key-value keys are 1..15 characters of [A-Za-z0-9_-]');
    return join(this.dir, key);
  }

  read(key: string): ArrayBuffer | undefined {
    try {
      const b = readFileSync(this.path(key));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  write(key: string, value: ArrayBuffer | string): void {
    const target = this.path(key);
    const tmp = join(this.dir, `${TMP}${key}`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, typeof value === 'string' ? Buffer.from(value, 'utf8') : new Uint8Array(value));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  delete(key: string): void {
    try {
      unlinkSync(this.path(key));
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
  }

  [Symbol.iterator](): Iterator<string> {
    return readdirSync(this.dir)
      .filter((n) => !n.startsWith(TMP) && KEY.test(n))
      .sort()
      [Symbol.iterator]();
  }
}
