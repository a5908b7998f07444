/**
 * JWE (RFC 7516) as DIDComm v2 uses it: JSON serialization (general; the
 * flattened form is accepted on input), one ephemeral key for all
 * recipients, everything shared in the protected header, and two key
 * management algorithms:
 *
 *  - ECDH-ES+A256KW (RFC 7518 §4.6): anoncrypt, with A256CBC-HS512, A256GCM
 *    or XC20P content encryption;
 *  - ECDH-1PU+A256KW (draft-madden-jose-ecdh-1pu-04): authcrypt, with
 *    A256CBC-HS512 only (the draft's key-wrapping mode needs a content
 *    encryption whose tag commits to the key; DIDComm mandates this one).
 *
 * This module works on keys, not DIDs: which keys a DID stands for, and
 * whether a sender key belongs to the `from` DID, is pack.ts / unpack.ts.
 *
 * Protected header (DIDComm v2.1 §"ECDH-1PU key wrapping and common protected headers"):
 * `typ`, `alg`, `enc`, `epk`, `apv` = base64url(SHA-256(recipient kids sorted
 * and joined with ".")), and for 1PU `skid` and `apu` = base64url(skid).
 */
import { getCrypto } from '../crypto/index.ts';
import type { ParsedSecret, PublicKey } from '../did/keys.ts';
import { publicKeyFromJwk, publicKeyToJwk } from '../did/keys.ts';
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.ts';
import { equalBytes, utf8Decode, utf8Encode } from '../encoding/bytes.ts';
import { DidcommError, isSsiotError } from '../errors.ts';
import { ecdh, generateEphemeral, isAgreementCurve, staticEcdh, type AgreementCurve, type EcdhCache } from './ecdh.ts';
import { concatKdf } from './kdf.ts';
import { isJsonObject, MEDIA_TYPE_ENCRYPTED } from './message.ts';

export type ContentEncryption = 'A256CBC-HS512' | 'A256GCM' | 'XC20P';
export type KeyWrapAlgorithm = 'ECDH-ES+A256KW' | 'ECDH-1PU+A256KW';
export const CONTENT_ENCRYPTIONS: readonly ContentEncryption[] = ['A256CBC-HS512', 'A256GCM', 'XC20P'];

/** A recipient key: its DID URL (the per-recipient `kid`) and public key. */
export interface RecipientKey {
  kid: string;
  key: PublicKey;
}

/** The JWE JSON general serialization this module writes. */
export interface JweJson {
  protected: string;
  recipients: { header: { kid: string }; encrypted_key: string }[];
  iv: string;
  ciphertext: string;
  tag: string;
}

export interface EncryptOptions {
  alg: KeyWrapAlgorithm;
  enc: ContentEncryption;
  recipients: readonly RecipientKey[];
  /** Required for ECDH-1PU: the sender's key-agreement key and its id (`skid`). */
  sender?: { kid: string; secret: ParsedSecret };
  /** Static-static ECDH cache for 1PU; `null` for none. */
  ecdhCache?: EcdhCache | null;
}

/** `didcomm.malformed`: the envelope's structure is wrong. */
export function malformed(message: string, cause?: unknown): DidcommError {
  return new DidcommError('didcomm.malformed', message, cause === undefined ? undefined : { cause });
}

/** Strict base64url member -> bytes, `didcomm.malformed` otherwise. */
export function b64Member(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw malformed(`${what} must be a base64url string`);
  try {
    return base64urlDecode(value);
  } catch (e) {
    throw malformed(`${what} is not base64url`, e);
  }
}

/** base64url JSON object member (a JOSE protected header) -> object. */
export function b64JsonObject(value: unknown, what: string): Record<string, unknown> {
  const bytes = b64Member(value, what);
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(bytes));
  } catch (e) {
    throw malformed(`${what} is not a JSON object`, e);
  }
  if (!isJsonObject(parsed)) throw malformed(`${what} is not a JSON object`);
  return parsed;
}

/** `apv`: SHA-256 of the recipient kids, sorted (code-unit order) and joined with '.'. */
export function apvFor(kids: readonly string[]): Uint8Array {
  return getCrypto().sha256(utf8Encode([...kids].sort().join('.')));
}

function aead(enc: ContentEncryption) {
  return getCrypto().aead[enc];
}

/** AAD of RFC 7516 §5.1 step 14: ASCII(protected) or ASCII(protected '.' aad). */
function aadOf(protectedB64: string, aadB64?: string): Uint8Array {
  return utf8Encode(aadB64 === undefined ? protectedB64 : `${protectedB64}.${aadB64}`);
}

function kek(alg: KeyWrapAlgorithm, z: Uint8Array, apu: Uint8Array, apv: Uint8Array, tag?: Uint8Array): Uint8Array {
  return concatKdf(z, 256, alg, apu, apv, alg === 'ECDH-1PU+A256KW' ? tag : undefined);
}

/** Encrypt `plaintext` to every key in `o.recipients` (all on one curve). */
export function encryptJwe(plaintext: Uint8Array, o: EncryptOptions): JweJson {
  if (!CONTENT_ENCRYPTIONS.includes(o.enc)) throw new DidcommError('didcomm.unsupported_alg', `unsupported content encryption ${String(o.enc)}`);
  const oneP = o.alg === 'ECDH-1PU+A256KW';
  if (!oneP && o.alg !== 'ECDH-ES+A256KW') throw new DidcommError('didcomm.unsupported_alg', `unsupported key wrapping ${String(o.alg)}`);
  if (oneP && o.enc !== 'A256CBC-HS512') {
    throw new DidcommError('didcomm.unsupported_alg', 'ECDH-1PU+A256KW (authcrypt) requires A256CBC-HS512');
  }
  if (o.recipients.length === 0) throw new DidcommError('didcomm.invalid_argument', 'no recipient keys');
  const curve = o.recipients[0].key.kind;
  if (!isAgreementCurve(curve)) throw new DidcommError('didcomm.unsupported_alg', `${curve} keys cannot be used for key agreement`);
  const kids = o.recipients.map((r) => r.kid);
  if (new Set(kids).size !== kids.length) throw new DidcommError('didcomm.invalid_argument', 'recipient key listed twice');
  for (const r of o.recipients) {
    if (r.key.kind !== curve) throw new DidcommError('didcomm.no_compatible_keys', 'all recipient keys of one JWE must be on one curve');
  }
  if (oneP && (!o.sender || o.sender.secret.privateKey.kind !== curve)) {
    throw new DidcommError('didcomm.no_compatible_keys', 'authcrypt needs a sender key on the recipients\' curve');
  }

  const c = getCrypto();
  const eph = generateEphemeral(curve as AgreementCurve);
  const apv = apvFor(kids);
  const header: Record<string, unknown> = { typ: MEDIA_TYPE_ENCRYPTED, alg: o.alg, enc: o.enc };
  let apu: Uint8Array = new Uint8Array(0);
  if (oneP) {
    apu = utf8Encode(o.sender!.kid);
    header.skid = o.sender!.kid;
    header.apu = base64urlEncode(apu);
  }
  header.apv = base64urlEncode(apv);
  header.epk = publicKeyToJwk(eph.publicKey);
  const protectedB64 = base64urlEncode(utf8Encode(JSON.stringify(header)));

  // Content first: ECDH-1PU's key derivation takes the tag as input.
  const cipher = aead(o.enc);
  const cek = c.randomBytes(cipher.keyLength);
  const iv = c.randomBytes(cipher.ivLength);
  const { ciphertext, tag } = cipher.encrypt(cek, iv, plaintext, aadOf(protectedB64));

  const recipients = o.recipients.map((r) => {
    const ze = ecdh(eph.privateKey, r.key);
    const z = oneP ? concat(ze, staticEcdh(o.sender!.secret, r.key, o.ecdhCache ?? null)) : ze;
    return { header: { kid: r.kid }, encrypted_key: base64urlEncode(c.aesKeyWrap(kek(o.alg, z, apu, apv, tag), cek)) };
  });
  return { protected: protectedB64, recipients, iv: base64urlEncode(iv), ciphertext: base64urlEncode(ciphertext), tag: base64urlEncode(tag) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A JWE taken apart and checked for shape (no cryptography yet). */
export interface ParsedJwe {
  protectedB64: string;
  header: Record<string, unknown>;
  alg: KeyWrapAlgorithm;
  enc: ContentEncryption;
  epk: PublicKey;
  apu: Uint8Array;
  apv: Uint8Array;
  /** Sender key id for ECDH-1PU: `skid`, or the decoded `apu` when `skid` is absent (spec: MUST support). */
  skid?: string;
  recipients: { kid: string; encryptedKey: Uint8Array }[];
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
  aad: Uint8Array;
}

/** True when `x` looks like a JWE in JSON serialization (has `ciphertext`). */
export function isJwe(x: Record<string, unknown>): boolean {
  return x.ciphertext !== undefined;
}

/**
 * Take a JWE JSON object apart: `didcomm.malformed` for a bad shape,
 * `didcomm.unsupported_alg` for algorithms DIDComm does not use. The `apv`
 * is checked against the recipient list here (didcomm-rust does the same): it
 * is what binds the recipient set into the key derivation.
 */
export function parseJwe(x: Record<string, unknown>): ParsedJwe {
  const header = b64JsonObject(x.protected, 'JWE protected header');
  const protectedB64 = x.protected as string;
  const alg = header.alg;
  const enc = header.enc;
  if (alg !== 'ECDH-ES+A256KW' && alg !== 'ECDH-1PU+A256KW') throw new DidcommError('didcomm.unsupported_alg', `unsupported JWE alg ${String(alg)}`);
  if (typeof enc !== 'string' || !CONTENT_ENCRYPTIONS.includes(enc as ContentEncryption)) {
    throw new DidcommError('didcomm.unsupported_alg', `unsupported JWE enc ${String(enc)}`);
  }
  if (alg === 'ECDH-1PU+A256KW' && enc !== 'A256CBC-HS512') {
    throw new DidcommError('didcomm.unsupported_alg', 'ECDH-1PU+A256KW requires A256CBC-HS512');
  }
  if (header.zip !== undefined) throw new DidcommError('didcomm.unsupported_alg', 'compressed JWE (zip) is not supported');
  if (!isJsonObject(header.epk)) throw malformed('JWE protected header has no epk');
  let epk: PublicKey;
  try {
    epk = publicKeyFromJwk(header.epk);
  } catch (e) {
    if (isSsiotError(e) && e.code === 'did.unsupported_key_type') throw new DidcommError('didcomm.unsupported_alg', 'unsupported epk curve', { cause: e });
    throw malformed('epk is not a valid public key', e);
  }
  if (!isAgreementCurve(epk.kind)) throw new DidcommError('didcomm.unsupported_alg', `epk curve ${epk.kind} is not a key agreement curve`);
  const apu = header.apu === undefined ? new Uint8Array(0) : b64Member(header.apu, 'apu');
  if (header.apv === undefined) throw malformed('JWE protected header has no apv');
  const apv = b64Member(header.apv, 'apv');

  let skid: string | undefined;
  if (alg === 'ECDH-1PU+A256KW') {
    if (header.skid !== undefined) {
      if (typeof header.skid !== 'string') throw malformed('skid must be a string');
      skid = header.skid;
      if (header.apu !== undefined && !equalBytes(apu, utf8Encode(skid))) throw malformed('apu does not encode skid');
    } else {
      if (header.apu === undefined) throw malformed('authcrypt JWE names no sender (no skid, no apu)');
      try {
        skid = utf8Decode(apu);
      } catch (e) {
        throw malformed('apu is not UTF-8', e);
      }
    }
  }

  // General serialization, or flattened (one recipient at the top level).
  let list: unknown[];
  if (x.recipients !== undefined) {
    if (!Array.isArray(x.recipients) || x.recipients.length === 0) throw malformed('JWE recipients must be a non-empty array');
    if (x.encrypted_key !== undefined || x.header !== undefined) throw malformed('JWE mixes general and flattened serialization');
    list = x.recipients;
  } else {
    list = [{ header: x.header, encrypted_key: x.encrypted_key }];
  }
  const recipients = list.map((r, i) => {
    if (!isJsonObject(r) || !isJsonObject(r.header) || typeof r.header.kid !== 'string') throw malformed(`JWE recipient ${i} has no header.kid`);
    return { kid: r.header.kid, encryptedKey: b64Member(r.encrypted_key, `recipients[${i}].encrypted_key`) };
  });
  const kids = recipients.map((r) => r.kid);
  if (new Set(kids).size !== kids.length) throw malformed('JWE lists a recipient kid twice');
  if (!equalBytes(apv, apvFor(kids))) throw malformed('apv does not match the recipient kids');

  const aadB64 = x.aad === undefined ? undefined : (b64Member(x.aad, 'aad'), x.aad as string);
  const cipher = aead(enc as ContentEncryption);
  const iv = b64Member(x.iv, 'iv');
  if (iv.length !== cipher.ivLength) throw malformed(`iv must be ${cipher.ivLength} bytes for ${enc}`);
  return {
    protectedB64,
    header,
    alg,
    enc: enc as ContentEncryption,
    epk,
    apu,
    apv,
    skid,
    recipients,
    iv,
    ciphertext: b64Member(x.ciphertext, 'ciphertext'),
    tag: b64Member(x.tag, 'tag'),
    aad: aadOf(protectedB64, aadB64),
  };
}

export interface DecryptKeys {
  /** Our key for one of the recipients. */
  recipient: ParsedSecret;
  /** That recipient's `encrypted_key`. */
  encryptedKey: Uint8Array;
  /** ECDH-1PU: the sender's public key (resolved from `skid`). */
  sender?: PublicKey;
  ecdhCache?: EcdhCache | null;
}

/**
 * Unwrap the CEK with our key and decrypt. Every cryptographic failure
 * (wrong key, tampered header/key/iv/ciphertext/tag) is `didcomm.decrypt_failed`,
 * with no hint which part failed.
 */
export function decryptJwe(j: ParsedJwe, k: DecryptKeys): Uint8Array {
  if (k.recipient.privateKey.kind !== j.epk.kind) throw new DidcommError('didcomm.no_compatible_keys', 'recipient key and epk are on different curves');
  const ze = ecdh(k.recipient.privateKey, j.epk);
  let z = ze;
  if (j.alg === 'ECDH-1PU+A256KW') {
    if (!k.sender) throw new DidcommError('didcomm.unknown_sender_key', 'authcrypt needs the sender key');
    if (k.sender.kind !== j.epk.kind) throw new DidcommError('didcomm.no_compatible_keys', 'sender key and epk are on different curves');
    z = concat(ze, staticEcdh(k.recipient, k.sender, k.ecdhCache ?? null));
  }
  const c = getCrypto();
  const cipher = aead(j.enc);
  try {
    const cek = c.aesKeyUnwrap(kek(j.alg, z, j.apu, j.apv, j.tag), k.encryptedKey);
    if (cek.length !== cipher.keyLength) throw new DidcommError('didcomm.decrypt_failed', 'content key has the wrong length');
    return cipher.decrypt(cek, j.iv, j.ciphertext, j.tag, j.aad);
  } catch (e) {
    if (e instanceof DidcommError) throw e;
    throw new DidcommError('didcomm.decrypt_failed', 'JWE decryption failed', { cause: e });
  }
}
