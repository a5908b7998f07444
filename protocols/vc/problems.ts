/**
 * The error list a verifier returns instead of throwing. Same `{code, message}`
 * pair as the CLI's `{verified, errors}` output and DIDComm problem reports, so
 * a result can be forwarded without translation.
 */
import { isSsiotError } from '../errors.ts';

export interface VcProblem {
  /** Stable dotted code, e.g. `vc.invalid_signature` (see verify.ts for the list). */
  code: string;
  /** Human-readable detail; never contains key material. */
  message: string;
}

/**
 * Turns anything thrown into a problem. Our typed errors keep their code; an
 * unexpected exception becomes `fallbackCode` with a generic message (its text
 * could come from a library and is not ours to forward).
 */
export function problemFrom(e: unknown, fallbackCode: string): VcProblem {
  if (isSsiotError(e)) return { code: e.code, message: e.message };
  return { code: fallbackCode, message: 'unexpected error while processing the credential' };
}
