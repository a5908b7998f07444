/**
 * The device's network on ECMA-419 (`embedded:network/*` over
 * `embedded:io/socket/*`): the MQTT client that keeps the inbox connection
 * to the manufacturer's broker (reconnects with backoff, a fresh broker
 * token as password per connection), the local HTTP endpoint the phone
 * pairs over, HTTP POST for DIDComm to http endpoints, and firmware images
 * with `Range`. Sockets and DNS are handed to each client as the `io`
 * objects ECMA-419 specifies.
 */
import Listener from 'embedded:io/socket/listener';
import TCP from 'embedded:io/socket/tcp';
import UDP from 'embedded:io/socket/udp';
import Resolver from 'embedded:network/dns/resolver/udp';
import HTTPClient from 'embedded:network/http/client';
import HTTPServer, { type HTTPConnection } from 'embedded:network/http/server';
import MQTTClient from 'embedded:network/mqtt/client';
import Timer from 'moddable:timer';
import { backoffDelay } from '../../protocols/didcomm/transports/backoff.ts';
import { DEVICE_MAX_RECEIVE_BYTES } from '../../protocols/didcomm/transports/limits.ts';
import { MEDIA_TYPE_ENCRYPTED } from '../../protocols/didcomm/message.ts';
import { corsPreflight, corsResponseHeaders, type DidcommCorsOptions } from '../../protocols/didcomm/transports/cors.ts';
import { concatBytes, utf8Decode, utf8Encode } from '../../protocols/encoding/bytes.ts';
import { DidcommError } from '../../protocols/errors.ts';
import type { ImageSource } from '../../device/updater/host.ts';
import type { Logger } from '../../device/host.ts';
import type { MqttPort } from './link.ts';
import { MqttOutbox } from './mqtt-outbox.ts';
import { parseHostPort } from './url.ts';

const dns = { io: Resolver, servers: ['1.1.1.1', '8.8.8.8'], socket: { io: UDP } };
const socket = { io: TCP };
const toBuffer = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

// ------------------------------------------------------------------ HTTP client

interface Exchange {
  method: 'GET' | 'POST';
  url: string;
  headers: [string, string][];
  body?: Uint8Array;
  /** Called with each chunk of the response body once the status was accepted. */
  onChunk(chunk: Uint8Array): void;
  /** Decides on the status; false ends the exchange with an error. */
  accept(status: number): boolean;
}

/** One HTTP request on a fresh client; resolves with the status when the response is complete. */
function exchange(x: Exchange): Promise<number> {
  const { host, port, path } = parseHostPort(x.url);
  return new Promise((resolve, reject) => {
    let status = 0;
    let sent = 0;
    const body = x.body;
    const client = new HTTPClient({ host, port, socket, dns, onError: () => reject(new DidcommError('didcomm.transport_failed', `HTTP connection to ${host} failed`)) });
    const headers = new Map<string, string>(x.headers);
    if (body) headers.set('content-length', String(body.length));
    client.request({
      method: x.method,
      path,
      headers,
      onWritable(count) {
        if (!body || sent >= body.length) return;
        const n = Math.min(count, body.length - sent);
        this.write(toBuffer(body.subarray(sent, sent + n)));
        sent += n;
      },
      onHeaders(s) {
        status = s;
      },
      onReadable(count) {
        const chunk = this.read(count);
        if (chunk && x.accept(status)) x.onChunk(new Uint8Array(chunk));
      },
      onDone(error) {
        client.close();
        if (error) reject(new DidcommError('didcomm.transport_failed', `HTTP ${x.method} to ${host} failed`));
        else if (!x.accept(status)) reject(new DidcommError('didcomm.transport_failed', `HTTP ${x.method} answered ${status}`));
        else resolve(status);
      },
    });
  });
}

/** POSTs a packed envelope; the reply body (200) or undefined (202/204). */
export async function httpPost(url: string, packed: string): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const status = await exchange({
    method: 'POST',
    url,
    headers: [['content-type', MEDIA_TYPE_ENCRYPTED]],
    body: utf8Encode(packed),
    accept: (s) => s >= 200 && s < 300,
    onChunk(c) {
      size += c.length;
      if (size > DEVICE_MAX_RECEIVE_BYTES) throw new DidcommError('didcomm.too_large', 'reply too large');
      chunks.push(c);
    },
  });
  return status === 200 && size > 0 ? utf8Decode(concatBytes(...chunks)) : undefined;
}

/** POSTs JSON (factory provisioning); resolves to the status and parsed body. */
export async function httpPostJson(url: string, body: unknown, headers: [string, string][] = []): Promise<{ status: number; body: unknown }> {
  const chunks: Uint8Array[] = [];
  const status = await exchange({
    method: 'POST',
    url,
    headers: [['content-type', 'application/json'], ...headers],
    body: utf8Encode(JSON.stringify(body)),
    accept: () => true,
    onChunk: (c) => chunks.push(c),
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(concatBytes(...chunks)));
  } catch {
    parsed = undefined;
  }
  return { status, body: parsed };
}

/**
 * Firmware images over HTTP with `Range: bytes=<offset>-` (206 expected;
 * 200 only from offset 0). The chunks are queued as the client delivers
 * them and handed out by the async iterator.
 */
export const httpImages: ImageSource = {
  async *read(uri: string, offset: number) {
    const queue: Uint8Array[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const poke = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    exchange({
      method: 'GET',
      url: uri,
      headers: offset > 0 ? [['range', `bytes=${offset}-`]] : [],
      accept: (s) => s === 206 || (s === 200 && offset === 0),
      onChunk(c) {
        queue.push(c);
        poke();
      },
    }).then(
      () => {
        finished = true;
        poke();
      },
      (e: unknown) => {
        failure = e;
        finished = true;
        poke();
      },
    );
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure !== undefined) throw failure;
  },
};

// ------------------------------------------------------------------ HTTP server

export interface LocalServerOptions {
  port: number;
  path: string;
  /** The packed envelope in; the reply (200) or undefined (202) out. */
  handle(packed: string): Promise<string | undefined>;
  logger: Logger;
  /** CORS for a browser phone app on another origin (config `corsOrigins`); none when absent. */
  cors?: DidcommCorsOptions;
}

/** The local pairing endpoint: POST <path> with a packed envelope, the reply in the response. */
export function startLocalServer(o: LocalServerOptions): { close(): void } {
  const server = new HTTPServer({
    io: Listener,
    port: o.port,
    onConnect(connection: HTTPConnection) {
      const chunks: Uint8Array[] = [];
      let size = 0;
      let status = 404;
      let reply: Uint8Array | undefined;
      let sent = 0;
      let origin: string | undefined;
      let extraHeaders: [string, string][] = [];
      connection.accept({
        onRequest(request) {
          origin = request.headers.get('origin');
          if (request.path !== o.path) return;
          if (request.method === 'POST') status = 200;
          else if (request.method === 'OPTIONS' && o.cors) {
            const answer = corsPreflight(o.cors, origin);
            status = answer.status;
            extraHeaders = answer.headers;
          } else status = 405;
        },
        onReadable(count) {
          const chunk = this.read(count);
          if (!chunk) return;
          size += chunk.byteLength;
          if (size > DEVICE_MAX_RECEIVE_BYTES) status = 413;
          else chunks.push(new Uint8Array(chunk));
        },
        onResponse(response) {
          const send = (s: number, body?: string) => {
            reply = body === undefined ? undefined : utf8Encode(body);
            response.status = s;
            response.headers.set('content-length', reply ? reply.length : 0);
            if (reply) response.headers.set('content-type', MEDIA_TYPE_ENCRYPTED);
            // every answer (errors included) carries the CORS headers, so a browser can read the status
            if (o.cors) for (const [name, value] of [...corsResponseHeaders(o.cors, origin), ...extraHeaders]) response.headers.set(name, value);
            this.respond(response);
          };
          if (status !== 200) return send(status);
          o.handle(utf8Decode(concatBytes(...chunks))).then(
            (r) => send(r === undefined ? 202 : 200, r),
            (e: unknown) => {
              o.logger.log('warn', 'local endpoint handler failed', { code: (e as { code?: string })?.code ?? 'unknown' });
              send(500);
            },
          );
        },
        onWritable(count) {
          if (!reply || sent >= reply.length) return;
          const n = Math.min(count, reply.length - sent);
          this.write(toBuffer(reply.subarray(sent, sent + n)));
          sent += n;
        },
      });
    },
  });
  return { close: () => server.close() };
}

// ------------------------------------------------------------------ MQTT

export interface BrokerOptions {
  url: string;
  clientId: string;
  username: string;
  /** A fresh password (broker token) for each connection attempt. */
  password(): Promise<string>;
  onConnected(port: MqttPort): void;
  onDisconnected(): void;
  onMessage(topic: string, payload: string): void;
  logger: Logger;
}

/**
 * Keeps one MQTT 3.1.1 connection to the broker: connects, reports CONNACK
 * as `onConnected` with a port to subscribe/publish (QoS 1), reassembles
 * fragmented messages, and reconnects after a loss with backoff.
 */
export function keepBrokerConnection(o: BrokerOptions): { close(): void } {
  const { host, port } = parseHostPort(o.url);
  let closed = false;
  let attempt = 0;
  let client: MQTTClient | undefined;
  let timer: ReturnType<typeof Timer.set> | undefined;
  let nextId = 1;
  const id = () => (nextId = (nextId % 0xffff) + 1);

  const retry = () => {
    client = undefined;
    o.onDisconnected();
    if (closed) return;
    const delay = backoffDelay(attempt++);
    timer = Timer.set(() => {
      timer = undefined;
      connect();
    }, delay);
  };

  const connect = () => {
    o.password().then(
      (password) => {
        if (closed) return;
        const parts: Uint8Array[] = [];
        let outbox: MqttOutbox | undefined;
        let topic = '';
        let lost = false;
        const onLost = () => {
          if (lost) return; // onError and onClose may both come
          lost = true;
          retry();
        };
        const c: MQTTClient = new MQTTClient({
          host,
          port,
          id: o.clientId,
          user: o.username,
          password,
          clean: true,
          keepAlive: 60_000,
          dns,
          socket,
          onControl(message) {
            if (message.operation !== MQTTClient.CONNACK) return;
            attempt = 0;
            // a fresh queue per connection: what the old one held went with the old session
            outbox = new MqttOutbox(c, id);
            const port = outbox;
            o.onConnected({ subscribe: (t) => port.subscribe(t), publish: (t, payload) => port.publish(t, payload) });
          },
          onWritable(count) {
            outbox?.onWritable(count);
          },
          onReadable(count, options) {
            if (options.topic !== undefined) topic = options.topic;
            parts.push(new Uint8Array(c.read(count)));
            if (options.more) return;
            const payload = utf8Decode(concatBytes(...parts));
            parts.length = 0;
            o.onMessage(topic, payload);
          },
          onClose: onLost,
          onError: onLost,
        });
        client = c;
      },
      (e: unknown) => {
        o.logger.log('warn', 'no broker token', { code: (e as { code?: string })?.code ?? 'unknown' });
        retry();
      },
    );
  };

  connect();
  return {
    close() {
      closed = true;
      if (timer) Timer.clear(timer);
      client?.close();
    },
  };
}
