/**
 * The manufacturer's DID document, and reading its keys back.
 *
 * Two Ed25519 keys, both listed under `assertionMethod` (the relationship
 * every verifier in the repo checks):
 *   `#cert-<n>`      signs device certificates (eddsa-jcs-2022): the factory
 *                    station and verifyDeviceCertificate look it up in
 *                    assertionMethod;
 *   `#firmware-<n>`  signs SUIT manifests (COSE EdDSA, kid = this DID URL):
 *                    device/updater/release.ts accepts a kid of the pinned DID
 *                    that the CURRENT document lists under assertionMethod.
 * `<n>` is the log version that introduced the key, so a kid is never
 * reused for another key and says when its key came in.
 *
 * Separate keys keep the two jobs apart operationally (the factory station
 * and the release pipeline hold different signers; one can be rotated for
 * cause with the other). A verifier cannot tell them apart cryptographically:
 * both are assertion keys, which is what the existing verifiers require.
 *
 * Choice on rotation: certificates are long-lived and verified against the
 * current document (verifyDeviceCertificate, the owner's checks), so a
 * routine rotation keeps earlier certificate keys listed ("retired": the
 * service deleted their private keys and never signs with them again) so
 * issued certificates still verify. A rotation for compromise
 * (`revokeCertificateKeys`) drops them. Earlier firmware keys are always
 * dropped: the updater then refuses every manifest they signed.
 */
import { IdentityError } from '../../protocols/errors.ts';
import type { DidDocument, VerificationMethod } from '../../protocols/did/types.ts';

const CONTEXTS = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'];
const CERT = 'cert';
const FIRMWARE = 'firmware';

/** One key of the document. */
export interface KeyRef {
  /** Absolute DID URL (the VC verificationMethod / the COSE kid). */
  id: string;
  /** Ed25519 Multikey (also the key's handle in the wallet). */
  publicKeyMultibase: string;
  /** Log version that introduced it. */
  generation: number;
}

/** The signing keys a document states. */
export interface DocumentKeys {
  certificate: KeyRef;
  firmware: KeyRef;
  /** Earlier certificate keys still listed so issued certificates verify; newest first. */
  retiredCertificates: KeyRef[];
}

function vm(did: string, role: string, generation: number, multikey: string): VerificationMethod {
  return { id: `${did}#${role}-${generation}`, type: 'Multikey', controller: did, publicKeyMultibase: multikey };
}

/**
 * The document for `did` (may hold the `{SCID}` placeholder at creation):
 * current certificate and firmware keys, then the retained certificate keys.
 */
export function buildDocument(
  did: string,
  keys: { generation: number; certificate: string; firmware: string; retiredCertificates?: readonly KeyRef[] },
): DidDocument {
  const methods = [vm(did, CERT, keys.generation, keys.certificate), vm(did, FIRMWARE, keys.generation, keys.firmware)];
  for (const r of keys.retiredCertificates ?? []) methods.push({ id: r.id, type: 'Multikey', controller: did, publicKeyMultibase: r.publicKeyMultibase });
  return {
    '@context': [...CONTEXTS],
    id: did,
    verificationMethod: methods,
    assertionMethod: methods.map((m) => m.id),
  };
}

function bad(message: string): IdentityError {
  return new IdentityError('identity.invalid_document', message);
}

/** The keys of a document made by buildDocument. Errors: `identity.invalid_document`. */
export function documentKeys(document: DidDocument): DocumentKeys {
  const assertion = new Set((document.assertionMethod ?? []).map((r) => (typeof r === 'string' ? r : r.id)));
  const byRole: Record<string, KeyRef[]> = { [CERT]: [], [FIRMWARE]: [] };
  for (const m of document.verificationMethod ?? []) {
    const id = m.id.startsWith('#') ? document.id + m.id : m.id;
    const match = /#(cert|firmware)-([1-9][0-9]{0,14})$/.exec(id);
    if (!match || !assertion.has(m.id) || typeof m.publicKeyMultibase !== 'string') continue;
    byRole[match[1]].push({ id, publicKeyMultibase: m.publicKeyMultibase, generation: Number(match[2]) });
  }
  const newestFirst = (a: KeyRef, b: KeyRef): number => b.generation - a.generation;
  const certs = byRole[CERT].sort(newestFirst);
  const firmware = byRole[FIRMWARE].sort(newestFirst);
  if (certs.length === 0) throw bad('the DID document has no #cert-<n> assertion key');
  if (firmware.length !== 1) throw bad('the DID document must have exactly one #firmware-<n> assertion key');
  return { certificate: certs[0], firmware: firmware[0], retiredCertificates: certs.slice(1) };
}
