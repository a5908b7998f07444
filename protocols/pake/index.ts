/**
 * SPAKE2+ (RFC 9383) for manual setup codes. A device needs only
 * spake2plus.ts (Spake2PlusVerifier) and its stored VerifierRecord; the
 * registration (scrypt) and setup-code helpers are for the factory and the
 * phone, so device bundles should import spake2plus.ts directly.
 */
export * from './group.ts';
export * from './suite.ts';
export * from './spake2plus.ts';
export * from './registration.ts';
export * from './setup-code.ts';
