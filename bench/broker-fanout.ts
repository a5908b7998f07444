/**
 * Broker fan-out (issue 7): N lightweight MQTT 3.1.1 clients (mqtt.js 5,
 * one TCP connection each) connected to the manufacturer's broker and
 * subscribed to one class announcement topic; the service publishes one
 * release announcement (QoS 1). Printed per N: connection setup time
 * (CONNECT + CONNACK + SUBSCRIBE + SUBACK for all N), time until every
 * client has the announcement, messages delivered per second, and the
 * broker's RSS and heap growth with N connections (after a forced GC).
 *
 * How it is set up, and why:
 * - The broker runs in a child process (this file with `--broker-child`),
 *   the clients in this one: broker memory is then the broker's alone, the
 *   two share the machine's 2 cores as a real broker and a load generator
 *   would, and each process holds N sockets, not 2N (file descriptors).
 * - Authentication: by default every client is a device with its own
 *   did:key and a broker token made BEFORE the clock starts ("pre-made
 *   tokens"), so setup time includes the broker verifying N Ed25519 tokens
 *   and the replay memory, but not the clients signing. The bench's device
 *   directory answers every did:key (an in-memory lookup; a real registry
 *   adds its database read). `--auth service` connects all clients as the
 *   privileged principal instead (one secret compare each).
 * - Connections are opened `--concurrency` at a time (default 200), so the
 *   listen backlog and the 2 cores are not flooded.
 * - File descriptors: each process needs N + a few; the soft limit
 *   (`ulimit -n`) is printed, and an N that does not fit is still
 *   attempted: the connections that fail are counted and printed. Raise the
 *   limit in the shell first (`ulimit -n 65536`, as root) for more.
 *
 * Run: `npm run bench:broker [-- --clients 1000] [-- --auth service] [-- --json]`
 * (default: 1,000 then 10,000 clients).
 */
import { execSync, fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { getCrypto, installCrypto } from '../protocols/crypto/index.ts';
import { didKeyFromPublicKey } from '../protocols/did/key.ts';
import { createBrokerToken } from '../protocols/didcomm/transports/mqtt-auth.ts';
import { announceTopic, clientIdFor } from '../protocols/didcomm/transports/mqtt-topics.ts';
import { utf8Encode } from '../protocols/encoding/bytes.ts';
import { startBroker } from '../manufacturer/broker/index.ts';
import { benchArgs, formatTable, log, logDone } from './support.ts';

installCrypto(nodeCrypto);

const AUDIENCE = 'did:web:bench.manufacturer.example';
const SERVICE_DID = 'did:web:bench.manufacturer.example';
const SECRET = 'bench-service-secret-0123456789';
const VENDOR = 'acme';
const CLASS = 'grinder-x1';
const TOPIC = announceTopic(VENDOR, CLASS);

interface Memory {
  rss: number;
  heapUsed: number;
}

type ChildReply = { kind: 'ready'; tcpUrl: string; memory: Memory } | { kind: 'memory'; memory: Memory; stats: { devicesConnected: number; servicesConnected: number; messagesDelivered: number; connectionsRefused: number } } | { kind: 'closed' };

// ---------------------------------------------------------------- broker child

async function brokerChild(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const measure = (): Memory => {
    gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  };
  const record = { inboxDids: [], vendor: VENDOR, deviceClass: CLASS };
  const broker = await startBroker({
    audience: AUDIENCE,
    serviceDids: [SERVICE_DID],
    serviceSecret: SECRET,
    devices: { lookup: async (did) => (did.startsWith('did:key:') ? record : undefined) },
    replayCacheEntries: 200_000,
    connectTimeoutMs: 60_000,
  });
  const send = (m: ChildReply): void => void process.send?.(m);
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'memory') {
      const s = broker.stats();
      send({ kind: 'memory', memory: measure(), stats: { devicesConnected: s.devicesConnected, servicesConnected: s.servicesConnected, messagesDelivered: s.messagesDelivered, connectionsRefused: s.connectionsRefused } });
    } else if (m.cmd === 'close') {
      void broker.close().then(() => {
        send({ kind: 'closed' });
        process.exit(0);
      });
    }
  });
  send({ kind: 'ready', tcpUrl: broker.tcpUrl, memory: measure() });
}

// ---------------------------------------------------------------- driver

class Child {
  private waiting: ((m: ChildReply) => void)[] = [];
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: ChildReply) => this.waiting.shift()?.(m));
  }
  next(): Promise<ChildReply> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  async ask(cmd: string): Promise<ChildReply> {
    const reply = this.next();
    this.proc.send({ cmd });
    return reply;
  }
}

interface Credential {
  username: string;
  password: string;
  clientId: string;
}

/** N device credentials (keys from a fixed seed, tokens made now, before any timing). */
function deviceCredentials(n: number, auth: string): Promise<Credential[]> {
  if (auth === 'service') {
    return Promise.resolve(Array.from({ length: n }, (_, i) => ({ username: 'service', password: SECRET, clientId: `bench-${i}` })));
  }
  const c = getCrypto();
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const seed = c.sha256(utf8Encode(`bench-device-${i}`));
      const did = didKeyFromPublicKey({ kind: 'Ed25519', bytes: c.ed25519PublicKey(seed) });
      const password = await createBrokerToken({ did, sign: (b) => c.ed25519Sign(b, seed), audience: AUDIENCE, ttlSeconds: 600 });
      return { username: did, password, clientId: clientIdFor(did) };
    }),
  );
}

/** Connects and subscribes one client; resolves with it, or with the error's message. */
function connectOne(url: string, cred: Credential, onAnnouncement: () => void): Promise<MqttClient | string> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { ...cred, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 60_000, keepalive: 300 });
    client.once('error', (e) => {
      client.end(true);
      resolve(e.message);
    });
    client.once('connect', () => {
      client.subscribe(TOPIC, { qos: 1 }, (err) => (err ? resolve(err.message) : resolve(client)));
    });
    client.on('message', onAnnouncement);
  });
}

interface Row {
  clients: number;
  connected: number;
  failed: number;
  firstError?: string;
  setupMs: number;
  connectionsPerSec: number;
  received: number;
  fanoutMs: number;
  messagesPerSec: number;
  brokerRssDeltaMB: number;
  brokerHeapDeltaMB: number;
  brokerRssPerClientKB: number;
}

async function runOnce(n: number, auth: string, concurrency: number): Promise<Row> {
  const proc = fork(process.argv[1], ['--broker-child'], { execArgv: [...process.execArgv, '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child = new Child(proc);
  const ready = await child.next();
  if (ready.kind !== 'ready') throw new Error('broker child did not start');
  log(`n=${n}: making ${n} ${auth === 'service' ? 'service credentials' : 'device keys and broker tokens'} (not timed)`);
  const creds = await deviceCredentials(n, auth);

  let received = 0;
  let allReceived: () => void = () => undefined;
  const everyone = new Promise<void>((r) => (allReceived = r));
  const onAnnouncement = (): void => {
    if (++received === clientsConnected) allReceived();
  };
  let clientsConnected = Number.POSITIVE_INFINITY;

  log(`n=${n}: connecting ${concurrency} at a time`);
  const clients: MqttClient[] = [];
  const errors: string[] = [];
  const setupStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const r = await connectOne(ready.tcpUrl, creds[next++], onAnnouncement);
        if (typeof r === 'string') errors.push(r);
        else clients.push(r);
      }
    }),
  );
  const setupMs = performance.now() - setupStart;
  clientsConnected = clients.length;
  log(`n=${n}: ${clients.length} connected, ${errors.length} failed, in ${(setupMs / 1000).toFixed(1)} s`);
  const loaded = await child.ask('memory');
  if (loaded.kind !== 'memory') throw new Error('unexpected reply');

  const service = await connectOne(ready.tcpUrl, { username: 'service', password: SECRET, clientId: 'bench-publisher' }, () => undefined);
  if (typeof service === 'string') throw new Error(`service connection refused: ${service}`);
  const payload = Buffer.alloc(1024, 0x61); // a release announcement's size order (a DIDComm envelope pointing at the SUIT manifest)
  const fanoutStart = performance.now();
  await service.publishAsync(TOPIC, payload, { qos: 1 });
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000).unref());
  const outcome = clients.length === 0 ? 'none' : await Promise.race([everyone.then(() => 'ok' as const), timeout]);
  const fanoutMs = performance.now() - fanoutStart;
  if (outcome === 'timeout') log(`n=${n}: only ${received} of ${clients.length} had the announcement after 120 s`);

  for (const c of clients) c.end(true);
  service.end(true);
  await child.ask('close');

  const mb = (b: number): number => Math.round((b / 1048576) * 10) / 10;
  const rssDelta = loaded.memory.rss - ready.memory.rss;
  return {
    clients: n,
    connected: clients.length,
    failed: errors.length,
    ...(errors.length ? { firstError: errors[0] } : {}),
    setupMs: Math.round(setupMs),
    connectionsPerSec: Math.round(clients.length / (setupMs / 1000)),
    received,
    fanoutMs: Math.round(fanoutMs * 10) / 10,
    messagesPerSec: Math.round(received / (fanoutMs / 1000)),
    brokerRssDeltaMB: mb(rssDelta),
    brokerHeapDeltaMB: mb(loaded.memory.heapUsed - ready.memory.heapUsed),
    brokerRssPerClientKB: clients.length ? Math.round(rssDelta / clients.length / 102.4) / 10 : 0,
  };
}

async function main(): Promise<void> {
  const { flag, num, opt } = benchArgs();
  const auth = opt('--auth') ?? 'token';
  if (auth !== 'token' && auth !== 'service') throw new Error('--auth is token or service');
  const sizes = opt('--clients') !== undefined ? [num('--clients', 1000)] : [1000, 10000];
  const concurrency = num('--concurrency', 200);
  let fdLimit = Number.NaN;
  try {
    fdLimit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  } catch {
    /* unknown */
  }
  const start = performance.now();
  log(`file descriptor limit (ulimit -n): ${Number.isNaN(fdLimit) ? 'unknown' : fdLimit}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const n of sizes) {
    if (n + 64 > fdLimit) log(`note: ${n} clients need about ${n + 64} descriptors per process, over the limit ${fdLimit}: attempting anyway (raise with \`ulimit -n 65536\`)`);
  }
  const rows: Row[] = [];
  for (const n of sizes) rows.push(await runOnce(n, auth, concurrency));
  if (flag('--json')) {
    process.stdout.write(JSON.stringify({ bench: 'broker-fanout', auth, concurrency, fdLimit, loadavg: loadavg(), node: process.version, rows }, null, 2) + '\n');
  } else {
    const head = ['clients', 'connected', 'failed', 'setup s', 'conn/s', 'received', 'fan-out ms', 'msg/s', 'broker RSS +MB', 'heap +MB', 'RSS/client KB'];
    const body = rows.map((r) => [
      String(r.clients),
      String(r.connected),
      String(r.failed),
      (r.setupMs / 1000).toFixed(2),
      String(r.connectionsPerSec),
      String(r.received),
      r.fanoutMs.toFixed(1),
      String(r.messagesPerSec),
      r.brokerRssDeltaMB.toFixed(1),
      r.brokerHeapDeltaMB.toFixed(1),
      r.brokerRssPerClientKB.toFixed(1),
    ]);
    process.stdout.write(`Broker fan-out: one QoS 1 announcement (1 KiB) to N subscribers of ${TOPIC}; auth: ${auth === 'token' ? 'device tokens (pre-made)' : 'service principal'}; ${concurrency} connects in flight\n\n`);
    process.stdout.write(formatTable(head, body, 0) + '\n');
    for (const r of rows) if (r.firstError) process.stdout.write(`\n${r.clients} clients: ${r.failed} connections failed, first error: ${r.firstError}\n`);
  }
  logDone(start);
}

if (process.argv.includes('--broker-child')) {
  void brokerChild();
} else {
  main().catch((e: unknown) => {
    log(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  });
}
