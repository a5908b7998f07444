/**
 * Private-key operations by handle: what DIDComm and VC code need from
 * whoever holds the keys, without ever receiving a private key.
 *
 * It mirrors didcomm-rust's SecretsResolver (`find_secrets(kids)`,
 * `get_secret(kid)`), but `getKey` returns the PUBLIC half only and the
 * secret is used through operations:
 *   - `sign(kid, data)`: EdDSA (Ed25519) or ES256 (P-256, 64-byte r||s) —
 *     JWS signing, Data Integrity proofs;
 *   - `deriveSharedSecret(kid, peer)`: raw ECDH Z (X25519 or P-256) — the
 *     sender's static-static part of ECDH-1PU, or any KDF the caller runs;
 *   - `unwrapKey(kid, request)`: the recipient side of JWE
 *     ECDH-ES+A256KW / ECDH-1PU+A256KW (ECDH, Concat KDF, AES key unwrap) —
 *     "decrypt": it returns the per-message content key, not the private key.
 * A DIDComm packer takes a `KeyOperations`; the device and the services pass
 * their wallet's `keys`, the CLI passes `secretsKeyOperations(secretsFile)`.
 *
 * Errors: `wallet.key_not_found`, `wallet.key_usage` (e.g. signing with an
 * X25519 key), `wallet.key_mismatch` (peer key of another curve),
 * `wallet.invalid_unwrap_request`, `wallet.unwrap_failed`.
 */
import { getCrypto } from '../crypto/index.ts';
import { concatBytes } from '../encoding/bytes.ts';
import { concatKdf } from '../didcomm/kdf.ts';
import { WalletError, isSsiotError } from '../errors.ts';
import type { PrivateKey, PublicKey } from '../did/keys.ts';
import type { Tags } from './types.ts';

/** Key types the wallet creates and uses. */
export type WalletKeyKind = 'Ed25519' | 'X25519' | 'P-256';
export const WALLET_KEY_KINDS: readonly WalletKeyKind[] = ['Ed25519', 'X25519', 'P-256'];

/** A key as callers see it: handle, kind and public key; never the secret. */
export interface KeyInfo {
  /** The handle (the key's own id; aliases such as DID URLs resolve to it). */
  kid: string;
  kind: WalletKeyKind;
  publicKey: PublicKey;
  tags: Tags;
}

/** Recipient side of a JWE key agreement with key wrapping (RFC 7518 §4.6, draft-madden-jose-ecdh-1pu-04). */
export interface JweUnwrapRequest {
  alg: 'ECDH-ES+A256KW' | 'ECDH-1PU+A256KW';
  /** The ephemeral public key from the protected header (`epk`). */
  epk: PublicKey;
  /** Decoded `apu` / `apv` (absent = empty). */
  apu?: Uint8Array;
  apv?: Uint8Array;
  /** This recipient's `encrypted_key`. */
  encryptedKey: Uint8Array;
  /** ECDH-1PU: the sender's static public key (from `skid`). */
  senderPublicKey?: PublicKey;
  /** ECDH-1PU: the JWE authentication tag, which 1PU's KDF includes (`cctag`). */
  tag?: Uint8Array;
}

export interface KeyOperations {
  /** The kids (handles or aliases) among `kids` that this holder has. */
  findKeys(kids: readonly string[]): Promise<string[]>;
  /** Public information for a kid, or undefined. */
  getKey(kid: string): Promise<KeyInfo | undefined>;
  sign(kid: string, data: Uint8Array): Promise<Uint8Array>;
  deriveSharedSecret(kid: string, peer: PublicKey): Promise<Uint8Array>;
  unwrapKey(kid: string, request: JweUnwrapRequest): Promise<Uint8Array>;
}

/** A private key with what the operations need to know about it. */
export interface HeldKey {
  kid: string;
  kind: WalletKeyKind;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  tags: Tags;
}

export function isWalletKeyKind(kind: unknown): kind is WalletKeyKind {
  return typeof kind === 'string' && (WALLET_KEY_KINDS as readonly string[]).includes(kind);
}

/** A fresh private key of `kind` and its public key (P-256 public keys SEC1-compressed, like did/keys). */
export function generateKeyPair(kind: WalletKeyKind): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const c = getCrypto();
  for (let attempt = 0; attempt < 16; attempt++) {
    const sk = c.randomBytes(32);
    try {
      return { privateKey: sk, publicKey: publicKeyOf(kind, sk) };
    } catch (e) {
      if (kind !== 'P-256') throw e; // only P-256 has out-of-range scalars (probability ~2^-32)
    }
  }
  throw new WalletError('wallet.key_generation_failed', 'could not generate a P-256 key');
}

/** The public key of a private key (P-256: compressed). */
export function publicKeyOf(kind: WalletKeyKind, sk: Uint8Array): Uint8Array {
  const c = getCrypto();
  switch (kind) {
    case 'Ed25519':
      return c.ed25519PublicKey(sk);
    case 'X25519':
      return c.x25519PublicKey(sk);
    case 'P-256':
      return c.p256PublicKey(sk, true);
  }
}

function usage(kid: string, kind: string, op: string): WalletError {
  return new WalletError('wallet.key_usage', `key ${kid} (${kind}) cannot ${op}`);
}

/** Signs with a held key: Ed25519 (RFC 8032) or ES256 (SHA-256 + ECDSA, r||s). */
export function signWith(key: HeldKey, data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new WalletError('wallet.invalid_input', 'data to sign must be bytes');
  const c = getCrypto();
  if (key.kind === 'Ed25519') return c.ed25519Sign(data, key.privateKey);
  if (key.kind === 'P-256') return c.es256Sign(data, key.privateKey);
  throw usage(key.kid, key.kind, 'sign');
}

/** Raw ECDH shared secret Z with a peer public key of the same curve. */
export function agreeWith(key: HeldKey, peer: PublicKey): Uint8Array {
  if (key.kind === 'Ed25519') throw usage(key.kid, key.kind, 'do key agreement (use its X25519 key)');
  if (!peer || peer.kind !== key.kind || !(peer.bytes instanceof Uint8Array)) {
    throw new WalletError('wallet.key_mismatch', `key ${key.kid} is ${key.kind}; the peer key is ${String(peer && peer.kind)}`);
  }
  const c = getCrypto();
  try {
    return key.kind === 'X25519' ? c.x25519SharedSecret(key.privateKey, peer.bytes) : c.p256SharedSecret(key.privateKey, peer.bytes);
  } catch (e) {
    if (isSsiotError(e)) throw new WalletError('wallet.key_mismatch', `peer ${key.kind} key is unusable (${e.code})`, { cause: e });
    throw e;
  }
}

/** JWE recipient key unwrap with a held key (see JweUnwrapRequest). */
export function unwrapWith(key: HeldKey, req: JweUnwrapRequest): Uint8Array {
  const bad = (m: string) => new WalletError('wallet.invalid_unwrap_request', m);
  if (typeof req !== 'object' || req === null) throw bad('unwrap request must be an object');
  if (req.alg !== 'ECDH-ES+A256KW' && req.alg !== 'ECDH-1PU+A256KW') throw bad('alg must be ECDH-ES+A256KW or ECDH-1PU+A256KW');
  if (!(req.encryptedKey instanceof Uint8Array)) throw bad('encryptedKey must be bytes');
  const apu = req.apu ?? new Uint8Array(0);
  const apv = req.apv ?? new Uint8Array(0);
  if (!(apu instanceof Uint8Array) || !(apv instanceof Uint8Array)) throw bad('apu and apv must be bytes');
  let z = agreeWith(key, req.epk);
  if (req.alg === 'ECDH-1PU+A256KW') {
    if (!req.senderPublicKey) throw bad('ECDH-1PU needs the sender public key');
    if (!(req.tag instanceof Uint8Array)) throw bad('ECDH-1PU needs the JWE tag');
    z = concatBytes(z, agreeWith(key, req.senderPublicKey));
  }
  // The JOSE Concat KDF is DIDComm's (one implementation for both sides of the envelope).
  const kek = concatKdf(z, 256, req.alg, apu, apv, req.alg === 'ECDH-1PU+A256KW' ? req.tag : undefined);
  try {
    return getCrypto().aesKeyUnwrap(kek, req.encryptedKey);
  } catch (e) {
    throw new WalletError('wallet.unwrap_failed', `key unwrap failed for ${key.kid} (not for this key, or modified)`, { cause: e });
  }
}

/** KeyOperations over any "load the held key for a kid" function. */
export function keyOperations(load: (kid: string) => Promise<HeldKey | undefined>): KeyOperations {
  const need = async (kid: string): Promise<HeldKey> => {
    const k = await load(kid);
    if (!k) throw new WalletError('wallet.key_not_found', `no key ${kid}`);
    return k;
  };
  return {
    async findKeys(kids) {
      const out: string[] = [];
      for (const kid of kids) if (await load(kid)) out.push(kid);
      return out;
    },
    async getKey(kid) {
      const k = await load(kid);
      return k && { kid: k.kid, kind: k.kind, publicKey: { kind: k.kind, bytes: k.publicKey }, tags: { ...k.tags } };
    },
    sign: async (kid, data) => signWith(await need(kid), data),
    deriveSharedSecret: async (kid, peer) => agreeWith(await need(kid), peer),
    unwrapKey: async (kid, req) => unwrapWith(await need(kid), req),
  };
}

/**
 * KeyOperations over secrets already in memory (a CLI secrets file parsed by
 * did/keys `parseSecret`): the same interface as a wallet's keys, for code
 * that must work with either. Only Ed25519, X25519 and P-256 are usable.
 */
export function secretsKeyOperations(secrets: readonly { id: string; privateKey: PrivateKey; publicKey: PublicKey }[]): KeyOperations {
  const byKid = new Map<string, HeldKey>();
  for (const s of secrets) {
    if (!isWalletKeyKind(s.privateKey.kind)) continue;
    byKid.set(s.id, { kid: s.id, kind: s.privateKey.kind, privateKey: s.privateKey.bytes, publicKey: s.publicKey.bytes, tags: {} });
  }
  return keyOperations(async (kid) => byKid.get(kid));
}
