/**
 * Ed25519 (RFC 8032 §7.1, shared/vectors/ed25519/rfc8032.json) and the
 * Ed25519 -> X25519 maps used by did:key key agreement
 * (shared/vectors/did-key/ed25519-x25519.json, w3c-ccg/did-method-key).
 */
import { describe, expect, it } from 'vitest';
import { base58, base64urlnopad } from '@scure/base';
import { bytesToHex as hex, hexToBytes as bytes } from '@noble/hashes/utils.js';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { nobleCrypto as c } from './noble.ts';

interface Rfc8032 {
  vectors: { name: string; secret: string; public: string; message: string; signature: string }[];
}

const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const out = b.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
};

describe('Ed25519 (RFC 8032 §7.1)', () => {
  const { vectors } = readVectorJson<Rfc8032>('ed25519/rfc8032.json');

  it('has the five RFC vectors', () => {
    expect(vectors).toHaveLength(5);
  });

  for (const v of vectors) {
    it(`${v.name}: public key, signature, verify, tampering`, () => {
      const seed = bytes(v.secret);
      const pub = bytes(v.public);
      const msg = bytes(v.message);
      const sig = bytes(v.signature);
      expect(hex(c.ed25519PublicKey(seed))).toBe(v.public);
      expect(hex(c.ed25519Sign(msg, seed))).toBe(v.signature);
      expect(c.ed25519Verify(sig, msg, pub)).toBe(true);
      // A flipped bit in R, in S, in the key or in the message fails.
      expect(c.ed25519Verify(flip(sig, 5), msg, pub)).toBe(false);
      expect(c.ed25519Verify(flip(sig, 300), msg, pub)).toBe(false);
      expect(c.ed25519Verify(sig, msg, flip(pub, 9))).toBe(false);
      if (msg.length > 0) expect(c.ed25519Verify(sig, flip(msg, 0), pub)).toBe(false);
      else expect(c.ed25519Verify(sig, new Uint8Array(1), pub)).toBe(false);
    });
  }

  it('verify returns false (never throws) on malformed signatures and keys', () => {
    const v = vectors[1];
    const sig = bytes(v.signature);
    const pub = bytes(v.public);
    const msg = bytes(v.message);
    expect(c.ed25519Verify(sig.subarray(0, 63), msg, pub)).toBe(false);
    expect(c.ed25519Verify(new Uint8Array(65), msg, pub)).toBe(false);
    expect(c.ed25519Verify(sig, msg, pub.subarray(0, 31))).toBe(false);
    expect(c.ed25519Verify(sig, msg, new Uint8Array(0))).toBe(false);
    // S >= L (all ones) and a y coordinate >= p are non-canonical: rejected.
    const bigS = sig.slice();
    bigS.fill(0xff, 32);
    expect(c.ed25519Verify(bigS, msg, pub)).toBe(false);
    expect(c.ed25519Verify(sig, msg, new Uint8Array(32).fill(0xff))).toBe(false);
    // The identity point as public key (small order) is refused.
    expect(c.ed25519Verify(sig, msg, bytes('0100000000000000000000000000000000000000000000000000000000000000'))).toBe(false);
  });

  it('seeds must be 32 bytes', () => {
    expectCode(() => c.ed25519PublicKey(new Uint8Array(31)), 'crypto.invalid_key_length');
    expectCode(() => c.ed25519Sign(new Uint8Array(1), new Uint8Array(64)), 'crypto.invalid_key_length');
  });
});

interface DidKeyEntry {
  seed: string;
  verificationKeyPair: { publicKeyBase58?: string; publicKeyJwk?: { x: string } };
  keyAgreementKeyPair: {
    publicKeyBase58?: string;
    privateKeyBase58?: string;
    publicKeyJwk?: { x: string };
    privateKeyJwk?: { d: string };
  };
}

describe('Ed25519 -> X25519 maps (did:key vectors)', () => {
  const entries = readVectorJson<Record<string, DidKeyEntry>>('did-key/ed25519-x25519.json');
  const keys = Object.keys(entries);

  it('has vectors', () => {
    expect(keys.length).toBeGreaterThanOrEqual(4);
  });

  for (const did of keys) {
    const e = entries[did];
    it(`seed ${e.seed.slice(-2)}: ${did.slice(0, 24)}…`, () => {
      const edPublic = e.verificationKeyPair.publicKeyBase58
        ? base58.decode(e.verificationKeyPair.publicKeyBase58)
        : base64urlnopad.decode(e.verificationKeyPair.publicKeyJwk!.x);
      const ka = e.keyAgreementKeyPair;
      const xPublic = ka.publicKeyBase58 ? base58.decode(ka.publicKeyBase58) : base64urlnopad.decode(ka.publicKeyJwk!.x);
      const xPrivate = ka.privateKeyBase58 ? base58.decode(ka.privateKeyBase58) : base64urlnopad.decode(ka.privateKeyJwk!.d);
      const seed = bytes(e.seed);

      expect(hex(c.ed25519PublicKey(seed))).toBe(hex(edPublic));
      expect(hex(c.ed25519PublicToX25519(edPublic))).toBe(hex(xPublic));
      expect(hex(c.ed25519SeedToX25519(seed))).toBe(hex(xPrivate));
      // Both maps land on the same X25519 key pair.
      expect(hex(c.x25519PublicKey(c.ed25519SeedToX25519(seed)))).toBe(hex(xPublic));
    });
  }

  it('rejects bad Ed25519 public keys with typed errors', () => {
    expectCode(() => c.ed25519PublicToX25519(new Uint8Array(31)), 'crypto.invalid_key_length');
    expectCode(() => c.ed25519SeedToX25519(new Uint8Array(33)), 'crypto.invalid_key_length');
    // Identity (small order) and y >= p (not canonical).
    expectCode(() => c.ed25519PublicToX25519(bytes('0100000000000000000000000000000000000000000000000000000000000000')), 'crypto.invalid_key');
    expectCode(() => c.ed25519PublicToX25519(new Uint8Array(32).fill(0xff)), 'crypto.invalid_key');
  });
});
