/**
 * Keys a did:key can name but ssiot never uses: RSA (multicodec `rsa-pub`,
 * PKCS #1 DER) and BLS12-381 (`bls12_381-g1-pub` 48 bytes, `-g2-pub` 96
 * bytes, `-g1g2-pub` = G1 || G2).
 *
 * Why they exist at all: resolving such a DID is only a change of
 * representation (Multikey -> JWK / base58), and refusing to show a valid
 * DID's document would be a resolver bug. Using them is another matter:
 * nothing in ssiot signs, verifies or agrees keys with RSA or BLS, so these
 * never become a `PublicKey` (keys.ts). The crypto paths
 * (publicKeyFromVerificationMethod, publicKeyFromDidKey) keep answering
 * `did.unsupported_key_type` for them.
 *
 * Checks are shape only, no arithmetic at resolution: RSA must be a strict
 * DER RSAPublicKey; a BLS point must be in compressed form (ZCash
 * serialization: top bit set) and not the point at infinity (bit 6), which
 * is never a valid public key. Whether x is on the curve is not checked.
 * Malformed keys are `did.invalid_key`.
 */
import { DidError, isSsiotError } from '../errors.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { decodeRsaPublicKey } from '../encoding/der.ts';
import { encodeMultikey, type KeyCodec } from '../encoding/multikey.ts';
import type { Jwk } from './types.ts';

export type OpaqueKeyKind = 'RSA' | 'Bls12381G1' | 'Bls12381G2';

/** A display-only key: RSA as PKCS #1 DER, BLS as a compressed point. */
export interface OpaqueKey {
  kind: OpaqueKeyKind;
  bytes: Uint8Array;
}

const CODEC: Record<OpaqueKeyKind, KeyCodec> = {
  RSA: 'rsa-pub',
  Bls12381G1: 'bls12_381-g1-pub',
  Bls12381G2: 'bls12_381-g2-pub',
};

/** The BLS12-381 G1 point size; a G1G2 key is G1 (48) || G2 (96). */
const G1_LENGTH = 48;

/** True for the multicodecs of keys this module represents. */
export function isOpaqueKeyCodec(codec: string): boolean {
  return codec === 'bls12_381-g1g2-pub' || Object.values(CODEC).includes(codec as KeyCodec);
}

function invalidKey(message: string, cause?: unknown): DidError {
  return new DidError('did.invalid_key', message, cause === undefined ? undefined : { cause });
}

function checkBlsPoint(kind: OpaqueKeyKind, point: Uint8Array): void {
  if ((point[0] & 0x80) === 0) throw invalidKey(`${kind} key must be a compressed point`);
  if ((point[0] & 0x40) !== 0) throw invalidKey(`${kind} key is the point at infinity`);
}

/**
 * The keys inside an opaque multicodec value (lengths already checked by
 * the Multikey layer): one key, or two for G1G2, G1 first. A codec this
 * module does not represent is `did.unsupported_key_type`.
 */
export function opaqueKeysFromCodec(codec: KeyCodec, bytes: Uint8Array): OpaqueKey[] {
  let keys: OpaqueKey[];
  if (codec === 'bls12_381-g1g2-pub') {
    keys = [
      { kind: 'Bls12381G1', bytes: bytes.slice(0, G1_LENGTH) },
      { kind: 'Bls12381G2', bytes: bytes.slice(G1_LENGTH) },
    ];
  } else {
    const kind = (Object.keys(CODEC) as OpaqueKeyKind[]).find((k) => CODEC[k] === codec);
    if (!kind) throw new DidError('did.unsupported_key_type', `unsupported public key codec ${codec}`);
    keys = [{ kind, bytes: bytes.slice() }];
  }
  for (const key of keys) {
    if (key.kind === 'RSA') rsaParts(key);
    else checkBlsPoint(key.kind, key.bytes);
  }
  return keys;
}

function rsaParts(key: OpaqueKey): { n: Uint8Array; e: Uint8Array } {
  try {
    return decodeRsaPublicKey(key.bytes);
  } catch (e) {
    throw invalidKey(`RSA key is not a DER RSAPublicKey: ${isSsiotError(e) ? e.code : 'malformed'}`, e);
  }
}

/** The key's own Multikey (for G1G2, each half gets its own). */
export function opaqueKeyToMultikey(key: OpaqueKey): string {
  return encodeMultikey(CODEC[key.kind], key.bytes);
}

/**
 * Public JWK. RSA: RFC 7518 §6.3.1 `{kty: 'RSA', n, e}`. BLS12-381:
 * `{kty: 'EC', crv: 'BLS12381_G1' | 'BLS12381_G2', x: <compressed point>}`,
 * the form of the did:key vectors (transmute did-key.js). The later IETF
 * draft (draft-ietf-cose-bls-key-representations) uses kty OKP and other
 * curve names; we write what the vectors and existing documents carry.
 */
export function opaqueKeyToJwk(key: OpaqueKey): Jwk {
  if (key.kind === 'RSA') {
    const { n, e } = rsaParts(key);
    return { kty: 'RSA', n: base64urlEncode(n), e: base64urlEncode(e) };
  }
  return { kty: 'EC', crv: key.kind === 'Bls12381G1' ? 'BLS12381_G1' : 'BLS12381_G2', x: base64urlEncode(key.bytes) };
}
