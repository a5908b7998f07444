/**
 * Downstream-DID attestations (the Trustchain scheme: an upstream entity
 * vouches for a downstream DID by signing the hash of its canonical DID
 * document).
 *
 *   digest      = SHA-256(JCS(document without `proof` and without its
 *                 attestation service)), lowercase hex
 *   attestation = { type: "DownstreamDidAttestation", upstream, downstream,
 *                   documentDigest, constraints?, proof }
 *
 * `proof` is an eddsa-jcs-2022 Data Integrity proof (protocols/vc) by an
 * assertionMethod key of `upstream` over the attestation — so the upstream
 * signs the digest together with the constraints it sets on the link.
 *
 * Where it travels: in the downstream DID document as a service
 *   { id: "#ddid-attestation", type: "DownstreamDidAttestation", serviceEndpoint: <attestation> }
 * (Trustchain's `#trustchain-controller-proof` service plays this role), or
 * in DID resolution metadata as `proof` (Trustchain's resolver moves the
 * service into the metadata). Both are read; the metadata wins.
 *
 * Key rotation: rotating the downstream DID's keys changes the document,
 * hence the digest, so the old attestation stops verifying
 * (`trust.document_mismatch`) until the upstream re-attests the new document.
 *
 * Choice: the digest covers the document as the verifier's source returns
 * it (a did:webvh resolver's implicit `#files`/`#whois` services included);
 * the attester must sign what verifiers will resolve.
 */
import { getCrypto } from '../crypto/index.ts';
import { isDid, parseDidUrl } from '../did/did-url.ts';
import type { DidDocument, Service } from '../did/types.ts';
import { bytesToHex } from '../encoding/bytes.ts';
import { canonicalizeToBytes } from '../encoding/jcs.ts';
import { isRecord } from '../encoding/json.ts';
import { TrustError } from '../errors.ts';
import type { DataIntegrityProof } from '../vc/credential.ts';
import { createProof } from '../vc/data-integrity.ts';
import type { Signer } from '../vc/signer.ts';

export const ATTESTATION_TYPE = 'DownstreamDidAttestation';
export const ATTESTATION_SERVICE_FRAGMENT = 'ddid-attestation';

/** What the upstream allows below and at the link it signs. */
export interface LinkConstraints {
  /**
   * How many further links may hang below the attested DID (X.509's
   * pathLenConstraint): 0 = it may issue credentials but not attest DIDs.
   */
  maxPathLength?: number;
  /** Credential types the attested DID (and anything below it) may issue. */
  credentialTypes?: string[];
}

export interface DownstreamAttestation {
  type: typeof ATTESTATION_TYPE;
  upstream: string;
  downstream: string;
  documentDigest: string;
  constraints?: LinkConstraints;
  proof: DataIntegrityProof;
}

function isAttestationService(s: unknown, docId: string): boolean {
  if (!isRecord(s)) return false;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes(ATTESTATION_TYPE)) return true;
  return typeof s.id === 'string' && (s.id === `#${ATTESTATION_SERVICE_FRAGMENT}` || s.id === `${docId}#${ATTESTATION_SERVICE_FRAGMENT}`);
}

/** The document as attested: no `proof`, no attestation service (no `service` at all if that was the only one). */
export function documentForDigest(didDoc: DidDocument): DidDocument {
  if (!isRecord(didDoc) || typeof didDoc.id !== 'string') throw new TrustError('trust.invalid_record', 'a DID document with an id is needed');
  const { proof: _proof, ...rest } = didDoc as DidDocument & { proof?: unknown };
  const out = JSON.parse(JSON.stringify(rest)) as DidDocument;
  if (Array.isArray(out.service)) {
    const kept = out.service.filter((s) => !isAttestationService(s, out.id));
    if (kept.length) out.service = kept;
    else delete out.service;
  }
  return out;
}

/** SHA-256(JCS(documentForDigest(didDoc))), lowercase hex. */
export function documentDigest(didDoc: DidDocument): string {
  return bytesToHex(getCrypto().sha256(canonicalizeToBytes(documentForDigest(didDoc))));
}

function constraintsProblems(c: unknown): string[] {
  if (c === undefined) return [];
  if (!isRecord(c)) return ['constraints must be an object'];
  const out: string[] = [];
  for (const k of Object.keys(c)) if (k !== 'maxPathLength' && k !== 'credentialTypes') out.push(`unknown constraint ${k}`);
  if (c.maxPathLength !== undefined && (!Number.isSafeInteger(c.maxPathLength) || (c.maxPathLength as number) < 0)) {
    out.push('maxPathLength must be a non-negative integer');
  }
  if (
    c.credentialTypes !== undefined &&
    (!Array.isArray(c.credentialTypes) || c.credentialTypes.length === 0 || !c.credentialTypes.every((t) => typeof t === 'string' && t.length > 0))
  ) {
    out.push('credentialTypes must be a non-empty list of type names');
  }
  return out;
}

/** Problems with an attestation's shape (its signature is chain.ts's business). */
export function attestationProblems(a: unknown): string[] {
  if (!isRecord(a)) return ['attestation must be an object'];
  const out: string[] = [];
  if (a.type !== ATTESTATION_TYPE) out.push(`type must be ${ATTESTATION_TYPE}`);
  if (!isDid(a.upstream)) out.push('upstream must be a DID');
  if (!isDid(a.downstream)) out.push('downstream must be a DID');
  if (typeof a.documentDigest !== 'string' || !/^[0-9a-f]{64}$/.test(a.documentDigest)) out.push('documentDigest must be 64 lowercase hex digits');
  out.push(...constraintsProblems(a.constraints));
  if (!isRecord(a.proof)) out.push('attestation must carry one proof');
  return out;
}

export interface AttestOptions {
  /** An assertionMethod key of the upstream DID. */
  signer: Signer;
  constraints?: LinkConstraints;
  created?: Date | string;
  /** Proof expiry: the attestation lapses then. */
  expires?: Date | string;
}

/** The upstream (the signer's DID) attests `document`. */
export async function attestDocument(didDoc: DidDocument, options: AttestOptions): Promise<DownstreamAttestation> {
  const cp = constraintsProblems(options.constraints);
  if (cp.length) throw new TrustError('trust.invalid_argument', cp.join('; '));
  let upstream: string;
  try {
    upstream = parseDidUrl(options.signer.verificationMethod).did;
  } catch (e) {
    throw new TrustError('trust.invalid_argument', 'the signer must name a DID URL key', { cause: e });
  }
  if (!isDid(didDoc?.id)) throw new TrustError('trust.invalid_record', 'the attested document needs a DID as id');
  if (didDoc.id === upstream) throw new TrustError('trust.invalid_argument', 'a DID cannot attest itself');
  const unsigned: Record<string, unknown> = { type: ATTESTATION_TYPE, upstream, downstream: didDoc.id, documentDigest: documentDigest(didDoc) };
  if (options.constraints) unsigned.constraints = JSON.parse(JSON.stringify(options.constraints));
  const proof = await createProof(unsigned, { signer: options.signer, created: options.created, expires: options.expires, proofPurpose: 'assertionMethod' });
  return { ...unsigned, proof } as unknown as DownstreamAttestation;
}

/**
 * `document` with `attestation` in its attestation service (an existing
 * one is replaced): what the downstream publishes as its next version.
 */
export function embedAttestation(didDoc: DidDocument, attestation: DownstreamAttestation): DidDocument {
  const doc = JSON.parse(JSON.stringify(didDoc)) as DidDocument;
  const others = (Array.isArray(doc.service) ? doc.service : []).filter((s) => !isAttestationService(s, doc.id));
  const service = { id: `#${ATTESTATION_SERVICE_FRAGMENT}`, type: ATTESTATION_TYPE, serviceEndpoint: JSON.parse(JSON.stringify(attestation)) } as unknown as Service;
  doc.service = [...others, service];
  return doc;
}

/**
 * The attestation a resolved DID carries: metadata `proof` first, else the
 * one attestation service. `multiple` when a document has several
 * services (refused: which one would count?).
 */
export function findAttestation(didDoc: DidDocument, metadata?: { proof?: unknown }): { attestation?: unknown; multiple?: boolean } {
  if (isRecord(metadata) && metadata.proof !== undefined) return { attestation: metadata.proof };
  const services = Array.isArray(didDoc?.service) ? didDoc.service.filter((s) => isAttestationService(s, didDoc.id)) : [];
  if (services.length > 1) return { multiple: true };
  if (services.length === 0) return {};
  return { attestation: (services[0] as { serviceEndpoint?: unknown }).serviceEndpoint };
}
