import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { base58btcDecode, base58btcEncode } from '../encoding/multibase.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../encoding/bytes.ts';
import { createDidKey, didKeyFromPublicKey, publicKeyFromDidKey, resolveDidKey, type DidKeyPublicKeyFormat } from './key.ts';
import { parseSecret, publicKeyFromVerificationMethod } from './keys.ts';
import type { DidDocument } from './types.ts';

type Vectors = Record<string, { seed?: string; didDocument: DidDocument; keyAgreementKeyPair?: Record<string, any> }>;

/** The publicKeyFormat a vector's document was produced with = the type of its first method. */
function formatOf(doc: DidDocument): DidKeyPublicKeyFormat {
  return doc.verificationMethod![0].type as DidKeyPublicKeyFormat;
}

function checkFile(file: string, docs: Record<string, DidDocument>): number {
  let n = 0;
  for (const [did, expected] of Object.entries(docs)) {
    const got = resolveDidKey(did, { publicKeyFormat: formatOf(expected) });
    expect(got, `${file} ${did}`).toEqual(expected);
    n++;
  }
  return n;
}

describe('did:key vectors (w3c-ccg/did-method-key)', () => {
  it('ed25519-x25519.json: Ed25519 with derived X25519, legacy 2018/2019 and JsonWebKey2020', () => {
    const v = readVectorJson<Vectors>('did-key/ed25519-x25519.json');
    const docs = Object.fromEntries(Object.entries(v).map(([did, e]) => [did, e.didDocument]));
    expect(checkFile('ed25519-x25519', docs)).toBe(5);
  });

  it('x25519.json: key-agreement-only documents', () => {
    const v = readVectorJson<{ didDocument: Record<string, DidDocument> }>('did-key/x25519.json');
    expect(checkFile('x25519', v.didDocument)).toBe(4);
  });

  it('nist-curves.json: P-256, P-384, P-521 (JsonWebKey2020, decompressed) and P256Key2021', () => {
    const v = readVectorJson<Vectors>('did-key/nist-curves.json');
    const docs = Object.fromEntries(Object.entries(v).map(([did, e]) => [did, e.didDocument]));
    expect(checkFile('nist-curves', docs)).toBe(7);
  });

  it('secp256k1.json: EcdsaSecp256k1VerificationKey2019 and JsonWebKey2020', () => {
    const v = readVectorJson<Vectors>('did-key/secp256k1.json');
    const docs = Object.fromEntries(Object.entries(v).map(([did, e]) => [did, e.didDocument]));
    expect(checkFile('secp256k1', docs)).toBe(6);
  });

  it('rsa.json and bls12381.json: unsupported key types', () => {
    for (const file of ['did-key/rsa.json', 'did-key/bls12381.json']) {
      const dids = Object.keys(readVectorJson<Record<string, unknown>>(file));
      expect(dids.length).toBeGreaterThan(0);
      for (const did of dids) expectCode(() => resolveDidKey(did), 'did.unsupported_key_type');
    }
  });

  it('createDidKey from the vector seeds gives the vector DIDs and X25519 private keys', () => {
    const v = readVectorJson<Vectors>('did-key/ed25519-x25519.json');
    for (const [did, e] of Object.entries(v)) {
      const seed = hexToBytes(e.seed!);
      const created = createDidKey({ seed });
      expect(created.did).toBe(did);
      const [ed, x] = created.secrets;
      expect(ed.privateKeyJwk.d).toBe(base64urlEncode(seed));
      const kp = e.keyAgreementKeyPair!;
      const expectedXd = kp.privateKeyJwk ? kp.privateKeyJwk.d : base64urlEncode(base58btcDecode(kp.privateKeyBase58));
      expect(x.privateKeyJwk.d).toBe(expectedXd);
      // the X25519 secret's id is the keyAgreement method of the (vector) document
      expect(x.id).toBe(e.didDocument.keyAgreement![0]);
    }
  });
});

describe('did:key resolution (Multikey default)', () => {
  const did = 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp';
  const xId = `${did}#z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW`;

  it('builds Multikey methods with the multikey context and derived key agreement', () => {
    const doc = resolveDidKey(did);
    expect(doc).toEqual({
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: did,
      verificationMethod: [
        { id: `${did}#${did.slice(8)}`, type: 'Multikey', controller: did, publicKeyMultibase: did.slice(8) },
        { id: xId, type: 'Multikey', controller: did, publicKeyMultibase: xId.split('#')[1] },
      ],
      assertionMethod: [`${did}#${did.slice(8)}`],
      authentication: [`${did}#${did.slice(8)}`],
      capabilityInvocation: [`${did}#${did.slice(8)}`],
      capabilityDelegation: [`${did}#${did.slice(8)}`],
      keyAgreement: [xId],
    });
  });

  it('2020 suites: Ed25519VerificationKey2020 + X25519KeyAgreementKey2020', () => {
    const doc = resolveDidKey(did, { publicKeyFormat: 'Ed25519VerificationKey2020' });
    expect(doc['@context']).toEqual([
      'https://www.w3.org/ns/did/v1',
      'https://w3id.org/security/suites/ed25519-2020/v1',
      'https://w3id.org/security/suites/x25519-2020/v1',
    ]);
    expect(doc.verificationMethod!.map((m) => m.type)).toEqual(['Ed25519VerificationKey2020', 'X25519KeyAgreementKey2020']);
    expect(publicKeyFromVerificationMethod(doc.verificationMethod![1]).kind).toBe('X25519');
  });

  it('enableEncryptionKeyDerivation: false leaves out keyAgreement for Ed25519', () => {
    const doc = resolveDidKey(did, { enableEncryptionKeyDerivation: false });
    expect(doc.verificationMethod).toHaveLength(1);
    expect(doc.keyAgreement).toBeUndefined();
    expect(doc.authentication).toHaveLength(1);
  });

  it('P-256 keys stay in keyAgreement whatever the derivation flag', () => {
    const p = 'did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv';
    const doc = resolveDidKey(p, { enableEncryptionKeyDerivation: false });
    expect(doc.keyAgreement).toEqual([`${p}#${p.slice(8)}`]);
    expect(publicKeyFromDidKey(p).kind).toBe('P-256');
  });

  it('a publicKeyFormat that cannot express the key is did.unsupported_key_type', () => {
    const p = 'did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv';
    expectCode(() => resolveDidKey(p, { publicKeyFormat: 'Ed25519VerificationKey2018' }), 'did.unsupported_key_type');
    expectCode(() => resolveDidKey(did, { publicKeyFormat: 'P256Key2021' }), 'did.unsupported_key_type');
    expectCode(() => resolveDidKey(did, { publicKeyFormat: 'Bogus' as DidKeyPublicKeyFormat }), 'did.unsupported_key_type');
    expectCode(() => resolveDidKey(did, { publicKeyFormat: 'toString' as DidKeyPublicKeyFormat }), 'did.unsupported_key_type');
  });

  it('didKeyFromPublicKey inverts publicKeyFromDidKey', () => {
    const key = publicKeyFromDidKey(did);
    expect(didKeyFromPublicKey('ed25519-pub', key.bytes)).toBe(did);
    expect(didKeyFromPublicKey(key)).toBe(did);
    expectCode(() => didKeyFromPublicKey('rsa-pub', key.bytes), 'did.unsupported_key_type');
    expectCode(() => didKeyFromPublicKey('ed25519-pub', key.bytes.subarray(1)), 'did.invalid_key');
  });
});

describe('createDidKey', () => {
  it('round trip: random key, document = resolution, secrets match their methods', () => {
    const created = createDidKey();
    const doc = created.document;
    expect(created.did.startsWith('did:key:z6Mk')).toBe(true);
    expect(created.document).toEqual(resolveDidKey(created.did));
    expect(created.secrets).toHaveLength(2);
    const ids = doc.verificationMethod!.map((m) => m.id);
    for (const [i, secret] of created.secrets.entries()) {
      expect(secret.type).toBe('JsonWebKey2020');
      expect(secret.id).toBe(ids[i]);
      const parsed = parseSecret(secret);
      const vmKey = publicKeyFromVerificationMethod(doc.verificationMethod![i]);
      expect(parsed.publicKey.kind).toBe(vmKey.kind);
      expect(bytesToHex(parsed.publicKey.bytes)).toBe(bytesToHex(vmKey.bytes));
    }
    expect(created.secrets[0].privateKeyJwk.crv).toBe('Ed25519');
    expect(created.secrets[1].privateKeyJwk.crv).toBe('X25519');
    expect(doc.authentication).toEqual([created.secrets[0].id]);
    expect(doc.keyAgreement).toEqual([created.secrets[1].id]);
    expect(createDidKey().did).not.toBe(created.did);
  });

  it('rejects a seed that is not 32 bytes', () => {
    expectCode(() => createDidKey({ seed: new Uint8Array(31) }), 'did.invalid_key');
  });
});

describe('malformed did:key', () => {
  const ed = base58btcDecode('6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp');

  it('syntax errors are did.invalid', () => {
    for (const s of ['', 'did:key', 'did:key:', 'did:KEY:z6Mk', 'did:key:z6Mk#frag', 'did:key:z6Mk!']) {
      expectCode(() => resolveDidKey(s), 'did.invalid');
    }
  });

  it('a multibase prefix other than z is did.invalid', () => {
    expectCode(() => resolveDidKey('did:key:6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'), 'did.invalid');
    expectCode(() => resolveDidKey('did:key:u7QGR'), 'did.invalid');
    expectCode(() => resolveDidKey('did:key:1:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'), 'did.invalid');
  });

  it('bad base58 is did.invalid_key', () => {
    // 0, O, I and l are not in the base58btc alphabet
    expectCode(() => resolveDidKey('did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0'), 'did.invalid_key');
    expectCode(() => resolveDidKey('did:key:zOIl'), 'did.invalid_key');
  });

  it('a multicodec that is not a supported public key is did.unsupported_key_type', () => {
    // sha2-256 multihash (0x12 0x20 ...) and ed25519-priv (0x1300)
    const hash = concatBytes(new Uint8Array([0x12, 0x20]), new Uint8Array(32));
    expectCode(() => resolveDidKey(`did:key:z${base58btcEncode(hash)}`), 'did.unsupported_key_type');
    const priv = concatBytes(new Uint8Array([0x80, 0x26]), new Uint8Array(32).fill(1));
    expectCode(() => resolveDidKey(`did:key:z${base58btcEncode(priv)}`), 'did.unsupported_key_type');
  });

  it('a wrong key length is did.invalid_key', () => {
    expectCode(() => resolveDidKey(`did:key:z${base58btcEncode(ed.subarray(0, ed.length - 1))}`), 'did.invalid_key');
    expectCode(() => resolveDidKey(`did:key:z${base58btcEncode(concatBytes(ed, new Uint8Array([0])))}`), 'did.invalid_key');
    expectCode(() => resolveDidKey(`did:key:z${base58btcEncode(ed.subarray(0, 2))}`), 'did.invalid_key');
  });

  it('an Ed25519 key that is not a curve point is did.invalid_key (when deriving X25519)', () => {
    const notAPoint = didKeyFromPublicKey('ed25519-pub', new Uint8Array(32).fill(2));
    expectCode(() => resolveDidKey(notAPoint), 'did.invalid_key');
  });

  it('a P-256 key that is not a curve point is did.invalid_key', () => {
    const p = base58btcDecode('DnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169');
    const bad = new Uint8Array(p);
    bad[2] = 0x05; // SEC1 prefix must be 02 or 03
    expectCode(() => resolveDidKey(`did:key:z${base58btcEncode(bad)}`), 'did.invalid_key');
  });
});
