/**
 * Native X25519/Ed25519 of the Moddable host (hosts/moddable/crypto.ts over
 * `ssiot/curve25519`) without the SDK: the C module's libsodium calls are
 * played by libsodium itself, compiled to wasm (libsodium-wrappers), so the
 * facade glue (argument checks, error codes, ArrayBuffer framing, the
 * all-zero X25519 refusal, verify never throwing) runs against real
 * libsodium results. Every case of hosts/moddable/selftest/cases.ts (the RFC
 * 8032 / RFC 7748 vectors and the negative cases) goes through both this
 * native path and the pure-JS noble provider; the selftest app runs the same
 * list against the real C module in the simulator (tests/moddable-selftest.test.ts).
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { mergeCrypto } from '../protocols/crypto/index.ts';
import { nobleCrypto } from '../protocols/crypto/noble.ts';
import { moddableCrypto, type NativeCurve25519, type NativeDigest } from '../hosts/moddable/crypto.ts';
import { FAMILY_MANIFESTS } from '../hosts/moddable/modules.ts';
import { curveCases, failures, type Rfc7748, type Rfc8032 } from '../hosts/moddable/selftest/cases.ts';
import { readVectorJson } from './support/vectors.ts';

await sodium.ready;

/** The C module's length check (xsRangeError), for a stand-in that behaves like it. */
function exactly(name: string, b: ArrayBuffer, length: number): Uint8Array {
  if (!(b instanceof ArrayBuffer)) throw new TypeError(`${name} must be an ArrayBuffer`);
  if (length >= 0 && b.byteLength !== length) throw new RangeError(`${name} must be ${length} bytes`);
  return new Uint8Array(b);
}
const out = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

/** native/curve25519.c, call for call, on libsodium-wrappers. */
const calls: string[] = [];
const wasmCurve25519: NativeCurve25519 = {
  x25519PublicKey: (secret) => (calls.push('x25519PublicKey'), out(sodium.crypto_scalarmult_base(exactly('secret', secret, 32)))),
  x25519(secret, publicKey) {
    calls.push('x25519');
    const [k, u] = [exactly('secret', secret, 32), exactly('publicKey', publicKey, 32)];
    try {
      return out(sodium.crypto_scalarmult(k, u));
    } catch {
      return new ArrayBuffer(32); // crypto_scalarmult_curve25519 == -1: the C module answers all zero
    }
  },
  ed25519PublicKey: (seed) => (calls.push('ed25519PublicKey'), out(sodium.crypto_sign_seed_keypair(exactly('seed', seed, 32)).publicKey)),
  ed25519Sign(message, seed) {
    calls.push('ed25519Sign');
    const { privateKey } = sodium.crypto_sign_seed_keypair(exactly('seed', seed, 32));
    const sig = sodium.crypto_sign_detached(exactly('message', message, -1), privateKey);
    privateKey.fill(0);
    return out(sig);
  },
  ed25519Verify: (signature, message, publicKey) => (
    calls.push('ed25519Verify'),
    sodium.crypto_sign_verify_detached(exactly('signature', signature, 64), exactly('message', message, -1), exactly('publicKey', publicKey, 32))
  ),
};

const digest = (type: 'SHA256' | 'SHA512'): NativeDigest => {
  const h = createHash(type === 'SHA256' ? 'sha256' : 'sha512');
  return { write: (m) => void h.update(new Uint8Array(m)), close: () => out(h.digest()) };
};
const fillRandom = (b: ArrayBuffer) => void randomFillSync(new Uint8Array(b));

const overrides = moddableCrypto({ digest, fillRandom, curve25519: wasmCurve25519 });
const native = mergeCrypto(nobleCrypto, overrides);
const cases = curveCases(readVectorJson<Rfc8032>('ed25519/rfc8032.json'), readVectorJson<Rfc7748>('x25519/rfc7748.json'));

describe('native X25519/Ed25519 (libsodium as wasm) and noble: the shared cases', () => {
  it('has the RFC vectors and the negative cases', () => {
    expect(cases.filter((c) => c.name.startsWith('ed25519 TEST ')).length).toBe(5 * 7);
    expect(cases.filter((c) => c.name.startsWith('x25519 §')).length).toBe(2 + 2 + 4);
    expect(cases).toHaveLength(68);
  });

  for (const k of cases) {
    it(k.name, () => {
      expect(k.run(nobleCrypto)).toBe(k.expected);
      expect(k.run(native)).toBe(k.nativeExpected ?? k.expected);
    });
  }

  it('the two paths differ only where libsodium is stricter on purpose (crafted R)', () => {
    const differing = cases.filter((c) => c.nativeExpected !== undefined && c.nativeExpected !== c.expected).map((c) => c.name);
    expect(differing).toHaveLength(2);
    for (const name of differing) expect(name).toMatch(/libsodium refuses/);
    expect(failures(cases, nobleCrypto, 'js')).toEqual([]);
    expect(failures(cases, native, 'native')).toEqual([]);
  });
});

describe('moddableCrypto with a native curve25519', () => {
  it('sends the five slow operations to the module and keeps the Ed25519 → X25519 maps in JS', () => {
    const seed = randomBytes(32);
    calls.length = 0;
    const pub = native.ed25519PublicKey(seed);
    const sig = native.ed25519Sign(new Uint8Array([1, 2, 3]), seed);
    expect(native.ed25519Verify(sig, new Uint8Array([1, 2, 3]), pub)).toBe(true);
    const x = native.ed25519SeedToX25519(seed);
    expect(native.x25519SharedSecret(x, native.x25519PublicKey(randomBytes(32)))).toHaveLength(32);
    expect(calls).toEqual(['ed25519PublicKey', 'ed25519Sign', 'ed25519Verify', 'x25519PublicKey', 'x25519']);
    expect(overrides.ed25519PublicToX25519).toBeUndefined();
    expect(overrides.ed25519SeedToX25519).toBeUndefined();
    // the module's key pair and the JS map agree
    expect(native.x25519PublicKey(x)).toEqual(native.ed25519PublicToX25519(pub));
  });

  it('agrees with noble on random keys and messages', () => {
    for (let i = 0; i < 25; i++) {
      const seed = randomBytes(32);
      const message = randomBytes(i * 7);
      const sig = native.ed25519Sign(message, seed);
      expect(sig).toEqual(nobleCrypto.ed25519Sign(message, seed));
      expect(nobleCrypto.ed25519Verify(sig, message, native.ed25519PublicKey(seed))).toBe(true);
      const [a, b] = [randomBytes(32), randomBytes(32)];
      expect(native.x25519SharedSecret(a, nobleCrypto.x25519PublicKey(b))).toEqual(nobleCrypto.x25519SharedSecret(b, native.x25519PublicKey(a)));
    }
  });

  it('without a native module leaves X25519/Ed25519 to the noble provider (win, mac)', () => {
    const plain = moddableCrypto({ digest, fillRandom });
    for (const name of ['ed25519PublicKey', 'ed25519Sign', 'ed25519Verify', 'x25519PublicKey', 'x25519SharedSecret'] as const) {
      expect(overrides[name]).toBeDefined();
      expect(plain[name]).toBeUndefined();
    }
  });

  it('never hands the module a wrong length (the facade refuses first, with its codes)', () => {
    calls.length = 0;
    expect(() => native.x25519PublicKey(new Uint8Array(33))).toThrow(/32 bytes/);
    expect(native.ed25519Verify(new Uint8Array(64), new Uint8Array(0), new Uint8Array(33))).toBe(false);
    expect(calls).toEqual([]);
  });
});

describe('which builds get the native module', () => {
  interface PlatformManifest {
    build?: Record<string, string>;
    modules?: Record<string, string>;
    preload?: string[];
    platforms?: Record<string, { dependency?: { namespace?: string; name: string; version?: string; includes?: string[] }[] }>;
  }
  const read = (family: keyof typeof FAMILY_MANIFESTS) => JSON.parse(readFileSync(fileURLToPath(new URL(`../${FAMILY_MANIFESTS[family]}`, import.meta.url)), 'utf8')) as PlatformManifest;

  it('ESP32 and lin: ssiot/curve25519 preloaded and handed to the host, on libsodium', () => {
    for (const family of ['esp32', 'lin'] as const) {
      const m = read(family);
      expect(m.modules?.['ssiot/curve25519']).toBe('$(SSIOT)/hosts/moddable/native/curve25519');
      expect(m.modules?.['hosts/moddable/curve25519']).toBe('$(SSIOT)/hosts/moddable/curve25519.ts');
      expect(m.preload).toContain('ssiot/curve25519');
    }
    expect(read('lin').build?.LIBRARIES).toBe('-lsodium');
    const [dep] = read('esp32').platforms?.esp32?.dependency ?? [];
    expect(dep).toMatchObject({ namespace: 'espressif', name: 'libsodium' });
    expect(dep.includes).toEqual(['port_include', 'libsodium/src/libsodium/include']);
  });

  it('mac and win: no native module, the pure-JS path', () => {
    for (const family of ['mac', 'win'] as const) {
      const m = read(family);
      expect(m.modules?.['ssiot/curve25519']).toBeUndefined();
      expect(m.modules?.['hosts/moddable/curve25519']).toBe('$(SSIOT)/hosts/moddable/curve25519-none.ts');
      expect(m.preload ?? []).not.toContain('ssiot/curve25519');
    }
  });
});
