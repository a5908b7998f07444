/**
 * The owner app's web server (fastify): the page, the bundle built at start
 * (owner/app/bundle.ts, cached in memory) and the stylesheet — nothing else.
 * No API: the app talks to devices and to the manufacturer directly, with
 * its keys in the browser.
 *
 *   GET /          the page (defaults of the settings in <meta> tags)
 *   GET /app.js    the bundle
 *   GET /style.css the stylesheet
 *
 * Strict CSP: scripts and styles only from this origin, no inline script or
 * style, no eval; `connect-src` allows any http(s) origin because devices
 * sit on the local network at addresses only their labels name.
 *
 *   npx tsx owner/app/server.ts [--port 8090] [--host 127.0.0.1] [--manufacturer-url URL] [--manufacturer-did DID] [--push-relay URL]
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildOwnerApp } from './bundle.ts';

export const OWNER_APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' http: https:",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface OwnerAppServerOptions {
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default of the app's "manufacturer service URL" setting (where the manufacturer really is, e.g. http://localhost:8080). */
  manufacturerUrl?: string;
  /** Default of the trusted manufacturer DID (else the app reads it from the service's did.jsonl). */
  manufacturerDid?: string;
  /**
   * A push relay the app polls for what devices pushed to their owner
   * (`GET <url>/api/pushes?to=<owner DID>&after=<seq>`: the simulator's
   * dashboard); a stand-in for a phone push service. None: pushes only
   * through window.ssiotOwnerApp.deliver.
   */
  pushRelayUrl?: string;
  logger?: boolean;
}

export interface OwnerAppServer {
  /** The app's origin, e.g. http://127.0.0.1:8090 (devices' local endpoints must allow it: CORS). */
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The page: a shell the bundle fills in; settings defaults in meta tags (no inline script). */
export function ownerAppPage(o: { manufacturerUrl?: string; manufacturerDid?: string; pushRelayUrl?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <meta name="theme-color" content="#172033">
  <meta name="ssiot-manufacturer-url" content="${escapeAttr(o.manufacturerUrl ?? '')}">
  <meta name="ssiot-manufacturer-did" content="${escapeAttr(o.manufacturerDid ?? '')}">
  <meta name="ssiot-push-relay" content="${escapeAttr(o.pushRelayUrl ?? '')}">
  <title>My devices · ssiot</title>
  <link rel="stylesheet" href="/style.css">
  <script type="module" src="/app.js"></script>
</head>
<body>
  <header class="top">
    <button type="button" id="back" class="icon" aria-label="Back" hidden>‹</button>
    <h1 id="title">ssiot</h1>
    <button type="button" id="lock" class="icon" hidden>Lock</button>
  </header>
  <p id="notice" role="status" aria-live="polite" hidden></p>
  <main id="view"><p class="empty">Loading…</p></main>
  <noscript>This app needs JavaScript: it runs your wallet and the device protocols in the browser.</noscript>
</body>
</html>
`;
}

/** Builds the bundle, then serves the app. */
export async function startOwnerApp(o: OwnerAppServerOptions = {}): Promise<OwnerAppServer> {
  const bundle = await buildOwnerApp();
  const css = readFileSync(new URL('./static/style.css', import.meta.url));
  const page = ownerAppPage(o);
  const app = Fastify({ logger: o.logger ?? false });
  app.addHook('onSend', async (_req, reply) => {
    reply
      .header('content-security-policy', OWNER_APP_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('permissions-policy', 'camera=(self), microphone=(), geolocation=()')
      .header('cache-control', 'no-cache');
  });
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/app.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(bundle.js));
  app.get('/style.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(css));
  const host = o.host ?? '127.0.0.1';
  await app.listen({ host, port: o.port ?? 0 });
  const port = (app.server.address() as { port: number }).port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, app, close: () => app.close() };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const s = await startOwnerApp({
    host: arg(argv, '--host'),
    port: Number(arg(argv, '--port') ?? 8090),
    manufacturerUrl: arg(argv, '--manufacturer-url') ?? 'http://localhost:8080',
    manufacturerDid: arg(argv, '--manufacturer-did'),
    pushRelayUrl: arg(argv, '--push-relay'),
    logger: true,
  });
  console.log(`owner app: ${s.url}`);
}
