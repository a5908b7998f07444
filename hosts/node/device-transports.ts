/**
 * The device's request/response `DeviceTransport` (device/host.ts) over the
 * real Node bindings, and the matching sender for the other side (owner
 * phone, manufacturer service):
 *
 * - Local HTTP pairing endpoint (`listenLocalHttp`): the phone POSTs a packed
 *   envelope to the device on the local network and gets the device's
 *   packed reply in the HTTP response (200 + body; 202 without body when the
 *   device has nothing to say, e.g. it dropped unauthenticated input).
 *   Choice: this differs from the DIDComm v2 HTTPS binding of
 *   hosts/node/transports/http.ts (202 only, replies to the sender's own
 *   endpoint) on purpose — the phone's pairwise DID has no endpoint and the
 *   pairing must work with no broker or cloud at all; it is DIDComm's
 *   `return_route: all` behaviour, fixed for this one local endpoint.
 * - MQTT inboxes (`DeviceLink` with an `MqttTransport`): messages to the
 *   device's DIDs arrive on their inbox topics; the device's reply is
 *   published to the inbox of the reply's recipient DID, read from the JWE's
 *   cleartext `recipients[].header.kid` (no decryption: the transport stays
 *   content-blind). The device subscribes to the inbox of every DID it has
 *   spoken from (learned from the `skid` of its replies) plus those added
 *   with `addDid`.
 * - `MqttRequester` is the sender's side over a broker: it publishes to the
 *   recipient DID's inbox and waits for the next message on the inbox of
 *   the sender DID (`skid`), one exchange per sender DID at a time.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { inboxTopic } from '../../protocols/didcomm/transports/mqtt-topics.ts';
import { uriScheme } from '../../protocols/didcomm/transports/types.ts';
import { utf8Decode } from '../../protocols/encoding/bytes.ts';
import { DidcommError } from '../../protocols/errors.ts';
import type { DeviceTransport, InboundHandler } from '../../device/host.ts';
import type { MqttTransport } from './transports/mqtt.ts';
import { envelopeParties } from '../../protocols/didcomm/transports/envelope-parties.ts';
import { HttpRequester } from '../../owner/http-requester.ts';
import type { DidcommCorsOptions } from '../../protocols/didcomm/transports/cors.ts';
import { didcommReplyRoutes } from './transports/http.ts';

export { envelopeParties, type EnvelopeParties } from '../../protocols/didcomm/transports/envelope-parties.ts';

export interface LocalHttpOptions {
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  path?: string;
  /** The URL to advertise (a LAN address or mDNS name); default http://host:port/path. */
  publicUrl?: string;
  maxReceiveBytes?: number;
  /** CORS for a browser phone app on another origin (didcommReplyRoutes' option; default none). */
  cors?: DidcommCorsOptions;
}

/** The device's local HTTP endpoint: a DeviceTransport whose `send` POSTs and reads the reply. */
export class LocalHttpTransport implements DeviceTransport {
  private handler: InboundHandler | undefined;
  private constructor(
    readonly endpoint: string,
    private readonly app: FastifyInstance,
    private readonly sender: HttpRequester,
  ) {}

  /** Starts listening (before the agent boots: the endpoint goes into the device's DIDs). */
  static async listen(o: LocalHttpOptions = {}): Promise<LocalHttpTransport> {
    const path = o.path ?? '/didcomm';
    const app = Fastify({ logger: false });
    let self: LocalHttpTransport | undefined;
    await app.register(didcommReplyRoutes, { path, maxReceiveBytes: o.maxReceiveBytes, cors: o.cors, handler: () => self?.handler });
    const host = o.host ?? '127.0.0.1';
    await app.listen({ host, port: o.port ?? 0 });
    const port = (app.server.address() as { port: number }).port;
    self = new LocalHttpTransport(o.publicUrl ?? `http://${host}:${port}${path}`, app, new HttpRequester());
    return self;
  }

  listen(handler: InboundHandler): void {
    this.handler = handler;
  }

  send(endpoint: string, packed: string): Promise<string | undefined> {
    return this.sender.send(endpoint, packed);
  }

  async close(): Promise<void> {
    this.handler = undefined;
    await this.app.close();
  }
}

/** The owner's fetch-based request/response transport (owner/http-requester.ts), also for Node callers. */
export { HttpRequester };

/**
 * The device's transport on the Node host: the local HTTP endpoint (the one
 * advertised in its DIDs) plus, when connected, its MQTT inboxes. One
 * handler serves both; a reboot installs the new agent's handler.
 */
export class DeviceLink implements DeviceTransport {
  private handler: InboundHandler | undefined;
  private mqttOff: (() => void) | undefined;
  private mqtt: MqttTransport | undefined;
  private readonly dids = new Set<string>();

  constructor(readonly local: LocalHttpTransport) {
    local.listen((packed) => this.receive(packed));
  }

  get endpoint(): string {
    return this.local.endpoint;
  }

  listen(handler: InboundHandler): void {
    this.handler = handler;
  }

  /** Receives the device's inboxes on `mqtt` (connected to `brokerUrl`). */
  async attachMqtt(mqtt: MqttTransport, brokerUrl: string): Promise<void> {
    this.mqtt = mqtt;
    // inboxes the broker refuses (not registered for this device) are skipped, not fatal
    for (const did of this.dids) await mqtt.addDid(did).catch(() => undefined);
    this.mqttOff = answerOverMqtt(mqtt, brokerUrl, (packed) => this.receive(packed));
  }

  /** Stops using MQTT (the broker is gone); the local endpoint keeps working. */
  detachMqtt(): MqttTransport | undefined {
    const m = this.mqtt;
    this.mqttOff?.();
    this.mqtt = this.mqttOff = undefined;
    return m;
  }

  /** Also receive the MQTT inbox of `did` (the pairing DID at boot, say). */
  async addDid(did: string): Promise<void> {
    if (this.dids.has(did)) return;
    this.dids.add(did);
    if (this.mqtt) await this.mqtt.addDid(did);
  }

  /** Delivers to the agent; the DID a reply is sent from becomes one of this device's inboxes. */
  private async receive(packed: string): Promise<string | undefined> {
    if (!this.handler) return undefined;
    const reply = await this.handler(packed);
    const sender = reply === undefined ? undefined : envelopeParties(reply).sender;
    // best effort: a closed broker refuses inboxes it does not know (a pairwise DID for an owner);
    // the reply still goes back on the transport the message came in on
    if (sender) await this.addDid(sender).catch(() => undefined);
    return reply;
  }

  /** http(s): POST and return the reply; mqtt: publish to the recipients' inboxes (replies arrive on ours). */
  async send(endpoint: string, packed: string): Promise<string | undefined> {
    const scheme = uriScheme(endpoint);
    if (scheme === 'http' || scheme === 'https') return this.local.send(endpoint, packed);
    if (!this.mqtt) throw new DidcommError('didcomm.transport_failed', 'no MQTT connection');
    const { recipients } = envelopeParties(packed);
    for (const did of recipients) await this.mqtt.send({ uri: endpoint, did }, packed);
    return undefined;
  }

  async close(): Promise<void> {
    this.detachMqtt();
    await this.local.close();
  }
}

/**
 * Serves a request/response handler (a device agent, the manufacturer's
 * agent) on `mqtt`'s inboxes: each reply goes to the inboxes of its JWE
 * recipients. Returns the function that stops serving.
 */
export function answerOverMqtt(mqtt: MqttTransport, brokerUrl: string, handler: InboundHandler): () => void {
  return mqtt.onMessage(async (m) => {
    const reply = await handler(utf8Decode(m.data));
    if (reply === undefined) return;
    for (const did of envelopeParties(reply).recipients) await mqtt.send({ uri: brokerUrl, did }, reply);
  });
}

/**
 * Request/response over a broker for the owner or manufacturer side: the
 * envelope goes to its recipient's inbox, the answer is the next message on
 * the sender's inbox (`didcomm.transport_failed` after `timeoutMs`).
 */
export class MqttRequester {
  private readonly waiting = new Map<string, (packed: string) => void>();
  private readonly off: () => void;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly mqtt: MqttTransport,
    private readonly brokerUrl: string,
    private readonly timeoutMs = 15_000,
  ) {
    this.off = mqtt.onMessage((m) => {
      const w = m.address === undefined ? undefined : this.waiting.get(m.address);
      if (w) w(utf8Decode(m.data));
    });
  }

  /** The endpoint URI is not used: MQTT reaches a DID through its inbox on this broker. */
  send(_endpoint: string, packed: string): Promise<string | undefined> {
    const next = this.chain.then(() => this.exchange(packed));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async exchange(packed: string): Promise<string | undefined> {
    const { sender, recipients } = envelopeParties(packed);
    if (!sender || recipients.length === 0) throw new DidcommError('didcomm.invalid_argument', 'request/response over MQTT needs an authcrypt envelope');
    await this.mqtt.addDid(sender);
    const topic = inboxTopic(sender);
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<string>((resolve, reject) => {
      this.waiting.set(topic, resolve);
      timer = setTimeout(() => reject(new DidcommError('didcomm.transport_failed', `no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      for (const did of recipients) await this.mqtt.send({ uri: this.brokerUrl, did }, packed);
      return await reply;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(topic);
    }
  }

  close(): void {
    this.off();
  }
}
