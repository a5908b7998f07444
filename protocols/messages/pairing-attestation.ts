/**
 * What the device and the owner's phone add to protocols/messages/pairing.ts
 * (ssiot pairing 1.0, which defines pair-request / pair-response and the
 * proof HMAC-SHA256(secret, transcript)):
 *
 *  - the label's pairing attachment: the OOB invitation (goal_code
 *    pair-device, `from` = the device's pairing did:peer:2 with its local
 *    endpoint) carries one JSON attachment `pairing` =
 *    `{ commitment, secret }`, commitment = base64url(SHA-256(raw Ed25519
 *    public key of the device did:key)), secret = base64url(32 random bytes);
 *  - the transcript's `device` is the pairing DID from the label (the phone
 *    does not know the did:key before the certificate arrives);
 *  - device attestation: pair-response carries, besides the device
 *    certificate, `body.device_proof` = base64url(Ed25519 signature by the
 *    device did:key over the same transcript bytes). The certificate alone is
 *    public; the signature shows that the certified key — the one the label
 *    commits to — is in this device and answered this very request.
 *  - manual setup code (SPAKE2+): there is no label commitment; the
 *    pair-response's `device_proof` then signs spakeTranscript (both shares
 *    bind it to this exchange).
 */
import { getCrypto } from '../crypto/index.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { canonicalize } from '../encoding/jcs.ts';
import { PAIRING_CONTEXT } from './pairing.ts';

export const PAIRING_ATTACHMENT = 'pairing';
/** pair-response body field (ssiot extension): the device key's signature over the pairing transcript. */
export const DEVICE_PROOF_FIELD = 'device_proof';

/** The label's commitment to the device key: base64url(SHA-256(raw public key)). */
export function keyCommitment(publicKey: Uint8Array): string {
  return base64urlEncode(getCrypto().sha256(publicKey));
}

/** What the device key signs after a SPAKE2+ pairing: JCS of {ctx, device, owner, share_p, share_v}. */
export function spakeTranscript(t: { deviceDid: string; ownerDid: string; shareP: Uint8Array; shareV: Uint8Array }): Uint8Array {
  return utf8Encode(
    canonicalize({ ctx: PAIRING_CONTEXT, device: t.deviceDid, owner: t.ownerDid, share_p: base64urlEncode(t.shareP), share_v: base64urlEncode(t.shareV) }),
  );
}
