/**
 * Typed errors of the releases module (`release.<reason>`) and the HTTP
 * status each code maps to. The class lives here, not in
 * protocols/errors.ts, because only this Node service raises it (the same
 * choice as device/errors.ts); it is an SsiotError, so callers and the
 * service's error handler treat it like every other typed error.
 */
import { SsiotError } from '../../protocols/errors.ts';
import { statusOfCode } from '../service/http.ts';

export class ReleaseError extends SsiotError {
  constructor(code: `release.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ReleaseError';
  }
}

/**
 * HTTP statuses of the codes that the service's naming conventions
 * (manufacturer/service/http.ts statusOfCode) do not already give.
 */
export const RELEASE_STATUS: Readonly<Record<string, number>> = {
  'release.unknown_class': 400,
  'release.device_not_in_rollout': 404,
  'release.sequence_not_increasing': 409,
  'release.invalid_state': 409,
  'release.invalid_transition': 409,
  'release.rollout_active': 409,
  'release.not_published': 409,
  'release.signer_not_authorized': 409,
  'release.withdrawn': 410,
  'release.range_not_satisfiable': 416,
  'release.announce_failed': 502,
  'release.image_corrupt': 500,
  'release.envelope_mismatch': 500,
};

/** The HTTP status of a typed error code, as the releases routes answer it. */
export function httpStatusOf(code: string): number {
  return statusOfCode(code, RELEASE_STATUS);
}
