/**
 * W3C Verifiable Credential Data Integrity 1.0, the generic layer around a
 * cryptosuite: Add Proof (§4.2), Add Proof Set/Chain (§4.3), Verify Proof
 * (§4.4) and Verify Proof Sets and Chains (§4.5), plus Retrieve Verification
 * Method (Controlled Identifiers 1.0 §3.3) through the DID resolver.
 *
 * Works on any JSON object, not only credentials (presentations, DIDComm
 * payloads). Verification never throws for bad input: every failure is a
 * `{code, message}` in the result (codes listed in verify.ts).
 */
import { VcError, isSsiotError } from '../errors.ts';
import { parseDidUrl } from '../did/did-url.ts';
import { publicKeyFromVerificationMethod } from '../did/keys.ts';
import { resolveVerificationMethod } from '../did/resolver.ts';
import type { DidResolver, VerificationMethod, VerificationRelationship } from '../did/types.ts';
import type { DataIntegrityProof } from './credential.ts';
import { isJsonObject } from './credential.ts';
import { formatDateTimeStamp, isDateTimeStamp, parseDateTimeStamp } from './datetime.ts';
import { DATA_INTEGRITY_PROOF, EDDSA_JCS_2022, eddsaJcs2022 } from './eddsa-jcs-2022.ts';
import type { VcProblem } from './problems.ts';
import { problemFrom } from './problems.ts';
import type { Signer } from './signer.ts';

type JsonObject = Record<string, unknown>;

/** A cryptosuite as this layer drives it (eddsa-jcs-2022 is the only one for now). */
export interface Cryptosuite {
  readonly cryptosuite: string;
  /** Key kind the suite verifies with (matches did/keys.ts `PublicKey.kind`). */
  readonly keyKind: 'Ed25519';
  createProof(unsecuredDocument: JsonObject, proofOptions: JsonObject, signer: Signer): Promise<DataIntegrityProof>;
  /** true/false for the signature; throws VcError when the proof cannot be checked at all. */
  verifyProof(unsecuredDocument: JsonObject, proof: DataIntegrityProof, publicKey: Uint8Array): boolean;
}

const SUITES: Readonly<Record<string, Cryptosuite>> = Object.freeze({ [EDDSA_JCS_2022]: eddsaJcs2022 });

/** The cryptosuites this build can create and verify. */
export const SUPPORTED_CRYPTOSUITES: readonly string[] = Object.freeze(Object.keys(SUITES));

export interface CreateProofOptions {
  signer: Signer;
  /** Proof creation time; default: `now`, else the wall clock. Dates are written at second precision. */
  created?: Date | string;
  /** Clock used for the default `created`. */
  now?: Date;
  /** Default `assertionMethod` (what issuers sign credentials for). */
  proofPurpose?: string;
  expires?: Date | string;
  domain?: string | string[];
  challenge?: string;
  nonce?: string;
  /** Proof id (a URL); needed when a later proof chains to this one. */
  id?: string;
  /** Id(s) of existing proofs this proof chains to (only with addProof). */
  previousProof?: string | string[];
  /** Default (and only supported value) `eddsa-jcs-2022`. */
  cryptosuite?: string;
}

function timeValue(value: Date | string, what: string): string {
  if (typeof value === 'string') {
    if (!isDateTimeStamp(value)) throw new VcError('vc.invalid_datetime', `${what} must be an XML Schema dateTimeStamp`);
    return value;
  }
  return formatDateTimeStamp(value);
}

function suiteFor(name: string | undefined): Cryptosuite {
  const suite = SUITES[name ?? EDDSA_JCS_2022];
  if (!suite) throw new VcError('vc.unsupported_cryptosuite', `unsupported cryptosuite ${String(name)}`);
  return suite;
}

/** Proof options in the order the W3C examples write them (key order is kept in the output). */
function proofOptionsFrom(options: CreateProofOptions, suite: Cryptosuite): JsonObject {
  if (!options || !options.signer || typeof options.signer.verificationMethod !== 'string') {
    throw new VcError('vc.invalid_signer', 'a signer with a verificationMethod is required');
  }
  const o: JsonObject = { type: DATA_INTEGRITY_PROOF };
  if (options.id !== undefined) o.id = options.id;
  o.cryptosuite = suite.cryptosuite;
  o.created = timeValue(options.created ?? options.now ?? new Date(), 'created');
  if (options.expires !== undefined) {
    o.expires = timeValue(options.expires, 'expires');
    if ((parseDateTimeStamp(o.expires) as number) < (parseDateTimeStamp(o.created) as number)) {
      throw new VcError('vc.invalid_datetime', 'proof expires before it is created');
    }
  }
  o.verificationMethod = options.signer.verificationMethod;
  o.proofPurpose = options.proofPurpose ?? 'assertionMethod';
  if (options.domain !== undefined) o.domain = Array.isArray(options.domain) ? [...options.domain] : options.domain;
  if (options.challenge !== undefined) o.challenge = options.challenge;
  if (options.nonce !== undefined) o.nonce = options.nonce;
  if (options.previousProof !== undefined) {
    o.previousProof = Array.isArray(options.previousProof) ? [...options.previousProof] : options.previousProof;
  }
  return o;
}

/**
 * Creates a Data Integrity proof over `document` (the cryptosuite's Create
 * Proof, with the Add Proof checks) and returns the proof object; the
 * document is not modified. A document that already carries `proof` is
 * refused (`vc.proof_present`): use addProof to extend a proof set.
 */
export async function createProof(inputDocument: JsonObject, options: CreateProofOptions): Promise<DataIntegrityProof> {
  if (!isJsonObject(inputDocument)) throw new VcError('vc.invalid_json', 'document must be a JSON object');
  if (inputDocument.proof !== undefined) {
    throw new VcError('vc.proof_present', 'document already has a proof; use addProof to add to a proof set');
  }
  if (options && options.previousProof !== undefined) {
    throw new VcError('vc.invalid_proof', 'previousProof needs the existing proofs: use addProof');
  }
  const suite = suiteFor(options?.cryptosuite);
  return suite.createProof(inputDocument, proofOptionsFrom(options, suite), options.signer);
}

/**
 * Add Proof / Add Proof Set/Chain: returns a copy of `document` with a new
 * proof. Without an existing proof the result has `proof: {...}`; with one
 * (or a set) it has `proof: [...existing, new]`, the new proof signing the
 * document without the other proofs (a proof set) or, with `previousProof`,
 * together with the proofs it names (a proof chain).
 */
export async function addProof<T extends JsonObject>(
  inputDocument: T,
  options: CreateProofOptions,
): Promise<T & { proof: DataIntegrityProof | DataIntegrityProof[] }> {
  if (!isJsonObject(inputDocument)) throw new VcError('vc.invalid_json', 'document must be a JSON object');
  const suite = suiteFor(options?.cryptosuite);
  const proofOptions = proofOptionsFrom(options, suite);
  const existing = inputDocument.proof;
  const { proof: _ignored, ...unsecured } = inputDocument as JsonObject;
  if (existing === undefined) {
    if (options.previousProof !== undefined) throw new VcError('vc.invalid_proof', 'previousProof given but the document has no proofs');
    const proof = await suite.createProof(unsecured, proofOptions, options.signer);
    return { ...(unsecured as T), proof };
  }
  const allProofs = (Array.isArray(existing) ? existing : [existing]) as DataIntegrityProof[];
  const input: JsonObject = { ...unsecured };
  if (options.previousProof !== undefined) input.proof = matchingProofs(allProofs, options.previousProof);
  const proof = await suite.createProof(input, proofOptions, options.signer);
  return { ...(unsecured as T), proof: [...allProofs, proof] };
}

/**
 * The proofs named by `previousProof` (§4.3 step 4/5, §4.5 step 3.2).
 * Choice: they are embedded as a list even when `previousProof` is a single
 * id, as the spec's `matchingProofs` is a list.
 */
function matchingProofs(allProofs: unknown[], previousProof: unknown): unknown[] {
  const ids = Array.isArray(previousProof) ? previousProof : [previousProof];
  if (ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
    throw new VcError('vc.invalid_proof', 'previousProof must be a proof id or a list of them');
  }
  return ids.map((id) => {
    const found = allProofs.find((p) => isJsonObject(p) && p.id === id);
    if (!found) throw new VcError('vc.invalid_proof', `previousProof ${id as string} is not in the proof set`);
    return found;
  });
}

export interface VerifyProofOptions {
  resolver: DidResolver;
  /** Default `assertionMethod`. */
  expectedProofPurpose?: string;
  /** Clock for `created`/`expires`; default the wall clock. */
  now?: Date;
  /** When given, each proof's `domain` must be the same set of strings. */
  domain?: string | string[];
  /** When given, each proof's `challenge` must equal it. */
  challenge?: string;
  /**
   * Tolerated clock difference for a proof `created` in the future, in
   * seconds (default 300): device clocks drift, so a proof made "a little
   * in the future" is accepted, one from next year is not.
   */
  clockSkewSeconds?: number;
}

/** Outcome for one proof of a document. */
export interface ProofResult {
  verified: boolean;
  /** The proof as found (may be malformed). */
  proof: unknown;
  errors: VcProblem[];
  /** The resolved verification method, when it could be retrieved. */
  verificationMethod?: VerificationMethod;
  /** Its controller (a DID), when retrieved. */
  controller?: string;
}

/** Outcome for the whole document: verified only if every proof verified. */
export interface ProofSetResult {
  verified: boolean;
  /** All proofs' problems (prefixed with `proof[i]` when there are several). */
  errors: VcProblem[];
  proofs: ProofResult[];
}

const RELATIONSHIPS: readonly string[] = [
  'authentication',
  'assertionMethod',
  'keyAgreement',
  'capabilityInvocation',
  'capabilityDelegation',
];

function sameStringSet(a: string[], b: string[]): boolean {
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

function vcProblem(code: `vc.${string}`, message: string): VcProblem {
  return { code, message };
}

/**
 * Retrieve Verification Method (CID 1.0 §3.3) for a proof: the method must
 * be in its DID's document, listed under the relationship named by the
 * proof's purpose, and controlled by that same DID (CID 1.0 requires
 * `controller` to equal the document's id; a method "borrowed" from another
 * controller is refused).
 */
async function retrieveMethod(
  resolver: DidResolver,
  vmId: string,
  purpose: string,
): Promise<{ vm: VerificationMethod; controller: string } | VcProblem> {
  let did: string;
  try {
    did = parseDidUrl(vmId).did;
  } catch {
    return vcProblem('vc.verification_method_not_found', 'verificationMethod must be a DID URL');
  }
  if (!RELATIONSHIPS.includes(purpose)) {
    return vcProblem('vc.unauthorized_key', `no verification relationship for proof purpose ${purpose}`);
  }
  let vm: VerificationMethod;
  try {
    vm = await resolveVerificationMethod(resolver, vmId, purpose as VerificationRelationship);
  } catch (e) {
    if (isSsiotError(e) && e.code === 'did.not_authorized') {
      return vcProblem('vc.unauthorized_key', `${vmId} is not authorized for ${purpose} by its DID document`);
    }
    const code = isSsiotError(e) ? e.code : 'error';
    return vcProblem('vc.verification_method_not_found', `cannot retrieve ${vmId} (${code})`);
  }
  if (!isJsonObject(vm) || vm.controller !== did) {
    return vcProblem('vc.unauthorized_key', `${vmId} is not controlled by ${did}`);
  }
  return { vm, controller: did };
}

/** Verify Proof (§4.4 steps 4-8) for one proof over `unsecured`. */
async function verifyOne(unsecured: JsonObject, proof: unknown, options: VerifyProofOptions, now: number): Promise<ProofResult> {
  const errors: VcProblem[] = [];
  const result = (extra: Partial<ProofResult> = {}): ProofResult => ({ verified: errors.length === 0, proof, errors, ...extra });

  if (!isJsonObject(proof)) {
    errors.push(vcProblem('vc.invalid_proof', 'proof must be a JSON object'));
    return result();
  }
  const p = proof as DataIntegrityProof;
  for (const field of ['type', 'verificationMethod', 'proofPurpose'] as const) {
    if (typeof p[field] !== 'string' || p[field].length === 0) errors.push(vcProblem('vc.invalid_proof', `proof ${field} is missing`));
  }
  if (errors.length > 0) return result();

  const expectedPurpose = options.expectedProofPurpose ?? 'assertionMethod';
  if (p.proofPurpose !== expectedPurpose) {
    errors.push(vcProblem('vc.wrong_proof_purpose', `proof purpose is ${p.proofPurpose}, expected ${expectedPurpose}`));
  }
  if (options.domain !== undefined) {
    const want = Array.isArray(options.domain) ? options.domain : [options.domain];
    const got = p.domain === undefined ? [] : Array.isArray(p.domain) ? p.domain : [p.domain];
    if (!got.every((d) => typeof d === 'string') || !sameStringSet(want, got as string[])) {
      errors.push(vcProblem('vc.invalid_domain', 'proof domain does not match the expected domain'));
    }
  }
  if (options.challenge !== undefined && p.challenge !== options.challenge) {
    errors.push(vcProblem('vc.invalid_challenge', 'proof challenge does not match the expected challenge'));
  }

  if (p.type !== DATA_INTEGRITY_PROOF) {
    errors.push(vcProblem('vc.unsupported_proof_type', `unsupported proof type ${p.type}`));
    return result();
  }
  const suite = typeof p.cryptosuite === 'string' ? SUITES[p.cryptosuite] : undefined;
  if (!suite) {
    errors.push(vcProblem('vc.unsupported_cryptosuite', `unsupported cryptosuite ${String(p.cryptosuite)}`));
    return result();
  }

  // created / expires: format first, then against the clock.
  let malformedTime = false;
  for (const field of ['created', 'expires'] as const) {
    if (p[field] !== undefined && !isDateTimeStamp(p[field])) {
      errors.push(vcProblem('vc.invalid_proof', `proof ${field} must be an XML Schema dateTimeStamp`));
      malformedTime = true;
    }
  }
  if (malformedTime) return result();
  const skewMs = Math.max(0, options.clockSkewSeconds ?? 300) * 1000;
  if (p.created !== undefined && (parseDateTimeStamp(p.created) as number) > now + skewMs) {
    errors.push(vcProblem('vc.proof_created_in_future', `proof created ${p.created} is in the future`));
  }
  if (p.expires !== undefined && now > (parseDateTimeStamp(p.expires) as number)) {
    errors.push(vcProblem('vc.proof_expired', `proof expired at ${p.expires}`));
  }

  const retrieved = await retrieveMethod(options.resolver, p.verificationMethod, p.proofPurpose);
  if ('code' in retrieved) {
    errors.push(retrieved);
    return result();
  }
  const extra = { verificationMethod: retrieved.vm, controller: retrieved.controller };
  let publicKey: Uint8Array;
  try {
    const key = publicKeyFromVerificationMethod(retrieved.vm);
    if (key.kind !== suite.keyKind) {
      errors.push(vcProblem('vc.unsupported_key_type', `${suite.cryptosuite} needs an ${suite.keyKind} key, ${p.verificationMethod} is ${key.kind}`));
      return result(extra);
    }
    publicKey = key.bytes;
  } catch (e) {
    errors.push(vcProblem('vc.unsupported_key_type', `unusable key in ${p.verificationMethod} (${isSsiotError(e) ? e.code : 'error'})`));
    return result(extra);
  }

  try {
    if (!suite.verifyProof(unsecured, p, publicKey)) {
      errors.push(vcProblem('vc.invalid_signature', 'the proof signature does not verify'));
    }
  } catch (e) {
    errors.push(problemFrom(e, 'vc.invalid_proof'));
  }
  return result(extra);
}

/**
 * Verifies every proof on `securedDocument` (a single proof, or a proof set /
 * chain) against keys retrieved through `resolver`. Never throws for bad
 * input; `verified` is true only when there is at least one proof and every
 * proof verifies.
 */
export async function verifyProof(securedDocument: unknown, options: VerifyProofOptions): Promise<ProofSetResult> {
  try {
    if (!isJsonObject(securedDocument)) {
      return { verified: false, errors: [vcProblem('vc.invalid_json', 'document must be a JSON object')], proofs: [] };
    }
    if (!options || !options.resolver || typeof options.resolver.resolve !== 'function') {
      return { verified: false, errors: [vcProblem('vc.invalid_options', 'a DID resolver is required')], proofs: [] };
    }
    const raw = securedDocument.proof;
    const allProofs: unknown[] = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    if (allProofs.length === 0) {
      return { verified: false, errors: [vcProblem('vc.missing_proof', 'document has no proof')], proofs: [] };
    }
    const nowDate = options.now ?? new Date();
    const now = nowDate instanceof Date ? nowDate.getTime() : NaN;
    if (!Number.isFinite(now)) {
      return { verified: false, errors: [vcProblem('vc.invalid_options', 'now must be a valid Date')], proofs: [] };
    }
    const { proof: _ignored, ...unsecured } = securedDocument;
    const proofs: ProofResult[] = [];
    for (const proof of allProofs) {
      let input: JsonObject = unsecured;
      if (isJsonObject(proof) && proof.previousProof !== undefined) {
        try {
          input = { ...unsecured, proof: matchingProofs(allProofs, proof.previousProof) };
        } catch (e) {
          proofs.push({ verified: false, proof, errors: [problemFrom(e, 'vc.invalid_proof')] });
          continue;
        }
      }
      proofs.push(await verifyOne(input, proof, options, now));
    }
    const several = proofs.length > 1;
    const errors = proofs.flatMap((r, i) =>
      r.errors.map((e) => (several ? { code: e.code, message: `proof[${i}]: ${e.message}` } : e)),
    );
    return { verified: proofs.every((r) => r.verified), errors, proofs };
  } catch (e) {
    return { verified: false, errors: [problemFrom(e, 'vc.verification_failed')], proofs: [] };
  }
}
