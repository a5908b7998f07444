/**
 * W3C vc-di-eddsa test vectors for eddsa-jcs-2022: every intermediate value
 * (canonical document, canonical proof config, both hashes, the combined
 * hash, the signature, proofValue, the signed credential) is reproduced.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson, readVectorText } from '../../tests/support/vectors.ts';
import { getCrypto } from '../crypto/index.ts';
import { createDefaultResolver } from '../did/resolver.ts';
import { bytesToHex, utf8Encode } from '../encoding/bytes.ts';
import { canonicalize } from '../encoding/jcs.ts';
import { base58btcDecode } from '../encoding/multibase.ts';
import { addProof, createProof, verifyProof } from './data-integrity.ts';
import {
  decodeProofValue,
  encodeProofValue,
  hashDataJcs,
  proofConfigurationJcs,
  transformJcs,
  verifyProofJcs,
} from './eddsa-jcs-2022.ts';
import { ed25519Signer } from './signer.ts';
import { verifyCredential } from './verify.ts';

const DIR = 'vc-di-eddsa/eddsa-jcs-2022/';
const unsigned = readVectorJson<Record<string, unknown>>('vc-di-eddsa/unsigned.json');
const keyPair = readVectorJson<{ publicKeyMultibase: string; privateKeyMultibase: string }>('vc-di-eddsa/keyPair.json');
const proofConfig = readVectorJson<Record<string, unknown>>(DIR + 'proofConfigJCS.json');
const signedText = readVectorText(DIR + 'signedJCS.json');
const signed = JSON.parse(signedText) as Record<string, unknown> & { proof: Record<string, unknown> };
const text = (name: string): string => readVectorText(DIR + name).trim();

const VM = `did:key:${keyPair.publicKeyMultibase}#${keyPair.publicKeyMultibase}`;
const SUITE = { type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022' };

/** privateKeyMultibase = z + base58btc(0x80 0x26 (ed25519-priv varint) || 32-byte seed). */
function seedFromKeyPair(): Uint8Array {
  const raw = base58btcDecode(keyPair.privateKeyMultibase.slice(1));
  expect(keyPair.privateKeyMultibase[0]).toBe('z');
  expect(raw.length).toBe(34);
  expect([raw[0], raw[1]]).toEqual([0x80, 0x26]);
  return raw.slice(2);
}

function publicKeyFromKeyPair(): Uint8Array {
  const raw = base58btcDecode(keyPair.publicKeyMultibase.slice(1));
  expect([raw[0], raw[1]]).toEqual([0xed, 0x01]);
  return raw.slice(2);
}

describe('eddsa-jcs-2022 W3C vectors', () => {
  it('the key pair is consistent (seed -> public key)', () => {
    expect(bytesToHex(getCrypto().ed25519PublicKey(seedFromKeyPair()))).toBe(bytesToHex(publicKeyFromKeyPair()));
  });

  it('transformation: JCS of unsigned.json equals canonDocJCS.txt', () => {
    const canon = readVectorText(DIR + 'canonDocJCS.txt');
    expect(canonicalize(unsigned)).toBe(canon);
    expect(transformJcs(unsigned, SUITE)).toBe(canon);
  });

  it('proof configuration: JCS of proofConfigJCS.json equals proofCanonJCS.txt', () => {
    const canon = readVectorText(DIR + 'proofCanonJCS.txt');
    expect(canonicalize(proofConfig)).toBe(canon);
    expect(proofConfigurationJcs(proofConfig)).toBe(canon);
  });

  it('document hash, proof hash and combined hash (proof hash first)', () => {
    const c = getCrypto();
    const docHash = bytesToHex(c.sha256(utf8Encode(readVectorText(DIR + 'canonDocJCS.txt'))));
    const proofHash = bytesToHex(c.sha256(utf8Encode(readVectorText(DIR + 'proofCanonJCS.txt'))));
    expect(docHash).toBe(text('docHashJCS.txt'));
    expect(proofHash).toBe(text('proofHashJCS.txt'));
    const combined = hashDataJcs(transformJcs(unsigned, SUITE), proofConfigurationJcs(proofConfig));
    expect(combined).toHaveLength(64);
    expect(bytesToHex(combined)).toBe(text('combinedHashJCS.txt'));
    expect(bytesToHex(combined)).toBe(proofHash + docHash);
  });

  it('signature over the combined hash and its proofValue', async () => {
    const combined = hashDataJcs(transformJcs(unsigned, SUITE), proofConfigurationJcs(proofConfig));
    const sig = await ed25519Signer(VM, seedFromKeyPair()).sign(combined);
    expect(bytesToHex(sig)).toBe(text('sigHexJCS.txt'));
    expect(encodeProofValue(sig)).toBe(text('sigBTC58JCS.txt'));
    expect(bytesToHex(decodeProofValue(text('sigBTC58JCS.txt')))).toBe(text('sigHexJCS.txt'));
    expect(getCrypto().ed25519Verify(sig, combined, publicKeyFromKeyPair())).toBe(true);
  });

  it('createProof over unsigned.json reproduces signedJCS.json exactly (key order included)', async () => {
    const signer = ed25519Signer(VM, seedFromKeyPair());
    const proof = await createProof(unsigned, { signer, created: '2023-02-24T23:36:38Z' });
    expect(proof).toEqual(signed.proof);
    expect(JSON.stringify({ ...unsigned, proof }, null, 2)).toBe(signedText.trim());
    const viaAdd = await addProof(unsigned, { signer, created: new Date(Date.UTC(2023, 1, 24, 23, 36, 38)) });
    expect(JSON.stringify(viaAdd)).toBe(JSON.stringify(signed));
    expect(unsigned.proof).toBeUndefined();
  });

  it('verifyProofJcs accepts the vector signature and rejects another key', () => {
    const { proof, ...doc } = signed;
    expect(verifyProofJcs(doc, proof as never, publicKeyFromKeyPair())).toBe(true);
    const other = getCrypto().ed25519PublicKey(new Uint8Array(32).fill(9));
    expect(verifyProofJcs(doc, proof as never, other)).toBe(false);
  });

  it('verifyProof (Data Integrity layer) accepts signedJCS.json', async () => {
    const r = await verifyProof(signed, { resolver: createDefaultResolver(), now: new Date('2024-01-01T00:00:00Z') });
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.proofs).toHaveLength(1);
    expect(r.proofs[0].controller).toBe(`did:key:${keyPair.publicKeyMultibase}`);
  });

  it('verifyCredential reports vc.issuer_mismatch only: the https issuer does not control the did:key', async () => {
    const r = await verifyCredential(signed, { resolver: createDefaultResolver(), now: new Date('2024-01-01T00:00:00Z') });
    expect(r.verified).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(['vc.issuer_mismatch']);
    // same answer from the JSON text as published
    const fromText = await verifyCredential(signedText, { resolver: createDefaultResolver(), now: new Date('2024-01-01T00:00:00Z') });
    expect(fromText.errors.map((e) => e.code)).toEqual(['vc.issuer_mismatch']);
  });

  it('the proof @context must be a prefix of the document @context', async () => {
    const resolver = createDefaultResolver();
    const now = new Date('2024-01-01T00:00:00Z');
    // appending a context after signing keeps the proof valid (spec: the proof's @context is used)
    const extended = { ...signed, '@context': [...(signed['@context'] as string[]), 'https://example.org/extra/v1'] };
    expect((await verifyProof(extended, { resolver, now })).verified).toBe(true);
    // reordering or dropping one is a mismatch
    const reordered = { ...signed, '@context': [...(signed['@context'] as string[])].reverse() };
    const r1 = await verifyProof(reordered, { resolver, now });
    expect(r1.errors.map((e) => e.code)).toEqual(['vc.context_mismatch']);
    const dropped = { ...signed, '@context': [(signed['@context'] as string[])[0]] };
    const r2 = await verifyProof(dropped, { resolver, now });
    expect(r2.errors.map((e) => e.code)).toEqual(['vc.context_mismatch']);
  });

  it('proofValue decoding is strict', () => {
    const good = text('sigBTC58JCS.txt');
    expectCode(() => decodeProofValue(good.slice(1)), 'vc.invalid_proof_value');
    expectCode(() => decodeProofValue('u' + good.slice(1)), 'vc.invalid_proof_value');
    expectCode(() => decodeProofValue(good.slice(0, -3)), 'vc.invalid_proof_value');
    expectCode(() => decodeProofValue(good + '2'), 'vc.invalid_proof_value');
    expectCode(() => decodeProofValue(good.slice(0, 10) + '0' + good.slice(11)), 'vc.invalid_proof_value');
    expectCode(() => decodeProofValue(undefined), 'vc.invalid_proof_value');
    expectCode(() => decodeProofValue('z'), 'vc.invalid_proof_value');
  });

  it('proof configuration rejects other suites and a bad created', () => {
    expectCode(() => proofConfigurationJcs({ ...proofConfig, cryptosuite: 'eddsa-rdfc-2022' }), 'vc.unsupported_cryptosuite');
    expectCode(() => proofConfigurationJcs({ ...proofConfig, type: 'Ed25519Signature2020' }), 'vc.unsupported_proof_type');
    expectCode(() => proofConfigurationJcs({ ...proofConfig, created: '2023-02-24' }), 'vc.invalid_proof');
    expectCode(() => transformJcs(unsigned, { type: 'DataIntegrityProof', cryptosuite: 'ecdsa-jcs-2019' }), 'vc.unsupported_cryptosuite');
  });
});
