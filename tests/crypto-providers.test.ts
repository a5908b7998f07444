/**
 * The node:crypto provider (hosts/node/crypto.ts) against the pure-JS
 * default (protocols/crypto/noble.ts): for random inputs both give the same
 * bytes, signatures and ciphertexts cross over, and both refuse the same bad
 * inputs with the same error codes. Node-only (uses node:crypto for inputs).
 */
import { randomBytes as rnd, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { mergeCrypto, nobleCrypto } from '../protocols/crypto/index.ts';
import type { AeadName, CryptoProvider, HashName } from '../protocols/crypto/index.ts';

const noble = nobleCrypto;
const native = mergeCrypto(nobleCrypto, nodeCrypto);
const PROVIDERS: [string, CryptoProvider][] = [
  ['noble', noble],
  ['node', native],
];
const ROUNDS = 24;
const HASHES: HashName[] = ['sha256', 'sha512'];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (n: number): Uint8Array => new Uint8Array(rnd(n));
const flip = (b: Uint8Array, bit = randomInt(b.length * 8)): Uint8Array => {
  const out = b.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
};

/** The error code `fn` throws ('(no error)' if it returns). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return String((e as { code?: unknown }).code ?? `untyped ${(e as Error).name}`);
  }
  return '(no error)';
}

/** Both providers throw, with the same code, and it is `expected`. */
function sameCode(call: (p: CryptoProvider) => unknown, expected: string): void {
  expect(codeOf(() => call(noble))).toBe(expected);
  expect(codeOf(() => call(native))).toBe(expected);
}

/** Both providers return the same bytes (`call` must not draw its own random inputs). */
function sameBytes(call: (p: CryptoProvider) => Uint8Array): Uint8Array {
  const a = call(noble);
  const b = call(native);
  expect(b).toBeInstanceOf(Uint8Array);
  expect(Buffer.isBuffer(b)).toBe(false);
  expect(hex(b)).toBe(hex(a));
  return a;
}

describe('node:crypto provider coverage', () => {
  it('replaces every primitive except the ones node:crypto lacks', () => {
    const all = Object.keys(noble).sort();
    const replaced = Object.keys(nodeCrypto).sort();
    expect(replaced).toEqual(all.filter((k) => k !== 'ed25519PublicToX25519' && k !== 'ed25519SeedToX25519'));
    for (const k of replaced) {
      if (k === 'aead') continue;
      expect((native as unknown as Record<string, unknown>)[k]).not.toBe((noble as unknown as Record<string, unknown>)[k]);
    }
    expect(Object.keys(nodeCrypto.aead ?? {}).sort()).toEqual(['A256CBC-HS512', 'A256GCM', 'C20P']);
    for (const a of ['A256CBC-HS512', 'A256GCM', 'C20P'] as AeadName[]) expect(native.aead[a]).not.toBe(noble.aead[a]);
    expect(native.aead.XC20P).toBe(noble.aead.XC20P); // no XChaCha20 in node:crypto
  });
});

describe('hashes, HMAC, HKDF', () => {
  it('SHA-256/512 one-shot and streaming agree', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const data = bytes(randomInt(0, 3000));
      for (const name of HASHES) {
        const one = sameBytes((p) => p[name](data));
        const streamed = sameBytes((p) => {
          const h = p.createHash(name);
          for (let at = 0; at < data.length; ) {
            const n = randomInt(0, 300);
            h.update(data.subarray(at, at + n));
            at += n;
          }
          return h.digest();
        });
        expect(hex(streamed)).toBe(hex(one));
      }
    }
  });

  it('HMAC agrees for keys shorter and longer than the block', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const key = bytes(randomInt(0, 300));
      const data = bytes(randomInt(0, 1000));
      for (const name of HASHES) sameBytes((p) => p.hmac(name, key, data));
    }
  });

  it('HKDF agrees, including info longer than node:crypto accepts', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const name = HASHES[i % 2];
      const info = bytes(i === 0 ? 2000 : randomInt(0, 100));
      const length = randomInt(1, 255 * (name === 'sha256' ? 32 : 64) + 1);
      const ikm = bytes(randomInt(0, 80));
      const salt = bytes(randomInt(0, 80));
      sameBytes((p) => p.hkdf(name, ikm, salt, info, length));
    }
  });

  it('same codes for bad hash input', () => {
    const z = new Uint8Array(0);
    sameCode((p) => p.hkdf('sha256', z, z, z, 0), 'crypto.invalid_length');
    sameCode((p) => p.hkdf('sha512', z, z, z, 255 * 64 + 1), 'crypto.invalid_length');
    sameCode((p) => p.createHash('md5' as HashName), 'crypto.unsupported_algorithm');
    sameCode((p) => p.hmac('sha1' as HashName, z, z), 'crypto.unsupported_algorithm');
    sameCode((p) => p.sha512('x' as unknown as Uint8Array), 'crypto.invalid_input');
    sameCode((p) => {
      const h = p.createHash('sha256');
      h.digest();
      return h.update(z);
    }, 'crypto.hash_finalized');
  });
});

describe('Ed25519', () => {
  it('same keys and signatures; each verifies the other; tampering fails in both', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const seed = bytes(32);
      const msg = bytes(randomInt(0, 500));
      const pub = sameBytes((p) => p.ed25519PublicKey(seed));
      const sig = sameBytes((p) => p.ed25519Sign(msg, seed)); // deterministic (RFC 8032)
      for (const [, p] of PROVIDERS) {
        expect(p.ed25519Verify(sig, msg, pub)).toBe(true);
        expect(p.ed25519Verify(flip(sig), msg, pub)).toBe(false);
        expect(p.ed25519Verify(sig, msg, flip(pub))).toBe(false);
        expect(p.ed25519Verify(sig, flip(new Uint8Array([...msg, 0])), pub)).toBe(false);
        expect(p.ed25519Verify(sig.subarray(1), msg, pub)).toBe(false);
        expect(p.ed25519Verify(sig, msg, pub.subarray(1))).toBe(false);
      }
    }
  });

  it('both reject non-canonical S and identity-free junk without throwing', () => {
    const seed = bytes(32);
    const msg = bytes(10);
    const pub = noble.ed25519PublicKey(seed);
    const sig = noble.ed25519Sign(msg, seed);
    const bigS = sig.slice();
    bigS.fill(0xff, 32);
    for (const [, p] of PROVIDERS) {
      expect(p.ed25519Verify(bigS, msg, pub)).toBe(false);
      expect(p.ed25519Verify(sig, msg, new Uint8Array(32).fill(0xff))).toBe(false);
      expect(p.ed25519Verify(new Uint8Array(64), msg, pub)).toBe(false);
    }
    sameCode((p) => p.ed25519PublicKey(new Uint8Array(31)), 'crypto.invalid_key_length');
    sameCode((p) => p.ed25519Sign(msg, new Uint8Array(64)), 'crypto.invalid_key_length');
  });
});

describe('X25519', () => {
  it('same public keys and shared secrets', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const a = bytes(32);
      const b = bytes(32);
      const pa = sameBytes((p) => p.x25519PublicKey(a));
      const pb = sameBytes((p) => p.x25519PublicKey(b));
      const s = sameBytes((p) => p.x25519SharedSecret(a, pb));
      expect(hex(native.x25519SharedSecret(b, pa))).toBe(hex(s));
      // A u with the high bit set is masked (RFC 7748 §5) the same way by both.
      const high = pb.slice();
      high[31] |= 0x80;
      expect(hex(sameBytes((p) => p.x25519SharedSecret(a, high)))).toBe(hex(s));
      // Random 32-byte strings are public keys too (on the curve or its twist).
      const u = bytes(32);
      sameBytes((p) => p.x25519SharedSecret(a, u));
    }
  });

  it('same codes for low-order points and bad lengths', () => {
    const priv = bytes(32);
    for (const u of [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    ]) {
      sameCode((p) => p.x25519SharedSecret(priv, Buffer.from(u, 'hex')), 'crypto.invalid_key');
    }
    sameCode((p) => p.x25519PublicKey(new Uint8Array(33)), 'crypto.invalid_key_length');
    sameCode((p) => p.x25519SharedSecret(priv, new Uint8Array(31)), 'crypto.invalid_key_length');
  });
});

describe('P-256', () => {
  it('same public keys and ECDH secrets, both SEC1 forms', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const a = noble.randomBytes(32);
      const b = native.randomBytes(32);
      sameBytes((p) => p.p256PublicKey(a));
      const pbc = sameBytes((p) => p.p256PublicKey(b, true));
      const pau = native.p256PublicKey(a, false);
      const s = sameBytes((p) => p.p256SharedSecret(a, pbc));
      expect(hex(sameBytes((p) => p.p256SharedSecret(b, pau)))).toBe(hex(s));
    }
  });

  it('ES256 signatures made by one verify in the other', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const priv = bytes(32);
      const msg = bytes(randomInt(0, 300));
      const pubU = noble.p256PublicKey(priv);
      const pubC = noble.p256PublicKey(priv, true);
      for (const [, signer] of PROVIDERS) {
        const sig = signer.es256Sign(msg, priv);
        expect(sig).toHaveLength(64);
        for (const [, verifier] of PROVIDERS) {
          expect(verifier.es256Verify(sig, msg, pubU)).toBe(true);
          expect(verifier.es256Verify(sig, msg, pubC)).toBe(true);
          expect(verifier.es256Verify(flip(sig), msg, pubU)).toBe(false);
          expect(verifier.es256Verify(sig, flip(new Uint8Array([...msg, 1])), pubU)).toBe(false);
        }
      }
    }
  });

  it('same answers for bad keys and signatures', () => {
    const priv = bytes(32);
    const pub = noble.p256PublicKey(priv);
    const sig = noble.es256Sign(new Uint8Array(3), priv);
    const offCurve = pub.slice();
    offCurve[64] ^= 1;
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    sameCode((p) => p.p256PublicKey(new Uint8Array(32)), 'crypto.invalid_key');
    sameCode((p) => p.p256PublicKey(n), 'crypto.invalid_key');
    sameCode((p) => p.p256PublicKey(new Uint8Array(31)), 'crypto.invalid_key_length');
    sameCode((p) => p.es256Sign(new Uint8Array(3), new Uint8Array(32)), 'crypto.invalid_key');
    sameCode((p) => p.p256SharedSecret(priv, offCurve), 'crypto.invalid_key');
    sameCode((p) => p.p256SharedSecret(priv, new Uint8Array(33)), 'crypto.invalid_key');
    sameCode((p) => p.p256SharedSecret(priv, pub.subarray(0, 64)), 'crypto.invalid_key_length');
    for (const [, p] of PROVIDERS) {
      expect(p.es256Verify(sig, new Uint8Array(3), offCurve)).toBe(false);
      expect(p.es256Verify(new Uint8Array(64), new Uint8Array(3), pub)).toBe(false);
      expect(p.es256Verify(Buffer.concat([n, n]), new Uint8Array(3), pub)).toBe(false);
      expect(p.es256Verify(sig.subarray(0, 63), new Uint8Array(3), pub)).toBe(false);
    }
  });
});

describe('P-384, P-521, secp256k1', () => {
  type EcOps = { pub: 'p384PublicKey' | 'p521PublicKey' | 'secp256k1PublicKey'; ecdh?: 'p384SharedSecret' | 'p521SharedSecret'; size: number };
  const CURVES: [string, EcOps][] = [
    ['P-384', { pub: 'p384PublicKey', ecdh: 'p384SharedSecret', size: 48 }],
    ['P-521', { pub: 'p521PublicKey', ecdh: 'p521SharedSecret', size: 66 }],
    ['secp256k1', { pub: 'secp256k1PublicKey', size: 32 }],
  ];
  /** A valid scalar: random bytes with the top byte kept small (P-521: top 9 bits cleared to 0x00/0x01). */
  const scalar = (size: number): Uint8Array => {
    const k = bytes(size);
    k[0] = size === 66 ? k[0] & 1 : k[0] & 0x7f;
    return k;
  };
  for (const [name, o] of CURVES) {
    it(`${name}: same public keys${o.ecdh ? ' and ECDH secrets' : ''}, same rejections`, () => {
      for (let i = 0; i < ROUNDS / 2; i++) {
        const a = scalar(o.size);
        const b = scalar(o.size);
        sameBytes((p) => p[o.pub](a));
        const pbc = sameBytes((p) => p[o.pub](b, true));
        const pau = native[o.pub](a, false);
        if (!o.ecdh) continue;
        const ecdh = o.ecdh;
        const s = sameBytes((p) => p[ecdh](a, pbc));
        expect(s).toHaveLength(o.size);
        expect(hex(sameBytes((p) => p[ecdh](b, pau)))).toBe(hex(s));
        const off = pau.slice();
        off[off.length - 1] ^= 1;
        sameCode((p) => p[ecdh](b, off), 'crypto.invalid_key');
        sameCode((p) => p[ecdh](b, pau.subarray(1)), 'crypto.invalid_key_length');
      }
      sameCode((p) => p[o.pub](new Uint8Array(o.size)), 'crypto.invalid_key');
      sameCode((p) => p[o.pub](new Uint8Array(o.size + 1)), 'crypto.invalid_key_length');
      sameCode((p) => p[o.pub](new Uint8Array(o.size).fill(0xff)), 'crypto.invalid_key');
    });
  }

  it('ES256K: both sign low-S, each verifies the other, same rejections', () => {
    const half = BigInt('0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');
    for (let i = 0; i < ROUNDS; i++) {
      const priv = scalar(32);
      const msg = bytes(randomInt(0, 300));
      const pub = noble.secp256k1PublicKey(priv);
      for (const [, signer] of PROVIDERS) {
        const sig = signer.es256kSign(msg, priv);
        expect(BigInt('0x' + hex(sig.subarray(32))) <= half).toBe(true);
        for (const [, verifier] of PROVIDERS) {
          expect(verifier.es256kVerify(sig, msg, pub)).toBe(true);
          expect(verifier.es256kVerify(sig, msg, noble.secp256k1PublicKey(priv, true))).toBe(true);
          expect(verifier.es256kVerify(flip(sig), msg, pub)).toBe(false);
          expect(verifier.es256kVerify(sig, flip(new Uint8Array([...msg, 1])), pub)).toBe(false);
        }
      }
    }
    sameCode((p) => p.es256kSign(new Uint8Array(3), new Uint8Array(32)), 'crypto.invalid_key');
  });
});

describe('AEADs', () => {
  const NAMES: AeadName[] = ['A256CBC-HS512', 'A256GCM', 'C20P', 'XC20P'];
  for (const name of NAMES) {
    it(`${name}: same ciphertexts, cross decryption, same rejections`, () => {
      const spec = noble.aead[name];
      for (let i = 0; i < ROUNDS; i++) {
        const key = bytes(spec.keyLength);
        const iv = bytes(spec.ivLength);
        const pt = bytes(randomInt(0, 600));
        const aad = bytes(randomInt(0, 100));
        const a = noble.aead[name].encrypt(key, iv, pt, aad);
        const b = native.aead[name].encrypt(key, iv, pt, aad);
        expect(hex(b.ciphertext)).toBe(hex(a.ciphertext));
        expect(hex(b.tag)).toBe(hex(a.tag));
        expect(hex(native.aead[name].decrypt(key, iv, a.ciphertext, a.tag, aad))).toBe(hex(pt));
        expect(hex(noble.aead[name].decrypt(key, iv, b.ciphertext, b.tag, aad))).toBe(hex(pt));
        const { ciphertext: ct, tag } = a;
        if (ct.length > 0) sameCode((p) => p.aead[name].decrypt(key, iv, flip(ct), tag, aad), 'crypto.decrypt_failed');
        sameCode((p) => p.aead[name].decrypt(key, iv, ct, flip(tag), aad), 'crypto.decrypt_failed');
        sameCode((p) => p.aead[name].decrypt(key, flip(iv), ct, tag, aad), 'crypto.decrypt_failed');
        sameCode((p) => p.aead[name].decrypt(key, iv, ct, tag, flip(new Uint8Array([...aad, 0]))), 'crypto.decrypt_failed');
        sameCode((p) => p.aead[name].decrypt(key, iv, ct, tag.subarray(0, 8), aad), 'crypto.decrypt_failed');
      }
      const key = bytes(spec.keyLength);
      const iv = bytes(spec.ivLength);
      const e = new Uint8Array(0);
      sameCode((p) => p.aead[name].encrypt(key.subarray(1), iv, e, e), 'crypto.invalid_key_length');
      sameCode((p) => p.aead[name].decrypt(bytes(spec.keyLength + 1), iv, e, bytes(spec.tagLength), e), 'crypto.invalid_key_length');
      sameCode((p) => p.aead[name].encrypt(key, iv.subarray(1), e, e), 'crypto.invalid_iv_length');
      sameCode((p) => p.aead[name].decrypt(key, bytes(spec.ivLength + 1), e, bytes(spec.tagLength), e), 'crypto.invalid_iv_length');
    });
  }
});

describe('AES key wrap', () => {
  it('same wrapped keys, cross unwrap, same rejections', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const kek = bytes(32);
      const key = bytes(8 * randomInt(2, 9));
      const wrapped = sameBytes((p) => p.aesKeyWrap(kek, key));
      expect(hex(native.aesKeyUnwrap(kek, wrapped))).toBe(hex(key));
      expect(hex(noble.aesKeyUnwrap(kek, wrapped))).toBe(hex(key));
      sameCode((p) => p.aesKeyUnwrap(kek, flip(wrapped)), 'crypto.unwrap_failed');
      sameCode((p) => p.aesKeyUnwrap(flip(kek), wrapped), 'crypto.unwrap_failed');
      sameCode((p) => p.aesKeyUnwrap(kek, wrapped.subarray(0, wrapped.length - 1)), 'crypto.unwrap_failed');
    }
    sameCode((p) => p.aesKeyWrap(bytes(16), bytes(32)), 'crypto.invalid_key_length');
    sameCode((p) => p.aesKeyWrap(bytes(32), bytes(8)), 'crypto.invalid_key_length');
    sameCode((p) => p.aesKeyWrap(bytes(32), bytes(17)), 'crypto.invalid_key_length');
    sameCode((p) => p.aesKeyUnwrap(bytes(32), bytes(16)), 'crypto.unwrap_failed');
  });
});

describe('randomBytes', () => {
  it('both give fresh bytes of the asked length and refuse the same lengths', () => {
    for (const [, p] of PROVIDERS) {
      expect(p.randomBytes(0)).toHaveLength(0);
      expect(p.randomBytes(100000)).toHaveLength(100000);
      expect(hex(p.randomBytes(32))).not.toBe(hex(p.randomBytes(32)));
    }
    sameCode((p) => p.randomBytes(-1), 'crypto.invalid_length');
    sameCode((p) => p.randomBytes(0.5), 'crypto.invalid_length');
    sameCode((p) => p.randomBytes((1 << 20) + 1), 'crypto.invalid_length');
  });
});
