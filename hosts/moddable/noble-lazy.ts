/**
 * The firmware's stand-in for protocols/crypto/noble-stateful.ts: the same
 * exports, whose real modules load into RAM on first use instead of being
 * preloaded into flash with everything else.
 *
 * Why: those @noble modules keep state they write at run time in module-level
 * typed arrays and weak collections (sha2's message schedule, hkdf's counter,
 * the GHASH tail block under AES-GCM, curve precomputes and square-root caches). The XS linker freezes every such
 * object that exists when it preloads (the SDK's documented rule for objects
 * it cannot alias), so a preloaded SHA-256 fails with "read-only buffer". And
 * the linker cannot preload @noble/curves/secp256k1 at all: SDK 8.2.1's
 * xslSlot.c fxPrepareHeap sizes the BigInt data without counting BigInts held
 * in arrays (secp256k1's endomorphism basis and isogeny coefficients), then
 * fxPrintHeap overflows that buffer while writing mc.xs.c ("double free or
 * corruption"). See hosts/moddable/README.md, "Preloading".
 *
 * `Modules.importNow` (the SDK's `modules`) runs a module of the firmware's
 * archive synchronously on first use, on top of the preloaded modules it
 * imports, and answers its namespace (these modules have no default export).
 * Each export here is a Proxy that loads its module on the first property
 * access or call and then forwards to the real object or function; nothing
 * touches them while the firmware's modules are preloaded.
 */
import Modules from 'moddable:modules';
import type * as Aes from '@noble/ciphers/aes.js';
import type * as Modular from '@noble/curves/abstract/modular.js';
import type * as Ed25519 from '@noble/curves/ed25519.js';
import type * as Nist from '@noble/curves/nist.js';
import type * as Secp256k1 from '@noble/curves/secp256k1.js';
import type * as Argon2 from '@noble/hashes/argon2.js';
import type * as Hkdf from '@noble/hashes/hkdf.js';
import type * as Scrypt from '@noble/hashes/scrypt.js';
import type * as Sha2 from '@noble/hashes/sha2.js';

/** Namespaces loaded so far, by module name (a plain object: it stays writable when preloaded). */
const loaded: Record<string, object> = {};

/** The namespace of the archive module `name`, loaded on the first call. */
function namespace<T extends object>(name: string): () => T {
  return () => (loaded[name] ??= Modules.importNow(name) as object) as T;
}

/** An object export that loads its module on first use. */
function lazyObject<T extends object>(real: () => T): T {
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(real(), key),
    has: (_target, key) => Reflect.has(real(), key),
  });
}

/** A function export (with its properties, e.g. a hash's `create`, `outputLen`) that loads its module on first use. */
function lazyFunction<T extends (...args: never[]) => unknown>(real: () => T): T {
  const target = (() => undefined) as unknown as T;
  return new Proxy(target, {
    apply: (_target, self, args) => Reflect.apply(real(), self, args),
    get: (_target, key) => Reflect.get(real(), key),
    has: (_target, key) => Reflect.has(real(), key),
  });
}

const aes = namespace<typeof Aes>('@noble/ciphers/aes');
const modular = namespace<typeof Modular>('@noble/curves/abstract/modular');
const ed = namespace<typeof Ed25519>('@noble/curves/ed25519');
const nist = namespace<typeof Nist>('@noble/curves/nist');
const k1 = namespace<typeof Secp256k1>('@noble/curves/secp256k1');
const argon2 = namespace<typeof Argon2>('@noble/hashes/argon2');
const hkdfModule = namespace<typeof Hkdf>('@noble/hashes/hkdf');
const scryptModule = namespace<typeof Scrypt>('@noble/hashes/scrypt');
const sha2 = namespace<typeof Sha2>('@noble/hashes/sha2');

export const aeskw = lazyFunction(() => aes().aeskw);
export const cbc = lazyFunction(() => aes().cbc);
export const gcm = lazyFunction(() => aes().gcm);
export const getMinHashLength = lazyFunction(() => modular().getMinHashLength);
export const mapHashToField = lazyFunction(() => modular().mapHashToField);
export const ed25519 = lazyObject(() => ed().ed25519);
export const x25519 = lazyObject(() => ed().x25519);
export const p256 = lazyObject(() => nist().p256);
export const p384 = lazyObject(() => nist().p384);
export const p521 = lazyObject(() => nist().p521);
export const secp256k1 = lazyObject(() => k1().secp256k1);
export const argon2id = lazyFunction(() => argon2().argon2id);
export const hkdf = lazyFunction(() => hkdfModule().hkdf);
export const scrypt = lazyFunction(() => scryptModule().scrypt);
export const sha256 = lazyFunction(() => sha2().sha256);
export const sha512 = lazyFunction(() => sha2().sha512);
