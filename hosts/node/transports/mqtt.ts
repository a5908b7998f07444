/**
 * DIDComm over MQTT (mqtt.js 5), for Node device hosts, the simulator and
 * the manufacturer service. Topic scheme: protocols/didcomm/transports/
 * mqtt-topics.ts and docs/transports.md.
 *
 * Delivery guarantees, and how they are obtained:
 * - QoS 1 both ways (at least once; the envelope layer's replay guard
 *   drops duplicates).
 * - Persistent sessions: a stable client id, clean = false and, on MQTT 5,
 *   a session expiry (default 7 days), so the broker keeps subscriptions
 *   and queues QoS 1 messages while the device is offline.
 * - Acknowledge on receipt into a bounded in-process queue, then process
 *   in arrival order. Not "ack after processing": mqtt.js handles one
 *   connection's packets strictly one at a time, so a handler that replies
 *   over the same connection (every request/response protocol) would wait
 *   for its own PUBACK behind the unfinished PUBLISH — a deadlock. Messages
 *   that arrive before the host attached its handler (a resumed session
 *   delivers its queue right after CONNACK) wait in the same queue.
 * - Reconnect with exponential, capped, jittered backoff (backoff.ts):
 *   mqtt.js schedules each retry with `options.reconnectPeriod` at the
 *   moment a connection closes, so we set that value before every attempt
 *   (on 'connect' for the first retry, on 'reconnect' for the next). This
 *   keeps mqtt.js's own in-memory stores, so QoS 1 publishes made while
 *   offline are sent after reconnecting (mqtt.js's reconnect() would drop them).
 * - Size: payloads over maxReceiveBytes are dropped (and acknowledged, so
 *   the broker does not redeliver them forever); on MQTT 5 the CONNECT
 *   Maximum Packet Size asks the broker not to send them at all.
 */
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { DidcommError, isSsiotError } from '../../../protocols/errors.ts';
import { backoffDelay, checkBackoffPolicy, DEFAULT_BACKOFF, type BackoffPolicy } from '../../../protocols/didcomm/transports/backoff.ts';
import { DEFAULT_MAX_RECEIVE_BYTES } from '../../../protocols/didcomm/transports/limits.ts';
import { parseContentType, sniffMediaType, type DidcommMediaType } from '../../../protocols/didcomm/transports/media-type.ts';
import { announceTopic, clientIdFor, inboxTopic, topicMatchesFilter } from '../../../protocols/didcomm/transports/mqtt-topics.ts';
import { InboundHandlers, uriScheme, type Endpoint, type InboundHandler, type InboundMessage, type MessageTransport, type SendOptions } from '../../../protocols/didcomm/transports/types.ts';

export interface MqttTransportOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`, `mqtts://broker.example`. */
  url: string;
  /** DIDs whose inbox topics this agent receives. */
  dids?: string[];
  /** Default: derived from the first DID (stable, 23 characters), else random. */
  clientId?: string;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5 (default). */
  protocolVersion?: 4 | 5;
  /** Persistent session (default true: clean = false). */
  persistentSession?: boolean;
  /** MQTT 5 session expiry, seconds (default 7 days). */
  sessionExpirySeconds?: number;
  maxReceiveBytes?: number;
  backoff?: BackoffPolicy;
  /** Jitter source (default: crypto facade). */
  random?: () => number;
  /** How long connect() waits for the first CONNACK (default 10 s). */
  connectTimeoutMs?: number;
  /** How long send() waits for the PUBACK (default 30 s; the message may still go out later). */
  publishTimeoutMs?: number;
  keepaliveSeconds?: number;
  /** Received messages waiting for processing at most (default 256); more are dropped. */
  maxQueued?: number;
  username?: string;
  password?: string;
  /**
   * A fresh password for every connection, reconnects included (a device's
   * broker token, which the broker refuses twice: manufacturer/broker).
   * The first connect waits for it; after a disconnect the next one is made
   * at once, ready for the reconnect after the backoff delay.
   */
  credentials?: () => Promise<string>;
  /** Other names of our broker that may appear in endpoint URIs (`mqtt://host:port`). */
  brokerAliases?: string[];
}

export type MqttTransportEvent =
  /** Connected and ready to receive: the inbox subscriptions are acknowledged (or the session kept them). */
  | { kind: 'connected'; sessionPresent: boolean }
  | { kind: 'offline' }
  | { kind: 'reconnect-scheduled'; attempt: number; delayMs: number }
  | { kind: 'reconnecting'; attempt: number }
  | { kind: 'dropped'; topic: string; reason: string }
  | { kind: 'error'; code: string };

const DEFAULT_PORTS: Record<string, number> = { mqtt: 1883, tcp: 1883, mqtts: 8883, ssl: 8883, tls: 8883, ws: 80, wss: 443 };

/** `scheme://host:port` normalized (lowercase host, default port made explicit); undefined when not a URL. */
function authority(uri: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?/i.exec(uri);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  const port = m[3] !== undefined ? Number(m[3]) : DEFAULT_PORTS[scheme];
  return `${m[2].toLowerCase()}:${port}`;
}

/** The topic named by an endpoint URI's path (`mqtt://host/ssiot/v1/inbox/...`), if it has one. */
function topicOfUri(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/([^?#]+)/i.exec(uri);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    throw new DidcommError('didcomm.unsupported_endpoint', 'malformed topic in the MQTT endpoint URI');
  }
}

export class MqttTransport implements MessageTransport {
  readonly name = 'mqtt';
  readonly schemes: readonly string[] = ['mqtt', 'mqtts', 'tcp', 'ssl', 'tls', 'ws', 'wss'];
  readonly maxReceiveBytes: number;
  readonly clientId: string;
  readonly client: MqttClient;
  private readonly handlers = new InboundHandlers();
  private readonly announcementHandlers: { filter: string; handler: InboundHandler }[] = [];
  private readonly listeners: ((e: MqttTransportEvent) => void)[] = [];
  private readonly inboxes = new Set<string>();
  private readonly filters = new Set<string>();
  private readonly backoff: BackoffPolicy;
  private readonly random: (() => number) | undefined;
  private readonly brokers: Set<string>;
  private readonly publishTimeoutMs: number;
  private attempt = 0;
  private closing = false;
  /** Connected with the inbox subscriptions in place. */
  ready = false;
  /** Received, acknowledged, not yet processed (bounded by maxQueued). */
  private readonly queue: { message: InboundMessage; inbox: boolean }[] = [];
  private draining = false;
  private readonly maxQueued: number;
  /** Whether the broker resumed a stored session at the last CONNACK (persistent-session diagnostics). */
  sessionPresent = false;

  /** Start connecting (returns at once; use connect() to wait for the broker). */
  constructor(private readonly o: MqttTransportOptions) {
    if (!o || typeof o.url !== 'string') throw new DidcommError('didcomm.invalid_argument', 'MqttTransport needs a broker url');
    this.maxReceiveBytes = o.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    this.backoff = checkBackoffPolicy(o.backoff ?? DEFAULT_BACKOFF);
    this.random = o.random;
    this.publishTimeoutMs = o.publishTimeoutMs ?? 30_000;
    this.maxQueued = o.maxQueued ?? 256;
    const dids = o.dids ?? [];
    for (const d of dids) this.inboxes.add(inboxTopic(d));
    this.clientId = o.clientId ?? (dids.length > 0 ? clientIdFor(dids[0]) : `ssiot-${Math.random().toString(36).slice(2, 12)}`);
    const own = authority(o.url);
    if (!own) throw new DidcommError('didcomm.invalid_argument', 'broker url must be scheme://host[:port]');
    this.brokers = new Set([own, ...(o.brokerAliases ?? []).map((a) => authority(a) ?? a)]);
    const version = o.protocolVersion ?? 5;
    const options: IClientOptions = {
      clientId: this.clientId,
      protocolVersion: version,
      clean: o.persistentSession === false,
      keepalive: o.keepaliveSeconds ?? 30,
      reconnectPeriod: this.delay(1),
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      resubscribe: false,
      queueQoSZero: false,
    };
    if (o.username !== undefined) options.username = o.username;
    if (o.password !== undefined) options.password = o.password;
    if (o.credentials) options.manualConnect = true;
    if (version === 5) {
      options.properties = {
        sessionExpiryInterval: o.persistentSession === false ? 0 : (o.sessionExpirySeconds ?? 7 * 24 * 3600),
        // room for the topic and properties around the largest payload we accept
        maximumPacketSize: this.maxReceiveBytes + 1024,
      };
    }
    this.client = mqtt.connect(o.url, options);
    if (o.credentials) this.refreshCredentials(() => this.client.connect());
    this.client.handleMessage = (packet, done) => {
      try {
        this.onPublish(packet);
      } finally {
        done();
      }
    };
    this.client.on('connect', (connack) => {
      this.attempt = 0;
      this.sessionPresent = connack.sessionPresent;
      this.client.options.reconnectPeriod = this.delay(1);
      // "connected" means ready to receive: a message published to our inbox before the
      // SUBACK would find no subscriber on a broker that lost (or never had) our session
      const ready = connack.sessionPresent ? Promise.resolve(true) : this.resubscribe();
      void ready.then((ok) => {
        if (!ok || !this.client.connected) return;
        this.ready = true;
        this.emit({ kind: 'connected', sessionPresent: connack.sessionPresent });
      });
    });
    this.client.on('reconnect', () => {
      this.attempt++;
      this.emit({ kind: 'reconnecting', attempt: this.attempt });
      // used if this attempt fails: mqtt.js reads it when the connection closes
      this.client.options.reconnectPeriod = this.delay(this.attempt + 1);
    });
    this.client.on('close', () => {
      this.ready = false;
      if (this.closing) return;
      if (this.o.credentials) this.refreshCredentials();
      this.emit({ kind: 'reconnect-scheduled', attempt: this.attempt + 1, delayMs: this.client.options.reconnectPeriod ?? 0 });
    });
    this.client.on('offline', () => this.emit({ kind: 'offline' }));
    // an 'error' event without a listener would crash the process
    this.client.on('error', (e) => this.emit({ kind: 'error', code: (e as { code?: string | number }).code !== undefined ? String((e as { code?: unknown }).code) : 'mqtt.error' }));
  }

  /** Makes the next connection's password (a failure is an error event; the old one is tried and refused). */
  private refreshCredentials(then?: () => void): void {
    (this.o.credentials as () => Promise<string>)().then(
      (password) => {
        this.client.options.password = password;
        if (!this.closing) then?.();
      },
      () => this.emit({ kind: 'error', code: 'mqtt.credentials_failed' }),
    );
  }

  /** Connect and wait for the first CONNACK; `didcomm.transport_failed` after connectTimeoutMs (the client is closed). */
  static async connect(o: MqttTransportOptions): Promise<MqttTransport> {
    const t = new MqttTransport(o);
    try {
      await t.connected(o.connectTimeoutMs ?? 10_000);
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }

  /** Resolves when connected (at once if already). */
  connected(timeoutMs = 10_000): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new DidcommError('didcomm.transport_failed', `no CONNACK from ${this.o.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onEvent((e) => {
        if (e.kind === 'connected') {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });
  }

  private delay(attempt: number): number {
    return backoffDelay(attempt, this.backoff, this.random);
  }

  private emit(e: MqttTransportEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // observers never break the transport
      }
    }
  }

  /** Observe connection state, scheduled reconnects and drops. */
  onEvent(listener: (e: MqttTransportEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Subscribe to every inbox and announcement filter; false (and an error event) when the broker refused. */
  private async resubscribe(): Promise<boolean> {
    const topics = [...this.inboxes, ...this.filters];
    if (topics.length === 0) return true;
    try {
      const granted = await this.client.subscribeAsync(topics, { qos: 1 });
      // MQTT: a return code of 0x80 (or a v5 reason >= 0x80) refuses that subscription
      if (granted.some((g) => g.qos > 2)) throw new Error('subscription refused');
      return true;
    } catch {
      this.emit({ kind: 'error', code: 'mqtt.subscribe_failed' });
      return false;
    }
  }

  /** Receive the inbox of another DID of ours (e.g. a new pairwise did:peer:2). */
  /**
   * Also receive the inbox of `did`. A broker that refuses the subscription
   * (its ACL: a closed broker lets a device read only its registered DIDs)
   * gets `didcomm.subscription_refused`, and the inbox is forgotten, so
   * later reconnects do not ask for it again.
   */
  async addDid(did: string): Promise<void> {
    const topic = inboxTopic(did);
    if (this.inboxes.has(topic)) return;
    this.inboxes.add(topic);
    if (!this.client.connected) return;
    try {
      await this.client.subscribeAsync(topic, { qos: 1 });
    } catch (e) {
      this.inboxes.delete(topic);
      throw new DidcommError('didcomm.subscription_refused', 'the broker refused the inbox subscription', { cause: e });
    }
  }

  private onPublish(packet: IPublishPacket): void {
    const topic = packet.topic;
    const payload = packet.payload;
    const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    if (data.length > this.maxReceiveBytes) {
      this.emit({ kind: 'dropped', topic, reason: 'didcomm.too_large' });
      return;
    }
    const declared = packet.properties?.contentType;
    const mediaType = declared !== undefined ? parseContentType(declared) : undefined;
    if (declared !== undefined && mediaType === undefined) {
      this.emit({ kind: 'dropped', topic, reason: 'didcomm.unsupported_media_type' });
      return;
    }
    const inbox = this.inboxes.has(topic);
    if (!inbox && !this.announcementHandlers.some((a) => topicMatchesFilter(a.filter, topic))) {
      this.emit({ kind: 'dropped', topic, reason: 'didcomm.no_handler' });
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      this.emit({ kind: 'dropped', topic, reason: 'didcomm.queue_full' });
      return;
    }
    // copy: mqtt.js may reuse the packet's buffer
    this.queue.push({ message: { data: data.slice(), transport: this.name, address: topic, ...(mediaType ? { mediaType } : {}) }, inbox });
    void this.drain();
  }

  /** Process queued messages one at a time, in arrival order; inbox messages wait for a handler. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const next = this.queue[0];
        if (next.inbox && this.handlers.size === 0) return;
        this.queue.shift();
        if (next.inbox) await this.handlers.deliver(next.message);
        else await this.handlers.deliver(next.message, this.announcementHandlers.filter((a) => topicMatchesFilter(a.filter, next.message.address ?? '')).map((a) => a.handler));
      }
    } finally {
      this.draining = false;
    }
  }

  /** The topic an endpoint names: its URI path, else the inbox of its DID. */
  topicFor(endpoint: Endpoint): string {
    const scheme = uriScheme(endpoint.uri);
    if (!scheme || !this.schemes.includes(scheme)) throw new DidcommError('didcomm.unsupported_endpoint', 'not an MQTT endpoint');
    const a = authority(endpoint.uri);
    if (!a || !this.brokers.has(a)) throw new DidcommError('didcomm.unsupported_endpoint', 'the endpoint names another broker than the one this transport is connected to');
    const path = topicOfUri(endpoint.uri);
    if (path !== undefined) {
      if (/[+#\u0000]/.test(path)) throw new DidcommError('didcomm.unsupported_endpoint', 'wildcards are not allowed in a publish topic');
      return path;
    }
    if (endpoint.did === undefined) throw new DidcommError('didcomm.unsupported_endpoint', 'an MQTT endpoint without a topic needs the recipient DID');
    return inboxTopic(endpoint.did);
  }

  private async publish(topic: string, packed: string | Uint8Array, mediaType: DidcommMediaType | undefined, retain: boolean): Promise<void> {
    const payload = Buffer.from(typeof packed === 'string' ? Buffer.from(packed, 'utf8') : packed);
    const opts: mqtt.IClientPublishOptions = { qos: 1, retain };
    if ((this.o.protocolVersion ?? 5) === 5) opts.properties = { payloadFormatIndicator: true, ...(mediaType ? { contentType: mediaType } : {}) };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DidcommError('didcomm.transport_failed', `no PUBACK within ${this.publishTimeoutMs} ms`)), this.publishTimeoutMs);
    });
    try {
      await Promise.race([this.client.publishAsync(topic, payload, opts), timeout]);
    } catch (e) {
      if (isSsiotError(e)) throw e;
      throw new DidcommError('didcomm.transport_failed', 'MQTT publish failed', { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  /** QoS 1 publish to the endpoint's topic; resolves on PUBACK (queued while offline). */
  async send(endpoint: Endpoint, packed: string | Uint8Array, options: SendOptions = {}): Promise<void> {
    if (this.closing) throw new DidcommError('didcomm.transport_failed', 'transport is closed');
    const topic = this.topicFor(endpoint);
    const mediaType = options.mediaType ?? (typeof packed === 'string' ? sniffMediaType(packed) : undefined);
    await this.publish(topic, packed, mediaType, false);
  }

  /** Broadcast on `ssiot/v1/announce/<vendor>/<class>` (QoS 1; `retain` keeps the last one for late subscribers). */
  async announce(vendor: string, deviceClass: string, packed: string | Uint8Array, options: { retain?: boolean; mediaType?: DidcommMediaType } = {}): Promise<void> {
    const topic = announceTopic(vendor, deviceClass);
    await this.publish(topic, packed, options.mediaType ?? (typeof packed === 'string' ? sniffMediaType(packed) : undefined), options.retain === true);
  }

  /** Receive announcements matching `filter` (see announceFilter()). */
  async onAnnouncement(filter: string, handler: InboundHandler): Promise<() => void> {
    const entry = { filter, handler };
    this.announcementHandlers.push(entry);
    if (!this.filters.has(filter)) {
      this.filters.add(filter);
      if (this.client.connected) await this.client.subscribeAsync(filter, { qos: 1 });
    }
    return () => {
      const i = this.announcementHandlers.indexOf(entry);
      if (i >= 0) this.announcementHandlers.splice(i, 1);
    };
  }

  onMessage(handler: InboundHandler): () => void {
    const off = this.handlers.add(handler);
    void this.drain();
    return off;
  }

  /**
   * Disconnect: gracefully when connected (in-flight QoS 1 messages get up
   * to `graceMs` to finish, then DISCONNECT; the broker keeps a persistent
   * session), at once when the broker is unreachable.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.client.connected) {
      await this.client.endAsync(true);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    const outcome = await Promise.race([this.client.endAsync().then(() => 'done' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') await this.client.endAsync(true);
  }

  /** Drop the connection without DISCONNECT (tests: a device losing power). */
  async kill(): Promise<void> {
    this.closing = true;
    await this.client.endAsync(true);
  }
}
