/**
 * CORS for a device's (or agent's) DIDComm reply endpoint, shared by the
 * Node host (fastify) and the Moddable host (its HTTP server), so a browser
 * phone app on another origin can POST envelopes to either. Opt-in: with no
 * options there are no CORS headers and no preflight answer.
 */

export interface DidcommCorsOptions {
  /** `'*'` (any origin) or a list of origins such as `http://127.0.0.1:8090`. */
  origins: '*' | readonly string[];
  /** Preflight cache lifetime, seconds (default 600). */
  maxAgeSeconds?: number;
}

/**
 * The `Access-Control-Allow-Origin` value for a request from `origin`, or
 * undefined when that origin is not allowed. Choice: with `'*'` the answer
 * is `*` (no credentials are ever sent to a DIDComm endpoint: the envelope
 * authenticates itself); with a list, the matching origin is echoed.
 */
export function corsAllowOrigin(cors: DidcommCorsOptions, origin: string | undefined): string | undefined {
  if (cors.origins === '*') return '*';
  return origin !== undefined && cors.origins.includes(origin) ? origin : undefined;
}

/** Headers for every answer of the endpoint (errors included, so a browser can read the status). */
export function corsResponseHeaders(cors: DidcommCorsOptions, origin: string | undefined): [string, string][] {
  const headers: [string, string][] = [];
  const allow = corsAllowOrigin(cors, origin);
  if (allow !== undefined) headers.push(['access-control-allow-origin', allow]);
  if (cors.origins !== '*') headers.push(['vary', 'Origin']);
  return headers;
}

/**
 * The answer to a preflight (`OPTIONS`): the DIDComm media types are not
 * CORS-safelisted, so browsers always preflight a POST. 403 for an origin
 * not allowed, else 204 allowing POST with a content-type header.
 */
export function corsPreflight(cors: DidcommCorsOptions, origin: string | undefined): { status: 204 | 403; headers: [string, string][] } {
  if (corsAllowOrigin(cors, origin) === undefined) return { status: 403, headers: [] };
  return {
    status: 204,
    headers: [
      ['access-control-allow-methods', 'POST'],
      ['access-control-allow-headers', 'content-type'],
      ['access-control-max-age', String(cors.maxAgeSeconds ?? 600)],
    ],
  };
}

/**
 * A setting string as CORS options: `''` none, `'*'` any origin, else a
 * comma-separated list of origins (the simulator's `--cors-origins`, the
 * firmware's `corsOrigins`).
 */
export function parseCorsOrigins(setting: string): DidcommCorsOptions | undefined {
  const trimmed = setting.trim();
  if (trimmed === '') return undefined;
  if (trimmed === '*') return { origins: '*' };
  return { origins: trimmed.split(',').map((o) => o.trim()).filter((o) => o !== '') };
}
