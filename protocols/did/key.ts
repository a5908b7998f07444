/**
 * did:key (W3C CCG "The did:key Method" v0.7/v0.9): the DID *is* the public
 * key, `did:key:` + Multikey (`z` + base58btc(multicodec || raw key)), and
 * the document is generated from it, no network involved. This is the
 * device's public DID.
 *
 * Resolution options follow the spec: `publicKeyFormat` picks the
 * verification-method type (default `Multikey`) and
 * `enableEncryptionKeyDerivation` (default true) adds an X25519
 * key-agreement method derived from an Ed25519 key (RFC 7748 §4.1 map).
 *
 * Choices where spec and reference vectors differ or are silent:
 * - EC keys (P-256/384/521, secp256k1) are listed under `keyAgreement`
 *   themselves, as the spec's test vectors do (they are ECDH keys); the
 *   derivation flag does not affect them, since nothing is derived.
 * - Legacy formats (the vectors' `Ed25519VerificationKey2018` /
 *   `X25519KeyAgreementKey2019`, `EcdsaSecp256k1VerificationKey2019`,
 *   `P256Key2021`) are supported for reading the vectors and old peers;
 *   the 2020 suites (`Ed25519VerificationKey2020` / `X25519KeyAgreementKey2020`)
 *   too. Naming either member of a suite pair selects the pair.
 * - RSA and BLS12-381 keys are not supported: `did.unsupported_key_type`.
 *   (Nothing in ssiot can use them.)
 * - `did:key:<version>:...` forms are rejected (`did.invalid`): the
 *   method-specific id must be the multibase value.
 */
import { getCrypto } from '../crypto/index.ts';
import { DidError } from '../errors.ts';
import { parseDid } from './did-url.ts';
import {
  jwkSecret,
  keyKindFromCodec,
  publicKeyFromMultikey,
  publicKeyFromPrivateKey,
  publicKeyToBase58,
  publicKeyToJwk,
  publicKeyToMultikey,
  type KeyKind,
  type PublicKey,
} from './keys.ts';
import type { CreatedDid, DidDocument, VerificationMethod } from './types.ts';

export type DidKeyPublicKeyFormat =
  | 'Multikey'
  | 'JsonWebKey2020'
  | 'Ed25519VerificationKey2020'
  | 'X25519KeyAgreementKey2020'
  | 'Ed25519VerificationKey2018'
  | 'X25519KeyAgreementKey2019'
  | 'EcdsaSecp256k1VerificationKey2019'
  | 'P256Key2021';

export interface DidKeyResolveOptions {
  /** Verification-method type of the document; default `Multikey`. */
  publicKeyFormat?: DidKeyPublicKeyFormat;
  /** Add an X25519 keyAgreement method derived from an Ed25519 key; default true. */
  enableEncryptionKeyDerivation?: boolean;
}

const DID_V1 = 'https://www.w3.org/ns/did/v1';

/** JSON-LD context each verification-method type needs (did:key spec, context creation). */
const TYPE_CONTEXT: Record<string, string> = {
  Multikey: 'https://w3id.org/security/multikey/v1',
  JsonWebKey2020: 'https://w3id.org/security/suites/jws-2020/v1',
  Ed25519VerificationKey2020: 'https://w3id.org/security/suites/ed25519-2020/v1',
  X25519KeyAgreementKey2020: 'https://w3id.org/security/suites/x25519-2020/v1',
  Ed25519VerificationKey2018: 'https://w3id.org/security/suites/ed25519-2018/v1',
  X25519KeyAgreementKey2019: 'https://w3id.org/security/suites/x25519-2019/v1',
  EcdsaSecp256k1VerificationKey2019: 'https://w3id.org/security/suites/secp256k1-2019/v1',
  P256Key2021: 'https://w3id.org/security/suites/multikey-2021/v1',
};

/** For each format, the verification-method type used per key kind (absent = unsupported). */
const FORMAT_TYPES: Record<DidKeyPublicKeyFormat, Partial<Record<KeyKind, VerificationMethod['type']>>> = {
  Multikey: { Ed25519: 'Multikey', X25519: 'Multikey', 'P-256': 'Multikey', 'P-384': 'Multikey', 'P-521': 'Multikey', secp256k1: 'Multikey' },
  JsonWebKey2020: {
    Ed25519: 'JsonWebKey2020',
    X25519: 'JsonWebKey2020',
    'P-256': 'JsonWebKey2020',
    'P-384': 'JsonWebKey2020',
    'P-521': 'JsonWebKey2020',
    secp256k1: 'JsonWebKey2020',
  },
  Ed25519VerificationKey2020: { Ed25519: 'Ed25519VerificationKey2020', X25519: 'X25519KeyAgreementKey2020' },
  X25519KeyAgreementKey2020: { Ed25519: 'Ed25519VerificationKey2020', X25519: 'X25519KeyAgreementKey2020' },
  Ed25519VerificationKey2018: { Ed25519: 'Ed25519VerificationKey2018', X25519: 'X25519KeyAgreementKey2019' },
  X25519KeyAgreementKey2019: { Ed25519: 'Ed25519VerificationKey2018', X25519: 'X25519KeyAgreementKey2019' },
  EcdsaSecp256k1VerificationKey2019: { secp256k1: 'EcdsaSecp256k1VerificationKey2019' },
  P256Key2021: { 'P-256': 'P256Key2021' },
};

/** `did:key:` + Multikey of the public key. `codec` is the multicodec name (`ed25519-pub`, ...). */
export function didKeyFromPublicKey(codec: string, key: Uint8Array): string;
export function didKeyFromPublicKey(key: PublicKey): string;
export function didKeyFromPublicKey(a: string | PublicKey, b?: Uint8Array): string {
  if (typeof a === 'string') {
    const mb = publicKeyToMultikey({ kind: keyKindFromCodec(a), bytes: b as Uint8Array });
    return `did:key:${mb}`;
  }
  return `did:key:${publicKeyToMultikey(a)}`;
}

/**
 * Decode the key of a did:key. A method-specific id that is not a
 * base58btc multibase value is `did.invalid` (spec: invalidDid); a bad key
 * inside is `did.invalid_key`; an unsupported multicodec is
 * `did.unsupported_key_type`.
 */
export function publicKeyFromDidKey(did: string): PublicKey {
  const parsed = parseDid(did);
  if (parsed.method !== 'key') throw new DidError('did.invalid', 'not a did:key');
  if (parsed.id[0] !== 'z') throw new DidError('did.invalid', 'did:key identifier must be a base58btc multibase value (z...)');
  return publicKeyFromMultikey(parsed.id);
}

/** RFC 7748 map of an Ed25519 public key; a key that is not a curve point is `did.invalid_key` (spec: invalidPublicKey). */
function deriveX25519(ed25519: Uint8Array): Uint8Array {
  try {
    return getCrypto().ed25519PublicToX25519(ed25519);
  } catch (e) {
    throw new DidError('did.invalid_key', 'did:key Ed25519 key is not a valid curve point', { cause: e });
  }
}

/** `mb` is the key's Multikey, also the fragment of the method's id (did:key spec). */
function verificationMethod(type: VerificationMethod['type'], did: string, key: PublicKey, mb: string): VerificationMethod {
  const id = `${did}#${mb}`;
  switch (type) {
    case 'Multikey':
    case 'Ed25519VerificationKey2020':
    case 'X25519KeyAgreementKey2020':
      return { id, type, controller: did, publicKeyMultibase: mb };
    case 'JsonWebKey2020':
    case 'JsonWebKey':
      return { id, type, controller: did, publicKeyJwk: publicKeyToJwk(key) };
    default:
      return { id, type, controller: did, publicKeyBase58: publicKeyToBase58(key) };
  }
}

/** Resolve a did:key to its DID document (see module comment for the options). */
export function resolveDidKey(did: string, options: DidKeyResolveOptions = {}): DidDocument {
  const format = options.publicKeyFormat ?? 'Multikey';
  const derive = options.enableEncryptionKeyDerivation ?? true;
  const types = Object.prototype.hasOwnProperty.call(FORMAT_TYPES, format) ? FORMAT_TYPES[format] : undefined;
  if (!types) throw new DidError('did.unsupported_key_type', `unsupported publicKeyFormat ${String(format)}`);
  const key = publicKeyFromDidKey(did);
  const mb = did.slice('did:key:'.length);
  const type = types[key.kind];
  if (!type) throw new DidError('did.unsupported_key_type', `publicKeyFormat ${format} cannot express a ${key.kind} key`);

  const vm = verificationMethod(type, did, key, mb);
  const methods: VerificationMethod[] = [vm];
  const doc: DidDocument = { '@context': [DID_V1], id: did, verificationMethod: methods };

  if (key.kind === 'X25519') {
    // An X25519 key can only agree on keys: keyAgreement is its one relationship.
    doc.keyAgreement = [vm.id];
  } else {
    doc.assertionMethod = [vm.id];
    doc.authentication = [vm.id];
    doc.capabilityInvocation = [vm.id];
    doc.capabilityDelegation = [vm.id];
    if (key.kind === 'Ed25519') {
      if (derive) {
        const xKey: PublicKey = { kind: 'X25519', bytes: deriveX25519(key.bytes) };
        const xType = types.X25519;
        if (!xType) throw new DidError('did.unsupported_key_type', `publicKeyFormat ${format} cannot express an X25519 key`);
        const xVm = verificationMethod(xType, did, xKey, publicKeyToMultikey(xKey));
        methods.push(xVm);
        doc.keyAgreement = [xVm.id];
      }
    } else {
      doc.keyAgreement = [vm.id];
    }
  }
  const contexts = doc['@context'] as string[];
  for (const m of methods) {
    const ctx = TYPE_CONTEXT[m.type];
    if (ctx && !contexts.includes(ctx)) contexts.push(ctx);
  }
  return doc;
}

export interface CreateDidKeyOptions {
  /** 32-byte Ed25519 seed; random (crypto facade) when absent. */
  seed?: Uint8Array;
  /** Document format; default `Multikey`. */
  publicKeyFormat?: DidKeyPublicKeyFormat;
}

/**
 * A new Ed25519 did:key with its derived X25519 key-agreement key.
 * `secrets` holds both private keys in the CLI's JWK form, ids = the DID
 * URLs of their verification methods. The X25519 private key is the one
 * RFC 7748 derives from the same seed, so one 32-byte seed backs up both.
 */
export function createDidKey(options: CreateDidKeyOptions = {}): CreatedDid {
  const seed = options.seed ?? getCrypto().randomBytes(32);
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new DidError('did.invalid_key', 'did:key seed must be 32 bytes');
  }
  const edPriv = { kind: 'Ed25519' as const, bytes: seed };
  const edPub = publicKeyFromPrivateKey(edPriv);
  const xPriv = { kind: 'X25519' as const, bytes: getCrypto().ed25519SeedToX25519(seed) };
  const did = didKeyFromPublicKey(edPub);
  const document = resolveDidKey(did, { publicKeyFormat: options.publicKeyFormat ?? 'Multikey' });
  const xMb = publicKeyToMultikey(publicKeyFromPrivateKey(xPriv));
  return {
    did,
    document,
    secrets: [jwkSecret(`${did}#${did.slice('did:key:'.length)}`, edPriv), jwkSecret(`${did}#${xMb}`, xPriv)],
  };
}
