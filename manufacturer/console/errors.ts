/**
 * Typed errors of the console module (`console.<reason>`) and the HTTP
 * status of each code. The class lives here, next to its only user, not in
 * protocols/errors.ts: only this Node service raises it (the same choice as
 * manufacturer/releases/errors.ts). It is an SsiotError, so the service
 * treats it like every other typed error.
 */
import { SsiotError } from '../../protocols/errors.ts';

export class ConsoleError extends SsiotError {
  constructor(code: `console.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ConsoleError';
  }
}

const STATUS: Readonly<Record<string, number>> = {
  'console.invalid_request': 400,
  'console.invalid_argument': 400,
  'console.unauthenticated': 401,
  'console.bad_credentials': 401,
  'console.csrf': 403,
  'console.forbidden': 403,
  'console.not_found': 404,
  'console.username_taken': 409,
  'console.rate_limited': 429,
};

/** The HTTP status for a console code (500 when not listed: a code we did not plan for is our fault). */
export function consoleStatusOf(code: string): number {
  return STATUS[code] ?? 500;
}
