/**
 * The broker's two doors: MQTT over TCP, and MQTT over WebSocket (RFC 6455
 * binary frames, subprotocol `mqtt`, or `mqttv3.1` for old clients) with
 * `ws` and its createWebSocketStream — no other library. Both hand each
 * connection, as a byte stream, to `handle` (aedes). Every open socket is
 * tracked so close() ends them all, not only the listeners.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';

export interface ListenOptions {
  /** Interface to bind (default 127.0.0.1). */
  host: string;
  /** 0 = any free port. */
  tcpPort: number;
  wsPort: number;
  /** HTTP path of the WebSocket endpoint, e.g. `/mqtt`. */
  wsPath: string;
  /** Largest WebSocket message accepted, bytes. */
  maxWsPayloadBytes: number;
}

export interface Listeners {
  tcpUrl: string;
  wsUrl: string;
  /** Stop listening and destroy every connection still open. */
  close(): Promise<void>;
}

const hostForUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

function listenOn(server: { listen(port: number, host: string, cb: () => void): unknown; once(e: 'error', cb: (err: Error) => void): unknown; address(): unknown }, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

export async function listen(handle: (stream: Duplex, req?: IncomingMessage) => void, o: ListenOptions): Promise<Listeners> {
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    handle(socket);
  });

  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('MQTT over WebSocket only\n');
  });
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({
    server: http,
    path: o.wsPath,
    maxPayload: o.maxWsPayloadBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    // aedes listens for errors once it has the stream; this covers the gap and a peer's abrupt close.
    stream.on('error', () => undefined);
    handle(stream, req);
  });

  let tcpPort: number;
  let wsPort: number;
  try {
    tcpPort = await listenOn(tcp, o.tcpPort, o.host);
    wsPort = await listenOn(http, o.wsPort, o.host);
  } catch (e) {
    tcp.close();
    http.close();
    throw e;
  }
  const host = hostForUrl(o.host);
  return {
    tcpUrl: `mqtt://${host}:${tcpPort}`,
    wsUrl: `ws://${host}:${wsPort}${o.wsPath}`,
    async close() {
      const closed = Promise.all([
        new Promise<void>((r) => tcp.close(() => r())),
        new Promise<void>((r) => wss.close(() => r())),
        new Promise<void>((r) => http.close(() => r())),
      ]);
      for (const client of wss.clients) client.terminate();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
