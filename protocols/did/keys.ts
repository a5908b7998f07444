/**
 * Key material as DID documents and secrets files carry it, reduced to one
 * internal form: `{ kind, bytes }`.
 *
 * Why one form: the same key shows up as a Multikey, a JWK, a legacy
 * base58 string or a multicodec private key depending on who wrote the
 * document; DIDComm and VC code should not care. Public EC keys are kept
 * SEC1-*compressed* (the Multikey / did:key form) and validated as curve
 * points on the way in (@noble/curves), so a bad point fails here with
 * `did.invalid_key` instead of deep inside an ECDH.
 *
 * Errors: `did.invalid_key` (malformed, wrong length, not on the curve,
 * private/public mismatch), `did.unsupported_key_type` (a key type or curve
 * we do not handle). Messages never contain private key bytes.
 */
import { getCrypto } from '../crypto/index.ts';
import { p256, p384, p521, secp256k1 } from '../crypto/noble-stateful.ts';
import { base58btcDecode, base58btcEncode } from '../encoding/multibase.ts';
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.ts';
import { equalBytes } from '../encoding/bytes.ts';
import { isRecord } from '../encoding/json.ts';
import { decodeMultikey, encodeMultikey, type KeyCodec } from '../encoding/multikey.ts';
import { DidError, isSsiotError } from '../errors.ts';
import type { Jwk, JwkSecret, VerificationMethod } from './types.ts';

export type KeyKind = 'Ed25519' | 'X25519' | 'P-256' | 'P-384' | 'P-521' | 'secp256k1';

/** A public key. EC keys: SEC1 compressed (33/49/67 bytes); OKP keys: 32 raw bytes. */
export interface PublicKey {
  kind: KeyKind;
  bytes: Uint8Array;
}

/** A private key: Ed25519 32-byte seed, X25519 32-byte scalar, EC big-endian scalar. */
export interface PrivateKey {
  kind: KeyKind;
  bytes: Uint8Array;
}

export const KEY_KINDS: readonly KeyKind[] = ['Ed25519', 'X25519', 'P-256', 'P-384', 'P-521', 'secp256k1'];

/** multicodec names (multiformats table) of public keys, per kind. */
const PUBLIC_CODEC: Record<KeyKind, KeyCodec> = {
  Ed25519: 'ed25519-pub',
  X25519: 'x25519-pub',
  'P-256': 'p256-pub',
  'P-384': 'p384-pub',
  'P-521': 'p521-pub',
  secp256k1: 'secp256k1-pub',
};

/** multicodec names of private keys, per kind. */
const PRIVATE_CODEC: Record<KeyKind, KeyCodec> = {
  Ed25519: 'ed25519-priv',
  X25519: 'x25519-priv',
  'P-256': 'p256-priv',
  'P-384': 'p384-priv',
  'P-521': 'p521-priv',
  secp256k1: 'secp256k1-priv',
};

type EcKind = 'P-256' | 'P-384' | 'P-521' | 'secp256k1';
type EcCurve = typeof p256;

const EC_CURVES: Record<EcKind, { curve: EcCurve; size: number }> = {
  'P-256': { curve: p256, size: 32 },
  'P-384': { curve: p384, size: 48 },
  'P-521': { curve: p521, size: 66 },
  secp256k1: { curve: secp256k1, size: 32 },
};

function isEc(kind: KeyKind): kind is EcKind {
  return kind !== 'Ed25519' && kind !== 'X25519';
}

function invalidKey(message: string, cause?: unknown): DidError {
  return new DidError('did.invalid_key', message, cause === undefined ? undefined : { cause });
}

function unsupported(message: string): DidError {
  return new DidError('did.unsupported_key_type', message);
}

/** The kind for a public-key multicodec name; anything else is `did.unsupported_key_type`. */
export function keyKindFromCodec(codec: string): KeyKind {
  for (const kind of KEY_KINDS) if (PUBLIC_CODEC[kind] === codec) return kind;
  throw unsupported(`unsupported public key codec ${codec}`);
}

/** The multicodec name of a kind's public key. */
export function publicKeyCodec(kind: KeyKind): KeyCodec {
  return PUBLIC_CODEC[kind];
}

/**
 * Check a raw public key for `kind` and bring it to the canonical form
 * (EC: validated point, SEC1 compressed; accepts compressed or uncompressed).
 */
export function normalizePublicKey(kind: KeyKind, bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw invalidKey('public key must be bytes');
  if (!isEc(kind)) {
    if (bytes.length !== 32) throw invalidKey(`${kind} public key must be 32 bytes, got ${bytes.length}`);
    return bytes;
  }
  const { curve, size } = EC_CURVES[kind];
  if (bytes.length !== size + 1 && bytes.length !== 2 * size + 1) {
    throw invalidKey(`${kind} public key must be ${size + 1} or ${2 * size + 1} bytes, got ${bytes.length}`);
  }
  try {
    return curve.Point.fromBytes(bytes).toBytes(true);
  } catch (e) {
    throw invalidKey(`${kind} public key is not a point on the curve`, e);
  }
}

/** SEC1 encoding of an EC public key, compressed or uncompressed (0x04||x||y). */
export function ecPublicKeyBytes(key: PublicKey, compressed: boolean): Uint8Array {
  if (!isEc(key.kind)) throw unsupported(`${key.kind} is not an EC key`);
  const { curve } = EC_CURVES[key.kind];
  try {
    return curve.Point.fromBytes(key.bytes).toBytes(compressed);
  } catch (e) {
    throw invalidKey(`${key.kind} public key is not a point on the curve`, e);
  }
}

// ---------------------------------------------------------------- Multikey

/**
 * Split a Multikey (`z...`) into codec and raw key bytes, with DidErrors:
 * `what` names the member in messages (`publicKeyMultibase`, `did:key`, ...).
 * The codec may be any key codec, including ones ssiot cannot use (RSA, BLS).
 */
export function decodeKeyMultibase(multibase: string, what: string): { codec: KeyCodec; key: Uint8Array } {
  if (typeof multibase !== 'string' || multibase[0] !== 'z') {
    throw invalidKey(`${what} must be a base58btc multibase string (z...)`);
  }
  try {
    return decodeMultikey(multibase);
  } catch (e) {
    throw fromEncodingError(e, what);
  }
}

/** Decode a public Multikey (`z...`, multicodec-prefixed) to a checked public key. */
export function publicKeyFromMultikey(multibase: string): PublicKey {
  const decoded = decodeKeyMultibase(multibase, 'publicKeyMultibase');
  const kind = keyKindFromCodec(decoded.codec);
  return { kind, bytes: normalizePublicKey(kind, decoded.key) };
}

/** Encode a public key as a Multikey string (`z` + base58btc(multicodec || key)). */
export function publicKeyToMultikey(key: PublicKey): string {
  return encodeMultikey(PUBLIC_CODEC[key.kind], normalizePublicKey(key.kind, key.bytes));
}

/**
 * Map the encoding layer's Multikey errors: a multicodec that is unknown or
 * not a key (`encoding.unknown_multicodec`) is a key type we do not support;
 * every other failure (base58, varint, length, point form) is a bad key.
 */
function fromEncodingError(e: unknown, what: string): DidError {
  if (isSsiotError(e) && e.code === 'encoding.unknown_multicodec') {
    return new DidError('did.unsupported_key_type', `${what}: unsupported multicodec`, { cause: e });
  }
  return invalidKey(`${what}: ${isSsiotError(e) ? e.code : 'malformed'}`, e);
}

// --------------------------------------------------------------------- JWK

function b64uField(jwk: Record<string, unknown>, name: string, length: number): Uint8Array {
  const v = jwk[name];
  if (typeof v !== 'string') throw invalidKey(`JWK member ${name} missing`);
  let bytes: Uint8Array;
  try {
    bytes = base64urlDecode(v);
  } catch (e) {
    throw invalidKey(`JWK member ${name} is not base64url`, e);
  }
  if (bytes.length !== length) throw invalidKey(`JWK member ${name} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function jwkKind(jwk: Record<string, unknown>): KeyKind {
  const { kty, crv } = jwk;
  if (kty === 'OKP') {
    if (crv === 'Ed25519' || crv === 'X25519') return crv;
    throw unsupported(`unsupported OKP curve ${String(crv)}`);
  }
  if (kty === 'EC') {
    if (crv === 'P-256' || crv === 'P-384' || crv === 'P-521' || crv === 'secp256k1') return crv;
    throw unsupported(`unsupported EC curve ${String(crv)}`);
  }
  if (typeof kty !== 'string') throw invalidKey('JWK has no kty');
  throw unsupported(`unsupported JWK kty ${kty}`);
}

/** Public key from a JWK (private members, if any, are ignored). */
export function publicKeyFromJwk(jwk: Jwk | Record<string, unknown>): PublicKey {
  if (!isRecord(jwk)) throw invalidKey('JWK must be an object');
  const kind = jwkKind(jwk);
  if (!isEc(kind)) return { kind, bytes: b64uField(jwk, 'x', 32) };
  const { size } = EC_CURVES[kind];
  const x = b64uField(jwk, 'x', size);
  const y = b64uField(jwk, 'y', size);
  const uncompressed = new Uint8Array(1 + 2 * size);
  uncompressed[0] = 4;
  uncompressed.set(x, 1);
  uncompressed.set(y, 1 + size);
  return { kind, bytes: normalizePublicKey(kind, uncompressed) };
}

/** Public JWK (`kty`, `crv`, `x`[, `y`]) for a key; EC keys are decompressed. */
export function publicKeyToJwk(key: PublicKey): Jwk {
  if (!isEc(key.kind)) {
    return { kty: 'OKP', crv: key.kind, x: base64urlEncode(normalizePublicKey(key.kind, key.bytes)) };
  }
  const { size } = EC_CURVES[key.kind];
  const full = ecPublicKeyBytes(key, false);
  return {
    kty: 'EC',
    crv: key.kind,
    x: base64urlEncode(full.subarray(1, 1 + size)),
    y: base64urlEncode(full.subarray(1 + size)),
  };
}

// ------------------------------------------------------------ private keys

function privateKeyLength(kind: KeyKind): number {
  return isEc(kind) ? EC_CURVES[kind].size : 32;
}

function checkPrivateKey(key: PrivateKey): void {
  if (!KEY_KINDS.includes(key.kind)) throw unsupported(`unsupported key kind ${String(key.kind)}`);
  if (!(key.bytes instanceof Uint8Array) || key.bytes.length !== privateKeyLength(key.kind)) {
    throw invalidKey(`${key.kind} private key must be ${privateKeyLength(key.kind)} bytes`);
  }
  if (isEc(key.kind) && !EC_CURVES[key.kind].curve.utils.isValidSecretKey(key.bytes)) {
    throw invalidKey(`${key.kind} private key is out of range`);
  }
}

/** Public key belonging to a private key. */
export function publicKeyFromPrivateKey(key: PrivateKey): PublicKey {
  checkPrivateKey(key);
  const c = getCrypto();
  switch (key.kind) {
    case 'Ed25519':
      return { kind: key.kind, bytes: c.ed25519PublicKey(key.bytes) };
    case 'X25519':
      return { kind: key.kind, bytes: c.x25519PublicKey(key.bytes) };
    case 'P-256':
      return { kind: key.kind, bytes: c.p256PublicKey(key.bytes, true) };
    default:
      return { kind: key.kind, bytes: EC_CURVES[key.kind].curve.getPublicKey(key.bytes, true) };
  }
}

/**
 * Private key from a private JWK. When the JWK also carries the public part
 * (`x`/`y`, as it should) it must match the private key: a secrets file that
 * pairs the wrong halves would otherwise sign with a key nobody can verify.
 */
export function privateKeyFromJwk(jwk: Jwk | Record<string, unknown>): { privateKey: PrivateKey; publicKey: PublicKey } {
  if (!isRecord(jwk)) throw invalidKey('JWK must be an object');
  const kind = jwkKind(jwk);
  const privateKey: PrivateKey = { kind, bytes: b64uField(jwk, 'd', privateKeyLength(kind)) };
  const publicKey = publicKeyFromPrivateKey(privateKey);
  if (jwk.x !== undefined) {
    const stated = publicKeyFromJwk(jwk);
    if (!equalBytes(stated.bytes, publicKey.bytes)) throw invalidKey('JWK private key does not match its public key');
  }
  return { privateKey, publicKey };
}

/** Private JWK (public members included), the form ssiot writes to secrets files. */
export function privateKeyToJwk(key: PrivateKey): Jwk {
  const jwk = publicKeyToJwk(publicKeyFromPrivateKey(key));
  jwk.d = base64urlEncode(key.bytes);
  return jwk;
}

/** Private key from `privateKeyMultibase` (multicodec ed25519-priv, x25519-priv, p256-priv, ...). */
export function privateKeyFromMultibase(multibase: string): { privateKey: PrivateKey; publicKey: PublicKey } {
  const decoded = decodeKeyMultibase(multibase, 'privateKeyMultibase');
  const kind = KEY_KINDS.find((k) => PRIVATE_CODEC[k] === decoded.codec);
  if (!kind) throw unsupported(`unsupported private key codec ${decoded.codec}`);
  const privateKey: PrivateKey = { kind, bytes: decoded.key };
  return { privateKey, publicKey: publicKeyFromPrivateKey(privateKey) };
}

/** `privateKeyMultibase` for a private key. */
export function privateKeyToMultibase(key: PrivateKey): string {
  checkPrivateKey(key);
  return encodeMultikey(PRIVATE_CODEC[key.kind], key.bytes);
}

// --------------------------------------------------------------- secrets

export interface ParsedSecret {
  /** DID URL of the verification method the key belongs to. */
  id: string;
  privateKey: PrivateKey;
  publicKey: PublicKey;
}

/**
 * One secrets-file entry: `{id, type: 'JsonWebKey2020', privateKeyJwk}`,
 * `{id, type: 'Multikey', privateKeyMultibase}`, or (as the DIDComm spec's
 * appendix prints them) a bare private JWK with `kid`.
 */
export function parseSecret(entry: unknown): ParsedSecret {
  if (!isRecord(entry)) throw invalidKey('secret must be an object');
  if (entry.type === 'JsonWebKey2020' || entry.type === 'JsonWebKey') {
    const id = secretId(entry.id);
    return { id, ...privateKeyFromJwk(entry.privateKeyJwk as Record<string, unknown>) };
  }
  if (entry.type === 'Multikey') {
    const id = secretId(entry.id);
    return { id, ...privateKeyFromMultibase(entry.privateKeyMultibase as string) };
  }
  if (entry.type === undefined && typeof entry.kty === 'string' && typeof entry.kid === 'string') {
    return { id: secretId(entry.kid), ...privateKeyFromJwk(entry) };
  }
  throw unsupported(`unsupported secret type ${typeof entry.type === 'string' ? entry.type : '(none)'}`);
}

function secretId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw invalidKey('secret has no id');
  return id;
}

/** A secrets-file entry in the JWK form for the key `id` (a DID URL). */
export function jwkSecret(id: string, key: PrivateKey): JwkSecret {
  return { id, type: 'JsonWebKey2020', privateKeyJwk: privateKeyToJwk(key) };
}

// ------------------------------------------------------ verification methods

type KeyMember = 'publicKeyMultibase' | 'publicKeyJwk' | 'publicKeyBase58';

/**
 * Per verification-method type: the kinds it may carry and the member(s)
 * its suite puts the key in. The member is checked, not guessed: a
 * JsonWebKey2020 with only a publicKeyMultibase is malformed. secp256k1
 * 2019 documents were written with either base58 or a JWK.
 */
const TYPES: Record<string, { kinds: readonly KeyKind[]; members: readonly KeyMember[] }> = {
  Multikey: { kinds: KEY_KINDS, members: ['publicKeyMultibase'] },
  JsonWebKey2020: { kinds: KEY_KINDS, members: ['publicKeyJwk'] },
  JsonWebKey: { kinds: KEY_KINDS, members: ['publicKeyJwk'] },
  Ed25519VerificationKey2020: { kinds: ['Ed25519'], members: ['publicKeyMultibase'] },
  X25519KeyAgreementKey2020: { kinds: ['X25519'], members: ['publicKeyMultibase'] },
  Ed25519VerificationKey2018: { kinds: ['Ed25519'], members: ['publicKeyBase58'] },
  X25519KeyAgreementKey2019: { kinds: ['X25519'], members: ['publicKeyBase58'] },
  EcdsaSecp256k1VerificationKey2019: { kinds: ['secp256k1'], members: ['publicKeyBase58', 'publicKeyJwk'] },
  P256Key2021: { kinds: ['P-256'], members: ['publicKeyBase58'] },
};

/** The verification-method types publicKeyFromVerificationMethod understands. */
export const SUPPORTED_VERIFICATION_METHOD_TYPES: readonly string[] = Object.keys(TYPES);

/**
 * The public key of any supported verification method: Multikey,
 * JsonWebKey2020/JsonWebKey, Ed25519VerificationKey2020/2018,
 * X25519KeyAgreementKey2020/2019, EcdsaSecp256k1VerificationKey2019, P256Key2021.
 * The key must sit in its suite's member and be of a kind the type allows
 * (an X25519 key in an Ed25519VerificationKey2020 is `did.invalid_key`).
 */
export function publicKeyFromVerificationMethod(vm: VerificationMethod | Record<string, unknown>): PublicKey {
  if (!isRecord(vm)) throw invalidKey('verification method must be an object');
  const type = vm.type;
  if (typeof type !== 'string') throw invalidKey('verification method has no type');
  if (!Object.prototype.hasOwnProperty.call(TYPES, type)) throw unsupported(`unsupported verification method type ${type}`);
  const { kinds, members } = TYPES[type];
  const member = members.find((m) => vm[m] !== undefined);
  if (!member) throw invalidKey(`verification method of type ${type} has no ${members.join(' or ')}`);
  let key: PublicKey;
  if (member === 'publicKeyMultibase') {
    key = publicKeyFromMultikey(vm.publicKeyMultibase as string);
  } else if (member === 'publicKeyJwk') {
    if (isRecord(vm.publicKeyJwk) && vm.publicKeyJwk.d !== undefined) {
      throw invalidKey('publicKeyJwk must not contain a private key');
    }
    key = publicKeyFromJwk(vm.publicKeyJwk as Record<string, unknown>);
  } else {
    // Legacy suites: raw key bytes, the kind is implied by the type.
    const kind = kinds[0];
    let raw: Uint8Array;
    try {
      raw = base58btcDecode(vm.publicKeyBase58 as string);
    } catch (e) {
      throw invalidKey('publicKeyBase58 is not base58btc', e);
    }
    key = { kind, bytes: normalizePublicKey(kind, raw) };
  }
  if (!kinds.includes(key.kind)) throw invalidKey(`${type} cannot carry a ${key.kind} key`);
  return key;
}

/** Legacy `publicKeyBase58` value (raw key; EC compressed). */
export function publicKeyToBase58(key: PublicKey): string {
  return base58btcEncode(normalizePublicKey(key.kind, key.bytes));
}
