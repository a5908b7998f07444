/**
 * DIDComm over HTTP: the fastify inbox route (202 / 413 / 415 / 503), the
 * client (redirects, error mapping), and a trust ping with real authcrypt
 * envelopes between two agents whose did:peer:2 endpoints are these servers.
 */
import { request } from 'node:http';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { expectCodeAsync } from './support/assert.ts';
import { parseSecret } from '../protocols/did/keys.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { createSecretsResolver } from '../protocols/didcomm/secrets.ts';
import { createMessaging } from '../protocols/didcomm/transports/messaging.ts';
import type { InboundMessage } from '../protocols/didcomm/transports/types.ts';
import { registerTrustPing, sendPing, PING_RESPONSE_TYPE } from '../protocols/messages/trust-ping.ts';
import Fastify from 'fastify';
import { corsAllowOrigin } from '../protocols/didcomm/transports/cors.ts';
import { HttpTransport, didcommHttpRoutes, didcommReplyRoutes } from '../hosts/node/transports/http.ts';

const ENC = 'application/didcomm-encrypted+json';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function inbox(o: Parameters<typeof HttpTransport.listen>[0] = {}): Promise<{ t: HttpTransport; got: InboundMessage[]; next: () => Promise<InboundMessage> }> {
  const t = await HttpTransport.listen(o);
  closers.push(() => t.close());
  const got: InboundMessage[] = [];
  const waiting: ((m: InboundMessage) => void)[] = [];
  t.onMessage((m) => {
    got.push(m);
    waiting.shift()?.(m);
  });
  const next = () => new Promise<InboundMessage>((resolve) => waiting.push(resolve));
  return { t, got, next };
}

/** A raw request, so tests control headers and streaming exactly. */
function raw(url: string, headers: Record<string, string>, chunks: (string | Buffer)[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e) => ((e as { code?: string }).code === 'ECONNRESET' || (e as { code?: string }).code === 'EPIPE' ? undefined : reject(e)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('HTTP inbox route', () => {
  it('202 for each DIDComm media type (any case, with parameters); the bytes reach the handler', async () => {
    const { t, got, next } = await inbox();
    const types = [ENC, 'application/didcomm-signed+json', 'application/didcomm-plain+json', 'Application/DIDComm-Encrypted+JSON; charset=utf-8'];
    for (const [i, ct] of types.entries()) {
      const arrived = next();
      const res = await fetch(t.url!, { method: 'POST', headers: { 'content-type': ct }, body: `{"n":${i}}` });
      expect(res.status).toBe(202);
      expect(Buffer.from((await arrived).data).toString()).toBe(`{"n":${i}}`);
    }
    expect(got.map((m) => m.mediaType)).toEqual([ENC, 'application/didcomm-signed+json', 'application/didcomm-plain+json', ENC]);
    expect(got[0]).toMatchObject({ transport: 'http', address: '/didcomm' });
  });

  it('415 for any other media type or none; 400 for an empty body; 404 elsewhere', async () => {
    const { t, got } = await inbox();
    for (const ct of ['application/json', 'text/plain', 'application/didcomm-encrypted+cbor']) {
      expect((await fetch(t.url!, { method: 'POST', headers: { 'content-type': ct }, body: '{}' })).status).toBe(415);
    }
    expect(await raw(t.url!, { 'content-length': '2' }, ['{}'])).toBe(415);
    expect((await fetch(t.url!, { method: 'POST', headers: { 'content-type': ENC }, body: '' })).status).toBe(400);
    expect((await fetch(t.url!.replace('/didcomm', '/other'), { method: 'POST', headers: { 'content-type': ENC }, body: '{}' })).status).toBe(404);
    expect(got).toHaveLength(0);
  });

  it('accept narrows the media types (a device taking only encrypted messages)', async () => {
    const { t } = await inbox({ accept: [ENC] });
    expect((await fetch(t.url!, { method: 'POST', headers: { 'content-type': 'application/didcomm-plain+json' }, body: '{}' })).status).toBe(415);
    expect((await fetch(t.url!, { method: 'POST', headers: { 'content-type': ENC }, body: '{}' })).status).toBe(202);
  });

  it('413 by Content-Length before the body is read', async () => {
    const { t, got, next } = await inbox({ maxReceiveBytes: 1000 });
    // announces 10 MB but sends 10 bytes: the answer cannot depend on reading the body
    expect(await raw(t.url!, { 'content-type': ENC, 'content-length': String(10_000_000) }, ['0123456789'])).toBe(413);
    expect(await raw(t.url!, { 'content-type': ENC, 'content-length': '1001' }, ['x'.repeat(1001)])).toBe(413);
    const arrived = next();
    expect(await raw(t.url!, { 'content-type': ENC, 'content-length': '1000' }, ['x'.repeat(1000)])).toBe(202);
    expect((await arrived).data.length).toBe(1000);
    expect(got).toHaveLength(1);
  });

  it('413 while streaming a chunked body past the limit', async () => {
    const { t, got } = await inbox({ maxReceiveBytes: 1000 });
    const chunks = Array.from({ length: 20 }, () => Buffer.alloc(100, 0x61));
    expect(await raw(t.url!, { 'content-type': ENC, 'transfer-encoding': 'chunked' }, chunks)).toBe(413);
    expect(got).toHaveLength(0);
  });

  it('503 when too many messages are still being processed', async () => {
    const t = await HttpTransport.listen({ maxInFlight: 1 });
    closers.push(() => t.close());
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const first = new Promise<void>((r) => (started = r));
    t.onMessage(async () => {
      started();
      await blocked;
    });
    expect((await fetch(t.url!, { method: 'POST', headers: { 'content-type': ENC }, body: '{}' })).status).toBe(202);
    await first;
    expect((await fetch(t.url!, { method: 'POST', headers: { 'content-type': ENC }, body: '{}' })).status).toBe(503);
    release();
  });
});

describe('HTTP inbox route inside a service', () => {
  it('the route plugin leaves the service JSON routes their parser', async () => {
    const app = Fastify();
    closers.push(() => app.close());
    const got: InboundMessage[] = [];
    app.post('/api/echo', async (req) => req.body);
    await app.register(didcommHttpRoutes, { path: '/didcomm', maxReceiveBytes: 1000, onMessage: (m) => void got.push(m) });
    const json = await app.inject({ method: 'POST', url: '/api/echo', payload: { a: 1 } });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({ a: 1 });
    expect((await app.inject({ method: 'POST', url: '/didcomm', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(415);
    expect((await app.inject({ method: 'POST', url: '/didcomm', headers: { 'content-type': ENC }, payload: '{}' })).statusCode).toBe(202);
    expect((await app.inject({ method: 'POST', url: '/didcomm', headers: { 'content-type': ENC }, payload: 'x'.repeat(1001) })).statusCode).toBe(413);
  });
});

describe('HTTP client', () => {
  async function plainServer(handler: (path: string) => { status: number; location?: string }): Promise<{ url: string; hits: string[] }> {
    const hits: string[] = [];
    const s: Server = createServer((req, res) => {
      hits.push(`${req.url} ${req.headers['content-type']}`);
      req.resume();
      const r = handler(req.url ?? '');
      res.writeHead(r.status, r.location ? { location: r.location } : {});
      res.end();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => s.close(() => r())));
    const addr = s.address() as { port: number };
    return { url: `http://127.0.0.1:${addr.port}`, hits };
  }

  it('posts with the media type; follows 307 only', async () => {
    const srv = await plainServer((p) => (p === '/a' ? { status: 307, location: '/b' } : p === '/b' ? { status: 202 } : { status: 301, location: '/b' }));
    const c = HttpTransport.client();
    await c.send({ uri: `${srv.url}/a` }, '{"protected":"e30","ciphertext":"AA"}');
    expect(srv.hits).toEqual([`/a ${ENC}`, `/b ${ENC}`]);
    await expectCodeAsync(() => c.send({ uri: `${srv.url}/moved` }, '{}'), 'didcomm.transport_failed');
  });

  it('maps 413, 415, 5xx and a refused connection to typed errors', async () => {
    const srv = await plainServer((p) => ({ status: p === '/big' ? 413 : p === '/type' ? 415 : 500 }));
    const c = HttpTransport.client({ timeoutMs: 5000 });
    await expectCodeAsync(() => c.send({ uri: `${srv.url}/big` }, 'x'), 'didcomm.too_large');
    await expectCodeAsync(() => c.send({ uri: `${srv.url}/type` }, 'x'), 'didcomm.cant_use_endpoint');
    await expectCodeAsync(() => c.send({ uri: `${srv.url}/err` }, 'x'), 'didcomm.transport_failed');
    await expectCodeAsync(() => c.send({ uri: 'http://127.0.0.1:1/didcomm' }, 'x'), 'didcomm.transport_failed');
    await expectCodeAsync(() => c.send({ uri: 'mqtt://127.0.0.1:1883' }, 'x'), 'didcomm.unsupported_endpoint');
  });

  it('our own server refuses an oversized message from our client with didcomm.too_large', async () => {
    const { t } = await inbox({ maxReceiveBytes: 100 });
    await expectCodeAsync(() => HttpTransport.client().send({ uri: t.url! }, 'x'.repeat(101), { mediaType: ENC }), 'didcomm.too_large');
  });
});

describe('trust-ping over HTTP with authcrypt envelopes', () => {
  async function agent() {
    const transport = await HttpTransport.listen();
    closers.push(() => transport.close());
    const created = generateDidPeer2({ serviceUri: transport.url! });
    const m = createMessaging({
      dids: [created.did],
      resolver: createDefaultResolver(),
      secrets: createSecretsResolver(created.secrets.map(parseSecret)),
      transports: [transport],
    });
    registerTrustPing(m.router);
    return { ...m, did: created.did, transport };
  }

  it('alice pings bob at his HTTP endpoint and gets the ping-response at hers', async () => {
    const alice = await agent();
    const bob = await agent();
    const { ping, response } = await sendPing(alice.router, { from: alice.did, to: [bob.did] });
    const timer = setTimeout(() => response!.cancel(), 10_000);
    const reply = await response!.promise;
    clearTimeout(timer);
    expect(reply).toMatchObject({ type: PING_RESPONSE_TYPE, thid: ping.id, from: bob.did, to: [alice.did] });
    expect(alice.router.threads.get(ping.id)!.state).toBe('done');
  });
});

describe('DIDComm reply route with CORS (a browser app on another origin)', () => {
  async function replyServer(cors?: Parameters<typeof didcommReplyRoutes>[1]['cors']): Promise<string> {
    const app = Fastify({ logger: false });
    await app.register(didcommReplyRoutes, { path: '/didcomm', cors, handler: () => async (packed: string) => (packed === 'quiet' ? undefined : `echo:${packed}`) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => app.close());
    return `http://127.0.0.1:${(app.server.address() as { port: number }).port}/didcomm`;
  }
  const preflight = (url: string, origin: string) =>
    fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

  it('default: no CORS headers and no preflight route (behaviour unchanged)', async () => {
    const url = await replyServer();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': ENC, origin: 'http://app.test' }, body: 'hi' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('echo:hi');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(url, 'http://app.test')).status).toBe(404);
  });

  it("'*': preflight allows POST with content-type; every answer (200, 202, 415) carries the allow-origin header", async () => {
    const url = await replyServer({ origins: '*' });
    const pre = await preflight(url, 'http://app.test');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST');
    expect(pre.headers.get('access-control-allow-headers')).toBe('content-type');
    const ok = await fetch(url, { method: 'POST', headers: { 'content-type': ENC, origin: 'http://app.test' }, body: 'hi' });
    expect([ok.status, await ok.text(), ok.headers.get('access-control-allow-origin')]).toEqual([200, 'echo:hi', '*']);
    const none = await fetch(url, { method: 'POST', headers: { 'content-type': ENC, origin: 'http://app.test' }, body: 'quiet' });
    expect([none.status, none.headers.get('access-control-allow-origin')]).toEqual([202, '*']);
    const bad = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://app.test' }, body: 'x' });
    expect([bad.status, bad.headers.get('access-control-allow-origin')]).toEqual([415, '*']);
  });

  it('a list of origins: the matching origin is echoed (Vary: Origin); another origin is refused at preflight and gets no header', async () => {
    const url = await replyServer({ origins: ['http://127.0.0.1:9999'] });
    const pre = await preflight(url, 'http://127.0.0.1:9999');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9999');
    expect(pre.headers.get('vary')).toMatch(/Origin/);
    expect((await preflight(url, 'http://evil.test')).status).toBe(403);
    const other = await fetch(url, { method: 'POST', headers: { 'content-type': ENC, origin: 'http://evil.test' }, body: 'hi' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(corsAllowOrigin({ origins: ['http://a.test'] }, undefined)).toBeUndefined();
    expect(corsAllowOrigin({ origins: '*' }, undefined)).toBe('*');
  });
});
