/**
 * The `eddsa-jcs-2022` cryptosuite (W3C Data Integrity EdDSA Cryptosuites
 * v1.0 §3.3): JCS (RFC 8785) canonical JSON, SHA-256, pure Ed25519.
 *
 *   hashData   = SHA-256(JCS(proofConfig)) || SHA-256(JCS(unsecuredDocument))
 *   proofValue = "z" + base58btc(Ed25519.sign(hashData))
 *
 * Each step is exported on its own so tests can pin every intermediate value
 * of the W3C test vectors. Key retrieval and proof-purpose checks are not
 * here: they belong to the generic Data Integrity layer (data-integrity.ts).
 */
import { getCrypto } from '../crypto/index.ts';
import { concatBytes, utf8Encode } from '../encoding/bytes.ts';
import { canonicalize } from '../encoding/jcs.ts';
import { base58btcDecode, base58btcEncode } from '../encoding/multibase.ts';
import { VcError, isSsiotError } from '../errors.ts';
import type { Cryptosuite } from './data-integrity.ts';
import type { DataIntegrityProof } from './credential.ts';
import { isJsonObject } from './credential.ts';
import { isDateTimeStamp } from './datetime.ts';
import type { Signer } from './signer.ts';

export const EDDSA_JCS_2022 = 'eddsa-jcs-2022';
export const DATA_INTEGRITY_PROOF = 'DataIntegrityProof';

type JsonObject = Record<string, unknown>;

/** JCS, with canonicalization failures (non-JSON values) as `vc.invalid_json`. */
function jcs(value: unknown, what: string): string {
  try {
    return canonicalize(value);
  } catch (e) {
    throw new VcError('vc.invalid_json', `${what} cannot be canonicalized (${isSsiotError(e) ? e.code : 'not JSON'})`, { cause: e });
  }
}

function checkSuite(options: { type?: unknown; cryptosuite?: unknown }): void {
  if (options.type !== DATA_INTEGRITY_PROOF) {
    throw new VcError('vc.unsupported_proof_type', `proof type must be ${DATA_INTEGRITY_PROOF}`);
  }
  if (options.cryptosuite !== EDDSA_JCS_2022) {
    throw new VcError('vc.unsupported_cryptosuite', `cryptosuite must be ${EDDSA_JCS_2022}`);
  }
}

/**
 * Transformation (§3.3.3): the JCS serialization of the unsecured document.
 * `options` must name this suite. (The spec's step joins the two conditions
 * with "and"; we reject when either is wrong, which is the evident intent.)
 */
export function transformJcs(unsecuredDocument: JsonObject, options: { type?: unknown; cryptosuite?: unknown }): string {
  checkSuite(options);
  return jcs(unsecuredDocument, 'document');
}

/**
 * Proof Configuration (§3.3.5): the JCS serialization of the proof options
 * (the proof without `proofValue`). A `created` that is not an XML Schema
 * dateTimeStamp is rejected (`vc.invalid_proof`).
 */
export function proofConfigurationJcs(proofOptions: JsonObject): string {
  checkSuite(proofOptions);
  if (proofOptions.created !== undefined && !isDateTimeStamp(proofOptions.created)) {
    throw new VcError('vc.invalid_proof', 'proof created must be an XML Schema dateTimeStamp');
  }
  if (proofOptions.proofValue !== undefined) {
    throw new VcError('vc.invalid_proof', 'proof configuration must not contain proofValue');
  }
  return jcs(proofOptions, 'proof configuration');
}

/** Hashing (§3.3.4): SHA-256(proof config) || SHA-256(document), 64 bytes, proof hash FIRST. */
export function hashDataJcs(transformedDocument: string, canonicalProofConfig: string): Uint8Array {
  const c = getCrypto();
  return concatBytes(c.sha256(utf8Encode(canonicalProofConfig)), c.sha256(utf8Encode(transformedDocument)));
}

/** `proofValue` for a signature: multibase base58btc (`z...`). */
export function encodeProofValue(signature: Uint8Array): string {
  return 'z' + base58btcEncode(signature);
}

/**
 * Signature bytes from a `proofValue`: must be a base58btc multibase string
 * (`z` prefix) decoding to exactly 64 bytes, else `vc.invalid_proof_value`.
 */
export function decodeProofValue(proofValue: unknown): Uint8Array {
  if (typeof proofValue !== 'string' || proofValue.length < 2 || proofValue[0] !== 'z') {
    throw new VcError('vc.invalid_proof_value', 'proofValue must be a base58btc multibase string (z...)');
  }
  let bytes: Uint8Array;
  try {
    bytes = base58btcDecode(proofValue.slice(1));
  } catch (e) {
    throw new VcError('vc.invalid_proof_value', 'proofValue is not valid base58btc', { cause: e });
  }
  if (bytes.length !== 64) {
    throw new VcError('vc.invalid_proof_value', `proofValue must decode to a 64-byte Ed25519 signature, got ${bytes.length} bytes`);
  }
  return bytes;
}

function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function contextList(ctx: unknown): unknown[] {
  return Array.isArray(ctx) ? ctx : [ctx];
}

/**
 * Create Proof (§3.3.1). `proofOptions` are the proof's properties in the
 * order they should appear (without proofValue). As the spec strongly
 * advises (step 2), the document's `@context` is copied into the proof so
 * the proof stays verifiable if later proofs extend the document's context.
 */
export async function createProofJcs(
  unsecuredDocument: JsonObject,
  proofOptions: JsonObject,
  signer: Signer,
): Promise<DataIntegrityProof> {
  if (!isJsonObject(unsecuredDocument)) throw new VcError('vc.invalid_json', 'document must be a JSON object');
  if (!signer || signer.algorithm !== 'Ed25519' || typeof signer.sign !== 'function') {
    throw new VcError('vc.invalid_signer', `${EDDSA_JCS_2022} needs an Ed25519 signer`);
  }
  const proof: JsonObject = { ...proofOptions };
  delete proof.proofValue;
  if (unsecuredDocument['@context'] !== undefined) proof['@context'] = cloneJson(unsecuredDocument['@context']);
  const proofConfig = proofConfigurationJcs(proof);
  const transformed = transformJcs(unsecuredDocument, proof);
  const data = hashDataJcs(transformed, proofConfig);
  const signature = await signer.sign(data);
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new VcError('vc.invalid_signer', 'signer did not return a 64-byte Ed25519 signature');
  }
  proof.proofValue = encodeProofValue(signature);
  return proof as DataIntegrityProof;
}

/**
 * Verify Proof (§3.3.2) once the public key is known. Returns whether the
 * signature is valid; throws VcError for a proof that cannot be checked:
 * `vc.invalid_proof_value`, `vc.context_mismatch` (the document's @context
 * does not start with the proof's @context, in order), `vc.invalid_proof`,
 * `vc.unsupported_proof_type` / `vc.unsupported_cryptosuite`.
 *
 * Per the spec, when the proof carries `@context` the document is hashed
 * with the proof's @context in place of its own: contexts appended to the
 * document after signing (e.g. by a later proof in a set) do not break this
 * proof. They are also not covered by it — a spec choice we keep for interop.
 */
export function verifyProofJcs(unsecuredDocument: JsonObject, proof: DataIntegrityProof, publicKey: Uint8Array): boolean {
  const proofOptions: JsonObject = { ...proof };
  delete proofOptions.proofValue;
  const signature = decodeProofValue(proof.proofValue);
  let document = unsecuredDocument;
  if (proofOptions['@context'] !== undefined) {
    const expected = contextList(proofOptions['@context']);
    const actual = unsecuredDocument['@context'] === undefined ? [] : contextList(unsecuredDocument['@context']);
    const prefixOk =
      actual.length >= expected.length && expected.every((entry, i) => jcs(entry, '@context') === jcs(actual[i], '@context'));
    if (!prefixOk) {
      throw new VcError('vc.context_mismatch', "the document's @context does not start with the proof's @context");
    }
    document = { ...unsecuredDocument, '@context': proofOptions['@context'] };
  }
  const transformed = transformJcs(document, proofOptions);
  const proofConfig = proofConfigurationJcs(proofOptions);
  return getCrypto().ed25519Verify(signature, hashDataJcs(transformed, proofConfig), publicKey);
}

/** The suite as the Data Integrity layer uses it. */
export const eddsaJcs2022: Cryptosuite = Object.freeze({
  cryptosuite: EDDSA_JCS_2022,
  keyKind: 'Ed25519' as const,
  createProof: createProofJcs,
  verifyProof: verifyProofJcs,
});
