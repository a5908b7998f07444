/**
 * Downstream-DID chains: root -> industry body -> manufacturer, verified
 * step by step. Valid chains (bundle and metadata forms), broken
 * signatures, rotated keys with and without re-attestation (downstream and
 * upstream), wrong root date or code, constraint violations, cycles, and
 * resolution failures — each with its reason code.
 */
import { describe, expect, it } from 'vitest';
import { expectCode, expectCodeAsync } from '../../tests/support/assert.ts';
import type { DidDocument } from '../did/types.ts';
import { base58btcDecode, base58btcEncode } from '../encoding/multibase.ts';
import { createProof } from '../vc/data-integrity.ts';
import { attestDocument, documentDigest, documentForDigest, embedAttestation, findAttestation, type DownstreamAttestation, type LinkConstraints } from './attestation.ts';
import { staticChainSource, verifyChain, type ChainEntry, type ChainVerification } from './chain.ts';
import { confirmationCode, isIsoDate, rootPinFor } from './root.ts';
import { docParty, rotated, type DocParty } from './testing.ts';

const R = docParty('root', 11);
const A = docParty('industry', 12);
const MF = docParty('baratza', 13);
const SUB = docParty('subsidiary', 14);
const FAKE = docParty('fake-root', 15);
const CREATED = '2025-03-01T00:00:00Z';
const NOW = new Date('2026-01-01T00:00:00Z');
const ROOT_CREATED = '2025-01-15T10:00:00Z';
const ROOT_DATE = '2025-01-15';
const PIN = rootPinFor(R.document, ROOT_DATE);

async function attest(doc: DidDocument, upstream: DocParty, constraints?: LinkConstraints, expires?: string): Promise<DownstreamAttestation> {
  return attestDocument(doc, { signer: upstream.signer, constraints, created: CREATED, expires });
}

async function attested(doc: DidDocument, upstream: DocParty, constraints?: LinkConstraints): Promise<DidDocument> {
  return embedAttestation(doc, await attest(doc, upstream, constraints));
}

const A_LIMITS: LinkConstraints = { maxPathLength: 1, credentialTypes: ['DeviceCertificate', 'FirmwareRelease'] };
const MF_LIMITS: LinkConstraints = { maxPathLength: 0, credentialTypes: ['DeviceCertificate'] };

async function world(): Promise<{ root: ChainEntry; a: DidDocument; mf: DidDocument }> {
  return {
    root: { document: R.document, metadata: { created: ROOT_CREATED } },
    a: await attested(A.document, R, A_LIMITS),
    mf: await attested(MF.document, A, MF_LIMITS),
  };
}

function codes(v: ChainVerification): string[] {
  return v.problems.map((p) => p.code);
}

async function check(entries: (ChainEntry | DidDocument)[], did = MF.did, extra: { credentialType?: string; root?: typeof PIN | { date: string; code: string } } = {}): Promise<ChainVerification> {
  return verifyChain(did, { root: extra.root ?? PIN, source: staticChainSource(entries), credentialType: extra.credentialType ?? 'DeviceCertificate', now: NOW });
}

describe('root pins', () => {
  it('derive a base32 code from the root document and the date', () => {
    const code = confirmationCode(R.document, ROOT_DATE);
    // docs/trust.md's worked example, recomputed with Python (hashlib, base64.b32encode, json sort_keys)
    expect(code).toBe('bb7wr5x2');
    expect(confirmationCode(R.document, ROOT_DATE, 16).startsWith(code)).toBe(true);
    expect(confirmationCode(R.document, '2025-01-16')).not.toBe(code);
    expect(confirmationCode(rotated(R, 99).document, ROOT_DATE)).not.toBe(code);
    // the attestation service (if a root carried one) is not part of the code
    expect(confirmationCode({ ...R.document, proof: { x: 1 } } as DidDocument, ROOT_DATE)).toBe(code);
    expect(PIN).toEqual({ did: R.did, date: ROOT_DATE, code });
    expectCode(() => confirmationCode(R.document, '2025-02-30'), 'trust.invalid_argument');
    expectCode(() => confirmationCode(R.document, ROOT_DATE, 3), 'trust.invalid_argument');
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
  });
});

describe('valid chains', () => {
  it('verify root -> industry body -> manufacturer, each step explained', async () => {
    const w = await world();
    const v = await check([w.root, w.a, w.mf]);
    expect(v.problems).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.chain).toEqual([R.did, A.did, MF.did]);
    expect(v.root).toBe(R.did);
    expect(v.allowedCredentialTypes).toEqual(['DeviceCertificate']);
    expect(v.steps.filter((s) => s.level === 0).map((s) => s.check)).toEqual(['resolve', 'root']);
    expect(v.steps.filter((s) => s.level === 2).map((s) => s.check)).toEqual(['resolve', 'attestation', 'digest', 'signature', 'constraints', 'constraints']);
    expect(v.steps.every((s) => s.ok && s.message.length > 0)).toBe(true);
  });

  it('accept a pin without the DID, and the root itself', async () => {
    const w = await world();
    expect((await check([w.root, w.a, w.mf], MF.did, { root: { date: PIN.date, code: PIN.code } })).valid).toBe(true);
    const self = await check([w.root], R.did);
    expect(self.valid).toBe(true);
    expect(self.chain).toEqual([R.did]);
  });

  it('read the attestation from resolution metadata (Trustchain style)', async () => {
    const att = await attest(MF.document, A, MF_LIMITS);
    const w = await world();
    const v = await check([w.root, w.a, { document: MF.document, metadata: { proof: att } }]);
    expect(v.valid).toBe(true);
    expect(findAttestation(MF.document, { proof: att }).attestation).toEqual(att);
  });

  it('hash the document without its attestation', async () => {
    const w = await world();
    expect(documentDigest(w.mf)).toBe(documentDigest(MF.document));
    expect(documentForDigest(w.mf)).toEqual(MF.document);
    expect(w.mf.service).toHaveLength(1);
  });
});

describe('broken signatures', () => {
  it('a flipped bit in the upstream signature', async () => {
    const w = await world();
    const att = findAttestation(w.mf).attestation as DownstreamAttestation;
    const sig = base58btcDecode(att.proof.proofValue!.slice(1));
    sig[10] ^= 1;
    const bad = embedAttestation(MF.document, { ...att, proof: { ...att.proof, proofValue: 'z' + base58btcEncode(sig) } });
    const v = await check([w.root, w.a, bad]);
    expect(v.valid).toBe(false);
    expect(codes(v)).toEqual(['trust.invalid_signature']);
    expect(v.steps.find((s) => !s.ok)).toMatchObject({ level: 2, did: MF.did, check: 'signature' });
  });

  it('constraints loosened after signing', async () => {
    const w = await world();
    const att = findAttestation(w.mf).attestation as DownstreamAttestation;
    const loose = embedAttestation(MF.document, { ...att, constraints: { maxPathLength: 5 } });
    expect(codes(await check([w.root, w.a, loose]))).toEqual(['trust.invalid_signature']);
  });

  it('an attestation signed by someone else in the upstream\'s name', async () => {
    const w = await world();
    // the root's key (in the chain) put in an attestation that names the industry body
    const byRoot = await attest(MF.document, R, MF_LIMITS);
    expect(codes(await check([w.root, w.a, embedAttestation(MF.document, { ...byRoot, upstream: A.did })]))).toEqual(['trust.invalid_signature']);
    // the same, signed over `upstream: A` so the signature holds: the key is still not the upstream's
    const { proof: _p, ...body } = { ...byRoot, upstream: A.did };
    const proof = await createProof(body, { signer: R.signer, created: CREATED });
    const v = await check([w.root, w.a, embedAttestation(MF.document, { ...body, proof } as DownstreamAttestation)]);
    expect(codes(v)).toEqual(['trust.upstream_mismatch']);
    // a key outside the chain (the forger's own DID) cannot be the upstream's
    const forged = await attest(MF.document, FAKE, MF_LIMITS);
    expect(codes(await check([w.root, w.a, embedAttestation(MF.document, { ...forged, upstream: A.did }), FAKE.document]))).toEqual(['trust.upstream_key_unknown']);
  });

  it('a copied attestation on another DID', async () => {
    const w = await world();
    const att = findAttestation(w.mf).attestation as DownstreamAttestation;
    const copied = embedAttestation(SUB.document, att);
    expect(codes(await check([w.root, w.a, copied], SUB.did))).toEqual(['trust.subject_mismatch', 'trust.document_mismatch']);
  });

  it('an expired attestation', async () => {
    const w = await world();
    const att = await attest(MF.document, A, MF_LIMITS, '2025-12-31T00:00:00Z');
    expect(codes(await check([w.root, w.a, embedAttestation(MF.document, att)]))).toEqual(['trust.attestation_expired']);
  });
});

describe('key rotation', () => {
  it('of the downstream DID invalidates the old attestation until it is re-attested', async () => {
    const w = await world();
    const mf2 = rotated(MF, 23);
    const att = findAttestation(w.mf).attestation as DownstreamAttestation;
    const stale = embedAttestation(mf2.document, att);
    const v = await check([w.root, w.a, stale]);
    expect(codes(v)).toEqual(['trust.document_mismatch']);
    expect(v.steps.find((s) => !s.ok)?.message).toContain('re-attesting');
    const fresh = await attested(mf2.document, A, MF_LIMITS);
    expect((await check([w.root, w.a, fresh])).valid).toBe(true);
  });

  it('of an upstream DID invalidates its own attestation and the ones it signed with the old key', async () => {
    const w = await world();
    const a2 = rotated(A, 22);
    const aStale = embedAttestation(a2.document, findAttestation(w.a).attestation as DownstreamAttestation);
    const v = await check([w.root, aStale, w.mf]);
    expect(codes(v)).toEqual(['trust.document_mismatch', 'trust.upstream_key_unknown']);
    expect(v.steps.filter((s) => !s.ok).map((s) => [s.level, s.check])).toEqual([
      [1, 'digest'],
      [2, 'signature'],
    ]);
    // the root re-attests the industry body, which re-attests the manufacturer
    const aFresh = await attested(a2.document, R, A_LIMITS);
    expect(codes(await check([w.root, aFresh, w.mf]))).toEqual(['trust.upstream_key_unknown']);
    const mfFresh = await attested(MF.document, a2, MF_LIMITS);
    expect((await check([w.root, aFresh, mfFresh])).valid).toBe(true);
  });
});

describe('root checks', () => {
  it('a wrong date', async () => {
    const w = await world();
    const pin = { ...PIN, date: '2025-01-16' };
    const v = await check([w.root, w.a, w.mf], MF.did, { root: pin });
    expect(codes(v)).toEqual(['trust.root_date_mismatch']);
    // a source without a publication date: the code (which covers the date) catches it
    const undated = await check([R.document, w.a, w.mf], MF.did, { root: pin });
    expect(codes(undated)).toEqual(['trust.root_code_mismatch']);
    expect((await check([R.document, w.a, w.mf])).valid).toBe(true);
  });

  it('a wrong code', async () => {
    const w = await world();
    const other = PIN.code[0] === 'a' ? 'b' + PIN.code.slice(1) : 'a' + PIN.code.slice(1);
    expect(codes(await check([w.root, w.a, w.mf], MF.did, { root: { ...PIN, code: other } }))).toEqual(['trust.root_code_mismatch']);
    expect((await check([w.root, w.a, w.mf], MF.did, { root: { ...PIN, code: PIN.code.toUpperCase() } })).valid).toBe(true);
    // a longer code is a stronger pin
    expect((await check([w.root, w.a, w.mf], MF.did, { root: { ...PIN, code: confirmationCode(R.document, ROOT_DATE, 20) } })).valid).toBe(true);
  });

  it('a root whose document changed since it was pinned', async () => {
    const w = await world();
    const r2 = rotated(R, 21);
    // the industry body is attested by the old root key: two reasons
    expect(codes(await check([{ document: r2.document, metadata: { created: ROOT_CREATED } }, w.a, w.mf]))).toEqual(['trust.root_code_mismatch', 'trust.upstream_key_unknown']);
  });

  it('a chain that ends at another root', async () => {
    const aByFake = await attested(A.document, FAKE, A_LIMITS);
    const w = await world();
    const v = await check([w.root, { document: FAKE.document, metadata: { created: ROOT_CREATED } }, aByFake, w.mf]);
    expect(codes(v)).toEqual(['trust.root_mismatch']);
    expect(v.root).toBe(FAKE.did);
    const unpinnedDid = await check([{ document: FAKE.document, metadata: { created: ROOT_CREATED } }, aByFake, w.mf], MF.did, { root: { date: PIN.date, code: PIN.code } });
    expect(codes(unpinnedDid)).toEqual(['trust.root_code_mismatch']);
  });

  it('a DID with no attestation', async () => {
    const w = await world();
    expect(codes(await check([w.root, w.a, MF.document]))).toEqual(['trust.no_attestation']);
    expect(codes(await check([w.root, w.a, MF.document], MF.did, { root: { date: PIN.date, code: PIN.code } }))).toEqual(['trust.no_attestation']);
  });
});

describe('constraints on links', () => {
  it('max path length below a link', async () => {
    const w = await world();
    // the manufacturer (maxPathLength 0) attests a subsidiary
    const sub = await attested(SUB.document, MF, MF_LIMITS);
    const v = await check([w.root, w.a, w.mf, sub], SUB.did);
    // both the manufacturer (0 allowed, 1 below) and the industry body (1 allowed, 2 below) are exceeded
    expect(codes(v)).toEqual(['trust.path_length_exceeded', 'trust.path_length_exceeded']);
    expect(v.steps.filter((s) => !s.ok).map((s) => [s.level, s.did, s.check])).toEqual([
      [1, A.did, 'constraints'],
      [2, MF.did, 'constraints'],
    ]);
    // with the manufacturer's link loosened, the industry body's limit still holds it back
    const mfLoose = await attested(MF.document, A, { maxPathLength: 3 });
    expect(codes(await check([w.root, w.a, mfLoose, sub], SUB.did))).toEqual(['trust.path_length_exceeded']);
  });

  it('allowed credential types narrow down the chain', async () => {
    const w = await world();
    const v = await check([w.root, w.a, w.mf], MF.did, { credentialType: 'FirmwareRelease' });
    expect(codes(v)).toEqual(['trust.credential_type_not_allowed']);
    // a link cannot widen what its upstream allowed
    const wide = await attested(MF.document, A, { credentialTypes: ['DeviceCertificate', 'CoffeeVoucher'] });
    const vw = await check([w.root, w.a, wide], MF.did, { credentialType: 'CoffeeVoucher' });
    expect(codes(vw)).toEqual(['trust.credential_type_not_allowed']);
    expect(vw.allowedCredentialTypes).toEqual(['DeviceCertificate']);
    // no type given: nothing to refuse, the allowed list is reported
    const untyped = await verifyChain(MF.did, { root: PIN, source: staticChainSource([w.root, w.a, w.mf]), now: NOW });
    expect(untyped.valid).toBe(true);
    expect(untyped.allowedCredentialTypes).toEqual(['DeviceCertificate']);
    await expectCodeAsync(() => attestDocument(MF.document, { signer: A.signer, constraints: { maxPathLength: -1 } }), 'trust.invalid_argument');
  });
});

describe('malformed chains', () => {
  it('cycles, unresolvable DIDs, duplicate attestations, over-long chains', async () => {
    const w = await world();
    const x = await attested(A.document, MF, A_LIMITS);
    const y = await attested(MF.document, A, MF_LIMITS);
    expect(codes(await check([w.root, x, y]))).toEqual(['trust.chain_cycle']);
    expect(codes(await check([w.root, w.mf]))).toEqual(['trust.resolution_failed']);
    const twice = { ...w.mf, service: [...(w.mf.service ?? []), { ...(w.mf.service ?? [])[0], id: '#second' }] };
    expect(codes(await check([w.root, w.a, twice]))).toEqual(['trust.multiple_attestations']);
    const short = await verifyChain(MF.did, { root: PIN, source: staticChainSource([w.root, w.a, w.mf]), maxLength: 1, now: NOW });
    expect(codes(short)).toEqual(['trust.chain_too_long']);
    const badPin = await verifyChain(MF.did, { root: { date: 'yesterday', code: '!' }, source: staticChainSource([]) });
    expect(codes(badPin)).toEqual(['trust.invalid_argument']);
    const garbage = embedAttestation(MF.document, { type: 'DownstreamDidAttestation' } as unknown as DownstreamAttestation);
    expect(codes(await check([w.root, w.a, garbage]))).toEqual(['trust.invalid_record']);
  });
});
