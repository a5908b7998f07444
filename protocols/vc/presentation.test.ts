/**
 * Verifiable Presentations bound to a challenge and a domain: the ownership
 * proof (owner imprint + device certificate), and every tamper that must
 * make it fail.
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { createDidKey } from '../did/key.ts';
import { createDefaultResolver } from '../did/resolver.ts';
import { issueCredential } from './issue.ts';
import { createPresentation, verifyPresentation } from './presentation.ts';
import { ed25519Signer, type Signer } from './signer.ts';

function party(n: number): { did: string; signer: Signer } {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + n) & 0xff);
  const { did } = createDidKey({ seed });
  return { did, signer: ed25519Signer(`${did}#${did.slice('did:key:'.length)}`, seed) };
}

const MAKER = party(1);
const DEVICE = party(2);
const OWNER = party(3);
const THIEF = party(4);
const resolver = createDefaultResolver();
const NOW = new Date('2026-06-01T00:00:00Z');
const CREATED = '2026-05-31T23:59:00Z';
const CHALLENGE = 'c-5b1e0f3a';
const DOMAIN = 'did:example:verifier';
const V2 = 'https://www.w3.org/ns/credentials/v2';

async function credentials(): Promise<{ cert: Record<string, unknown>; imprint: Record<string, unknown>; thiefImprint: Record<string, unknown> }> {
  const cert = await issueCredential(
    { '@context': [V2], type: ['VerifiableCredential', 'DeviceCertificate'], issuer: MAKER.did, validFrom: '2026-01-01T00:00:00Z', credentialSubject: { id: DEVICE.did, model: 'Encore', serial: 'SN-1' } },
    { signer: MAKER.signer, created: '2026-01-01T00:00:00Z' },
  );
  const imprintOf = (owner: string) =>
    issueCredential(
      { '@context': [V2], type: ['VerifiableCredential', 'OwnerImprint'], issuer: DEVICE.did, validFrom: '2026-05-01T00:00:00Z', credentialSubject: { id: owner, serial: 'SN-1', model: 'Encore' } },
      { signer: DEVICE.signer, created: '2026-05-01T00:00:00Z' },
    );
  return { cert, imprint: await imprintOf(OWNER.did), thiefImprint: await imprintOf(THIEF.did) };
}

const verifyOpts = { resolver, challenge: CHALLENGE, domain: DOMAIN, now: NOW, boundSubjectTypes: ['OwnerImprint'] };

function codes(r: { errors: { code: string }[] }): string[] {
  return r.errors.map((e) => e.code);
}

describe('verifiable presentations (challenge + domain bound)', () => {
  it('creates and verifies an ownership presentation', async () => {
    const { cert, imprint } = await credentials();
    const vp = await createPresentation({ holder: OWNER.did, credentials: [imprint, cert], signer: OWNER.signer, challenge: CHALLENGE, domain: DOMAIN, created: CREATED });
    expect(vp.type).toEqual(['VerifiablePresentation']);
    expect(vp.holder).toBe(OWNER.did);
    expect(vp.proof.proofPurpose).toBe('authentication');
    expect(vp.proof.challenge).toBe(CHALLENGE);
    expect(vp.proof.domain).toBe(DOMAIN);
    const r = await verifyPresentation(vp, verifyOpts);
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.holder).toBe(OWNER.did);
    expect(r.credentials.map((c) => c.verified)).toEqual([true, true]);
    // JSON text works too
    expect((await verifyPresentation(JSON.stringify(vp), verifyOpts)).verified).toBe(true);
  });

  it('refuses bad inputs when creating', async () => {
    const { imprint } = await credentials();
    const base = { holder: OWNER.did, credentials: [imprint], signer: OWNER.signer, challenge: CHALLENGE, domain: DOMAIN };
    await expectCodeAsync(() => createPresentation({ ...base, signer: THIEF.signer }), 'vc.holder_mismatch');
    await expectCodeAsync(() => createPresentation({ ...base, holder: 'not-a-did' }), 'vc.invalid_holder');
    await expectCodeAsync(() => createPresentation({ ...base, challenge: '' }), 'vc.invalid_options');
    await expectCodeAsync(() => createPresentation({ ...base, domain: '' }), 'vc.invalid_options');
    await expectCodeAsync(() => createPresentation({ ...base, credentials: [] }), 'vc.invalid_presentation');
    const { proof: _p, ...unsigned } = imprint;
    await expectCodeAsync(() => createPresentation({ ...base, credentials: [unsigned] }), 'vc.invalid_presentation');
  });

  it('each tamper fails with its code', async () => {
    const { cert, imprint } = await credentials();
    const vp = await createPresentation({ holder: OWNER.did, credentials: [imprint, cert], signer: OWNER.signer, challenge: CHALLENGE, domain: DOMAIN, created: CREATED });
    const clone = (): Record<string, any> => JSON.parse(JSON.stringify(vp));

    const cases: [string, () => Promise<unknown>, string][] = [
      ['another challenge (replay)', () => verifyPresentation(vp, { ...verifyOpts, challenge: 'other' }), 'vc.invalid_challenge'],
      ['another domain', () => verifyPresentation(vp, { ...verifyOpts, domain: 'did:example:other' }), 'vc.invalid_domain'],
      ['holder changed', () => { const t = clone(); t.holder = THIEF.did; return verifyPresentation(t, verifyOpts); }, 'vc.invalid_signature'],
      ['imprint edited', () => { const t = clone(); t.verifiableCredential[0].credentialSubject.serial = 'SN-2'; return verifyPresentation(t, verifyOpts); }, 'vc.invalid_signature'],
      ['credential dropped', () => { const t = clone(); t.verifiableCredential.pop(); return verifyPresentation(t, verifyOpts); }, 'vc.invalid_signature'],
      ['proof removed', () => { const t = clone(); delete t.proof; return verifyPresentation(t, verifyOpts); }, 'vc.missing_proof'],
      ['proof purpose changed', () => { const t = clone(); t.proof.proofPurpose = 'assertionMethod'; return verifyPresentation(t, verifyOpts); }, 'vc.wrong_proof_purpose'],
      ['type changed', () => { const t = clone(); t.type = ['Other']; return verifyPresentation(t, verifyOpts); }, 'vc.invalid_presentation'],
      ['no credentials', () => { const t = clone(); t.verifiableCredential = []; return verifyPresentation(t, verifyOpts); }, 'vc.invalid_presentation'],
      ['holder not a DID', () => { const t = clone(); t.holder = 'https://x.example'; return verifyPresentation(t, verifyOpts); }, 'vc.invalid_holder'],
      ['missing challenge option', () => verifyPresentation(vp, { ...verifyOpts, challenge: '' }), 'vc.invalid_options'],
      ['proof created long after now', () => verifyPresentation(vp, { ...verifyOpts, now: new Date('2026-01-02T00:00:00Z') }), 'vc.proof_created_in_future'],
    ];
    for (const [name, run, code] of cases) {
      const r = (await run()) as { verified: boolean; errors: { code: string }[] };
      expect(r.verified, name).toBe(false);
      expect(codes(r), name).toContain(code);
    }
  });

  it('holder binding: someone else cannot present the owner imprint, nor their own as the owner', async () => {
    const { cert, imprint, thiefImprint } = await credentials();
    // the thief signs as himself with the owner's imprint: the imprint is not about him
    const stolen = await createPresentation({ holder: THIEF.did, credentials: [imprint, cert], signer: THIEF.signer, challenge: CHALLENGE, domain: DOMAIN, created: CREATED });
    const r1 = await verifyPresentation(stolen, verifyOpts);
    expect(r1.verified).toBe(false);
    expect(codes(r1)).toEqual(['vc.holder_mismatch']);
    // without the binding rule the same presentation verifies: the rule is what refuses it
    expect((await verifyPresentation(stolen, { ...verifyOpts, boundSubjectTypes: [] })).verified).toBe(true);
    // a presentation without any imprint
    const certOnly = await createPresentation({ holder: OWNER.did, credentials: [cert], signer: OWNER.signer, challenge: CHALLENGE, domain: DOMAIN, created: CREATED });
    expect(codes(await verifyPresentation(certOnly, verifyOpts))).toEqual(['vc.missing_credential']);
    // the thief's own (genuine) imprint in a VP claiming the owner as holder, signed by the thief
    const t = JSON.parse(JSON.stringify(await createPresentation({ holder: THIEF.did, credentials: [thiefImprint, cert], signer: THIEF.signer, challenge: CHALLENGE, domain: DOMAIN, created: CREATED })));
    t.holder = OWNER.did;
    const r3 = await verifyPresentation(t, verifyOpts);
    expect(r3.verified).toBe(false);
    expect(codes(r3)).toContain('vc.holder_mismatch');
  });

  it('a forged embedded credential fails even when the VP proof is valid', async () => {
    const { cert, imprint } = await credentials();
    const forged = JSON.parse(JSON.stringify(imprint));
    forged.credentialSubject.model = 'Sette';
    const vp = await createPresentation({ holder: OWNER.did, credentials: [forged, cert], signer: OWNER.signer, challenge: CHALLENGE, domain: DOMAIN, created: CREATED });
    const r = await verifyPresentation(vp, verifyOpts);
    expect(r.verified).toBe(false);
    expect(r.credentials[0].verified).toBe(false);
    expect(r.credentials[1].verified).toBe(true);
    expect(r.errors[0].message).toMatch(/^verifiableCredential\[0\]: /);
  });
});
