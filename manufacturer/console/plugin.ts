/**
 * The staff console of the manufacturer service: sign-in, sessions, CSRF,
 * and the web page (plain HTML + CSS + one vanilla JS file).
 *
 *   await app.register(consolePlugin, { db });                       // NO prefix: the page is at /
 *   await app.register(releasesPlugin, { ..., authorize: app.staffOnly });
 *   await app.register(identityPlugin, { identity, authorize: app.staffOnly });
 *
 * `consolePlugin` is not encapsulated (like a fastify-plugin): it decorates
 * the instance it is registered on with `staffOnly`, the preHandler every
 * other plugin takes as its staff gate. Its routes live in an encapsulated
 * child, with their own error handler. `staffGuard(options)` builds the same
 * preHandler without the routes (for wiring before the console is registered).
 *
 * Routes:
 *   POST   /api/session   {username, password} -> 200 {username, role, csrfToken, expiresAt} + Set-Cookie
 *   GET    /api/session   -> the same (401 `console.unauthenticated` when not signed in)
 *   DELETE /api/session   sign-out (CSRF token required) -> 204, cookie cleared
 *   GET    /              the console page
 *   GET    /console/:file its assets (app.js, style.css; a fixed list, nothing else on disk is reachable)
 *
 * staffOnly: 401 `console.unauthenticated` without a live session; 403
 * `console.csrf` when a POST/PUT/PATCH/DELETE lacks the session's token in
 * `x-csrf-token`. Both `{"error":{"code","message"}}`.
 *
 * Sign-in CSRF: there is no session yet, so no token. The body must be a
 * JSON object (the schema refuses a text/plain or form body: an
 * application/json request from another site needs a CORS preflight this
 * service never grants), and SameSite=Strict keeps the cookie out of
 * cross-site requests afterwards.
 *
 * Headers on the console's responses: a strict Content-Security-Policy (no
 * inline script or style; everything from 'self'), nosniff, no framing, no
 * referrer; `Cache-Control: no-store` on the API (a CSRF token is in the body).
 */
import type Database from 'better-sqlite3';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { SsiotError } from '../../protocols/errors.ts';
import { readCookie, sessionCookie } from './cookies.ts';
import { ConsoleError, consoleStatusOf } from './errors.ts';
import { DEFAULT_ARGON2, hashPassword, MAX_PASSWORD_LENGTH, needsRehash, verifyPassword, type Argon2Params } from './password.ts';
import { DEFAULT_RATE_LIMIT, SignInLimiter, type RateLimitOptions } from './rate-limit.ts';
import { migrate } from './schema.ts';
import { DEFAULT_SESSION_TIMEOUTS, sameSecret, SessionStore, type SessionTimeouts, type StaffSession } from './sessions.ts';
import { findStaff, setPasswordHash } from './staff.ts';

/** The staff gate other plugins take as their `authorize` preHandler. */
export type StaffOnly = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler admitting signed-in staff (CSRF token checked on state-changing methods); set by consolePlugin. */
    staffOnly: StaffOnly;
  }
}

export interface ConsolePluginOptions {
  /** The service database (better-sqlite3); the console creates its `console_*` tables in it. */
  db: Database.Database;
  /** Argon2id cost for new hashes (default OWASP: 19 MiB, t=2, p=1); tests pass light ones. */
  argon2?: Argon2Params;
  /**
   * `Secure` on the session cookie (default true). Browsers accept Secure
   * cookies from http://localhost and http://127.0.0.1 (secure contexts), so
   * only plain HTTP on another host needs false.
   */
  secureCookies?: boolean;
  sessions?: Partial<SessionTimeouts>;
  rateLimit?: Partial<RateLimitOptions>;
  /** Clock in ms (tests). */
  now?: () => number;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const sessionsOf = new WeakMap<FastifyRequest, StaffSession>();

/** The session a request passed staffOnly with (undefined before the gate or on open routes). */
export function staffOf(request: FastifyRequest): StaffSession | undefined {
  return sessionsOf.get(request);
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

interface Guarded {
  sessions: SessionStore;
  secure: boolean;
  now: () => number;
  staffOnly: StaffOnly;
}

function guard(options: ConsolePluginOptions): Guarded {
  migrate(options.db);
  const sessions = new SessionStore(options.db, { ...DEFAULT_SESSION_TIMEOUTS, ...options.sessions });
  const secure = options.secureCookies ?? true;
  const now = options.now ?? Date.now;
  const staffOnly: StaffOnly = async (request, reply) => {
    const cookie = readCookie(request.headers.cookie);
    const session = sessions.lookup(cookie, now());
    if (!session) {
      // a stale cookie is cleared so the browser stops sending it
      if (cookie !== undefined) reply.header('set-cookie', sessionCookie('', { secure, maxAgeSeconds: 0 }));
      return reply.code(401).send(errorBody('console.unauthenticated', 'sign in to the console first'));
    }
    if (STATE_CHANGING.has(request.method)) {
      const token = request.headers['x-csrf-token'];
      if (typeof token !== 'string' || !sameSecret(token, session.csrfToken)) {
        return reply.code(403).send(errorBody('console.csrf', 'missing or wrong x-csrf-token header (GET /api/session gives the token)'));
      }
    }
    sessionsOf.set(request, session);
  };
  return { sessions, secure, now, staffOnly };
}

/** The staffOnly preHandler alone (same sessions as the console's), for wiring without registering the console. */
export function staffGuard(options: ConsolePluginOptions): StaffOnly {
  return guard(options).staffOnly;
}

/** Files under static/ the console serves, with their types: a fixed list, so no path from a URL reaches the disk. */
const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * CSP (CSP Level 3): only same-origin scripts, styles, fetches and images;
 * no inline code (the page has none), no plugins, no framing, forms post
 * only here. `style-src 'self'` also forbids style attributes: the page uses
 * <progress> and classes, and sets sizes through the CSSOM where needed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function readAsset(name: string): Buffer {
  return readFileSync(new URL(`./static/${name}`, import.meta.url));
}

interface SignInBody {
  username: string;
  password: string;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
} as const;

const sessionSchema = {
  type: 'object',
  required: ['username', 'role', 'csrfToken', 'expiresAt'],
  properties: { username: { type: 'string' }, role: { type: 'string' }, csrfToken: { type: 'string' }, expiresAt: { type: 'string' } },
} as const;

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema, 500: errorSchema };

function sessionView(s: { username: string; role: string; csrfToken: string; expiresAt: number }) {
  return { username: s.username, role: s.role, csrfToken: s.csrfToken, expiresAt: new Date(s.expiresAt).toISOString() };
}

async function consoleRoutes(app: FastifyInstance, opts: ConsolePluginOptions & { guarded: Guarded }): Promise<void> {
  const { db, guarded } = opts;
  const { sessions, secure, now, staffOnly } = guarded;
  const argon2 = opts.argon2 ?? DEFAULT_ARGON2;
  const limiter = new SignInLimiter(db, { ...DEFAULT_RATE_LIMIT, ...opts.rateLimit });
  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readAsset(name) }]));
  const page = readAsset('index.html');
  // hashed once, so an unknown username costs the same Argon2id work as a known one (no user enumeration by timing)
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= hashPassword('not a password of anyone', argon2));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if ((error as unknown) instanceof SsiotError) {
      const e = error as unknown as SsiotError;
      const status = consoleStatusOf(e.code);
      if (status === 500) request.log.error({ code: e.code }, 'console operation failed');
      const retry = (e as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (typeof retry === 'number') reply.header('retry-after', String(retry));
      return reply.code(status).send(errorBody(e.code, status === 500 ? 'unexpected failure' : e.message));
    }
    if (error.validation) return reply.code(400).send(errorBody('console.invalid_request', error.message));
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody('console.invalid_request', error.message));
    }
    request.log.error({ err: { type: error.name } }, 'console route failed');
    return reply.code(500).send(errorBody('console.internal', 'unexpected failure'));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-opener-policy', 'same-origin');
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.post<{ Body: SignInBody }>(
    '/api/session',
    {
      schema: {
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH } },
        },
        response: { 200: sessionSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const ip = request.ip;
      limiter.check(username, ip, now());
      const row = findStaff(db, username);
      let ok = false;
      if (row && row.disabled === 0) ok = await verifyPassword(password, row.password_hash);
      else await verifyPassword(password, await dummy());
      if (!row || !ok) {
        limiter.fail(username, ip, now());
        // the username is not secret; the password never appears in logs
        request.log.warn({ username, ip }, 'console sign-in refused');
        throw new ConsoleError('console.bad_credentials', 'wrong username or password');
      }
      limiter.succeed(username, ip);
      if (needsRehash(row.password_hash, argon2)) setPasswordHash(db, row.id, await hashPassword(password, argon2));
      // a session id the browser had before signing in is never reused (session fixation)
      const previous = readCookie(request.headers.cookie);
      if (previous !== undefined) sessions.destroy(previous);
      const at = now();
      const { id, csrfToken } = sessions.create(row.id, at);
      request.log.info({ username: row.username }, 'console sign-in');
      const expiresAt = Math.min(at + sessions.timeouts.idleMs, at + sessions.timeouts.absoluteMs);
      reply.header('set-cookie', sessionCookie(id, { secure, maxAgeSeconds: sessions.timeouts.absoluteMs / 1000 }));
      return sessionView({ username: row.username, role: row.role, csrfToken, expiresAt });
    },
  );

  app.get('/api/session', { preHandler: staffOnly, schema: { response: { 200: sessionSchema, ...errors } } }, async (request) =>
    sessionView(staffOf(request) as StaffSession),
  );

  app.delete('/api/session', { preHandler: staffOnly, schema: { response: { 204: { type: 'null' }, ...errors } } }, async (request, reply) => {
    const cookie = readCookie(request.headers.cookie);
    if (cookie !== undefined) sessions.destroy(cookie);
    request.log.info({ username: staffOf(request)?.username }, 'console sign-out');
    return reply.code(204).header('set-cookie', sessionCookie('', { secure, maxAgeSeconds: 0 })).send();
  });

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page));

  app.get<{ Params: { file: string } }>(
    '/console/:file',
    { schema: { params: { type: 'object', required: ['file'], properties: { file: { type: 'string', maxLength: 64 } } }, response: { 404: errorSchema } } },
    async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (!asset) throw new ConsoleError('console.not_found', 'no such console file');
      return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
    },
  );
}

/**
 * Registers the console (routes in an encapsulated child) and decorates the
 * instance it is registered on with `staffOnly`. Not encapsulated itself
 * (skip-override, what fastify-plugin sets), so siblings see `app.staffOnly`.
 */
export async function consolePlugin(app: FastifyInstance, opts: ConsolePluginOptions): Promise<void> {
  const guarded = guard(opts);
  app.decorate('staffOnly', guarded.staffOnly);
  await app.register(consoleRoutes, { ...opts, guarded });
}
(consolePlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(consolePlugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'ssiot-console';

