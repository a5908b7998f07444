/**
 * The one cookie of the console, read and written by hand.
 *
 * Choice: no @fastify/cookie. The console needs exactly one cookie with
 * fixed attributes; reading it is a split on `;` and writing it is one
 * string, both covered by tests, while a dependency would bring a parser
 * for every cookie feature (signing, encoding options) we do not use.
 */

export const SESSION_COOKIE = 'ssiot_session';

/** The value of cookie `name` in a Cookie header (the first one, RFC 6265 §5.4 order), or undefined. */
export function readCookie(header: string | undefined, name: string = SESSION_COOKIE): string | undefined {
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

export interface CookieOptions {
  /** `Secure` (default true; only for plain-HTTP development without localhost). */
  secure: boolean;
  /** Lifetime in seconds; 0 deletes the cookie. */
  maxAgeSeconds: number;
}

/**
 * `Set-Cookie` for the session: HttpOnly (no script reads it), SameSite=Strict
 * (no cross-site request carries it: the first CSRF defence, the token the
 * second), Path=/ (the API and the page share it), Secure unless turned off.
 */
export function sessionCookie(value: string, options: CookieOptions): string {
  const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
