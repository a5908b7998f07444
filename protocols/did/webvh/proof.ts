/**
 * Proofs on did:webvh log entries and witness records (spec §Authorized Keys,
 * §The Witness Proofs File), on top of protocols/vc's eddsa-jcs-2022.
 *
 * did:webvh:1.0 accepts exactly: `type` DataIntegrityProof, `cryptosuite`
 * eddsa-jcs-2022, `proofPurpose` assertionMethod, and a `verificationMethod`
 * `did:key:<mk>#<mk>` whose body and fragment are the same Multikey (the
 * body is the key; a fragment naming another key is an attack, not a typo).
 * The key is taken from the did:key itself: no resolution happens.
 */
import { publicKeyFromMultikey } from '../keys.ts';
import { isRecord } from '../../encoding/json.ts';
import { isSsiotError } from '../../errors.ts';
import { DATA_INTEGRITY_PROOF, EDDSA_JCS_2022, verifyProofJcs } from '../../vc/eddsa-jcs-2022.ts';
import type { DataIntegrityProof } from '../../vc/credential.ts';
import { webvhError, WEBVH_ERRORS } from './codes.ts';

function invalidProof(message: string, cause?: unknown): Error {
  return webvhError(WEBVH_ERRORS.invalidProof, message, cause);
}

/** The Multikey of a `did:key:<mk>#<mk>` verification method (body and fragment equal). */
export function multikeyOfDidKeyUrl(vm: unknown): string {
  if (typeof vm !== 'string') throw invalidProof('proof verificationMethod must be a string');
  const m = /^did:key:(z[1-9A-HJ-NP-Za-km-z]+)#(z[1-9A-HJ-NP-Za-km-z]+)$/.exec(vm);
  if (!m) throw invalidProof('proof verificationMethod must be did:key:<multikey>#<multikey>');
  if (m[1] !== m[2]) throw invalidProof('did:key verificationMethod body and fragment name different keys');
  return m[1];
}

/**
 * Check the proof's shape and its Ed25519 signature over `document` by the
 * key `multikey`. Errors: `did.webvh_invalid_proof` (never a VcError).
 */
export function verifyEd25519Proof(document: Record<string, unknown>, proof: unknown, multikey: string): void {
  if (!isRecord(proof)) throw invalidProof('proof must be an object');
  if (proof.type !== DATA_INTEGRITY_PROOF) throw invalidProof(`proof type must be ${DATA_INTEGRITY_PROOF}`);
  if (proof.cryptosuite !== EDDSA_JCS_2022) throw invalidProof(`did:webvh:1.0 proofs must use ${EDDSA_JCS_2022}`);
  if (proof.proofPurpose !== 'assertionMethod') throw invalidProof('proofPurpose must be assertionMethod');
  let key;
  try {
    key = publicKeyFromMultikey(multikey);
  } catch (e) {
    throw invalidProof(`proof key is not a valid Multikey (${isSsiotError(e) ? e.code : 'error'})`, e);
  }
  if (key.kind !== 'Ed25519') throw invalidProof(`${EDDSA_JCS_2022} needs an Ed25519 key, got ${key.kind}`);
  let ok: boolean;
  try {
    ok = verifyProofJcs(document, proof as unknown as DataIntegrityProof, key.bytes);
  } catch (e) {
    throw invalidProof(`proof cannot be verified (${isSsiotError(e) ? e.code : 'error'})`, e);
  }
  if (!ok) throw invalidProof('proof signature does not verify');
}

/**
 * Verify every proof of a log entry: each must be well formed, by a key in
 * `activeUpdateKeys` (compared verbatim, as the spec says), and valid over
 * the entry without its `proof`. The caller has checked `proof` is a
 * non-empty array.
 */
export function verifyEntryProofs(entry: Record<string, unknown>, activeUpdateKeys: readonly string[]): void {
  const { proof, ...unsecured } = entry;
  for (const p of proof as unknown[]) {
    const mk = multikeyOfDidKeyUrl(isRecord(p) ? p.verificationMethod : undefined);
    if (!activeUpdateKeys.includes(mk)) {
      throw webvhError(WEBVH_ERRORS.unauthorizedKey, `entry ${String(entry.versionId)} is signed by a key that is not an active update key`);
    }
    verifyEd25519Proof(unsecured, p, mk);
  }
}
