/**
 * COSE_Sign1 (RFC 9052 §4.2) with a detached payload, as SUIT's
 * authentication blocks use it: `18([protected, unprotected, nil, signature])`
 * signed over `Sig_structure = ["Signature1", protected, h'', payload]`.
 *
 * Only what SUIT needs is here: EdDSA (Ed25519, alg -8) and ES256 (P-256,
 * alg -7, signature r||s); `kid` (label 4) names the key. We write `alg` and
 * `kid` in the protected bucket so the key identity is covered by the
 * signature; on input `kid` may sit in either bucket (not both, RFC 9052
 * §3), and a `crit` header is refused since we understand no extension.
 */
import { getCrypto } from '../crypto/index.ts';
import type { PublicKey } from '../did/keys.ts';
import { ecPublicKeyBytes } from '../did/keys.ts';
import { utf8Decode, utf8Encode } from '../encoding/bytes.ts';
import { cborDecode, cborEncodeDeterministic, CborTag } from '../encoding/cbor.ts';
import { FirmwareError } from '../errors.ts';
import { COSE_ALG, COSE_HEADER, TAG_COSE_SIGN1 } from './labels.ts';

export type CoseAlgorithm = 'EdDSA' | 'ES256';

/** Who signs a SUIT manifest: the wallet keeps the key and hands out this object. */
export interface CoseSigner {
  readonly alg: CoseAlgorithm;
  /** Key identifier, for ssiot a DID URL of the manufacturer's verification method. */
  readonly kid?: string;
  /** Signs the Sig_structure bytes (EdDSA: as is; ES256: SHA-256 then ECDSA). */
  sign(toBeSigned: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** A decoded COSE_Sign1 authentication block. */
export interface CoseSign1 {
  /** The protected header exactly as signed (bstr contents; empty when there is none). */
  protectedBytes: Uint8Array;
  alg: CoseAlgorithm;
  /** Raw `kid` bytes, when present. */
  kidBytes?: Uint8Array;
  /** `kid` as text when it is valid UTF-8 (ssiot writes DID URLs). */
  kid?: string;
  signature: Uint8Array;
}

const ALG_BY_ID: Record<number, CoseAlgorithm> = { [COSE_ALG.EdDSA]: 'EdDSA', [COSE_ALG.ES256]: 'ES256' };
const SIGNATURE_LENGTH: Record<CoseAlgorithm, number> = { EdDSA: 64, ES256: 64 };

function malformed(message: string, cause?: unknown): FirmwareError {
  return new FirmwareError('firmware.malformed', message, cause === undefined ? undefined : { cause });
}

/** RFC 9052 §4.4 Sig_structure for COSE_Sign1, no external AAD. */
export function sigStructure1(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return cborEncodeDeterministic(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/** A signer over an Ed25519 seed held in memory (CLI, tests). */
export function ed25519CoseSigner(seed: Uint8Array, kid?: string): CoseSigner {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new FirmwareError('firmware.invalid_key', 'an Ed25519 seed must be 32 bytes');
  const key = seed.slice();
  return Object.freeze({ alg: 'EdDSA' as const, kid, sign: (m: Uint8Array) => getCrypto().ed25519Sign(m, key) });
}

/** A signer over a P-256 private scalar held in memory. */
export function es256CoseSigner(privateKey: Uint8Array, kid?: string): CoseSigner {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) throw new FirmwareError('firmware.invalid_key', 'a P-256 private key must be 32 bytes');
  const key = privateKey.slice();
  return Object.freeze({ alg: 'ES256' as const, kid, sign: (m: Uint8Array) => getCrypto().es256Sign(m, key) });
}

/** Signs `payload` (kept detached) and returns the encoded COSE_Sign1_Tagged. */
export async function signDetached(payload: Uint8Array, signer: CoseSigner): Promise<Uint8Array> {
  const algId = signer.alg === 'EdDSA' ? COSE_ALG.EdDSA : signer.alg === 'ES256' ? COSE_ALG.ES256 : undefined;
  if (algId === undefined) throw new FirmwareError('firmware.unsupported_algorithm', `unsupported COSE algorithm ${String(signer.alg)}`);
  const header = new Map<number, unknown>([[COSE_HEADER.alg, algId]]);
  if (signer.kid !== undefined) header.set(COSE_HEADER.kid, utf8Encode(signer.kid));
  const protectedBytes = cborEncodeDeterministic(header);
  const signature = await signer.sign(sigStructure1(protectedBytes, payload));
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH[signer.alg]) {
    throw new FirmwareError('firmware.invalid_key', `${signer.alg} signer returned a malformed signature`);
  }
  return cborEncodeDeterministic(new CborTag([protectedBytes, new Map(), null, signature], TAG_COSE_SIGN1));
}

function headerMap(v: unknown, where: string): Map<unknown, unknown> {
  if (!(v instanceof Map)) throw malformed(`COSE_Sign1 ${where} header must be a map`);
  return v;
}

/**
 * Decodes a bstr-wrapped COSE_Sign1_Tagged authentication block. The payload
 * must be nil (detached): SUIT signs the SUIT_Digest carried next to it.
 */
export function parseSign1(bytes: Uint8Array): CoseSign1 {
  let v: unknown;
  try {
    v = cborDecode(bytes, { maps: 'map', deterministic: true });
  } catch (e) {
    throw malformed('authentication block is not well-formed deterministic CBOR', e);
  }
  if (!(v instanceof CborTag)) throw malformed('authentication block must be a tagged COSE structure');
  if (v.tag !== TAG_COSE_SIGN1) throw new FirmwareError('firmware.unsupported', `COSE structure with tag ${String(v.tag)} is not supported (COSE_Sign1 only)`);
  const arr = v.value;
  if (!Array.isArray(arr) || arr.length !== 4) throw malformed('COSE_Sign1 must be an array of 4');
  const [protectedBytes, unprotectedValue, payload, signature] = arr;
  if (!(protectedBytes instanceof Uint8Array)) throw malformed('COSE_Sign1 protected header must be a byte string');
  if (payload !== null) throw malformed('COSE_Sign1 payload must be detached (nil) in a SUIT envelope');
  if (!(signature instanceof Uint8Array)) throw malformed('COSE_Sign1 signature must be a byte string');
  let prot = new Map<unknown, unknown>();
  if (protectedBytes.length > 0) {
    try {
      prot = headerMap(cborDecode(protectedBytes, { maps: 'map', deterministic: true }), 'protected');
    } catch (e) {
      if (e instanceof FirmwareError) throw e;
      throw malformed('COSE_Sign1 protected header is not well-formed deterministic CBOR', e);
    }
  }
  const unprot = headerMap(unprotectedValue, 'unprotected');
  for (const label of prot.keys()) {
    if (unprot.has(label)) throw malformed(`COSE header ${String(label)} appears in both buckets`);
  }
  if (prot.has(COSE_HEADER.crit) || unprot.has(COSE_HEADER.crit)) throw new FirmwareError('firmware.unsupported', 'COSE crit header: no critical extension is supported');
  if (unprot.has(COSE_HEADER.alg)) throw malformed('COSE alg must be in the protected header');
  const algId = prot.get(COSE_HEADER.alg);
  if (typeof algId !== 'number') throw malformed('COSE_Sign1 has no integer alg in its protected header');
  const alg = ALG_BY_ID[algId];
  if (!alg) throw new FirmwareError('firmware.unsupported_algorithm', `COSE algorithm ${algId} is not supported (EdDSA, ES256)`);
  if (signature.length !== SIGNATURE_LENGTH[alg]) throw malformed(`${alg} signature must be ${SIGNATURE_LENGTH[alg]} bytes`);
  const kidValue = prot.has(COSE_HEADER.kid) ? prot.get(COSE_HEADER.kid) : unprot.get(COSE_HEADER.kid);
  const out: CoseSign1 = { protectedBytes, alg, signature };
  if (kidValue !== undefined) {
    if (!(kidValue instanceof Uint8Array)) throw malformed('COSE kid must be a byte string');
    out.kidBytes = kidValue;
    try {
      out.kid = utf8Decode(kidValue);
    } catch {
      // binary kid: callers match on kidBytes
    }
  }
  return out;
}

/**
 * True when `sign1` is a valid signature by `key` over the detached `payload`.
 * A key of the wrong type for the algorithm is `firmware.key_mismatch`.
 */
export function verifyDetached(sign1: CoseSign1, payload: Uint8Array, key: PublicKey): boolean {
  const c = getCrypto();
  const toBeSigned = sigStructure1(sign1.protectedBytes, payload);
  if (sign1.alg === 'EdDSA') {
    if (key.kind !== 'Ed25519') throw new FirmwareError('firmware.key_mismatch', `EdDSA signature needs an Ed25519 key, got ${key.kind}`);
    return c.ed25519Verify(sign1.signature, toBeSigned, key.bytes);
  }
  if (key.kind !== 'P-256') throw new FirmwareError('firmware.key_mismatch', `ES256 signature needs a P-256 key, got ${key.kind}`);
  return c.es256Verify(sign1.signature, toBeSigned, ecPublicKeyBytes(key, false));
}
