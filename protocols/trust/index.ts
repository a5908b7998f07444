/**
 * Trust in issuers (docs/trust.md is the specification):
 *  - downstream-DID chains: attestations (attestation.ts), root pins by date
 *    and confirmation code (root.ts), step-by-step chain verification with
 *    link constraints (chain.ts);
 *  - the bottom-up trust registry: signed edges (edge.ts), RFC 6962 Merkle
 *    trees (merkle.ts), k-of-n signed epochs (epoch.ts), exact scores
 *    (score.ts), path queries (graph.ts), answers and their offline
 *    verification (answer.ts), the registry itself (registry.ts) and its
 *    accounting (accounting.ts);
 *  - the verifier flow for ownership presentations (ownership.ts).
 * Errors are TrustError with `trust.*` codes (codes.ts).
 */
export * from './codes.ts';
export * from './merkle.ts';
export * from './score.ts';
export * from './edge.ts';
export * from './epoch.ts';
export * from './graph.ts';
export * from './accounting.ts';
export * from './answer.ts';
export * from './registry.ts';
export * from './attestation.ts';
export * from './root.ts';
export * from './chain.ts';
export * from './ownership.ts';
