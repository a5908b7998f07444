/**
 * The shared storage suite on the desktop host's key-value store (one file
 * per key, atomic rename): the device layout on disk, as the CLI's `kv`
 * backend and the simulator use it.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyValueStorage } from '../../../protocols/wallet/kv.ts';
import { defineStorageSuite } from '../../../protocols/wallet/store-suite.ts';
import { DirectoryKeyValue } from './kv-dir.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssiot-kvdir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

defineStorageSuite(
  { describe, it, expect },
  {
    name: 'key-value directory (desktop host)',
    fresh: async () => {
      const path = join(dir, `w${n++}`);
      return { storage: await KeyValueStorage.open(new DirectoryKeyValue(path)), reopen: () => KeyValueStorage.open(new DirectoryKeyValue(path)) };
    },
  },
);

describe('DirectoryKeyValue', () => {
  it('reads, writes, deletes and lists keys; drops stray temporary files on open', () => {
    const path = join(dir, 'raw');
    const kv = new DirectoryKeyValue(path);
    kv.write('a1', new Uint8Array([1, 2, 3]).buffer);
    expect(Array.from(new Uint8Array(kv.read('a1') as ArrayBuffer))).toEqual([1, 2, 3]);
    expect(kv.read('nope')).toBeUndefined();
    writeFileSync(join(path, '.tmp-a2'), 'half-written');
    expect(Array.from(new DirectoryKeyValue(path))).toEqual(['a1']);
    expect(readdirSync(path)).toEqual(['a1']);
    kv.delete('a1');
    kv.delete('a1');
    expect(Array.from(kv)).toEqual([]);
    expect(() => kv.write('../escape', new ArrayBuffer(1))).toThrow();
    expect(() => kv.write('sixteen-chars-xx', new ArrayBuffer(1))).toThrow();
  });
});
