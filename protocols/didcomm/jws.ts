/**
 * JWS (RFC 7515) as DIDComm v2 signed messages use it: JSON serialization,
 * general or flattened (receivers MUST accept both), `typ`
 * application/didcomm-signed+json, and the algorithms receivers MUST verify:
 * EdDSA (Ed25519), ES256 (P-256) and ES256K (secp256k1).
 *
 * Key-level only: whether the signing key is in the `authentication` of the
 * `from` DID is unpack.ts.
 *
 * Spec ambiguity, and the choice: the spec's §Message Signing example puts
 * `kid` in the protected header, while the Appendix C.2 vectors (and
 * didcomm-rust) put it in the unprotected per-signature `header`. We write
 * it in BOTH (protected, so the signature covers which key it claims; and
 * unprotected, where didcomm-rust looks) and read it from either; when both
 * are present they must agree.
 */
import { getCrypto } from '../crypto/index.ts';
import type { KeyKind, ParsedSecret, PublicKey } from '../did/keys.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { DidcommError } from '../errors.ts';
import { b64JsonObject, b64Member, malformed } from './jwe.ts';
import { isJsonObject, MEDIA_TYPE_SIGNED } from './message.ts';
import { countPublicKeyOp } from './pkops.ts';

export type JwsAlgorithm = 'EdDSA' | 'ES256' | 'ES256K';

/** The one key kind each algorithm is defined for (no algorithm confusion). */
const ALG_KIND: Record<JwsAlgorithm, KeyKind> = { EdDSA: 'Ed25519', ES256: 'P-256', ES256K: 'secp256k1' };

/** The JWS algorithm a key kind signs with; `didcomm.unsupported_alg` for key kinds that cannot. */
export function jwsAlgorithmFor(kind: KeyKind): JwsAlgorithm {
  for (const [alg, k] of Object.entries(ALG_KIND)) if (k === kind) return alg as JwsAlgorithm;
  throw new DidcommError('didcomm.unsupported_alg', `${kind} keys cannot sign DIDComm messages`);
}

export interface JwsSignatureJson {
  protected: string;
  signature: string;
  header: { kid: string };
}

/** The JWS JSON general serialization this module writes. */
export interface JwsJson {
  payload: string;
  signatures: JwsSignatureJson[];
}

function rawSign(alg: JwsAlgorithm, input: Uint8Array, secret: ParsedSecret): Uint8Array {
  const c = getCrypto();
  countPublicKeyOp('sign');
  if (alg === 'EdDSA') return c.ed25519Sign(input, secret.privateKey.bytes);
  if (alg === 'ES256') return c.es256Sign(input, secret.privateKey.bytes);
  return c.es256kSign(input, secret.privateKey.bytes);
}

/** Sign `payload` with `secret` (its id is the `kid`); general serialization, one signature. */
export function signJws(payload: Uint8Array, secret: ParsedSecret): JwsJson {
  const alg = jwsAlgorithmFor(secret.privateKey.kind);
  const protectedB64 = base64urlEncode(utf8Encode(JSON.stringify({ typ: MEDIA_TYPE_SIGNED, alg, kid: secret.id })));
  const payloadB64 = base64urlEncode(payload);
  const signature = rawSign(alg, utf8Encode(`${protectedB64}.${payloadB64}`), secret);
  return { payload: payloadB64, signatures: [{ protected: protectedB64, signature: base64urlEncode(signature), header: { kid: secret.id } }] };
}

export interface ParsedSignature {
  protectedB64: string;
  alg: JwsAlgorithm;
  kid: string;
  signature: Uint8Array;
}

export interface ParsedJws {
  payloadB64: string;
  payload: Uint8Array;
  signatures: ParsedSignature[];
}

/** True when `x` looks like a JWS in JSON serialization. */
export function isJws(x: Record<string, unknown>): boolean {
  return x.payload !== undefined && (x.signatures !== undefined || x.signature !== undefined);
}

/** Take a general or flattened JWS apart (shape only). */
export function parseJws(x: Record<string, unknown>): ParsedJws {
  const payload = b64Member(x.payload, 'JWS payload');
  let list: unknown[];
  if (x.signatures !== undefined) {
    if (!Array.isArray(x.signatures) || x.signatures.length === 0) throw malformed('JWS signatures must be a non-empty array');
    if (x.signature !== undefined || x.protected !== undefined) throw malformed('JWS mixes general and flattened serialization');
    list = x.signatures;
  } else {
    list = [{ protected: x.protected, signature: x.signature, header: x.header }];
  }
  const signatures = list.map((s, i): ParsedSignature => {
    if (!isJsonObject(s)) throw malformed(`JWS signature ${i} must be an object`);
    // A JWS with an unprotected-only header would let anyone swap alg: DIDComm always protects alg.
    const prot = b64JsonObject(s.protected, `JWS signature ${i} protected header`);
    const unprot = s.header === undefined ? {} : s.header;
    if (!isJsonObject(unprot)) throw malformed(`JWS signature ${i} header must be an object`);
    if (prot.crit !== undefined) throw new DidcommError('didcomm.unsupported_alg', 'JWS crit header parameters are not supported');
    if (prot.b64 !== undefined && prot.b64 !== true) throw new DidcommError('didcomm.unsupported_alg', 'unencoded JWS payloads (b64: false) are not supported');
    const alg = prot.alg;
    if (alg !== 'EdDSA' && alg !== 'ES256' && alg !== 'ES256K') throw new DidcommError('didcomm.unsupported_alg', `unsupported JWS alg ${String(alg)}`);
    if (unprot.alg !== undefined && unprot.alg !== alg) throw malformed('JWS alg differs between headers');
    const kid = prot.kid ?? unprot.kid;
    if (typeof kid !== 'string') throw malformed(`JWS signature ${i} has no kid`);
    if (prot.kid !== undefined && unprot.kid !== undefined && prot.kid !== unprot.kid) throw malformed('JWS kid differs between headers');
    return { protectedB64: s.protected as string, alg, kid, signature: b64Member(s.signature, `JWS signature ${i}`) };
  });
  return { payloadB64: x.payload as string, payload, signatures };
}

/**
 * Check one signature with `key` (counted). A key of another kind than the
 * algorithm's is `didcomm.unsupported_alg`; a signature that does not verify
 * returns false.
 */
export function verifyJwsSignature(jws: ParsedJws, sig: ParsedSignature, key: PublicKey): boolean {
  if (ALG_KIND[sig.alg] !== key.kind) {
    throw new DidcommError('didcomm.unsupported_alg', `JWS alg ${sig.alg} cannot be verified with a ${key.kind} key`);
  }
  const input = utf8Encode(`${sig.protectedB64}.${jws.payloadB64}`);
  const c = getCrypto();
  countPublicKeyOp('verify');
  if (sig.alg === 'EdDSA') return c.ed25519Verify(sig.signature, input, key.bytes);
  if (sig.alg === 'ES256') return c.es256Verify(sig.signature, input, key.bytes);
  return c.es256kVerify(sig.signature, input, key.bytes);
}
