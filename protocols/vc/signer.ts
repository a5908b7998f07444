/**
 * Who signs a Data Integrity proof. A Signer names its verification method
 * and signs bytes, nothing more: the wallet (or a secure element, or a remote
 * KMS) keeps the private key and hands out only this object.
 */
import { getCrypto } from '../crypto/index.ts';
import { VcError } from '../errors.ts';

export interface Signer {
  /** Absolute DID URL of the verification method, e.g. `did:key:z6Mk...#z6Mk...`. */
  readonly verificationMethod: string;
  /** Signature algorithm; eddsa-jcs-2022 needs pure Ed25519 (RFC 8032). */
  readonly algorithm: 'Ed25519';
  /** Signs `data` as is (no pre-hash); may be asynchronous (hardware, remote). */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * A Signer over an Ed25519 seed held in memory (tests, the CLI, the device's
 * own wallet). The seed stays in the closure; it is never exposed again.
 */
export function ed25519Signer(verificationMethod: string, seed: Uint8Array): Signer {
  if (typeof verificationMethod !== 'string' || verificationMethod.length === 0) {
    throw new VcError('vc.invalid_signer', 'verificationMethod must be a non-empty string');
  }
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new VcError('vc.invalid_signer', 'an Ed25519 seed must be 32 bytes');
  }
  const key = seed.slice();
  return Object.freeze({
    verificationMethod,
    algorithm: 'Ed25519' as const,
    sign: (data: Uint8Array): Uint8Array => getCrypto().ed25519Sign(data, key),
  });
}
