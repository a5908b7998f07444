/**
 * DIDs for ssiot: the DID Core data model, DID URL syntax, key material in
 * every form documents use, did:key, did:peer:2 (+ did:peer:3 derivation),
 * and the resolver registry other methods (did:webvh) plug into.
 */
export * from './types.ts';
export * from './did-url.ts';
export * from './keys.ts';
export * from './key.ts';
export * from './peer2.ts';
export * from './resolver.ts';
