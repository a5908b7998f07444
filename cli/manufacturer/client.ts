/**
 * A staff session with the manufacturer service, for `ssiot manufacturer …`.
 *
 * Sign-in is the console's (manufacturer/console/plugin.ts): POST
 * /api/session {username, password} gives the `ssiot_session` cookie and a
 * CSRF token, which every state-changing call repeats in `x-csrf-token`.
 * Each CLI run signs in once and signs out when done (a session per
 * invocation: nothing to store on disk between runs).
 *
 * Credentials never come from argv (shared/CLI.md): the username from
 * `--user` or SSIOT_MFR_USER (a name is not a secret), the password from
 * the file named by `--password-file` (its first line) or from
 * SSIOT_MFR_PASSWORD. The base URL from `--url` or SSIOT_MFR_URL.
 *
 * Errors: the service's `{"error":{code,message}}` becomes an SsiotError
 * with the service's own code (e.g. `release.not_found`,
 * `console.bad_credentials`); an unreachable service or an answer that is
 * not JSON is `cli.io` (the code the other network commands use).
 */
import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SsiotError } from '../../protocols/errors.ts';
import { UsageError, type CommandContext } from '../command.ts';
import { readTextFile, str } from '../io.ts';

export interface Credentials {
  username: string;
  password: string;
}

/** The service's base URL: `--url` first, then SSIOT_MFR_URL; http(s) only, no trailing slash. */
export function serviceUrl(options: CommandContext['options'], env: NodeJS.ProcessEnv = process.env): string {
  const raw = str(options.url) ?? (env.SSIOT_MFR_URL || undefined);
  if (raw === undefined) throw new UsageError('the service URL is missing: give --url URL or set SSIOT_MFR_URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, not '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http(s) URL, not '${raw}'`);
  return url.href.replace(/\/+$/, '');
}

/**
 * Staff credentials (see the module comment). `cli.missing_credentials` when
 * either part is absent; the message names where to put them, never a value.
 */
export function staffCredentials(options: CommandContext['options'], env: NodeJS.ProcessEnv = process.env): Credentials {
  const username = str(options.user) ?? (env.SSIOT_MFR_USER || undefined);
  const file = str(options['password-file']);
  // the file's first line: a trailing newline (echo "…" > file) is not part of the password
  const password = file !== undefined ? readTextFile(file, 'password file').split(/\r?\n/)[0] : env.SSIOT_MFR_PASSWORD || undefined;
  if (username === undefined || username === '') {
    throw new SsiotError('cli.missing_credentials', 'no staff username: give --user NAME or set SSIOT_MFR_USER');
  }
  if (password === undefined || password === '') {
    throw new SsiotError('cli.missing_credentials', 'no staff password: set SSIOT_MFR_PASSWORD or give --password-file FILE (never on the command line)');
  }
  return { username, password };
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown };
}

/** The service's typed error as an SsiotError, or `cli.io` naming the HTTP status when the body is not one. */
function serviceError(status: number, body: unknown): SsiotError {
  const e = (body as ErrorBody | undefined)?.error;
  if (e && typeof e.code === 'string' && e.code.length > 0) {
    return new SsiotError(e.code, typeof e.message === 'string' ? e.message : `the service answered HTTP ${status}`);
  }
  return new SsiotError('cli.io', `the service answered HTTP ${status}`);
}

function parseBody(text: string, status: number): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new SsiotError('cli.io', `the service answered HTTP ${status} with a body that is not JSON`);
  }
}

function unreachable(base: string, e: unknown): SsiotError {
  const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
  return new SsiotError('cli.io', `cannot reach the service at ${base}${cause ? ` (${cause})` : ''}`);
}

/** Upload progress: bytes sent so far of `total`. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * One signed-in staff session; `close()` signs out. A JSON call that finds
 * the session gone (`console.unauthenticated`: idle or 12-hour limit, a
 * restart, staff signed out elsewhere) signs in again once and repeats the
 * call, so a long `rollout status --watch` outlives its first session. The
 * credentials stay in this object's memory only.
 */
export class StaffSession {
  private constructor(
    readonly base: string,
    private readonly credentials: Credentials,
    private cookie: string,
    private csrfToken: string,
  ) {}

  /** Signs in (`console.bad_credentials`, `console.rate_limited`, … from the service on refusal). */
  static async signIn(base: string, credentials: Credentials): Promise<StaffSession> {
    const { cookie, csrfToken } = await StaffSession.session(base, credentials);
    return new StaffSession(base, credentials, cookie, csrfToken);
  }

  private static async session(base: string, credentials: Credentials): Promise<{ cookie: string; csrfToken: string }> {
    let res: Response;
    try {
      res = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username: credentials.username, password: credentials.password }),
      });
    } catch (e) {
      throw unreachable(base, e);
    }
    const body = parseBody(await res.text(), res.status) as { csrfToken?: unknown } | undefined;
    if (!res.ok) throw serviceError(res.status, body);
    const cookie = (res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie') ?? ''])
      .map((c) => c.split(';')[0].trim())
      .find((c) => c.startsWith('ssiot_session='));
    if (!cookie || typeof body?.csrfToken !== 'string') throw new SsiotError('cli.io', 'the service signed in without a session cookie and CSRF token');
    return { cookie, csrfToken: body.csrfToken };
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { cookie: this.cookie, 'x-csrf-token': this.csrfToken, accept: 'application/json', ...extra };
  }

  /** A JSON call; the parsed answer, or the service's error thrown as an SsiotError. */
  async call<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    try {
      return await this.once<T>(method, path, body);
    } catch (e) {
      if (!(e instanceof SsiotError) || e.code !== 'console.unauthenticated') throw e;
      // the 401 came from the staff gate, before the route ran: repeating the call is safe
      ({ cookie: this.cookie, csrfToken: this.csrfToken } = await StaffSession.session(this.base, this.credentials));
      return this.once<T>(method, path, body);
    }
  }

  private async once<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw unreachable(this.base, e);
    }
    const parsed = parseBody(await res.text(), res.status);
    if (!res.ok) throw serviceError(res.status, parsed);
    return parsed as T;
  }

  /**
   * Streams a file as the raw `application/octet-stream` body of a POST
   * (never read whole into memory), calling `onProgress` as bytes go out.
   * node:http rather than fetch: the request gets a Content-Length (the
   * service refuses an oversized image before reading it) and backpressure.
   * `chunkBytes` is the read size (a few per percent step for small files).
   */
  async upload<T = unknown>(path: string, file: string, onProgress: UploadProgress, chunkBytes?: number): Promise<{ value: T; size: number }> {
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      size = st.size;
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new SsiotError('cli.io', `cannot read image ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? 'error'}`);
    }
    const url = new URL(`${this.base}${path}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const highWaterMark = chunkBytes ?? Math.min(64 * 1024, Math.max(1024, Math.ceil(size / 16)));
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      let settled = false;
      let response: IncomingMessage | undefined;
      const fail = (e: SsiotError) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      const req = send(url, {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/octet-stream', 'content-length': String(size) }),
      });
      req.on('response', (res) => {
        response = res;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => fail(unreachable(this.base, e)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      // a service that refuses early (413) may close while we still write: its answer wins over EPIPE
      req.on('error', (e) => {
        if (!response) fail(unreachable(this.base, e));
      });
      const stream = createReadStream(file, { highWaterMark });
      let sent = 0;
      onProgress(0, size);
      stream.on('data', (chunk) => {
        sent += chunk.length;
        onProgress(sent, size);
      });
      stream.on('error', (e) => {
        req.destroy();
        fail(new SsiotError('cli.io', `cannot read image ${file}: ${(e as { code?: string }).code ?? 'error'}`));
      });
      stream.pipe(req);
    });
    const parsed = parseBody(text, status);
    if (status < 200 || status >= 300) throw serviceError(status, parsed);
    return { value: parsed as T, size };
  }

  /** Signs out (best effort: the session also expires on its own). */
  async close(): Promise<void> {
    try {
      const res = await fetch(`${this.base}/api/session`, { method: 'DELETE', headers: this.headers() });
      await res.arrayBuffer();
    } catch {
      // the command's outcome does not depend on signing out
    }
  }
}

/** Signs in with the command's URL and credentials, runs `fn`, signs out. */
export async function withSession<T>(options: CommandContext['options'], fn: (s: StaffSession) => Promise<T>): Promise<T> {
  const base = serviceUrl(options);
  const session = await StaffSession.signIn(base, staffCredentials(options));
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
