/**
 * The primitive facade every protocol module uses. One object, all
 * primitives synchronous, all byte arguments Uint8Array. The default is
 * built on @noble/* (protocols/crypto/noble.ts); a host may replace any
 * member (native digest on Moddable, node:crypto in the service) with
 * installCrypto() — tests prove replacements give identical results.
 */
export type HashName = 'sha256' | 'sha512';

/** Streaming hash: update() any number of times, then digest() once. */
export interface Hash {
  update(data: Uint8Array): Hash;
  digest(): Uint8Array;
}

/** JOSE content-encryption names (RFC 7518 §5, draft-irtf-cfrg-xchacha). */
export type AeadName = 'A256CBC-HS512' | 'A256GCM' | 'XC20P' | 'C20P';

export interface Aead {
  readonly keyLength: number;
  readonly ivLength: number;
  readonly tagLength: number;
  encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  /** Throws CryptoError `crypto.decrypt_failed` on any authentication failure. */
  decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  createHash(name: HashName): Hash;
  hmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdf(name: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  /** Ed25519 (RFC 8032). Private keys are 32-byte seeds. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  ed25519Sign(message: Uint8Array, seed: Uint8Array): Uint8Array;
  /** false for any invalid signature or key; never throws on malformed input of the right type. */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** Birational map Ed25519 -> X25519 (RFC 7748 §4.1), for did:key key agreement. */
  ed25519PublicToX25519(publicKey: Uint8Array): Uint8Array;
  ed25519SeedToX25519(seed: Uint8Array): Uint8Array;

  /** X25519 (RFC 7748). Throws `crypto.invalid_key` on an all-zero shared secret. */
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  x25519SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;

  /**
   * P-256: public keys SEC1 (compressed or not); ECDH returns the 32-byte x coordinate.
   * p256PublicKey returns uncompressed (65 bytes, 0x04||x||y) unless `compressed` is true (33 bytes).
   */
  p256PublicKey(privateKey: Uint8Array, compressed?: boolean): Uint8Array;
  p256SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** ES256 (RFC 7518 §3.4): SHA-256 then ECDSA, signature is 64-byte r||s (low-S not required to verify). */
  es256Sign(message: Uint8Array, privateKey: Uint8Array): Uint8Array;
  es256Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;

  /**
   * P-384 and P-521 key agreement (DIDComm v2 requires P-384, P-521 is optional),
   * same conventions as P-256: private keys are big-endian scalars of the field
   * size (48 / 66 bytes), public keys SEC1 compressed or not, ECDH returns the
   * x coordinate of the field size (48 / 66 bytes, leading zeros kept).
   */
  p384PublicKey(privateKey: Uint8Array, compressed?: boolean): Uint8Array;
  p384SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  p521PublicKey(privateKey: Uint8Array, compressed?: boolean): Uint8Array;
  p521SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;

  /**
   * secp256k1 keys and ES256K (RFC 8812): SHA-256 then ECDSA, 64-byte r||s.
   * Signing always yields low-S (what most secp256k1 verifiers demand); verifying
   * accepts either S, as JOSE does not require low-S (DIDComm only needs to verify ES256K).
   */
  secp256k1PublicKey(privateKey: Uint8Array, compressed?: boolean): Uint8Array;
  es256kSign(message: Uint8Array, privateKey: Uint8Array): Uint8Array;
  es256kVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;

  aead: Record<AeadName, Aead>;
  /** AES key wrap (RFC 3394) with a 256-bit KEK; unwrap throws `crypto.unwrap_failed`. */
  aesKeyWrap(kek: Uint8Array, key: Uint8Array): Uint8Array;
  aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array;

  randomBytes(length: number): Uint8Array;
}

/**
 * What a host may replace: any member, and within `aead` any single
 * algorithm (node:crypto has no XChaCha20, so a Node host overrides three
 * of the four and keeps the default XC20P).
 */
export type CryptoOverrides = Partial<Omit<CryptoProvider, 'aead'>> & { aead?: Partial<Record<AeadName, Aead>> };
