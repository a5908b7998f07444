/**
 * DIDComm over MQTT against two brokers: aedes in-process (MQTT 3.1.1 —
 * aedes 1.x does not speak MQTT 5) and a real Mosquitto (3.1.1 and 5),
 * installed and started by scripts/mosquitto.sh on a free 127.0.0.1 port.
 * If Mosquitto cannot be installed or started, the Mosquitto tests FAIL
 * (beforeAll throws the script's message); they are never skipped.
 *
 * Each broker/version runs: a trust ping with authcrypt envelopes, offline
 * delivery through a persistent session, the size limit, announcements,
 * and reconnection with capped, jittered exponential backoff across a
 * broker kill and restart.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecret } from '../protocols/did/keys.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { createSecretsResolver } from '../protocols/didcomm/secrets.ts';
import type { BackoffPolicy } from '../protocols/didcomm/transports/backoff.ts';
import { createMessaging, type Messaging } from '../protocols/didcomm/transports/messaging.ts';
import { announceFilter, inboxTopic } from '../protocols/didcomm/transports/mqtt-topics.ts';
import type { InboundMessage } from '../protocols/didcomm/transports/types.ts';
import { PING_RESPONSE_TYPE, registerTrustPing, sendPing } from '../protocols/messages/trust-ping.ts';
import { MqttTransport, type MqttTransportEvent, type MqttTransportOptions } from '../hosts/node/transports/mqtt.ts';

const ROOT = join(import.meta.dirname, '..');

interface Broker {
  name: string;
  url: string;
  /** Kill the broker: connections drop, the port refuses. */
  stop(): Promise<void>;
  /** Bring it back on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** aedes on a free port; stop/start closes and reopens the listener (sessions live in the broker object). */
async function aedesBroker(): Promise<Broker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      broker.handle(s);
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as { port: number }).port;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await start();
  return {
    name: 'aedes',
    url: `mqtt://127.0.0.1:${port}`,
    start,
    stop,
    close: async () => {
      await stop();
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

function script(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(ROOT, 'scripts/mosquitto.sh'), ...args], { cwd: ROOT, env: { ...process.env }, timeout: 570_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/mosquitto.sh ${args[0]} failed (exit ${(err as { code?: unknown }).code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
      else resolve(stdout);
    });
  });
}

async function mosquittoBroker(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'ssiot-mosquitto-'));
  const { url } = JSON.parse((await script(['start', '--dir', dir])).trim().split('\n').pop()!) as { url: string };
  return {
    name: 'mosquitto',
    url,
    start: async () => void (await script(['start', '--dir', dir])),
    stop: async () => void (await script(['stop', '--dir', dir])),
    close: async () => {
      await script(['stop', '--dir', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll until `cond` holds (no fixed sleeps in assertions; fails with `what` after `ms`). */
async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function withTimeout<T>(p: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

interface Agent extends Messaging {
  did: string;
  transport: MqttTransport;
  events: MqttTransportEvent[];
  open(extra?: Partial<MqttTransportOptions>): Promise<void>;
}

const FAST: BackoffPolicy = { initialMs: 40, maxMs: 200, factor: 2, jitter: 0.5 };

/** An agent whose DID's DIDComm endpoint is the broker; open() (re)connects its transport and router. */
function agent(broker: Broker, protocolVersion: 4 | 5, closers: (() => Promise<void>)[]): Agent {
  const created = generateDidPeer2({ serviceUri: broker.url });
  const secrets = createSecretsResolver(created.secrets.map(parseSecret));
  const a = { did: created.did, events: [] as MqttTransportEvent[] } as Agent;
  a.open = async (extra = {}) => {
    const transport = await MqttTransport.connect({ url: broker.url, dids: [created.did], protocolVersion, backoff: FAST, random: () => 0.5, ...extra });
    transport.onEvent((e) => a.events.push(e));
    closers.push(() => transport.close());
    const m = createMessaging({ dids: [created.did], resolver: createDefaultResolver(), secrets, transports: [transport] });
    registerTrustPing(m.router);
    Object.assign(a, m, { transport });
  };
  return a;
}

const CASES: { broker: 'aedes' | 'mosquitto'; version: 4 | 5 }[] = [
  { broker: 'aedes', version: 4 },
  { broker: 'mosquitto', version: 4 },
  { broker: 'mosquitto', version: 5 },
];

for (const c of CASES) {
  describe(`MQTT ${c.version === 5 ? '5' : '3.1.1'} through ${c.broker}`, () => {
    let broker: Broker;
    const closers: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      broker = c.broker === 'aedes' ? await aedesBroker() : await mosquittoBroker();
    });
    afterAll(async () => {
      while (closers.length > 0) await closers.pop()!().catch(() => undefined);
      await broker?.close();
    });

    it('trust ping with authcrypt envelopes, inbox topics derived from the DIDs', async () => {
      const alice = agent(broker, c.version, closers);
      const bob = agent(broker, c.version, closers);
      await alice.open();
      await bob.open();
      const { ping, response } = await sendPing(alice.router, { from: alice.did, to: [bob.did] });
      const reply = await withTimeout(response!.promise, 'ping-response');
      expect(reply).toMatchObject({ type: PING_RESPONSE_TYPE, thid: ping.id, from: bob.did });
      expect(bob.router.threads.get(ping.id)).toMatchObject({ role: 'receiver', state: 'done' });
      // again at once: a receiver that replies from inside its handler must not block its own connection
      const second = await sendPing(alice.router, { from: alice.did, to: [bob.did] });
      expect((await withTimeout(second.response!.promise, 'second ping-response', 5000)).thid).toBe(second.ping.id);
    });

    it('offline delivery: a ping sent while bob is offline reaches him when his persistent session resumes', async () => {
      const alice = agent(broker, c.version, closers);
      const bob = agent(broker, c.version, closers);
      await alice.open();
      await bob.open();
      await bob.transport.close(); // graceful: the broker keeps bob's session and subscriptions
      const { response } = await sendPing(alice.router, { from: alice.did, to: [bob.did] });
      await bob.open();
      expect(bob.transport.sessionPresent).toBe(true);
      const reply = await withTimeout(response!.promise, 'ping-response after bob came back');
      expect(reply.from).toBe(bob.did);
    });

    it('payloads over max_receive_bytes never reach the handler; smaller ones after them do', async () => {
      const sender = await MqttTransport.connect({ url: broker.url, protocolVersion: c.version });
      closers.push(() => sender.close());
      const did = generateDidPeer2().did;
      const rx = await MqttTransport.connect({ url: broker.url, dids: [did], protocolVersion: c.version, maxReceiveBytes: 2000 });
      closers.push(() => rx.close());
      const got: InboundMessage[] = [];
      rx.onMessage((m) => void got.push(m));
      const endpoint = { uri: broker.url, did };
      await sender.send(endpoint, JSON.stringify({ id: 'big', type: 't/1.0/x', body: { pad: 'x'.repeat(5000) } }));
      await sender.send(endpoint, JSON.stringify({ id: 'small', type: 't/1.0/x', body: {} }));
      await waitFor(() => got.length > 0, 'the small message');
      expect(got.map((m) => JSON.parse(Buffer.from(m.data).toString()).id)).toEqual(['small']);
      expect(got[0].address).toBe(inboxTopic(did));
      // MQTT 5 carries the media type; 3.1.1 has nowhere to put it
      expect(got[0].mediaType).toBe(c.version === 5 ? 'application/didcomm-plain+json' : undefined);
    });

    it('announcements on ssiot/v1/announce/<vendor>/<class>', async () => {
      const device = await MqttTransport.connect({ url: broker.url, protocolVersion: c.version });
      const service = await MqttTransport.connect({ url: broker.url, protocolVersion: c.version });
      closers.push(() => device.close(), () => service.close());
      const heard: string[] = [];
      await service.onAnnouncement(announceFilter('acme'), (m) => void heard.push(`${m.address} ${Buffer.from(m.data).toString()}`));
      await device.announce('other-vendor', 'grinder', '{"n":0}');
      await device.announce('acme', 'grinder-x1', '{"n":1}');
      await waitFor(() => heard.length > 0, 'the announcement');
      expect(heard).toEqual(['ssiot/v1/announce/acme/grinder-x1 {"n":1}']);
    });

    it('reconnects with capped, jittered exponential backoff across a broker kill and restart', async () => {
      const alice = agent(broker, c.version, closers);
      const bob = agent(broker, c.version, closers);
      await alice.open();
      await bob.open();
      alice.events.length = 0;
      await broker.stop();
      // random = 0.5 with jitter 0.5 -> 0.75 x base: 30, 60, 120, then the 200 ms cap -> 150
      await waitFor(() => alice.events.filter((e) => e.kind === 'reconnect-scheduled').length >= 5, 'five scheduled reconnects');
      const delays = alice.events.flatMap((e) => (e.kind === 'reconnect-scheduled' ? [e.delayMs] : []));
      expect(delays.slice(0, 5)).toEqual([30, 60, 120, 150, 150]);
      expect(delays.every((d) => d <= 150)).toBe(true);
      // a ping made during the outage is queued (its send resolves on the PUBACK) and goes out after the reconnect
      const pending = sendPing(alice.router, { from: alice.did, to: [bob.did] });
      await broker.start();
      await waitFor(() => alice.transport.ready && bob.transport.ready, 'both clients reconnected');
      const { response } = await withTimeout(pending, 'the queued ping to be acknowledged');
      const reply = await withTimeout(response!.promise, 'ping-response after the broker restart');
      expect(reply.from).toBe(bob.did);
      expect(alice.events.some((e) => e.kind === 'connected')).toBe(true);
    });
  });
}
