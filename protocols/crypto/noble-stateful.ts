/**
 * The @noble exports whose modules keep mutable state at module level:
 * scratch buffers (sha2's message schedule, hkdf's counter byte, argon2's
 * and blake2's work blocks, the GHASH tail block AES-GCM pulls in) and caches (curve precomputes, field square
 * roots and validated points in WeakMaps/WeakSets). Import them from here,
 * not from the packages, so a platform can load these modules on first use
 * instead of ahead of time.
 *
 * Why one seam: the Moddable firmware preloads its modules into flash, and
 * the XS linker freezes every typed array and weak collection that exists at
 * link time (a later write fails with "read-only buffer"/"read-only WeakMap
 * instance"); it also cannot preload secp256k1's top-level BigInt arrays.
 * The firmware therefore maps this module to hosts/moddable/noble-lazy.ts,
 * which loads the real modules at run time. Everywhere else these are the
 * noble exports themselves.
 */
export { aeskw, cbc, gcm } from '@noble/ciphers/aes.js';
export { getMinHashLength, mapHashToField } from '@noble/curves/abstract/modular.js';
export { ed25519, x25519 } from '@noble/curves/ed25519.js';
export { p256, p384, p521 } from '@noble/curves/nist.js';
export { secp256k1 } from '@noble/curves/secp256k1.js';
export { argon2id } from '@noble/hashes/argon2.js';
export { hkdf } from '@noble/hashes/hkdf.js';
export { scrypt } from '@noble/hashes/scrypt.js';
export { sha256, sha512 } from '@noble/hashes/sha2.js';
