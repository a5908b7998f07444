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
 * - RSA and BLS12-381 keys resolve (Multikey, JsonWebKey2020, and for BLS
 *   the `Bls12381G1Key2020`/`Bls12381G2Key2020` pair) but are display-only
 *   (opaque-keys.ts): `publicKeyFromDidKey` and every crypto path answer
 *   `did.unsupported_key_type`. RSA keys are listed under `keyAgreement`
 *   as rsa.json does (RSA-OAEP key transport); BLS keys are not (no key
 *   agreement exists for them, bls12381.json has none).
 * - A BLS G1G2 did:key (`z5Tc...`) resolves to two methods, G1 then G2,
 *   each in every signing relationship, as did-key.js's own resolver
 *   fixtures and Credo do. bls12381.json's G1G2 document lists only the G1
 *   method: a known defect of that vector (w3c-ccg/did-key-spec#68), not
 *   followed here.
 * - `did:key:<version>:...` forms are rejected (`did.invalid`): the
 *   method-specific id must be the multibase value.
 */
import { getCrypto } from '../crypto/index.ts';
import { base58btcEncode } from '../encoding/multibase.ts';
import { DidError } from '../errors.ts';
import { parseDid } from './did-url.ts';
import {
  decodeKeyMultibase,
  jwkSecret,
  KEY_KINDS,
  keyKindFromCodec,
  normalizePublicKey,
  publicKeyFromMultikey,
  publicKeyFromPrivateKey,
  publicKeyToBase58,
  publicKeyToJwk,
  publicKeyToMultikey,
  type KeyKind,
  type PublicKey,
} from './keys.ts';
import { isOpaqueKeyCodec, opaqueKeysFromCodec, opaqueKeyToJwk, opaqueKeyToMultikey, type OpaqueKey, type OpaqueKeyKind } from './opaque-keys.ts';
import type { CreatedDid, DidDocument, Jwk, VerificationMethod, VerificationMethodType } from './types.ts';

/**
 * The did:key spec's `publicKeyFormat` values: the verification-method types
 * of types.ts, except `JsonWebKey` (JsonWebKey2020's successor name, which the did:key
 * spec does not list).
 */
export type DidKeyPublicKeyFormat = Exclude<VerificationMethodType, 'JsonWebKey'>;

export interface DidKeyResolveOptions {
  /** Verification-method type of the document; default `Multikey`. */
  publicKeyFormat?: DidKeyPublicKeyFormat;
  /** Add an X25519 keyAgreement method derived from an Ed25519 key; default true. */
  enableEncryptionKeyDerivation?: boolean;
}

const DID_V1 = 'https://www.w3.org/ns/did/v1';
const BLS_2020 = 'https://w3id.org/security/suites/bls12381-2020/v1';

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
  Bls12381G1Key2020: BLS_2020,
  Bls12381G2Key2020: BLS_2020,
};

/** Every kind of key a did:key can hold: usable ones (keys.ts) and display-only ones. */
type DidKeyKind = KeyKind | OpaqueKeyKind;
type TypeTable = Partial<Record<DidKeyKind, VerificationMethod['type']>>;

const ALL_KINDS: readonly DidKeyKind[] = [...KEY_KINDS, 'RSA', 'Bls12381G1', 'Bls12381G2'];
const everyKind = (type: VerificationMethod['type']): TypeTable => Object.fromEntries(ALL_KINDS.map((k) => [k, type]));
const ED_2020: TypeTable = { Ed25519: 'Ed25519VerificationKey2020', X25519: 'X25519KeyAgreementKey2020' };
const ED_2018: TypeTable = { Ed25519: 'Ed25519VerificationKey2018', X25519: 'X25519KeyAgreementKey2019' };
const BLS_PAIR: TypeTable = { Bls12381G1: 'Bls12381G1Key2020', Bls12381G2: 'Bls12381G2Key2020' };

/** For each format, the verification-method type used per key kind (absent = unsupported). */
const FORMAT_TYPES: Record<DidKeyPublicKeyFormat, TypeTable> = {
  Multikey: everyKind('Multikey'),
  JsonWebKey2020: everyKind('JsonWebKey2020'),
  Ed25519VerificationKey2020: ED_2020,
  X25519KeyAgreementKey2020: ED_2020,
  Ed25519VerificationKey2018: ED_2018,
  X25519KeyAgreementKey2019: ED_2018,
  EcdsaSecp256k1VerificationKey2019: { secp256k1: 'EcdsaSecp256k1VerificationKey2019' },
  P256Key2021: { 'P-256': 'P256Key2021' },
  Bls12381G1Key2020: BLS_PAIR,
  Bls12381G2Key2020: BLS_PAIR,
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

/** The Multikey a did:key is made of; `did.invalid` when it is not one (spec: invalidDid). */
function didKeyMultikey(did: string): string {
  const parsed = parseDid(did);
  if (parsed.method !== 'key') throw new DidError('did.invalid', 'not a did:key');
  if (parsed.id[0] !== 'z') throw new DidError('did.invalid', 'did:key identifier must be a base58btc multibase value (z...)');
  return parsed.id;
}

/**
 * Decode the key of a did:key for use. A method-specific id that is not a
 * base58btc multibase value is `did.invalid` (spec: invalidDid); a bad key
 * inside is `did.invalid_key`; a key ssiot cannot use (RSA, BLS12-381: they
 * resolve, see resolveDidKey) or an unknown multicodec is
 * `did.unsupported_key_type`.
 */
export function publicKeyFromDidKey(did: string): PublicKey {
  return publicKeyFromMultikey(didKeyMultikey(did));
}

/** RFC 7748 map of an Ed25519 public key; a key that is not a curve point is `did.invalid_key` (spec: invalidPublicKey). */
function deriveX25519(ed25519: Uint8Array): Uint8Array {
  try {
    return getCrypto().ed25519PublicToX25519(ed25519);
  } catch (e) {
    throw new DidError('did.invalid_key', 'did:key Ed25519 key is not a valid curve point', { cause: e });
  }
}

/** One key of a did:key in the three forms a verification method can carry it. */
interface KeyView {
  kind: DidKeyKind;
  bytes: Uint8Array;
  /** The key's Multikey, also the fragment of its method's id (did:key spec). */
  multikey: string;
  jwk(): Jwk;
  base58(): string;
}

function publicKeyView(key: PublicKey): KeyView {
  return { ...key, multikey: publicKeyToMultikey(key), jwk: () => publicKeyToJwk(key), base58: () => publicKeyToBase58(key) };
}

function opaqueKeyView(key: OpaqueKey): KeyView {
  return { ...key, multikey: opaqueKeyToMultikey(key), jwk: () => opaqueKeyToJwk(key), base58: () => base58btcEncode(key.bytes) };
}

/** The keys of a did:key: one, or two for a BLS12-381 G1G2 key. */
function didKeyViews(did: string): KeyView[] {
  const { codec, key } = decodeKeyMultibase(didKeyMultikey(did), 'did:key');
  if (isOpaqueKeyCodec(codec)) return opaqueKeysFromCodec(codec, key).map(opaqueKeyView);
  const kind = keyKindFromCodec(codec);
  return [publicKeyView({ kind, bytes: normalizePublicKey(kind, key) })];
}

function typeFor(types: TypeTable, format: DidKeyPublicKeyFormat, kind: DidKeyKind): VerificationMethod['type'] {
  const type = types[kind];
  if (!type) throw new DidError('did.unsupported_key_type', `publicKeyFormat ${format} cannot express a ${kind} key`);
  return type;
}

function verificationMethod(type: VerificationMethod['type'], did: string, key: KeyView): VerificationMethod {
  const id = `${did}#${key.multikey}`;
  switch (type) {
    case 'Multikey':
    case 'Ed25519VerificationKey2020':
    case 'X25519KeyAgreementKey2020':
      return { id, type, controller: did, publicKeyMultibase: key.multikey };
    case 'JsonWebKey2020':
    case 'JsonWebKey':
      return { id, type, controller: did, publicKeyJwk: key.jwk() };
    default:
      return { id, type, controller: did, publicKeyBase58: key.base58() };
  }
}

/** Kinds whose own method is listed under keyAgreement (ECDH keys, RSA as in rsa.json). */
const AGREES: ReadonlySet<DidKeyKind> = new Set<DidKeyKind>(['X25519', 'P-256', 'P-384', 'P-521', 'secp256k1', 'RSA']);

/** Resolve a did:key to its DID document (see module comment for the options). */
export function resolveDidKey(did: string, options: DidKeyResolveOptions = {}): DidDocument {
  const format = options.publicKeyFormat ?? 'Multikey';
  const derive = options.enableEncryptionKeyDerivation ?? true;
  const types = Object.prototype.hasOwnProperty.call(FORMAT_TYPES, format) ? FORMAT_TYPES[format] : undefined;
  if (!types) throw new DidError('did.unsupported_key_type', `unsupported publicKeyFormat ${String(format)}`);
  const keys = didKeyViews(did);

  const methods = keys.map((k) => verificationMethod(typeFor(types, format, k.kind), did, k));
  const doc: DidDocument = { '@context': [DID_V1], id: did, verificationMethod: methods };
  // An X25519 key can only agree on keys: keyAgreement is its one relationship.
  const signing = methods.filter((_, i) => keys[i].kind !== 'X25519').map((m) => m.id);
  const agreeing = methods.filter((_, i) => AGREES.has(keys[i].kind)).map((m) => m.id);
  if (signing.length > 0) {
    doc.assertionMethod = [...signing];
    doc.authentication = [...signing];
    doc.capabilityInvocation = [...signing];
    doc.capabilityDelegation = [...signing];
  }
  for (const k of keys) {
    if (k.kind !== 'Ed25519' || !derive) continue;
    const xVm = verificationMethod(typeFor(types, format, 'X25519'), did, publicKeyView({ kind: 'X25519', bytes: deriveX25519(k.bytes) }));
    methods.push(xVm);
    agreeing.push(xVm.id);
  }
  if (agreeing.length > 0) doc.keyAgreement = agreeing;

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
