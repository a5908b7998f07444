/**
 * Verifiable Presentations (VC DM 2.0 §4.13) with an eddsa-jcs-2022
 * `authentication` proof bound to a verifier's challenge and domain (the
 * WACI-DIDComm / present-proof 3.0 flow): the holder proves *now*, to *this*
 * verifier, that it controls the DID the presented credentials are about.
 *
 * Holder binding: the proof's key must be controlled by `holder`, and every
 * credential of a type listed in `boundSubjectTypes` (for ssiot the owner
 * imprint) must be about `holder` — otherwise anyone who saw an imprint
 * could present it. Credentials of other types (the device certificate,
 * about the device) ride along unbound.
 *
 * verifyPresentation never throws for bad input: `{verified, errors}` like
 * verifyCredential. Codes, beyond those of verifyProof / verifyCredential:
 *   vc.invalid_presentation   not a VP shape: type, verifiableCredential
 *   vc.invalid_holder         holder missing or not a DID
 *   vc.holder_mismatch        no proof's key is the holder's, or a bound credential is about someone else
 *   vc.missing_credential     no credential of a required (bound) type
 *   vc.invalid_options        challenge / domain / resolver missing
 * A credential's problems keep their code; the message is prefixed
 * `verifiableCredential[i]:`.
 */
import { parseDid, parseDidUrl } from '../did/did-url.ts';
import type { DidResolver } from '../did/types.ts';
import { parseJson } from '../encoding/json.ts';
import { VcError, isSsiotError } from '../errors.ts';
import type { DataIntegrityProof, JsonLdContextEntry, VerifiableCredential } from './credential.ts';
import { CREDENTIALS_V2_CONTEXT, isJsonObject } from './credential.ts';
import { addProof, verifyProof } from './data-integrity.ts';
import type { VcProblem } from './problems.ts';
import { problemFrom } from './problems.ts';
import type { Signer } from './signer.ts';
import type { VerifyCredentialOptions } from './verify.ts';
import { verifyCredential } from './verify.ts';

export const VERIFIABLE_PRESENTATION = 'VerifiablePresentation';

export interface VerifiablePresentation {
  '@context': JsonLdContextEntry | JsonLdContextEntry[];
  id?: string;
  type: string | string[];
  holder: string;
  verifiableCredential: VerifiableCredential[];
  proof?: DataIntegrityProof | DataIntegrityProof[];
  [property: string]: unknown;
}

export interface CreatePresentationOptions {
  /** The holder's DID; the signer's key must belong to it. */
  holder: string;
  /** Secured credentials, embedded as they are. */
  credentials: readonly Record<string, unknown>[];
  signer: Signer;
  /** The verifier's nonce (request-presentation's `options.challenge`). */
  challenge: string;
  /** The verifier's domain (its DID or origin). */
  domain: string;
  id?: string;
  created?: Date | string;
  now?: Date;
  /** Proof expiry: a presentation is an answer, not a credential; keep it short. */
  expires?: Date | string;
}

function didOrUndefined(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  try {
    return parseDid(s).did;
  } catch {
    return undefined;
  }
}

/**
 * A VP holding `credentials`, with an `authentication` proof by `signer`
 * over challenge and domain. Throws VcError: vc.invalid_holder,
 * vc.holder_mismatch (signer not the holder's key), vc.invalid_presentation
 * (no credentials, or one without a proof), vc.invalid_options (empty
 * challenge or domain), and addProof's codes.
 */
export async function createPresentation(o: CreatePresentationOptions): Promise<VerifiablePresentation & { proof: DataIntegrityProof }> {
  if (!o || didOrUndefined(o.holder) !== o.holder) throw new VcError('vc.invalid_holder', 'holder must be a DID');
  let keyDid: string;
  try {
    keyDid = parseDidUrl(o.signer?.verificationMethod).did;
  } catch (e) {
    throw new VcError('vc.invalid_signer', 'signer verificationMethod must be a DID URL', { cause: e });
  }
  if (keyDid !== o.holder) throw new VcError('vc.holder_mismatch', `holder ${o.holder} cannot sign with a key of ${keyDid}`);
  if (typeof o.challenge !== 'string' || o.challenge.length === 0) throw new VcError('vc.invalid_options', 'a challenge is required');
  if (typeof o.domain !== 'string' || o.domain.length === 0) throw new VcError('vc.invalid_options', 'a domain is required');
  if (!Array.isArray(o.credentials) || o.credentials.length === 0) throw new VcError('vc.invalid_presentation', 'at least one credential is required');
  o.credentials.forEach((c, i) => {
    if (!isJsonObject(c) || c.proof === undefined) throw new VcError('vc.invalid_presentation', `credential ${i} must be a secured credential`);
  });
  const vp: Record<string, unknown> = { '@context': [CREDENTIALS_V2_CONTEXT], type: [VERIFIABLE_PRESENTATION] };
  if (o.id !== undefined) vp.id = o.id;
  vp.holder = o.holder;
  vp.verifiableCredential = [...o.credentials];
  const secured = await addProof(vp, {
    signer: o.signer,
    proofPurpose: 'authentication',
    challenge: o.challenge,
    domain: o.domain,
    created: o.created,
    now: o.now,
    expires: o.expires,
  });
  return secured as unknown as VerifiablePresentation & { proof: DataIntegrityProof };
}

export interface VerifyPresentationOptions {
  resolver: DidResolver;
  /** The challenge this verifier sent (required: an unbound VP can be replayed). */
  challenge: string;
  /** The domain this verifier announced (required). */
  domain: string;
  now?: Date;
  clockSkewSeconds?: number;
  /** Credential types whose subject must be the holder; at least one such credential must be present. */
  boundSubjectTypes?: readonly string[];
  /** Passed to verifyCredential for each embedded credential. */
  checkStatus?: VerifyCredentialOptions['checkStatus'];
}

export interface PresentationVerification {
  verified: boolean;
  errors: VcProblem[];
  /** The holder DID, when well formed. */
  holder?: string;
  /** One entry per embedded credential, in order. */
  credentials: { verified: boolean; errors: VcProblem[] }[];
}

function typesOf(x: Record<string, unknown>): unknown[] {
  return Array.isArray(x.type) ? x.type : [x.type];
}

function subjectIds(c: Record<string, unknown>): unknown[] {
  const s = c.credentialSubject;
  return (Array.isArray(s) ? s : [s]).map((x) => (isJsonObject(x) ? x.id : undefined));
}

/** Verify a presentation (object or JSON text) end to end; see the module comment for the checks. */
export async function verifyPresentation(presentation: unknown, o: VerifyPresentationOptions): Promise<PresentationVerification> {
  const errors: VcProblem[] = [];
  const credentials: PresentationVerification['credentials'] = [];
  const done = (holder?: string): PresentationVerification => {
    const r: PresentationVerification = { verified: errors.length === 0, errors, credentials };
    if (holder !== undefined) r.holder = holder;
    return r;
  };
  try {
    if (!o || !o.resolver || typeof o.challenge !== 'string' || o.challenge.length === 0 || typeof o.domain !== 'string' || o.domain.length === 0) {
      errors.push({ code: 'vc.invalid_options', message: 'resolver, challenge and domain are required' });
      return done();
    }
    let vp = presentation;
    if (typeof vp === 'string') {
      try {
        vp = parseJson(vp);
      } catch (e) {
        errors.push({ code: 'vc.invalid_json', message: `presentation is not valid JSON (${isSsiotError(e) ? e.code : 'parse error'})` });
        return done();
      }
    }
    if (!isJsonObject(vp)) {
      errors.push({ code: 'vc.invalid_json', message: 'presentation must be a JSON object' });
      return done();
    }
    const ctx = vp['@context'];
    const first = Array.isArray(ctx) ? ctx[0] : ctx;
    if (first !== CREDENTIALS_V2_CONTEXT) errors.push({ code: 'vc.invalid_context', message: `the first @context entry must be ${CREDENTIALS_V2_CONTEXT}` });
    if (!typesOf(vp).includes(VERIFIABLE_PRESENTATION)) errors.push({ code: 'vc.invalid_presentation', message: `type must include ${VERIFIABLE_PRESENTATION}` });
    const holder = didOrUndefined(vp.holder) === vp.holder ? (vp.holder as string) : undefined;
    if (holder === undefined) errors.push({ code: 'vc.invalid_holder', message: 'holder must be a DID' });
    const raw = vp.verifiableCredential;
    const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    if (list.length === 0 || !list.every(isJsonObject)) {
      errors.push({ code: 'vc.invalid_presentation', message: 'verifiableCredential must hold one or more credential objects' });
    }

    const proof = await verifyProof(vp, {
      resolver: o.resolver,
      expectedProofPurpose: 'authentication',
      challenge: o.challenge,
      domain: o.domain,
      now: o.now,
      clockSkewSeconds: o.clockSkewSeconds,
    });
    errors.push(...proof.errors);
    const controllers = proof.proofs.map((p) => p.controller).filter((c): c is string => c !== undefined);
    if (holder !== undefined && controllers.length > 0 && !controllers.includes(holder)) {
      errors.push({ code: 'vc.holder_mismatch', message: `holder ${holder} does not control the proof key (${controllers.join(', ')})` });
    }

    const objects = list.filter(isJsonObject);
    for (let i = 0; i < objects.length; i++) {
      const r = await verifyCredential(objects[i], { resolver: o.resolver, now: o.now, clockSkewSeconds: o.clockSkewSeconds, checkStatus: o.checkStatus });
      credentials.push(r);
      for (const e of r.errors) errors.push({ code: e.code, message: `verifiableCredential[${i}]: ${e.message}` });
    }

    for (const type of o.boundSubjectTypes ?? []) {
      const bound = objects.filter((c) => typesOf(c).includes(type));
      if (bound.length === 0) errors.push({ code: 'vc.missing_credential', message: `no ${type} credential in the presentation` });
      for (const c of bound) {
        if (holder !== undefined && !subjectIds(c).every((id) => id === holder)) {
          errors.push({ code: 'vc.holder_mismatch', message: `the ${type} credential is not about the holder` });
        }
      }
    }
    return done(holder);
  } catch (e) {
    errors.push(problemFrom(e, 'vc.verification_failed'));
    return done();
  }
}
