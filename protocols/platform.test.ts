/**
 * What every engine that runs the neutral tests must provide (Node through
 * vitest, XS through hosts/xs): the test host (engine name, vector files),
 * the host's random source behind the crypto facade, and UTF-8 text codecs.
 * This file also guarantees the XS run always has at least one test.
 */
import { describe, expect, it } from 'vitest';
import { getCrypto } from './crypto/index.ts';
import { engine, listVectors, readVectorJson, readVectorText } from '../tests/support/vectors.ts';

interface Rfc8032 {
  vectors: { name: string; secret: string; public: string; message: string; signature: string }[];
}

describe('test platform', () => {
  it('names the engine it runs on', () => {
    const e = engine();
    expect(['node', 'xs']).toContain(e);
    // xsnap gives its child a synchronous `issueCommand`; Node has none.
    const hasIssueCommand = typeof (globalThis as { issueCommand?: unknown }).issueCommand === 'function';
    expect(hasIssueCommand).toBe(e === 'xs');
  });

  it('reads and lists vector files', () => {
    expect(listVectors('ed25519')).toContain('rfc8032.json');
    const { vectors } = readVectorJson<Rfc8032>('ed25519/rfc8032.json');
    expect(vectors.length).toBeGreaterThan(0);
    expect(vectors[0].public).toMatch(/^[0-9a-f]{64}$/);
    expect(readVectorText('ed25519/rfc8032.json')).toContain('RFC 8032');
  });

  it('reports a missing vector file as an error', () => {
    expect(() => readVectorText('ed25519/no-such-file.json')).toThrow();
  });

  it('provides random bytes through the crypto facade', () => {
    const a = getCrypto().randomBytes(32);
    const b = getCrypto().randomBytes(32);
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a).toHaveLength(32);
    expect(a).not.toEqual(b);
    // 64 random bytes all zero would mean no random source at all.
    expect([...a, ...b].some((x) => x !== 0)).toBe(true);
  });

  it('has UTF-8 TextEncoder/TextDecoder', () => {
    const text = 'grinder ☕ 𝄞';
    const bytes = new TextEncoder().encode(text);
    expect(bytes).toEqual(new Uint8Array([103, 114, 105, 110, 100, 101, 114, 32, 0xe2, 0x98, 0x95, 32, 0xf0, 0x9d, 0x84, 0x9e]));
    expect(new TextDecoder().decode(bytes)).toBe(text);
  });

  it('runs async tests to completion', async () => {
    const value = await new Promise<number>((resolve) => resolve(42));
    expect(value).toBe(42);
    await expect(Promise.reject(new Error('no'))).rejects.toThrow('no');
  });
});
