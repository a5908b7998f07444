/**
 * W3C DID Core data model, as far as ssiot reads and writes it.
 *
 * Documents come from three places: did:key / did:peer:2 resolution (built
 * here), did:webvh logs, and user-supplied JSON (`--dids D.json`). The types
 * name what we understand; everything else a document carries is kept
 * (index signatures) so round trips lose nothing.
 */

/** JSON Web Key (RFC 7517) as used in `publicKeyJwk` and the secrets file. */
export interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  /** Private part. Only ever in secrets, never in a DID document. */
  d?: string;
  kid?: string;
  alg?: string;
  use?: string;
  [extra: string]: unknown;
}

/** Verification relationships of DID Core §5.3. */
export type VerificationRelationship =
  | 'authentication'
  | 'assertionMethod'
  | 'keyAgreement'
  | 'capabilityInvocation'
  | 'capabilityDelegation';

export const VERIFICATION_RELATIONSHIPS: readonly VerificationRelationship[] = [
  'authentication',
  'assertionMethod',
  'keyAgreement',
  'capabilityInvocation',
  'capabilityDelegation',
];

interface VerificationMethodBase {
  /** Absolute DID URL, or a relative `#fragment` (did:peer:2 uses those). */
  id: string;
  controller: string;
  [extra: string]: unknown;
}

/** Controlled Identifiers v1.0 `Multikey`: multibase(multicodec(key)). */
export interface MultikeyVerificationMethod extends VerificationMethodBase {
  type: 'Multikey';
  publicKeyMultibase: string;
}

/** JWS 2020 suite; `JsonWebKey` is the VC-JOSE/Controlled Identifiers successor name. */
export interface JsonWebKeyVerificationMethod extends VerificationMethodBase {
  type: 'JsonWebKey2020' | 'JsonWebKey';
  publicKeyJwk: Jwk;
}

/** Ed25519 2020 suite: `publicKeyMultibase` holds an ed25519-pub Multikey. */
export interface Ed25519VerificationKey2020Method extends VerificationMethodBase {
  type: 'Ed25519VerificationKey2020';
  publicKeyMultibase: string;
}

/** X25519 2020 suite: `publicKeyMultibase` holds an x25519-pub Multikey. */
export interface X25519KeyAgreementKey2020Method extends VerificationMethodBase {
  type: 'X25519KeyAgreementKey2020';
  publicKeyMultibase: string;
}

/**
 * Legacy suites that carry the raw key as plain base58btc (no multibase
 * prefix, no multicodec): Ed25519 2018, X25519 2019, secp256k1 2019 and the
 * short-lived P256Key2021 (EC keys SEC1-compressed). did:key test vectors use them.
 * The BLS12-381 2020 suites (compressed points) are written when resolving
 * a BLS did:key, for display only: no ssiot crypto accepts them.
 */
export interface Base58VerificationMethod extends VerificationMethodBase {
  type:
    | 'Ed25519VerificationKey2018'
    | 'X25519KeyAgreementKey2019'
    | 'EcdsaSecp256k1VerificationKey2019'
    | 'P256Key2021'
    | 'Bls12381G1Key2020'
    | 'Bls12381G2Key2020';
  publicKeyBase58: string;
}

export type VerificationMethod =
  | MultikeyVerificationMethod
  | JsonWebKeyVerificationMethod
  | Ed25519VerificationKey2020Method
  | X25519KeyAgreementKey2020Method
  | Base58VerificationMethod;

export type VerificationMethodType = VerificationMethod['type'];

/** DIDComm v2 style endpoint object (`uri` + optional `accept`/`routingKeys`). */
export interface ServiceEndpointObject {
  uri: string;
  accept?: string[];
  routingKeys?: string[];
  [extra: string]: unknown;
}

export type ServiceEndpoint = string | ServiceEndpointObject | Array<string | ServiceEndpointObject>;

export interface Service {
  id: string;
  type: string | string[];
  serviceEndpoint: ServiceEndpoint;
  [extra: string]: unknown;
}

/** A relationship entry: a reference (DID URL, possibly relative) or an embedded method. */
export type VerificationMethodRef = string | VerificationMethod;

export interface DidDocument {
  '@context'?: string | Array<string | Record<string, unknown>>;
  id: string;
  alsoKnownAs?: string[];
  controller?: string | string[];
  verificationMethod?: VerificationMethod[];
  authentication?: VerificationMethodRef[];
  assertionMethod?: VerificationMethodRef[];
  keyAgreement?: VerificationMethodRef[];
  capabilityInvocation?: VerificationMethodRef[];
  capabilityDelegation?: VerificationMethodRef[];
  service?: Service[];
  [extra: string]: unknown;
}

/**
 * Resolves a DID (not a DID URL) to its document. Async because some methods
 * (did:webvh) fetch; local methods resolve immediately. Errors are DidError:
 * `did.invalid`, `did.unsupported_method`, `did.not_found`, ...
 */
export interface DidResolver {
  resolve(did: string): Promise<DidDocument>;
}

/** Secrets-file entry in the JWK form (the form ssiot writes; didcomm-rust's shape). */
export interface JwkSecret {
  /** DID URL of the verification method this private key belongs to. */
  id: string;
  type: 'JsonWebKey2020';
  privateKeyJwk: Jwk;
}

/** Secrets-file entry in the Multikey form (accepted on input). */
export interface MultikeySecret {
  id: string;
  type: 'Multikey';
  /** multibase(multicodec `ed25519-priv` / `x25519-priv` / ..., raw private key). */
  privateKeyMultibase: string;
}

export type Secret = JwkSecret | MultikeySecret;

/** What the `ssiot did create ...` commands return. */
export interface CreatedDid {
  did: string;
  document: DidDocument;
  secrets: JwkSecret[];
}
