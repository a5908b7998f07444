/**
 * The facade: getCrypto / installCrypto / resetCrypto, and randomBytes.
 * Every test puts back the provider it found, so a host that installed
 * primitives before the tests (XS) keeps them.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex as hex } from '@noble/hashes/utils.js';
import { expectCode } from '../../tests/support/assert.ts';
import { getCrypto, installCrypto, mergeCrypto, nobleCrypto, resetCrypto } from './index.ts';
import type { Aead, CryptoOverrides } from './index.ts';

function withFreshFacade(fn: () => void): void {
  const before = getCrypto();
  resetCrypto();
  try {
    fn();
  } finally {
    resetCrypto();
    installCrypto(before);
  }
}

const fakeSha256 = (): Uint8Array => new Uint8Array(32).fill(7);

describe('crypto facade', () => {
  it('starts from (and resets to) the noble provider', () => {
    withFreshFacade(() => {
      expect(getCrypto()).toBe(nobleCrypto);
    });
  });

  it('installCrypto replaces one primitive and resetCrypto restores it', () => {
    withFreshFacade(() => {
      const data = new Uint8Array([1, 2, 3]);
      const real = hex(nobleCrypto.sha256(data));
      installCrypto({ sha256: fakeSha256 });
      expect(hex(getCrypto().sha256(data))).toBe('07'.repeat(32));
      // Everything else is untouched.
      expect(getCrypto().sha512).toBe(nobleCrypto.sha512);
      expect(getCrypto().aead).toEqual(nobleCrypto.aead);
      resetCrypto();
      expect(hex(getCrypto().sha256(data))).toBe(real);
    });
  });

  it('installs stack and an AEAD can be replaced on its own', () => {
    withFreshFacade(() => {
      const fakeGcm: Aead = { ...nobleCrypto.aead.A256GCM, encrypt: () => ({ ciphertext: new Uint8Array(1), tag: new Uint8Array(16) }) };
      installCrypto({ sha256: fakeSha256 });
      installCrypto({ aead: { A256GCM: fakeGcm } });
      const now = getCrypto();
      expect(now.sha256).toBe(fakeSha256);
      expect(now.aead.A256GCM).toBe(fakeGcm);
      expect(now.aead.XC20P).toBe(nobleCrypto.aead.XC20P);
      expect(now.aead['A256CBC-HS512']).toBe(nobleCrypto.aead['A256CBC-HS512']);
      // The default provider itself was not modified.
      expect(nobleCrypto.aead.A256GCM).not.toBe(fakeGcm);
      expect(nobleCrypto.sha256).not.toBe(fakeSha256);
    });
  });

  it('mergeCrypto ignores undefined members and rejects nonsense', () => {
    const merged = mergeCrypto(nobleCrypto, { sha256: undefined, aead: { C20P: undefined } });
    expect(merged.sha256).toBe(nobleCrypto.sha256);
    expect(merged.aead.C20P).toBe(nobleCrypto.aead.C20P);
    expectCode(() => mergeCrypto(nobleCrypto, { sha256: 42 } as unknown as CryptoOverrides), 'crypto.invalid_provider');
    expectCode(() => mergeCrypto(nobleCrypto, { md5: fakeSha256 } as unknown as CryptoOverrides), 'crypto.invalid_provider');
    expectCode(() => mergeCrypto(nobleCrypto, { aead: { A128GCM: nobleCrypto.aead.A256GCM } } as unknown as CryptoOverrides), 'crypto.invalid_provider');
    expectCode(() => mergeCrypto(nobleCrypto, null as unknown as CryptoOverrides), 'crypto.invalid_provider');
  });
});

describe('randomBytes', () => {
  const g = globalThis as { crypto?: { getRandomValues?: unknown } };
  const hasWebCrypto = typeof g.crypto?.getRandomValues === 'function';

  it.skipIf(!hasWebCrypto)('returns fresh bytes of the asked length from getRandomValues', () => {
    expect(nobleCrypto.randomBytes(0)).toHaveLength(0);
    expect(nobleCrypto.randomBytes(70000)).toHaveLength(70000); // more than one getRandomValues call
    expect(hex(nobleCrypto.randomBytes(32))).not.toBe(hex(nobleCrypto.randomBytes(32)));
    expectCode(() => nobleCrypto.randomBytes(-1), 'crypto.invalid_length');
    expectCode(() => nobleCrypto.randomBytes(2.5), 'crypto.invalid_length');
  });

  it.skipIf(hasWebCrypto)('without getRandomValues the default throws crypto.no_random', () => {
    expectCode(() => nobleCrypto.randomBytes(16), 'crypto.no_random');
  });

  it('with getRandomValues hidden the default throws crypto.no_random', () => {
    const desc = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    if (desc && !desc.configurable) {
      // A locked-down realm where `crypto` cannot be hidden: only check
      // that the behaviour matches what is there.
      if (hasWebCrypto) expect(nobleCrypto.randomBytes(1)).toHaveLength(1);
      else expectCode(() => nobleCrypto.randomBytes(1), 'crypto.no_random');
      return;
    }
    Object.defineProperty(globalThis, 'crypto', { value: {}, configurable: true, writable: true });
    try {
      expectCode(() => nobleCrypto.randomBytes(16), 'crypto.no_random');
    } finally {
      if (desc) Object.defineProperty(globalThis, 'crypto', desc);
      else delete g.crypto;
    }
  });

  it('a host can install its own randomBytes', () => {
    withFreshFacade(() => {
      installCrypto({ randomBytes: (n: number) => new Uint8Array(n).fill(0xab) });
      expect(hex(getCrypto().randomBytes(2))).toBe('abab');
    });
  });
});
