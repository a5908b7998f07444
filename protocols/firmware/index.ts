/**
 * DID-signed firmware: SUIT manifests (draft-ietf-suit-manifest-37) in
 * deterministic CBOR inside a COSE_Sign1-authenticated envelope, and the
 * streaming image verifier a device runs while it downloads.
 */
export * from './labels.ts';
export * from './digest.ts';
export * from './uuid.ts';
export * from './commands.ts';
export * from './cose-sign1.ts';
export * from './manifest.ts';
export * from './target.ts';
export * from './envelope.ts';
export * from './inspect.ts';
export * from './image-verifier.ts';
