import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { base58btcDecode, base58btcEncode as base58 } from '../encoding/multibase.ts';
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.ts';
import { bytesToHex } from '../encoding/bytes.ts';
import {
  decodeKeyMultibase,
  ecPublicKeyBytes,
  jwkSecret,
  parseSecret,
  privateKeyFromJwk,
  privateKeyFromMultibase,
  privateKeyToJwk,
  privateKeyToMultibase,
  publicKeyFromJwk,
  publicKeyFromMultikey,
  publicKeyFromVerificationMethod,
  publicKeyToJwk,
  publicKeyToMultikey,
  type PrivateKey,
} from './keys.ts';
import type { DidDocument, Jwk, VerificationMethod } from './types.ts';

type Pair = { publicKeyJwk: Jwk; privateKeyJwk: Jwk };
const hex = bytesToHex;

function nistPairs(): Array<{ did: string } & Pair> {
  const v = readVectorJson<Record<string, { verificationMethod: Pair & { type: string } }>>('did-key/nist-curves.json');
  return Object.entries(v)
    .filter(([, e]) => e.verificationMethod.type === 'JsonWebKey2020')
    .map(([did, e]) => ({ did, ...e.verificationMethod }));
}

describe('JWK <-> raw', () => {
  it('EC JWKs of the did:key vectors: compressed form = the DID key, and back', () => {
    const pairs = nistPairs();
    expect(pairs).toHaveLength(6);
    const sizes: Record<string, number> = { 'P-256': 33, 'P-384': 49, 'P-521': 67 };
    for (const p of pairs) {
      const key = publicKeyFromJwk(p.publicKeyJwk);
      expect(key.kind).toBe(p.publicKeyJwk.crv);
      expect(key.bytes).toHaveLength(sizes[key.kind]);
      expect(`did:key:${publicKeyToMultikey(key)}`).toBe(p.did);
      expect(publicKeyToJwk(key)).toEqual(p.publicKeyJwk);
      expect(ecPublicKeyBytes(key, false)[0]).toBe(4);
    }
  });

  it('private JWKs (P-256/384/521, secp256k1, Ed25519, X25519) parse and re-emit identically', () => {
    const jwks: Jwk[] = nistPairs().map((p) => p.privateKeyJwk);
    const secp = readVectorJson<Record<string, { verificationKeyPair: Pair }>>('did-key/secp256k1.json');
    const ed = readVectorJson<Record<string, { verificationKeyPair: Pair; keyAgreementKeyPair: Pair }>>('did-key/ed25519-x25519.json');
    jwks.push(secp['did:key:zQ3shjmnWpSDEbYKpaFm4kTs9kXyqG6N2QwCYHNPP4yubqgJS'].verificationKeyPair.privateKeyJwk);
    const edEntry = ed['did:key:z6MkwYMhwTvsq376YBAcJHy3vyRWzBgn5vKfVqqDCgm7XVKU'];
    jwks.push(edEntry.verificationKeyPair.privateKeyJwk, edEntry.keyAgreementKeyPair.privateKeyJwk);
    for (const jwk of jwks) {
      const { privateKey, publicKey } = privateKeyFromJwk(jwk);
      expect(privateKey.kind).toBe(jwk.crv);
      expect(hex(publicKey.bytes)).toBe(hex(publicKeyFromJwk(jwk).bytes));
      expect(privateKeyToJwk(privateKey)).toEqual(jwk);
    }
  });

  it('secp256k1 legacy base58 private keys derive the vector public keys', () => {
    const v = readVectorJson<Record<string, { verificationKeyPair: Record<string, string> }>>('did-key/secp256k1.json');
    let n = 0;
    for (const e of Object.values(v)) {
      const kp = e.verificationKeyPair;
      if (!kp.privateKeyBase58) continue;
      const priv: PrivateKey = { kind: 'secp256k1', bytes: base58btcDecode(kp.privateKeyBase58) };
      const jwk = privateKeyToJwk(priv);
      const vm = { id: '#k', type: 'EcdsaSecp256k1VerificationKey2019', controller: 'did:x:y', publicKeyBase58: kp.publicKeyBase58 } as VerificationMethod;
      expect(hex(publicKeyFromJwk(jwk).bytes)).toBe(hex(publicKeyFromVerificationMethod(vm).bytes));
      n++;
    }
    expect(n).toBe(5);
  });

  it('rejects malformed JWKs with did.invalid_key', () => {
    const [p256] = nistPairs();
    const y = base64urlDecode(p256.publicKeyJwk.y!);
    y[31] ^= 1;
    expectCode(() => publicKeyFromJwk({ ...p256.publicKeyJwk, y: base64urlEncode(y) }), 'did.invalid_key'); // off the curve
    expectCode(() => publicKeyFromJwk({ ...p256.publicKeyJwk, y: undefined }), 'did.invalid_key');
    expectCode(() => publicKeyFromJwk({ ...p256.publicKeyJwk, x: 'a+b/' }), 'did.invalid_key');
    expectCode(() => publicKeyFromJwk({ kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(new Uint8Array(31)) }), 'did.invalid_key');
    expectCode(() => publicKeyFromJwk({ crv: 'Ed25519', x: 'AA' } as unknown as Jwk), 'did.invalid_key');
    expectCode(() => publicKeyFromJwk(null as unknown as Jwk), 'did.invalid_key');
  });

  it('rejects unsupported key types with did.unsupported_key_type', () => {
    expectCode(() => publicKeyFromJwk({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }), 'did.unsupported_key_type');
    expectCode(() => publicKeyFromJwk({ kty: 'OKP', crv: 'Ed448', x: 'AA' }), 'did.unsupported_key_type');
    expectCode(() => publicKeyFromJwk({ kty: 'EC', crv: 'brainpoolP256r1', x: 'AA', y: 'AA' }), 'did.unsupported_key_type');
  });

  it('a private JWK whose public half belongs to another key is did.invalid_key', () => {
    const a = privateKeyToJwk({ kind: 'Ed25519', bytes: new Uint8Array(32).fill(1) });
    const b = privateKeyToJwk({ kind: 'Ed25519', bytes: new Uint8Array(32).fill(2) });
    expectCode(() => privateKeyFromJwk({ ...a, x: b.x }), 'did.invalid_key');
    expectCode(() => privateKeyFromJwk({ ...a, d: base64urlEncode(new Uint8Array(31)) }), 'did.invalid_key');
    expectCode(() => privateKeyFromJwk({ kty: 'EC', crv: 'P-256', d: base64urlEncode(new Uint8Array(32)) }), 'did.invalid_key'); // zero scalar
    // without x the public key is derived
    expect(privateKeyFromJwk({ kty: 'OKP', crv: 'Ed25519', d: a.d }).publicKey.bytes).toEqual(base64urlDecode(a.x!));
  });
});

describe('decodeKeyMultibase', () => {
  it('splits any key codec, usable or not, with DidErrors naming the member', () => {
    const rsa = Object.keys(readVectorJson<Record<string, unknown>>('did-key/rsa.json'))[0].slice('did:key:'.length);
    expect(decodeKeyMultibase(rsa, 'did:key').codec).toBe('rsa-pub');
    const ed = decodeKeyMultibase('z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp', 'publicKeyMultibase');
    expect(ed.codec).toBe('ed25519-pub');
    expect(ed.key).toHaveLength(32);
    expectCode(() => decodeKeyMultibase('6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp', 'x'), 'did.invalid_key');
    expectCode(() => decodeKeyMultibase('z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0', 'x'), 'did.invalid_key');
    expectCode(() => decodeKeyMultibase(`z${base58(new Uint8Array([0x12, 0x20, ...new Uint8Array(32)]))}`, 'x'), 'did.unsupported_key_type');
    expectCode(() => decodeKeyMultibase(42 as unknown as string, 'x'), 'did.invalid_key');
  });
});

describe('Multikey private keys', () => {
  it('ed25519-priv and x25519-priv round trip', () => {
    for (const kind of ['Ed25519', 'X25519'] as const) {
      const key: PrivateKey = { kind, bytes: new Uint8Array(32).fill(7) };
      const mb = privateKeyToMultibase(key);
      expect(mb[0]).toBe('z');
      const back = privateKeyFromMultibase(mb);
      expect(back.privateKey.kind).toBe(kind);
      expect(hex(back.privateKey.bytes)).toBe(hex(key.bytes));
      expect(back.publicKey.kind).toBe(kind);
    }
    // the multicodec tells the kinds apart
    const ed = privateKeyToMultibase({ kind: 'Ed25519', bytes: new Uint8Array(32) });
    const x = privateKeyToMultibase({ kind: 'X25519', bytes: new Uint8Array(32) });
    expect(ed).not.toBe(x);
  });

  it('a public Multikey is not a private key', () => {
    expectCode(() => privateKeyFromMultibase('z6Mkj3PUd1WjvaDhNZhhhXQdz5UnZXmS7ehtx8bsPpD47kKc'), 'did.unsupported_key_type');
    expectCode(() => privateKeyFromMultibase('u7QE'), 'did.invalid_key');
  });
});

describe('secrets', () => {
  it('parses the JWK, Multikey and bare-JWK (DIDComm appendix) forms', () => {
    const priv: PrivateKey = { kind: 'Ed25519', bytes: new Uint8Array(32).fill(9) };
    const jwkForm = jwkSecret('did:example:a#k1', priv);
    expect(jwkForm.type).toBe('JsonWebKey2020');
    const a = parseSecret(jwkForm);
    const b = parseSecret({ id: 'did:example:a#k1', type: 'Multikey', privateKeyMultibase: privateKeyToMultibase(priv) });
    const c = parseSecret({ kid: 'did:example:a#k1', ...jwkForm.privateKeyJwk });
    for (const s of [a, b, c]) {
      expect(s.id).toBe('did:example:a#k1');
      expect(hex(s.privateKey.bytes)).toBe(hex(priv.bytes));
      expect(hex(s.publicKey.bytes)).toBe(hex(a.publicKey.bytes));
    }
  });

  it('DIDComm appendix: Alice secrets match the keys in her DID document', () => {
    const secrets = readVectorJson<Jwk[]>('didcomm/alice-secrets.json');
    const doc = readVectorJson<DidDocument>('didcomm/alice-did-doc.json');
    const methods = [...(doc.authentication ?? []), ...(doc.keyAgreement ?? [])].filter((m) => typeof m !== 'string') as VerificationMethod[];
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) {
      const parsed = parseSecret(s);
      const vm = methods.find((m) => m.id === parsed.id)!;
      expect(vm).toBeDefined();
      expect(hex(publicKeyFromVerificationMethod(vm).bytes)).toBe(hex(parsed.publicKey.bytes));
    }
  });

  it('rejects malformed secrets', () => {
    expectCode(() => parseSecret(null), 'did.invalid_key');
    expectCode(() => parseSecret({ id: 'x', type: 'Bls12381G2Key2020' }), 'did.unsupported_key_type');
    expectCode(() => parseSecret({ type: 'JsonWebKey2020', privateKeyJwk: { kty: 'OKP', crv: 'X25519', d: 'AA' } }), 'did.invalid_key');
    expectCode(() => parseSecret({ id: 'did:x:y#k', type: 'JsonWebKey2020', privateKeyJwk: { kty: 'OKP', crv: 'X25519', d: 'AA' } }), 'did.invalid_key');
  });
});

describe('publicKeyFromVerificationMethod', () => {
  const ctl = 'did:example:1';
  const edMb = 'z6Mkj3PUd1WjvaDhNZhhhXQdz5UnZXmS7ehtx8bsPpD47kKc';
  const xMb = 'z6LSg8zQom395jKLrGiBNruB9MM6V8PWuf2FpEy4uRFiqQBR';
  const edRaw = publicKeyFromMultikey(edMb).bytes;
  const xRaw = publicKeyFromMultikey(xMb).bytes;

  it('reads every supported type to the same key', () => {
    const edForms: VerificationMethod[] = [
      { id: '#a', controller: ctl, type: 'Multikey', publicKeyMultibase: edMb },
      { id: '#a', controller: ctl, type: 'Ed25519VerificationKey2020', publicKeyMultibase: edMb },
      { id: '#a', controller: ctl, type: 'Ed25519VerificationKey2018', publicKeyBase58: base58(edRaw) },
      { id: '#a', controller: ctl, type: 'JsonWebKey2020', publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(edRaw) } },
      { id: '#a', controller: ctl, type: 'JsonWebKey', publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(edRaw) } },
    ];
    for (const vm of edForms) {
      const k = publicKeyFromVerificationMethod(vm);
      expect(k.kind).toBe('Ed25519');
      expect(hex(k.bytes)).toBe(hex(edRaw));
    }
    const xForms: VerificationMethod[] = [
      { id: '#b', controller: ctl, type: 'X25519KeyAgreementKey2020', publicKeyMultibase: xMb },
      { id: '#b', controller: ctl, type: 'X25519KeyAgreementKey2019', publicKeyBase58: base58(xRaw) },
    ];
    for (const vm of xForms) expect(hex(publicKeyFromVerificationMethod(vm).bytes)).toBe(hex(xRaw));
    const k1 = 'zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme';
    const k1Jwk = publicKeyToJwk(publicKeyFromMultikey(k1));
    const k1Forms: VerificationMethod[] = [
      { id: '#d', controller: ctl, type: 'EcdsaSecp256k1VerificationKey2019', publicKeyBase58: '23o6Sau8NxxzXcgSc3PLcNxrzrZpbLeBn1izfv3jbKhuv' },
      { id: '#d', controller: ctl, type: 'EcdsaSecp256k1VerificationKey2019', publicKeyJwk: k1Jwk } as unknown as VerificationMethod,
    ];
    for (const vm of k1Forms) expect(hex(publicKeyFromVerificationMethod(vm).bytes)).toBe(hex(publicKeyFromMultikey(k1).bytes));
    const p256 = 'zDnaeTiq1PdzvZXUaMdezchcMJQpBdH2VN4pgrrEhMCCbmwSb';
    const legacy: VerificationMethod = { id: '#c', controller: ctl, type: 'P256Key2021', publicKeyBase58: 'ekVhkcBFq3w7jULLkBVye6PwaTuMbhJYuzwFnNcgQAPV' };
    expect(hex(publicKeyFromVerificationMethod(legacy).bytes)).toBe(hex(publicKeyFromMultikey(p256).bytes));
  });

  it('a key of the wrong kind for its type is did.invalid_key', () => {
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'Ed25519VerificationKey2020', publicKeyMultibase: xMb }), 'did.invalid_key');
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'X25519KeyAgreementKey2019', publicKeyBase58: base58(new Uint8Array(33)) }), 'did.invalid_key');
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'Multikey' } as unknown as VerificationMethod), 'did.invalid_key');
    expectCode(
      () => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'JsonWebKey2020', publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(edRaw), d: 'AA' } }),
      'did.invalid_key',
    );
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'Multikey', publicKeyMultibase: edMb.slice(1) }), 'did.invalid_key');
    // the key must sit in its suite's member
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'JsonWebKey2020', publicKeyMultibase: edMb } as unknown as VerificationMethod), 'did.invalid_key');
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'Ed25519VerificationKey2018', publicKeyMultibase: edMb } as unknown as VerificationMethod), 'did.invalid_key');
  });

  it('an unknown type is did.unsupported_key_type', () => {
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'Bls12381G2Key2020', publicKeyBase58: 'abc' }), 'did.unsupported_key_type');
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl } as unknown as VerificationMethod), 'did.invalid_key');
    expectCode(() => publicKeyFromVerificationMethod({ id: '#a', controller: ctl, type: 'constructor', publicKeyMultibase: edMb } as unknown as VerificationMethod), 'did.unsupported_key_type');
  });
});
