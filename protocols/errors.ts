/**
 * Errors that cross a module boundary carry a stable, dotted `code`
 * (`<area>.<reason>`, e.g. `did.invalid`, `encoding.invalid_base64url`).
 * Codes are part of the public contract (CLI JSON, problem reports); the
 * message is for humans and must never contain secret material.
 */
export class SsiotError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'SsiotError';
    this.code = code;
    if (options && options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export class CryptoError extends SsiotError {
  constructor(code: `crypto.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CryptoError';
  }
}

export class EncodingError extends SsiotError {
  constructor(code: `encoding.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'EncodingError';
  }
}

export class DidError extends SsiotError {
  constructor(code: `did.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DidError';
  }
}

export class VcError extends SsiotError {
  constructor(code: `vc.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'VcError';
  }
}

/** True when `e` is one of ours (works across bundles: checks shape, not prototype). */
export function isSsiotError(e: unknown): e is SsiotError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && e instanceof Error;
}
