/**
 * DIDs for ssiot: the DID Core data model, DID URL syntax, key material in
 * every form documents use, did:key (RSA/BLS12-381 for display only),
 * did:peer:2/3/4 (short forms through a store of long forms seen), and the
 * resolver registry other methods (did:webvh) plug into.
 */
export * from './types.ts';
export * from './did-url.ts';
export * from './keys.ts';
export * from './opaque-keys.ts';
export * from './key.ts';
export * from './peer-short.ts';
export * from './peer2.ts';
export * from './peer4.ts';
export * from './peer-store.ts';
export * from './resolver.ts';
