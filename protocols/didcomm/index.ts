/**
 * DIDComm Messaging v2 envelopes: plaintext, signed (JWS), authcrypt
 * (ECDH-1PU+A256KW) and anoncrypt (ECDH-ES+A256KW) JWE, their nestings,
 * routing 2.0 forwards, and the receiver checks (sender/signer/recipient
 * consistency, expiry, replay, size). Curves: X25519, P-256, P-384, P-521
 * key agreement; EdDSA/ES256/ES256K signatures (sign: EdDSA, ES256, ES256K).
 */
export * from './message.ts';
export * from './secrets.ts';
export * from './pack.ts';
export * from './unpack.ts';
export * from './forward.ts';
export * from './replay.ts';
export { publicKeyOps, resetPublicKeyOps, type PublicKeyOps } from './pkops.ts';
export { createEcdhCache, sharedEcdhCache, AGREEMENT_CURVES, type AgreementCurve, type EcdhCache } from './ecdh.ts';
export { CONTENT_ENCRYPTIONS, type ContentEncryption, type KeyWrapAlgorithm, type JweJson } from './jwe.ts';
export { type JwsAlgorithm, type JwsJson } from './jws.ts';
export { messagingService, resolveMessagingService, type MessagingService } from './did-keys.ts';
