/**
 * Issue -> verify round trips with did:key issuers, and everything that must
 * make verification fail: tampering with any field, one-character edits of
 * the JSON text, wrong purpose, unauthorized keys, validity windows, proof
 * sets and chains, malformed shapes.
 */
import { describe, expect, it } from 'vitest';
import { expectCode, expectCodeAsync } from '../../tests/support/assert.ts';
import { getCrypto } from '../crypto/index.ts';
import { createDidKey } from '../did/key.ts';
import { publicKeyToMultikey } from '../did/keys.ts';
import { createDefaultResolver, createStaticResolver } from '../did/resolver.ts';
import type { DidDocument } from '../did/types.ts';
import { base58btcDecode } from '../encoding/multibase.ts';
import type { DataIntegrityProof, VerifiableCredential } from './credential.ts';
import { addProof, createProof, verifyProof } from './data-integrity.ts';
import { encodeProofValue } from './eddsa-jcs-2022.ts';
import { issueCredential } from './issue.ts';
import { ed25519Signer, type Signer } from './signer.ts';
import { verifyCredential } from './verify.ts';

function seed(n: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + n) & 0xff);
}

function didKeyParty(n: number): { did: string; vm: string; signer: Signer } {
  const s = seed(n);
  const { did } = createDidKey({ seed: s });
  const vm = `${did}#${did.slice('did:key:'.length)}`;
  return { did, vm, signer: ed25519Signer(vm, s) };
}

const A = didKeyParty(1);
const B = didKeyParty(2);
const resolver = createDefaultResolver();
const NOW = new Date('2026-06-01T00:00:00Z');
const CREATED = '2025-06-01T00:00:00Z';

function unsignedCredential(issuer: string = A.did): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    id: 'urn:uuid:0b4f1d0e-5a2c-4c8e-9d7a-3f6e2b1c0a99',
    type: ['VerifiableCredential', 'DeviceCertificate'],
    name: 'Device certificate',
    issuer,
    validFrom: '2025-01-01T00:00:00Z',
    validUntil: '2030-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:grinder-0042', model: 'Encore', serial: 'SN-0042', class: 'grinder' },
    credentialStatus: {
      id: 'https://status.example/lists/1#42',
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '42',
      statusListCredential: 'https://status.example/lists/1',
    },
  };
}

async function issued(): Promise<VerifiableCredential & { proof: DataIntegrityProof }> {
  return (await issueCredential(unsignedCredential(), { signer: A.signer, created: CREATED })) as VerifiableCredential & {
    proof: DataIntegrityProof;
  };
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

async function codesOf(credential: unknown, opts: { now?: Date; expectedProofPurpose?: string } = {}): Promise<string[]> {
  const r = await verifyCredential(credential, { resolver, now: opts.now ?? NOW, expectedProofPurpose: opts.expectedProofPurpose });
  expect(r.verified).toBe(r.errors.length === 0);
  for (const e of r.errors) {
    expect(typeof e.code).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  }
  return r.errors.map((e) => e.code);
}

describe('issue -> verify round trip (did:key issuer)', () => {
  it('verifies a freshly issued credential', async () => {
    const vc = await issued();
    expect(vc.proof.type).toBe('DataIntegrityProof');
    expect(vc.proof.cryptosuite).toBe('eddsa-jcs-2022');
    expect(vc.proof.proofPurpose).toBe('assertionMethod');
    expect(vc.proof.verificationMethod).toBe(A.vm);
    expect(vc.proof.created).toBe(CREATED);
    expect(vc.proof['@context']).toEqual(vc['@context']);
    expect(base58btcDecode((vc.proof.proofValue as string).slice(1))).toHaveLength(64);
    const r = await verifyCredential(vc, { resolver, now: NOW });
    expect(r).toEqual({ verified: true, errors: [] });
  });

  it('verifies the JSON text too, and an issuer given as an object', async () => {
    const vc = await issued();
    expect(await codesOf(JSON.stringify(vc))).toEqual([]);
    const withObject = await issueCredential({ ...unsignedCredential(), issuer: { id: A.did, name: 'ACME' } }, { signer: A.signer, now: NOW });
    expect(await codesOf(withObject)).toEqual([]);
  });

  it('uses `now` for the default created, at second precision', async () => {
    const vc = await issueCredential(unsignedCredential(), { signer: A.signer, now: new Date('2026-05-05T05:05:05.000Z') });
    expect((vc.proof as DataIntegrityProof).created).toBe('2026-05-05T05:05:05Z');
  });

  it('does not modify its input', async () => {
    const input = unsignedCredential();
    const before = JSON.stringify(input);
    await issueCredential(input, { signer: A.signer, now: NOW });
    expect(JSON.stringify(input)).toBe(before);
  });

  it('works with an asynchronous signer (wallet / secure element)', async () => {
    const asyncSigner: Signer = {
      verificationMethod: A.vm,
      algorithm: 'Ed25519',
      sign: async (data) => A.signer.sign(data),
    };
    const vc = await issueCredential(unsignedCredential(), { signer: asyncSigner, created: CREATED });
    expect(vc.proof).toEqual((await issued()).proof);
  });

  it('refuses bad shapes, existing proofs and a signer of another DID', async () => {
    const noContext = unsignedCredential();
    delete noContext['@context'];
    await expectCodeAsync(() => issueCredential(noContext, { signer: A.signer }), 'vc.invalid_context');
    await expectCodeAsync(() => issueCredential({ ...unsignedCredential(), validFrom: 'tomorrow' }, { signer: A.signer }), 'vc.invalid_datetime');
    const vc = await issued();
    await expectCodeAsync(() => issueCredential(vc, { signer: A.signer }), 'vc.proof_present');
    await expectCodeAsync(() => createProof(vc, { signer: A.signer }), 'vc.proof_present');
    await expectCodeAsync(() => issueCredential(unsignedCredential(), { signer: B.signer }), 'vc.issuer_mismatch');
    await expectCodeAsync(() => issueCredential(unsignedCredential(), { signer: A.signer, created: '2025-06-01' }), 'vc.invalid_datetime');
    await expectCodeAsync(
      () => issueCredential(unsignedCredential(), { signer: A.signer, created: CREATED, expires: '2025-05-01T00:00:00Z' }),
      'vc.invalid_datetime',
    );
    expectCode(() => ed25519Signer(A.vm, new Uint8Array(31)), 'vc.invalid_signer');
    expectCode(() => ed25519Signer('', seed(1)), 'vc.invalid_signer');
    const badSigner: Signer = { verificationMethod: A.vm, algorithm: 'Ed25519', sign: () => new Uint8Array(10) };
    await expectCodeAsync(() => issueCredential(unsignedCredential(), { signer: badSigner }), 'vc.invalid_signer');
  });
});

describe('tampering with a signed credential', () => {
  type Edit = [field: string, value: unknown, code: string];
  const topLevelChanges: Edit[] = [
    ['@context', ['https://www.w3.org/ns/credentials/v2', 'https://example.org/other/v1'], 'vc.context_mismatch'],
    ['id', 'urn:uuid:0b4f1d0e-5a2c-4c8e-9d7a-3f6e2b1c0a98', 'vc.invalid_signature'],
    ['type', ['VerifiableCredential', 'OwnerImprint'], 'vc.invalid_signature'],
    ['name', 'Device certificate!', 'vc.invalid_signature'],
    ['issuer', B.did, 'vc.invalid_signature'],
    ['validFrom', '2025-01-01T00:00:01Z', 'vc.invalid_signature'],
    ['validUntil', '2031-01-01T00:00:00Z', 'vc.invalid_signature'],
    ['credentialSubject', { id: 'did:example:grinder-0042', model: 'Encore', serial: 'SN-0043', class: 'grinder' }, 'vc.invalid_signature'],
    ['credentialStatus', { ...unsignedCredential().credentialStatus as object, statusListIndex: '43' }, 'vc.invalid_signature'],
  ];

  it('covers every top-level field of the credential', async () => {
    const vc = await issued();
    expect(topLevelChanges.map((c) => c[0]).sort()).toEqual(Object.keys(vc).filter((k) => k !== 'proof').sort());
  });

  for (const [field, value, code] of topLevelChanges) {
    it(`changing ${field} fails with ${code}`, async () => {
      const vc = clone(await issued()) as Record<string, unknown>;
      vc[field] = value;
      const codes = await codesOf(vc);
      expect(codes).toContain(code);
    });
  }

  it('changing the issuer to another DID is also an issuer mismatch', async () => {
    const vc = clone(await issued());
    vc.issuer = B.did;
    expect(await codesOf(vc)).toEqual(['vc.invalid_signature', 'vc.issuer_mismatch']);
  });

  const removals: Array<[string, string]> = [
    ['@context', 'vc.invalid_context'],
    ['id', 'vc.invalid_signature'],
    ['type', 'vc.invalid_type'],
    ['name', 'vc.invalid_signature'],
    ['issuer', 'vc.invalid_issuer'],
    ['validFrom', 'vc.invalid_signature'],
    ['validUntil', 'vc.invalid_signature'],
    ['credentialSubject', 'vc.invalid_subject'],
    ['credentialStatus', 'vc.invalid_signature'],
    ['proof', 'vc.missing_proof'],
  ];
  for (const [field, code] of removals) {
    it(`removing ${field} fails with ${code}`, async () => {
      const vc = clone(await issued()) as Record<string, unknown>;
      delete vc[field];
      const codes = await codesOf(vc);
      expect(codes).toContain(code);
      if (field !== '@context' && field !== 'proof') expect(codes).toContain('vc.invalid_signature');
    });
  }

  for (const [field, value] of [
    ['description', 'added later'],
    ['evidence', [{ type: 'Evidence' }]],
    ['validUntil2', '2031-01-01T00:00:00Z'],
  ] as const) {
    it(`adding ${field} fails with vc.invalid_signature`, async () => {
      const vc = clone(await issued()) as Record<string, unknown>;
      vc[field] = value;
      expect(await codesOf(vc)).toEqual(['vc.invalid_signature']);
    });
  }

  const proofChanges: Edit[] = [
    ['type', 'Ed25519Signature2020', 'vc.unsupported_proof_type'],
    ['cryptosuite', 'eddsa-rdfc-2022', 'vc.unsupported_cryptosuite'],
    ['created', '2025-06-01T00:00:01Z', 'vc.invalid_signature'],
    ['verificationMethod', B.vm, 'vc.invalid_signature'],
    ['proofPurpose', 'authentication', 'vc.wrong_proof_purpose'],
    ['@context', ['https://www.w3.org/ns/credentials/v2'], 'vc.invalid_signature'],
    ['proofValue', 'TO_FLIP', 'vc.invalid_signature'],
  ];

  it('covers every proof field', async () => {
    const vc = await issued();
    expect(proofChanges.map((c) => c[0]).sort()).toEqual(Object.keys(vc.proof).sort());
  });

  for (const [field, value, code] of proofChanges) {
    it(`changing proof.${field} fails with ${code}`, async () => {
      const vc = clone(await issued());
      let v = value;
      if (v === 'TO_FLIP') {
        const sig = base58btcDecode(vc.proof.proofValue!.slice(1));
        sig[17] ^= 0x01;
        v = encodeProofValue(sig);
      }
      (vc.proof as Record<string, unknown>)[field] = v;
      expect(await codesOf(vc)).toContain(code);
    });
  }

  it('a proof key of another DID is also an issuer mismatch', async () => {
    const vc = clone(await issued());
    vc.proof.verificationMethod = B.vm;
    expect(await codesOf(vc)).toEqual(['vc.invalid_signature', 'vc.issuer_mismatch']);
  });

  const proofRemovals: Array<[string, string]> = [
    ['type', 'vc.invalid_proof'],
    ['cryptosuite', 'vc.unsupported_cryptosuite'],
    ['created', 'vc.invalid_signature'],
    ['verificationMethod', 'vc.invalid_proof'],
    ['proofPurpose', 'vc.invalid_proof'],
    ['@context', 'vc.invalid_signature'],
    ['proofValue', 'vc.invalid_proof_value'],
  ];
  for (const [field, code] of proofRemovals) {
    it(`removing proof.${field} fails with ${code}`, async () => {
      const vc = clone(await issued());
      delete (vc.proof as Record<string, unknown>)[field];
      expect(await codesOf(vc)).toEqual([code]);
    });
  }

  const proofAdditions: Array<[string, unknown, string]> = [
    ['nonce', 'abc', 'vc.invalid_signature'],
    ['domain', 'example.org', 'vc.invalid_signature'],
    ['challenge', 'c-1', 'vc.invalid_signature'],
    ['expires', '2099-01-01T00:00:00Z', 'vc.invalid_signature'],
    ['id', 'urn:uuid:1', 'vc.invalid_signature'],
    ['extra', { any: 'thing' }, 'vc.invalid_signature'],
  ];
  for (const [field, value, code] of proofAdditions) {
    it(`adding proof.${field} fails with ${code}`, async () => {
      const vc = clone(await issued());
      (vc.proof as Record<string, unknown>)[field] = value;
      expect(await codesOf(vc)).toEqual([code]);
    });
  }

  it('malformed proof values are reported, not thrown', async () => {
    const vc = await issued();
    const cases: Array<[unknown, string]> = [
      [null, 'vc.invalid_proof'],
      ['proof', 'vc.invalid_proof'],
      [[], 'vc.missing_proof'],
      [{ ...vc.proof, proofValue: 'z3' }, 'vc.invalid_proof_value'],
      [{ ...vc.proof, proofValue: 42 }, 'vc.invalid_proof_value'],
      [{ ...vc.proof, proofValue: 'u' + vc.proof.proofValue!.slice(1) }, 'vc.invalid_proof_value'],
      [{ ...vc.proof, created: 'yesterday' }, 'vc.invalid_proof'],
      [{ ...vc.proof, verificationMethod: 'https://example.org/key' }, 'vc.verification_method_not_found'],
      [{ ...vc.proof, verificationMethod: A.did }, 'vc.verification_method_not_found'],
      [{ ...vc.proof, verificationMethod: `${A.did}#nope` }, 'vc.verification_method_not_found'],
      [{ ...vc.proof, verificationMethod: 'did:unknown:abc#k' }, 'vc.verification_method_not_found'],
      [{ ...vc.proof, proofPurpose: 'somethingElse' }, 'vc.unauthorized_key'],
    ];
    for (const [proof, code] of cases) {
      expect(await codesOf({ ...vc, proof }), JSON.stringify(proof)).toContain(code);
    }
  });

  it('a one-character change anywhere in the JSON text is rejected with a reason', async () => {
    const vc = await issued();
    const original = JSON.stringify(vc, null, 2);
    expect(await codesOf(original)).toEqual([]);
    const mutate = (ch: string): string => {
      if (ch >= 'a' && ch <= 'y') return String.fromCharCode(ch.charCodeAt(0) + 1);
      if (ch === 'z') return 'a';
      if (ch >= 'A' && ch <= 'Y') return String.fromCharCode(ch.charCodeAt(0) + 1);
      if (ch === 'Z') return 'A';
      if (ch >= '0' && ch <= '8') return String.fromCharCode(ch.charCodeAt(0) + 1);
      if (ch === '9') return '0';
      return 'x';
    };
    const samples = 50;
    let parsed = 0;
    let invalidJson = 0;
    const seen = new Set<number>();
    for (let k = 0; k < samples; k++) {
      let pos = Math.floor((k * original.length) / samples);
      // whitespace edits do not change the credential: move to the next significant character
      while (/\s/.test(original[pos])) pos++;
      if (seen.has(pos)) continue;
      seen.add(pos);
      const changed = original.slice(0, pos) + mutate(original[pos]) + original.slice(pos + 1);
      let isJson = true;
      try {
        JSON.parse(changed);
      } catch {
        isJson = false;
      }
      const r = await verifyCredential(changed, { resolver, now: NOW });
      const where = `position ${pos} (${JSON.stringify(original.slice(Math.max(0, pos - 10), pos + 10))})`;
      expect(r.verified, where).toBe(false);
      expect(r.errors.length, where).toBeGreaterThan(0);
      if (isJson) parsed++;
      else {
        invalidJson++;
        expect(r.errors.map((e) => e.code), where).toEqual(['vc.invalid_json']);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(45);
    expect(parsed).toBeGreaterThan(25);
    expect(invalidJson).toBeGreaterThan(0);
  });
});

describe('proof purpose and key authorization', () => {
  it('an authentication proof is rejected where assertionMethod is expected', async () => {
    const vc = await issueCredential(unsignedCredential(), { signer: A.signer, created: CREATED, proofPurpose: 'authentication' });
    expect(await codesOf(vc)).toEqual(['vc.wrong_proof_purpose']);
    expect(await codesOf(vc, { expectedProofPurpose: 'authentication' })).toEqual([]);
    const assertion = await issued();
    expect(await codesOf(assertion, { expectedProofPurpose: 'authentication' })).toEqual(['vc.wrong_proof_purpose']);
  });

  // A DID document (served statically) whose key may authenticate but not assert.
  const issuerDid = 'did:example:acme';
  const keyMb = A.did.slice('did:key:'.length);
  const doc = (assertion: boolean, controller = issuerDid): DidDocument => ({
    id: issuerDid,
    verificationMethod: [{ id: `${issuerDid}#key-1`, type: 'Multikey', controller, publicKeyMultibase: keyMb }],
    authentication: ['#key-1'],
    ...(assertion ? { assertionMethod: ['#key-1'] } : {}),
  });
  const signer = ed25519Signer(`${issuerDid}#key-1`, seed(1));

  it('a key listed in assertionMethod verifies', async () => {
    const vc = await issueCredential(unsignedCredential(issuerDid), { signer, created: CREATED });
    const r = await verifyCredential(vc, { resolver: createStaticResolver([doc(true)]), now: NOW });
    expect(r).toEqual({ verified: true, errors: [] });
  });

  it('a key not authorized for assertionMethod is vc.unauthorized_key', async () => {
    const vc = await issueCredential(unsignedCredential(issuerDid), { signer, created: CREATED });
    const r = await verifyCredential(vc, { resolver: createStaticResolver([doc(false)]), now: NOW });
    expect(r.errors.map((e) => e.code)).toEqual(['vc.unauthorized_key']);
  });

  it('a key controlled by another DID is vc.unauthorized_key', async () => {
    const vc = await issueCredential(unsignedCredential(issuerDid), { signer, created: CREATED });
    const r = await verifyCredential(vc, { resolver: createStaticResolver([doc(true, 'did:example:mallory')]), now: NOW });
    expect(r.errors.map((e) => e.code)).toEqual(['vc.unauthorized_key']);
  });

  it('a non-Ed25519 key is vc.unsupported_key_type', async () => {
    const vc = await issueCredential(unsignedCredential(issuerDid), { signer, created: CREATED });
    const xKey = publicKeyToMultikey({ kind: 'X25519', bytes: getCrypto().x25519PublicKey(seed(1)) });
    const xDoc = doc(true);
    xDoc.verificationMethod = [{ id: `${issuerDid}#key-1`, type: 'Multikey', controller: issuerDid, publicKeyMultibase: xKey }];
    const r = await verifyCredential(vc, { resolver: createStaticResolver([xDoc]), now: NOW });
    expect(r.errors.map((e) => e.code)).toEqual(['vc.unsupported_key_type']);
  });

  it('domain and challenge are checked when the verifier asks for them', async () => {
    const vc = await addProof(unsignedCredential(), { signer: A.signer, created: CREATED, domain: 'shop.example', challenge: 'n-1' });
    const ok = await verifyProof(vc, { resolver, now: NOW, domain: 'shop.example', challenge: 'n-1' });
    expect(ok.errors).toEqual([]);
    const wrong = await verifyProof(vc, { resolver, now: NOW, domain: ['other.example'], challenge: 'n-2' });
    expect(wrong.errors.map((e) => e.code)).toEqual(['vc.invalid_domain', 'vc.invalid_challenge']);
    const plain = await issued();
    const missing = await verifyProof(plain, { resolver, now: NOW, domain: 'shop.example', challenge: 'n-1' });
    expect(missing.errors.map((e) => e.code)).toEqual(['vc.invalid_domain', 'vc.invalid_challenge']);
  });
});

describe('validity window and proof times against the supplied clock', () => {
  it('not yet valid / expired / valid at both bounds', async () => {
    const vc = await issued();
    expect(await codesOf(vc, { now: new Date('2025-06-01T00:00:00Z') })).toEqual([]);
    expect(await codesOf(vc, { now: new Date('2030-01-01T00:00:00Z') })).toEqual([]);
    expect(await codesOf(vc, { now: new Date('2030-01-01T00:00:01Z') })).toEqual(['vc.expired']);
    // validFrom is in January 2025 and the proof was created in June 2025
    expect(await codesOf(vc, { now: new Date('2024-12-31T00:00:00Z') })).toEqual(['vc.proof_created_in_future', 'vc.not_yet_valid']);
    const early = await issueCredential({ ...unsignedCredential(), validFrom: '2027-01-01T00:00:00Z' }, { signer: A.signer, created: CREATED });
    expect(await codesOf(early)).toEqual(['vc.not_yet_valid']);
  });

  it('proof expires and created in the future (with 5 minutes of clock skew tolerated)', async () => {
    const expiring = await issueCredential(unsignedCredential(), { signer: A.signer, created: CREATED, expires: '2026-01-01T00:00:00Z' });
    expect(await codesOf(expiring)).toEqual(['vc.proof_expired']);
    expect(await codesOf(expiring, { now: new Date('2025-12-31T00:00:00Z') })).toEqual([]);
    const future = await issueCredential(unsignedCredential(), { signer: A.signer, created: '2026-06-01T00:04:00Z' });
    expect(await codesOf(future)).toEqual([]);
    const farFuture = await issueCredential(unsignedCredential(), { signer: A.signer, created: '2026-06-01T00:06:00Z' });
    expect(await codesOf(farFuture)).toEqual(['vc.proof_created_in_future']);
    const strict = await verifyCredential(future, { resolver, now: NOW, clockSkewSeconds: 0 });
    expect(strict.errors.map((e) => e.code)).toEqual(['vc.proof_created_in_future']);
  });
});

describe('proof sets and chains', () => {
  it('a co-signature makes a proof set; each proof is verified', async () => {
    const vc = await issued();
    const set = await issueCredential(vc, { signer: B.signer, created: CREATED, addToProofSet: true });
    expect(Array.isArray(set.proof)).toBe(true);
    const proofs = set.proof as DataIntegrityProof[];
    expect(proofs).toHaveLength(2);
    expect(proofs[0]).toEqual(vc.proof);
    const r = await verifyProof(set, { resolver, now: NOW });
    expect(r.verified).toBe(true);
    expect(r.proofs.map((p) => p.controller)).toEqual([A.did, B.did]);
    expect(await codesOf(set)).toEqual([]);

    const tampered = clone(set) as typeof set;
    const sig = base58btcDecode((tampered.proof as DataIntegrityProof[])[1].proofValue!.slice(1));
    sig[0] ^= 0x80;
    (tampered.proof as DataIntegrityProof[])[1].proofValue = encodeProofValue(sig);
    const bad = await verifyCredential(tampered, { resolver, now: NOW });
    expect(bad.errors.map((e) => e.code)).toEqual(['vc.invalid_signature']);
    expect(bad.errors[0].message).toMatch(/^proof\[1\]/);
  });

  it('a set where no proof is by the issuer is an issuer mismatch', async () => {
    const byB = await addProof(unsignedCredential(), { signer: B.signer, created: CREATED });
    const r = await verifyCredential(byB, { resolver, now: NOW });
    expect(r.errors.map((e) => e.code)).toEqual(['vc.issuer_mismatch']);
  });

  it('a proof chain signs the proofs it names; removing one breaks the chain', async () => {
    const first = await issueCredential(unsignedCredential(), { signer: A.signer, created: CREATED, proofId: 'urn:uuid:proof-1' });
    const chained = await issueCredential(first, {
      signer: B.signer,
      created: CREATED,
      addToProofSet: true,
      previousProof: 'urn:uuid:proof-1',
    });
    const proofs = chained.proof as DataIntegrityProof[];
    expect(proofs[1].previousProof).toBe('urn:uuid:proof-1');
    expect(await codesOf(chained)).toEqual([]);
    // the chained proof covers proof-1: altering proof-1 breaks both
    const altered = clone(chained);
    (altered.proof as DataIntegrityProof[])[0].created = '2025-06-01T00:00:01Z';
    expect(await codesOf(altered)).toEqual(['vc.invalid_signature', 'vc.invalid_signature']);
    const orphan = { ...chained, proof: [proofs[1]] };
    expect(await codesOf(orphan)).toContain('vc.invalid_proof');
    await expectCodeAsync(
      () => issueCredential(first, { signer: B.signer, addToProofSet: true, previousProof: 'urn:uuid:missing' }),
      'vc.invalid_proof',
    );
  });
});

describe('bad input is reported, never thrown', () => {
  it('non-credentials', async () => {
    for (const v of [undefined, null, 0, true, [], 'not json', '{"a":', '[1,2]', '"str"']) {
      const r = await verifyCredential(v, { resolver, now: NOW });
      expect(r.verified).toBe(false);
      expect(r.errors.map((e) => e.code)).toEqual(['vc.invalid_json']);
    }
  });

  it('malformed shapes of a signed credential', async () => {
    const vc = await issued();
    const cases: Array<[(c: Record<string, unknown>) => void, string]> = [
      [(c) => delete c['@context'], 'vc.invalid_context'],
      [(c) => (c['@context'] = ['https://www.w3.org/2018/credentials/v1', 'https://www.w3.org/ns/credentials/examples/v2']), 'vc.invalid_context'],
      [(c) => delete c.type, 'vc.invalid_type'],
      [(c) => (c.type = 'DeviceCertificate'), 'vc.invalid_type'],
      [(c) => delete c.issuer, 'vc.invalid_issuer'],
      [(c) => (c.issuer = { name: 'nobody' }), 'vc.invalid_issuer'],
      [(c) => (c.validFrom = '2025-01-01T00:00:00'), 'vc.invalid_datetime'],
      [(c) => (c.validUntil = '2030-01-01'), 'vc.invalid_datetime'],
      [(c) => (c.validUntil = '2024-01-01T00:00:00Z'), 'vc.invalid_validity_period'],
      [(c) => (c.credentialSubject = []), 'vc.invalid_subject'],
      [(c) => (c.credentialStatus = { id: 'https://status.example/1#1' }), 'vc.invalid_status'],
    ];
    for (const [mutate, code] of cases) {
      const c = clone(vc) as Record<string, unknown>;
      mutate(c);
      const codes = await codesOf(c);
      expect(codes[0], code).toBe(code);
    }
  });

  it('a verifier without a resolver or with an invalid clock', async () => {
    const vc = await issued();
    const r = await verifyCredential(vc, { resolver: undefined as never, now: NOW });
    expect(r.errors.map((e) => e.code)).toEqual(['vc.invalid_options']);
    const t = await verifyCredential(vc, { resolver, now: new Date(NaN) });
    expect(t.errors.map((e) => e.code)).toEqual(['vc.invalid_options']);
  });

  it('a resolver that throws a foreign error is reported', async () => {
    const vc = await issued();
    const broken = { resolve: async (): Promise<DidDocument> => { throw new TypeError('boom'); } };
    const r = await verifyCredential(vc, { resolver: broken, now: NOW });
    expect(r.errors.map((e) => e.code)).toEqual(['vc.verification_method_not_found']);
  });
});
