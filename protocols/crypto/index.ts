/**
 * The crypto facade: protocol code calls getCrypto().<primitive>(...) and
 * never imports a crypto library itself, so a host can swap in native
 * primitives (Moddable's digest and RNG, node:crypto in the service)
 * without touching protocol code.
 *
 * State is one variable: the current provider. It starts as nobleCrypto;
 * installCrypto() layers overrides on top of it, resetCrypto() goes back.
 * Read getCrypto() at call time (not once at module load) so an install
 * made after import still takes effect.
 */
import { CryptoError } from '../errors.ts';
import { nobleCrypto } from './noble.ts';
import type { AeadName, CryptoOverrides, CryptoProvider } from './types.ts';

export type { Aead, AeadName, CryptoOverrides, CryptoProvider, Hash, HashName } from './types.ts';
export { nobleCrypto } from './noble.ts';
export { a256cbcHs512, type CbcHmacParts } from './a256cbc-hs512.ts';

let current: CryptoProvider = nobleCrypto;

const AEAD_NAMES: readonly AeadName[] = ['A256CBC-HS512', 'A256GCM', 'XC20P', 'C20P'];

/**
 * `base` with `overrides` laid over it; `aead` is merged per algorithm.
 * Members given as `undefined` are ignored (a host may build its overrides
 * conditionally). The result is frozen.
 */
export function mergeCrypto(base: CryptoProvider, overrides: CryptoOverrides): CryptoProvider {
  if (typeof overrides !== 'object' || overrides === null) {
    throw new CryptoError('crypto.invalid_provider', 'crypto overrides must be an object');
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined || name === 'aead') continue;
    if (!(name in base)) throw new CryptoError('crypto.invalid_provider', `unknown crypto primitive ${name}`);
    if (typeof value !== 'function') throw new CryptoError('crypto.invalid_provider', `crypto primitive ${name} must be a function`);
    merged[name] = value;
  }
  const aead = { ...base.aead };
  for (const [name, value] of Object.entries(overrides.aead ?? {})) {
    if (value === undefined) continue;
    if (!AEAD_NAMES.includes(name as AeadName)) throw new CryptoError('crypto.invalid_provider', `unknown AEAD ${name}`);
    if (typeof value.encrypt !== 'function' || typeof value.decrypt !== 'function') {
      throw new CryptoError('crypto.invalid_provider', `AEAD ${name} must have encrypt and decrypt`);
    }
    aead[name as AeadName] = value;
  }
  merged.aead = Object.freeze(aead);
  return Object.freeze(merged) as unknown as CryptoProvider;
}

/** The provider in force now. */
export function getCrypto(): CryptoProvider {
  return current;
}

/**
 * Replace some primitives for everyone (a host calls this once at start-up).
 * Overrides stack: a later install keeps earlier replacements it does not
 * itself replace.
 */
export function installCrypto(overrides: CryptoOverrides): void {
  current = mergeCrypto(current, overrides);
}

/** Back to the pure-JS default (tests; a host shutting down). */
export function resetCrypto(): void {
  current = nobleCrypto;
}
