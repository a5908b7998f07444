/**
 * The device's DeviceTransport on Moddable (the counterpart of
 * hosts/node/device-transports.ts DeviceLink): the local HTTP endpoint the
 * phone pairs over (the reply in the HTTP response: 200 + body, 202 when
 * the device has nothing to say) plus the MQTT inboxes of its DIDs on the
 * manufacturer's broker (a reply goes to the inboxes of its JWE
 * recipients). The inboxes are those of the pairing DID, the device DIDs
 * added with `addDid`, and every DID the device has answered from.
 *
 * Sockets are not touched here: the MQTT client and the HTTP POST are
 * passed in (platform.ts builds them on ECMA-419 `embedded:network/*`), so
 * this logic runs under Node against fakes.
 */
import { inboxTopic } from '../../protocols/didcomm/transports/mqtt-topics.ts';
import { uriScheme } from '../../protocols/didcomm/transports/types.ts';
import { DidcommError } from '../../protocols/errors.ts';
import type { DeviceTransport, InboundHandler } from '../../device/host.ts';
import { envelopeParties } from '../../protocols/didcomm/transports/envelope-parties.ts';

/** A connected MQTT client as the link uses it (QoS 1 both ways). */
export interface MqttPort {
  subscribe(topic: string): void;
  publish(topic: string, payload: string): void;
}

/** POSTs `packed` as application/didcomm-encrypted+json; resolves to the reply body (undefined on 202 / empty). */
export type HttpPost = (url: string, packed: string) => Promise<string | undefined>;

export class ModdableLink implements DeviceTransport {
  private handler: InboundHandler | undefined;
  private mqtt: MqttPort | undefined;
  private readonly dids = new Set<string>();

  constructor(
    readonly endpoint: string,
    private readonly post: HttpPost,
  ) {}

  listen(handler: InboundHandler): void {
    this.handler = handler;
  }

  /** Use `mqtt` (just connected) for the inboxes; call again after each reconnect. */
  attachMqtt(mqtt: MqttPort): void {
    this.mqtt = mqtt;
    for (const did of this.dids) mqtt.subscribe(inboxTopic(did));
  }

  detachMqtt(): void {
    this.mqtt = undefined;
  }

  get mqttAttached(): boolean {
    return this.mqtt !== undefined;
  }

  /** Also receive the inbox of `did`. */
  addDid(did: string): void {
    if (this.dids.has(did)) return;
    this.dids.add(did);
    this.mqtt?.subscribe(inboxTopic(did));
  }

  /** A POST body from the local HTTP endpoint; the result is the response body. */
  receiveHttp(packed: string): Promise<string | undefined> {
    return this.receive(packed);
  }

  /** A message from one of the MQTT inboxes; the reply goes to its recipients' inboxes. */
  async receiveMqtt(packed: string): Promise<void> {
    const reply = await this.receive(packed);
    if (reply === undefined || !this.mqtt) return;
    for (const did of envelopeParties(reply).recipients) this.mqtt.publish(inboxTopic(did), reply);
  }

  private async receive(packed: string): Promise<string | undefined> {
    if (!this.handler) return undefined;
    const reply = await this.handler(packed);
    const sender = reply === undefined ? undefined : envelopeParties(reply).sender;
    if (sender) this.addDid(sender);
    return reply;
  }

  /** http(s): POST and return the reply; mqtt(s)/ws(s): publish to the recipients' inboxes. */
  async send(endpoint: string, packed: string): Promise<string | undefined> {
    const scheme = uriScheme(endpoint);
    if (scheme === 'http' || scheme === 'https') return this.post(endpoint, packed);
    if (!this.mqtt) throw new DidcommError('didcomm.transport_failed', 'no MQTT connection');
    const { sender, recipients } = envelopeParties(packed);
    if (sender) this.addDid(sender);
    for (const did of recipients) this.mqtt.publish(inboxTopic(did), packed);
    return undefined;
  }
}
