/**
 * DIDComm over HTTP (DIDComm v2 §Transports, "HTTPS"), server and client.
 *
 * Receiving (fastify, the service's HTTP framework):
 * - POST with `Content-Type` one of the DIDComm media types
 *   (`application/didcomm-encrypted+json`; also the signed and plain ones,
 *   which the spec's media-type table defines, unless `accept` narrows it);
 * - 202 Accepted once the bytes are in: the message is processed after the
 *   response (spec: "responses don't flow back in the web server's HTTP
 *   response"), so the status says "received", never "handled";
 * - 413 when the body exceeds max_receive_bytes — by Content-Length before
 *   a byte is read, and while streaming for chunked bodies (fastify's
 *   bodyLimit does both, before any parser runs); 415 for any other media
 *   type (no other body parser is registered in this scope); 503 when too
 *   many messages are still being processed (back-pressure).
 *
 * Sending: POST with the media type, success on any 2xx; only 307
 * redirects are followed (spec: permanent moves belong in the DID
 * document), at most 3. 413 -> `didcomm.too_large`, 415 ->
 * `didcomm.cant_use_endpoint`, anything else -> `didcomm.transport_failed`.
 */
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { DidcommError } from '../../../protocols/errors.ts';
import { corsPreflight, corsResponseHeaders, type DidcommCorsOptions } from '../../../protocols/didcomm/transports/cors.ts';
import { DEFAULT_MAX_RECEIVE_BYTES } from '../../../protocols/didcomm/transports/limits.ts';
import { DIDCOMM_MEDIA_TYPES, parseContentType, sniffMediaType, type DidcommMediaType } from '../../../protocols/didcomm/transports/media-type.ts';
import { MEDIA_TYPE_ENCRYPTED } from '../../../protocols/didcomm/message.ts';
import { InboundHandlers, uriScheme, type Endpoint, type InboundHandler, type MessageTransport, type SendOptions } from '../../../protocols/didcomm/transports/types.ts';

export interface DidcommHttpRouteOptions {
  /** Route path (default `/didcomm`). */
  path?: string;
  maxReceiveBytes?: number;
  /** Media types accepted (default: all three DIDComm types). */
  accept?: readonly DidcommMediaType[];
  /** Messages still being processed above which new ones get 503 (default 64). */
  maxInFlight?: number;
  /** Receives every accepted message (after the 202 is sent). */
  onMessage: InboundHandler;
}

/**
 * Fastify plugin: the DIDComm inbox route. Register it with
 * `app.register(didcommHttpRoutes, {...})`; the content-type parsers it
 * installs stay inside its encapsulation context, so the service's other
 * routes keep their JSON parser.
 */
export const didcommHttpRoutes: FastifyPluginAsync<DidcommHttpRouteOptions> = async (app, o) => {
  const path = o.path ?? '/didcomm';
  const limit = o.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  const accept = o.accept ?? DIDCOMM_MEDIA_TYPES;
  const maxInFlight = o.maxInFlight ?? 64;
  let inFlight = 0;
  app.removeAllContentTypeParsers();
  // fastify matches these case-insensitively and ignores parameters such as charset
  app.addContentTypeParser([...accept], { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => done(null, body));
  app.post(path, { bodyLimit: limit }, async (req, reply) => {
    const mediaType = parseContentType(req.headers['content-type']);
    if (!mediaType || !accept.includes(mediaType) || !Buffer.isBuffer(req.body)) {
      return reply.code(415).send({ error: 'unsupported_media_type', accept });
    }
    if (req.body.length === 0) return reply.code(400).send({ error: 'empty_body' });
    if (inFlight >= maxInFlight) return reply.code(503).header('retry-after', '1').send({ error: 'busy' });
    const data = new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength);
    inFlight++;
    // after the response: the sender learns "received", not the outcome
    setImmediate(() => {
      Promise.resolve()
        .then(() => o.onMessage({ data, mediaType, transport: 'http', address: path }))
        .catch(() => undefined)
        .finally(() => inFlight--);
    });
    return reply.code(202).send();
  });
};

export interface DidcommReplyRouteOptions {
  /** Route path (default `/didcomm`). */
  path?: string;
  maxReceiveBytes?: number;
  /** Handles one envelope; its result (a packed reply) is the HTTP response body. Undefined while not ready (503). */
  handler(): ((packed: string) => Promise<string | undefined>) | undefined;
  /**
   * Opt-in CORS for a browser app on another origin (the owner's phone app):
   * `'*'` or the exact origins allowed. Absent (default): no CORS headers and
   * no OPTIONS route, as before.
   */
  cors?: DidcommCorsOptions;
}

/**
 * DIDComm over HTTP with the answer in the HTTP response: for parties that
 * have no endpoint of their own (a phone talking to a device's local
 * endpoint or to the manufacturer's owner endpoint). Choice: this departs
 * from the spec's "responses don't flow back in the web server's HTTP
 * response" the way its `return_route` extension allows: 200 with the
 * reply envelope, 202 when there is none; 415 for other media types, 413
 * above the limit, 503 while no handler is installed. Register it in its
 * own encapsulation context (it removes the JSON parser there).
 */
export const didcommReplyRoutes: FastifyPluginAsync<DidcommReplyRouteOptions> = async (app, o) => {
  const path = o.path ?? '/didcomm';
  const limit = o.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([...DIDCOMM_MEDIA_TYPES], { parseAs: 'string', bodyLimit: limit }, (_req, body, done) => done(null, body));
  const cors = o.cors;
  if (cors) {
    app.addHook('onSend', async (req, reply) => {
      for (const [name, value] of corsResponseHeaders(cors, req.headers.origin)) reply.header(name, value);
    });
    app.options(path, async (req, reply) => {
      const preflight = corsPreflight(cors, req.headers.origin);
      for (const [name, value] of preflight.headers) reply.header(name, value);
      return reply.code(preflight.status).send();
    });
  }
  app.post(path, { bodyLimit: limit }, async (req, reply) => {
    if (!parseContentType(req.headers['content-type']) || typeof req.body !== 'string') return reply.code(415).send();
    if (req.body.length === 0) return reply.code(400).send();
    const handler = o.handler();
    if (!handler) return reply.code(503).header('retry-after', '1').send();
    let answer: string | undefined;
    try {
      answer = await handler(req.body);
    } catch {
      return reply.code(500).send();
    }
    if (answer === undefined) return reply.code(202).send();
    return reply.code(200).header('content-type', MEDIA_TYPE_ENCRYPTED).send(answer);
  });
};

export interface HttpTransportOptions {
  /** Listen address (default 127.0.0.1) and port (default 0: any free port). Omit `listen` for a send-only client. */
  listen?: { host?: string; port?: number; path?: string; publicUrl?: string };
  maxReceiveBytes?: number;
  accept?: readonly DidcommMediaType[];
  maxInFlight?: number;
  /** Per-request timeout of send(), ms (default 15 s). */
  timeoutMs?: number;
}

export class HttpTransport implements MessageTransport {
  readonly name = 'http';
  readonly schemes: readonly string[] = ['http', 'https'];
  readonly maxReceiveBytes: number;
  /** The endpoint URI to put in a DIDCommMessaging service (when listening). */
  url: string | undefined;
  /** The fastify instance (when listening). */
  app: FastifyInstance | undefined;
  private readonly handlers = new InboundHandlers();
  private readonly timeoutMs: number;

  private constructor(o: HttpTransportOptions) {
    this.maxReceiveBytes = o.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    this.timeoutMs = o.timeoutMs ?? 15_000;
  }

  /** A send-only transport. */
  static client(o: Omit<HttpTransportOptions, 'listen'> = {}): HttpTransport {
    return new HttpTransport(o);
  }

  /** Send and receive: starts a fastify server with the DIDComm route. */
  static async listen(o: HttpTransportOptions = {}): Promise<HttpTransport> {
    const t = new HttpTransport(o);
    const l = o.listen ?? {};
    const path = l.path ?? '/didcomm';
    const app = Fastify({ logger: false });
    await app.register(didcommHttpRoutes, {
      path,
      maxReceiveBytes: t.maxReceiveBytes,
      ...(o.accept ? { accept: o.accept } : {}),
      ...(o.maxInFlight !== undefined ? { maxInFlight: o.maxInFlight } : {}),
      onMessage: (m) => t.handlers.deliver(m),
    });
    const host = l.host ?? '127.0.0.1';
    await app.listen({ host, port: l.port ?? 0 });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : l.port;
    t.app = app;
    t.url = l.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
    return t;
  }

  onMessage(handler: InboundHandler): () => void {
    return this.handlers.add(handler);
  }

  /** POST `packed` to the endpoint URI. */
  async send(endpoint: Endpoint, packed: string | Uint8Array, options: SendOptions = {}): Promise<void> {
    const scheme = uriScheme(endpoint.uri);
    if (scheme !== 'http' && scheme !== 'https') throw new DidcommError('didcomm.unsupported_endpoint', 'not an http(s) endpoint');
    const mediaType = options.mediaType ?? (typeof packed === 'string' ? sniffMediaType(packed) : undefined) ?? MEDIA_TYPE_ENCRYPTED;
    const body = typeof packed === 'string' ? Buffer.from(packed, 'utf8') : Buffer.from(packed);
    let url = endpoint.uri;
    for (let hop = 0; hop <= 3; hop++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': mediaType },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        throw new DidcommError('didcomm.transport_failed', `POST to the endpoint failed (${(e as { name?: string }).name ?? 'network error'})`, { cause: e });
      }
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return;
      if (res.status === 307) {
        const location = res.headers.get('location');
        if (!location) break;
        url = new URL(location, url).toString();
        if (uriScheme(url) !== 'http' && uriScheme(url) !== 'https') break;
        continue;
      }
      if (res.status === 413) throw new DidcommError('didcomm.too_large', "the message exceeds the endpoint's size limit (HTTP 413)");
      if (res.status === 415) throw new DidcommError('didcomm.cant_use_endpoint', `the endpoint does not accept ${mediaType} (HTTP 415)`);
      throw new DidcommError('didcomm.transport_failed', `the endpoint answered HTTP ${res.status}`);
    }
    throw new DidcommError('didcomm.transport_failed', 'too many or unusable redirects');
  }

  async close(): Promise<void> {
    this.handlers.clear();
    if (this.app) {
      const app = this.app;
      this.app = undefined;
      await app.close();
    }
  }
}
