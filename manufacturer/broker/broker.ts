/**
 * The manufacturer's embedded MQTT broker: aedes 1.2 (MQTT 3.1.1) behind
 * two listeners (TCP and WebSocket), closed to strangers.
 *
 * - Authentication (authenticate.ts): devices with a broker token signed by
 *   their device key, the service with a shared secret; anyone else gets
 *   CONNACK 5 "not authorized" (3 "server unavailable" when the registry
 *   itself fails). The reason is logged and counted, never sent.
 * - Authorization (acl.ts) in aedes's three hooks: authorizeSubscribe
 *   (a refused topic gets SUBACK 0x80), authorizePublish (a refused
 *   PUBLISH closes the connection: MQTT 3.1.1 has no negative PUBACK,
 *   MQTT-3.3.5-2) and authorizeForward (the ACL again at delivery).
 * - A device's registry entry is read at CONNECT and again when it
 *   subscribes to a topic its cached entry does not allow (at most once a
 *   second per connection): a pairwise DID registered after the device
 *   connected becomes subscribable without reconnecting, and a device the
 *   registry no longer knows is disconnected at that point.
 *   `disconnect(did)` drops a device at once (the registry calls it when it
 *   revokes one).
 *
 * Independent of fastify: the service starts it next to its HTTP server
 * and hands `stats()` to its metrics.
 */
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { DEFAULT_MAX_RECEIVE_BYTES } from '../../protocols/didcomm/transports/limits.ts';
import { DEFAULT_BROKER_TOKEN_SKEW_SECONDS, MAX_BROKER_TOKEN_SKEW_SECONDS } from '../../protocols/didcomm/transports/mqtt-auth.ts';
import { BrokerError, isSsiotError } from '../../protocols/errors.ts';
import { mayPublish, mayReceive, maySubscribe, serviceInboxes, type DeviceDirectory, type Principal } from './acl.ts';
import { createAuthenticator } from './authenticate.ts';
import { listen } from './listeners.ts';
import { countRefusal, newStats, snapshot, type BrokerStats } from './stats.ts';

/** pino's shape (fastify's `app.log` fits); messages never carry tokens or secrets. */
export interface BrokerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface BrokerOptions {
  /** The id device tokens must name as `aud` (the service's DID). */
  audience: string;
  /** The service's DIDs: devices may publish to their inbox topics only. */
  serviceDids: string[];
  /** Password of the privileged `service` principal (at least 16 characters). */
  serviceSecret: string;
  /** The device registry (registered devices only). */
  devices: DeviceDirectory;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  tcpPort?: number;
  /** Default 0: any free port. */
  wsPort?: number;
  /** Default `/mqtt`. */
  wsPath?: string;
  /** Device clock disagreement tolerated, seconds (default 300, at most 3600; see mqtt-auth.ts). */
  maxSkewSeconds?: number;
  /** Token ids the replay memory holds at most (default 100,000, about 10 MB). */
  replayCacheEntries?: number;
  /** Largest payload a device may publish (default 1 MiB, the service's DIDComm receive limit). */
  maxPublishBytes?: number;
  /** Time a connection has to send CONNECT, ms (default 10,000). */
  connectTimeoutMs?: number;
  /** Clock, epoch milliseconds (default Date.now). */
  now?: () => number;
  logger?: BrokerLogger;
  /** Told when a device connects or disconnects (the registry's "last seen"). */
  onDevice?: (event: { did: string; connected: boolean }) => void;
}

export interface Broker {
  /** `mqtt://host:port` */
  tcpUrl: string;
  /** `ws://host:port/mqtt` */
  wsUrl: string;
  stats(): BrokerStats;
  /** DIDs of the devices connected now. */
  connectedDevices(): string[];
  /** Closes every connection of device `did`; returns how many. */
  disconnect(did: string): number;
  /** Closes every connection, the listeners and the broker. */
  close(): Promise<void>;
}

const silent: BrokerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const REFRESH_INTERVAL_MS = 1000;

function refusal(returnCode: 3 | 5): AuthenticateError {
  return Object.assign(new Error(returnCode === 5 ? 'not authorized' : 'server unavailable'), { returnCode: returnCode as AuthenticateError['returnCode'] });
}

/** A username as it may appear in a log line: strangers choose it. */
const loggable = (u: string | undefined): string | undefined => (typeof u === 'string' ? u.slice(0, 120) : undefined);

function intOption(v: number | undefined, dflt: number, min: number, max: number, name: string): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < min || x > max) throw new BrokerError('broker.invalid_argument', `${name} must be an integer from ${min} to ${max}`);
  return x;
}

/** Starts the broker and its listeners; resolves once both listen. */
export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const o = options;
  if (!Array.isArray(o.serviceDids) || o.serviceDids.length === 0) throw new BrokerError('broker.invalid_argument', 'serviceDids must list the service DIDs');
  let inboxes: Set<string>;
  try {
    inboxes = serviceInboxes(o.serviceDids);
  } catch (e) {
    throw new BrokerError('broker.invalid_argument', 'serviceDids must be DIDs', { cause: e });
  }
  const maxSkewSeconds = intOption(o.maxSkewSeconds, DEFAULT_BROKER_TOKEN_SKEW_SECONDS, 0, MAX_BROKER_TOKEN_SKEW_SECONDS, 'maxSkewSeconds');
  const maxPublishBytes = intOption(o.maxPublishBytes, DEFAULT_MAX_RECEIVE_BYTES, 1, 256 * 1024 * 1024, 'maxPublishBytes');
  const log = o.logger ?? silent;
  const auth = createAuthenticator({
    audience: o.audience,
    serviceSecret: o.serviceSecret,
    devices: o.devices,
    maxSkewSeconds,
    replayCacheEntries: intOption(o.replayCacheEntries, 100_000, 1, 100_000_000, 'replayCacheEntries'),
    now: o.now ?? Date.now,
  });
  const stats = newStats();
  const principals = new WeakMap<Client, Principal>();
  const lastRefresh = new WeakMap<Client, number>();
  /** Registered (CONNACKed) clients, and the devices among them by DID. */
  const registered = new Set<Client>();
  const byDid = new Map<string, Set<Client>>();

  const aedes = await Aedes.createBroker({
    connectTimeout: intOption(o.connectTimeoutMs, 10_000, 100, 600_000, 'connectTimeoutMs'),
    authenticate(client, username, password, done) {
      auth.authenticate(username, password, client.id).then(
        (principal) => {
          principals.set(client, principal);
          done(null, true);
        },
        (e: unknown) => {
          const code = isSsiotError(e) ? e.code : 'broker.internal';
          countRefusal(stats, code);
          if (code.startsWith('broker.') && code !== 'broker.internal') {
            log.warn({ code, username: loggable(username) }, 'MQTT connection refused');
            done(refusal(5), null);
          } else {
            log.error({ code, username: loggable(username), err: e instanceof Error ? e.message : String(e) }, 'MQTT authentication failed');
            done(refusal(3), null);
          }
        },
      );
    },
    authorizeSubscribe(client, sub, done) {
      const p = principals.get(client);
      if (p && maySubscribe(p, sub.topic)) return done(null, sub);
      const refuse = (): void => {
        stats.subscriptionsRefused++;
        log.info({ device: p?.kind === 'device' ? p.did : undefined, topic: sub.topic }, 'MQTT subscription refused');
        done(null, null);
      };
      const now = Date.now();
      if (p?.kind !== 'device' || now - (lastRefresh.get(client) ?? 0) < REFRESH_INTERVAL_MS) return refuse();
      lastRefresh.set(client, now);
      auth.refresh(p.did).then(
        (fresh) => {
          if (!fresh) {
            p.readable = new Set();
            log.warn({ device: p.did }, 'device no longer registered: disconnecting');
            refuse();
            client.close();
            return;
          }
          p.readable = fresh.readable;
          p.clientIds = fresh.clientIds;
          if (maySubscribe(p, sub.topic)) done(null, sub);
          else refuse();
        },
        (e: unknown) => {
          log.error({ device: p.did, err: e instanceof Error ? e.message : String(e) }, 'device registry lookup failed');
          refuse();
        },
      );
    },
    authorizePublish(client, packet, done) {
      const p = client ? principals.get(client) : undefined;
      const payloadBytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
      if (p && mayPublish(p, { topic: packet.topic, retain: packet.retain, payloadBytes }, inboxes, maxPublishBytes)) return done(null);
      stats.publishesRefused++;
      log.info({ device: p?.kind === 'device' ? p.did : undefined, topic: packet.topic }, 'MQTT publish refused: closing the connection');
      done(new BrokerError('broker.not_authorized', 'publish not allowed'));
    },
    authorizeForward(client, packet) {
      const p = principals.get(client);
      if (!p || !mayReceive(p, packet.topic)) {
        stats.deliveriesWithheld++;
        return null;
      }
      stats.messagesDelivered++;
      return packet;
    },
  });

  aedes.on('client', (client) => {
    const p = principals.get(client);
    if (!p) return;
    registered.add(client);
    stats.connectionsAccepted++;
    if (p.kind === 'service') {
      stats.servicesConnected++;
      return;
    }
    stats.devicesConnected++;
    let set = byDid.get(p.did);
    if (!set) byDid.set(p.did, (set = new Set()));
    set.add(client);
    o.onDevice?.({ did: p.did, connected: true });
  });
  aedes.on('clientDisconnect', (client) => {
    if (!registered.delete(client)) return;
    const p = principals.get(client) as Principal;
    if (p.kind === 'service') {
      stats.servicesConnected--;
      return;
    }
    stats.devicesConnected--;
    const set = byDid.get(p.did);
    set?.delete(client);
    if (set && set.size === 0) byDid.delete(p.did);
    o.onDevice?.({ did: p.did, connected: false });
  });
  aedes.on('publish', (packet, client) => {
    if (!client) return;
    stats.messagesIn++;
    stats.bytesIn += typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
  });

  let listeners;
  try {
    listeners = await listen((stream, req) => aedes.handle(stream, req), {
      host: o.host ?? '127.0.0.1',
      tcpPort: intOption(o.tcpPort, 0, 0, 65535, 'tcpPort'),
      wsPort: intOption(o.wsPort, 0, 0, 65535, 'wsPort'),
      wsPath: o.wsPath ?? '/mqtt',
      // a device's largest PUBLISH plus room for the MQTT header and topic
      maxWsPayloadBytes: maxPublishBytes + 64 * 1024,
    });
  } catch (e) {
    await new Promise<void>((r) => aedes.close(() => r()));
    throw e;
  }
  log.info({ tcpUrl: listeners.tcpUrl, wsUrl: listeners.wsUrl }, 'MQTT broker listening');

  let closing: Promise<void> | undefined;
  return {
    tcpUrl: listeners.tcpUrl,
    wsUrl: listeners.wsUrl,
    stats: () => snapshot(stats, auth.replay.size),
    connectedDevices: () => [...byDid.keys()],
    disconnect(did) {
      const set = byDid.get(did);
      if (!set) return 0;
      const n = set.size;
      for (const c of [...set]) c.close();
      return n;
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((r) => aedes.close(() => r()));
        await listeners.close();
      })();
      return closing;
    },
  };
}

