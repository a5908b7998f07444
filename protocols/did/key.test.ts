import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { base58btcDecode, base58btcEncode } from '../encoding/multibase.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../encoding/bytes.ts';
import { encodeMultikey, type KeyCodec } from '../encoding/multikey.ts';
import { createDidKey, didKeyFromPublicKey, publicKeyFromDidKey, resolveDidKey, type DidKeyPublicKeyFormat } from './key.ts';
import { parseSecret, publicKeyFromVerificationMethod } from './keys.ts';
import type { DidDocument, Jwk } from './types.ts';

type Vectors = Record<
  string,
  { seed?: string; didDocument: DidDocument; keyAgreementKeyPair?: Record<string, any>; verificationKeyPair?: Record<string, any> }
>;

/** The publicKeyFormat a vector's document was produced with = the type of its first method. */
function formatOf(doc: DidDocument): DidKeyPublicKeyFormat {
  return doc.verificationMethod![0].type as DidKeyPublicKeyFormat;
}

/** checkFile over a did-key/<name>.json of the `{did: {didDocument, ...}}` shape, optionally only some DIDs. */
function checkVectorFile(name: string, only: (did: string) => boolean = () => true): number {
  const v = readVectorJson<Vectors>(`did-key/${name}.json`);
  return checkFile(name, Object.fromEntries(Object.entries(v).filter(([did]) => only(did)).map(([did, e]) => [did, e.didDocument])));
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
    expect(checkVectorFile('ed25519-x25519')).toBe(5);
  });

  it('x25519.json: key-agreement-only documents', () => {
    const v = readVectorJson<{ didDocument: Record<string, DidDocument> }>('did-key/x25519.json');
    expect(checkFile('x25519', v.didDocument)).toBe(4);
  });

  it('nist-curves.json: P-256, P-384, P-521 (JsonWebKey2020, decompressed) and P256Key2021', () => {
    expect(checkVectorFile('nist-curves')).toBe(7);
  });

  it('secp256k1.json: EcdsaSecp256k1VerificationKey2019 and JsonWebKey2020', () => {
    expect(checkVectorFile('secp256k1')).toBe(6);
  });

  it('rsa.json: RSA keys as JsonWebKey2020 {kty: RSA, n, e} (display only)', () => {
    expect(checkVectorFile('rsa')).toBe(2);
  });

  it('bls12381.json: BLS12-381 G2 keys as Bls12381G2Key2020 (display only)', () => {
    expect(checkVectorFile('bls12381', (did) => did.startsWith('did:key:zUC7'))).toBe(5);
    const v = readVectorJson<Vectors>('did-key/bls12381.json');
    for (const [did, e] of Object.entries(v)) {
      if (did.startsWith('did:key:zUC7')) expect(resolveDidKey(did, { publicKeyFormat: 'Bls12381G2Key2020' }).verificationMethod![0].publicKeyBase58).toBe(e.verificationKeyPair!.publicKeyBase58);
    }
  });

  it('bls12381.json G1G2 (z5Tc...): the vector\'s G1 method, plus the G2 half it omits (w3c-ccg/did-key-spec#68)', () => {
    const v = readVectorJson<Vectors>('did-key/bls12381.json');
    const [did, entry] = Object.entries(v).find(([d]) => d.startsWith('did:key:z5Tc'))!;
    expect(Object.keys(v)).toHaveLength(6); // 5 G2 keys + this one: every DID of the file is covered
    // G2 fragment as issue #68 gives it; its key bytes, independently of the resolver.
    const g2Mb = 'zUC7DoT62Gx3pHVGS5nHYVTEn8eU8QKhnymUruv6NPQcrwrp7UvPRBVPfMoPn2xWdvJh65zouu48eqvRW49cZt1x3eYy5pU87dLbwHKZT2qBZAMwLZuJDaQDxda6ejZkNoc2dVp';
    const g2Id = `${did}#${g2Mb}`;
    const g2Bytes = base58btcDecode(g2Mb.slice(1)).subarray(2);
    expect(bytesToHex(base58btcDecode(did.slice(9)))).toBe('ee01' + bytesToHex(base58btcDecode(entry.didDocument.verificationMethod![0].id.split('#')[1].slice(1)).subarray(2)) + bytesToHex(g2Bytes));
    const expected = JSON.parse(JSON.stringify(entry.didDocument)) as DidDocument;
    expected.verificationMethod!.push({
      id: g2Id,
      type: 'JsonWebKey2020',
      controller: did,
      publicKeyJwk: { kty: 'EC', crv: 'BLS12381_G2', x: base64urlEncode(g2Bytes) },
    });
    for (const rel of ['assertionMethod', 'authentication', 'capabilityInvocation', 'capabilityDelegation'] as const) {
      (expected[rel] as string[]).push(g2Id);
    }
    const got = resolveDidKey(did, { publicKeyFormat: 'JsonWebKey2020' });
    expect(got).toEqual(expected);
    expect(got.verificationMethod![0]).toEqual(entry.didDocument.verificationMethod![0]);
    const pair = resolveDidKey(did, { publicKeyFormat: 'Bls12381G2Key2020' });
    expect(pair.verificationMethod!.map((m) => [m.id, m.type])).toEqual([
      [entry.didDocument.verificationMethod![0].id, 'Bls12381G1Key2020'],
      [g2Id, 'Bls12381G2Key2020'],
    ]);
    expect(pair['@context']).toEqual(['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/bls12381-2020/v1']);
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

describe('RSA and BLS12-381 did:keys resolve for display only', () => {
  const rsaDids = (): string[] => Object.keys(readVectorJson<Vectors>('did-key/rsa.json'));
  const blsDids = (): string[] => Object.keys(readVectorJson<Vectors>('did-key/bls12381.json'));
  const rsaDid = 'did:key:z4MXj1wBzi9jUstyPMS4jQqB6KdJaiatPkAtVtGc6bQEQEEsKTic4G7Rou3iBf9vPmT5dbkm9qsZsuVNjq8HCuW1w24nhBFGkRE4cd2Uf2tfrB3N7h4mnyPp1BF3ZttHTYv3DLUPi1zMdkULiow3M1GfXkoC6DoxDUm1jmN6GBj22SjVsr6dxezRVQc7aj9TxE7JLbMH1wh5X3kA58H3DFW8rnYMakFGbca5CB2Jf6CnGQZmL7o5uJAdTwXfy2iiiyPxXEGerMhHwhjTA1mKYobyk2CpeEcmvynADfNZ5MBvcCS7m3XkFCMNUYBS9NQ3fze6vMSUPsNa6GVYmKx2x6JrdEjCk3qRMMmyjnjCMfR4pXbRMZa3i';
  const g2Did = 'did:key:zUC7K4ndUaGZgV7Cp2yJy6JtMoUHY6u7tkcSYUvPrEidqBmLCTLmi6d5WvwnUqejscAkERJ3bfjEiSYtdPkRSE8kSa11hFBr4sTgnbZ95SJj19PN2jdvJjyzpSZgxkyyxNnBNnY';

  it('every method of every format is did.unsupported_key_type for crypto use, as is publicKeyFromDidKey', () => {
    let checked = 0;
    const cases: Array<[string[], DidKeyPublicKeyFormat[]]> = [
      [rsaDids(), ['Multikey', 'JsonWebKey2020']],
      [blsDids(), ['Multikey', 'JsonWebKey2020', 'Bls12381G2Key2020']],
    ];
    for (const [did, formats] of cases.flatMap(([dids, f]) => dids.map((d) => [d, f] as const))) {
      expectCode(() => publicKeyFromDidKey(did), 'did.unsupported_key_type');
      for (const publicKeyFormat of formats) {
        for (const vm of resolveDidKey(did, { publicKeyFormat }).verificationMethod!) {
          expectCode(() => publicKeyFromVerificationMethod(vm), 'did.unsupported_key_type');
          checked++;
        }
      }
    }
    expect(checked).toBe(2 * 2 + 5 * 3 + 2 * 3);
  });

  it('default Multikey format: the DID\'s own multibase; RSA also under keyAgreement, BLS not', () => {
    const rsa = resolveDidKey(rsaDid);
    const rsaId = `${rsaDid}#${rsaDid.slice(8)}`;
    expect(rsa.verificationMethod).toEqual([{ id: rsaId, type: 'Multikey', controller: rsaDid, publicKeyMultibase: rsaDid.slice(8) }]);
    expect(rsa.keyAgreement).toEqual([rsaId]);
    expect(rsa.authentication).toEqual([rsaId]);
    const bls = resolveDidKey(g2Did);
    expect(bls.verificationMethod![0].publicKeyMultibase).toBe(g2Did.slice(8));
    expect(bls.keyAgreement).toBeUndefined();
    expect(bls.assertionMethod).toEqual([`${g2Did}#${g2Did.slice(8)}`]);
    expect(bls['@context']).toEqual(['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1']);
  });

  it('G2 as JsonWebKey2020 and formats that cannot express the key', () => {
    const jwk = resolveDidKey(g2Did, { publicKeyFormat: 'JsonWebKey2020' }).verificationMethod![0].publicKeyJwk as Jwk;
    expect(jwk.kty).toBe('EC');
    expect(jwk.crv).toBe('BLS12381_G2');
    expect(base64urlEncode(base58btcDecode(g2Did.slice(9)).subarray(2))).toBe(jwk.x);
    expectCode(() => resolveDidKey(rsaDid, { publicKeyFormat: 'Bls12381G2Key2020' }), 'did.unsupported_key_type');
    expectCode(() => resolveDidKey(rsaDid, { publicKeyFormat: 'Ed25519VerificationKey2018' }), 'did.unsupported_key_type');
    expectCode(() => resolveDidKey(g2Did, { publicKeyFormat: 'P256Key2021' }), 'did.unsupported_key_type');
    expectCode(() => resolveDidKey('did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp', { publicKeyFormat: 'Bls12381G1Key2020' }), 'did.unsupported_key_type');
  });

  it('malformed RSA DER and BLS points are did.invalid_key', () => {
    const did = (codec: KeyCodec, key: Uint8Array): string => `did:key:${encodeMultikey(codec, key)}`;
    // outer SEQUENCE fine (the Multikey layer accepts it), inside not two INTEGERs
    expectCode(() => resolveDidKey(did('rsa-pub', hexToBytes('3006040101020103'))), 'did.invalid_key');
    expectCode(() => resolveDidKey(did('rsa-pub', hexToBytes('300702020001020103'))), 'did.invalid_key');
    // the outer length wrong: caught by the Multikey layer, still did.invalid_key
    expectCode(() => resolveDidKey(`did:key:z${base58btcEncode(concatBytes(hexToBytes('8524'), hexToBytes('3007020101020103')))}`), 'did.invalid_key');
    expect(resolveDidKey(did('rsa-pub', hexToBytes('3006020101020103')), { publicKeyFormat: 'JsonWebKey2020' }).verificationMethod![0].publicKeyJwk).toEqual({
      kty: 'RSA',
      n: 'AQ',
      e: 'Aw',
    });
    const g2 = base58btcDecode(g2Did.slice(9)).subarray(2);
    const uncompressedFlag = Uint8Array.from(g2);
    uncompressedFlag[0] &= 0x7f;
    expectCode(() => resolveDidKey(did('bls12_381-g2-pub', uncompressedFlag)), 'did.invalid_key');
    const infinity = new Uint8Array(96);
    infinity[0] = 0xc0;
    expectCode(() => resolveDidKey(did('bls12_381-g2-pub', infinity)), 'did.invalid_key');
    const g1 = new Uint8Array(48).fill(0x11);
    g1[0] = 0x91;
    expect(resolveDidKey(did('bls12_381-g1-pub', g1), { publicKeyFormat: 'Bls12381G1Key2020' }).verificationMethod![0].type).toBe('Bls12381G1Key2020');
    expectCode(() => resolveDidKey(did('bls12_381-g1g2-pub', concatBytes(g1, uncompressedFlag))), 'did.invalid_key');
    expectCode(() => resolveDidKey(did('bls12_381-g1g2-pub', concatBytes(g1.map(() => 0x11), g2))), 'did.invalid_key');
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
