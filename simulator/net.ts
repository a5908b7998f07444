/**
 * A virtual device's radio, whichever engine runs its agent: the
 * DeviceTransport the agent is given (it outlives boots), a DeviceLink with
 * the device's own local HTTP pairing endpoint, and the MQTT connection to
 * the manufacturer's broker signed in with a fresh broker token per
 * connection (MQTT 3.1.1, as tests/manufacturer-service.test.ts does).
 *
 * Faults: network loss closes the local endpoint (connections are refused,
 * as from a device that left the Wi-Fi) and drops MQTT; restore listens
 * again on the same port (the endpoint is in the device's DIDs) and
 * reconnects. Broker loss drops MQTT only, until restored.
 */
import type { DeviceTransport, InboundHandler } from '../device/host.ts';
import { DeviceLink, LocalHttpTransport } from '../hosts/node/device-transports.ts';
import type { DidcommCorsOptions } from '../protocols/didcomm/transports/cors.ts';
import { MqttTransport } from '../hosts/node/transports/mqtt.ts';
import { DidcommError, SsiotError } from '../protocols/errors.ts';

/** Simulator failures (`simulator.<reason>`). */
export class SimulatorError extends SsiotError {
  constructor(code: `simulator.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SimulatorError';
  }
}

export type BrokerState = 'not-provisioned' | 'connecting' | 'connected' | 'offline' | 'lost';

/** Who signs in to the broker: the device DID, its pairing DID's inbox, and a fresh token per connection. */
export interface BrokerIdentity {
  did: string;
  pairingDid: string;
  token(): Promise<string>;
}

export class DeviceNet implements DeviceTransport {
  private handler: InboundHandler | undefined;
  private link: DeviceLink | undefined;
  private mqtt: MqttTransport | undefined;
  private brokerUrl: string | undefined;
  private brokerWanted = true;
  private closed = false;
  /** Inbound messages being handled now (a restart waits for them). */
  inFlight = 0;
  /** False while the device is off: inbound messages are refused. */
  powered = true;
  network: 'up' | 'down' = 'up';
  broker: BrokerState = 'not-provisioned';

  private constructor(
    readonly endpoint: string,
    private readonly host: string,
    private readonly port: number,
    private readonly cors: DidcommCorsOptions | undefined,
    local: LocalHttpTransport,
  ) {
    this.attach(local);
  }

  /** Opens the local HTTP endpoint (before the agent boots: the endpoint goes into its DIDs). */
  static async listen(host = '127.0.0.1', cors?: DidcommCorsOptions): Promise<DeviceNet> {
    const local = await LocalHttpTransport.listen({ host, cors });
    return new DeviceNet(local.endpoint, host, Number(new URL(local.endpoint).port), cors, local);
  }

  private attach(local: LocalHttpTransport): DeviceLink {
    const link = new DeviceLink(local);
    link.listen((packed) => this.inbound(packed));
    this.link = link;
    return link;
  }

  listen(handler: InboundHandler): void {
    this.handler = handler;
  }

  private async inbound(packed: string): Promise<string | undefined> {
    if (!this.powered || !this.handler) throw new SimulatorError('simulator.device_off', 'the device is off');
    this.inFlight++;
    try {
      return await this.handler(packed);
    } finally {
      this.inFlight--;
    }
  }

  send(endpoint: string, packed: string): Promise<string | undefined> {
    if (!this.link) return Promise.reject(new DidcommError('didcomm.transport_failed', 'the device has no network'));
    return this.link.send(endpoint, packed);
  }

  /** Also receive the MQTT inbox of `did` (an owner's pairwise DID); best effort. */
  async addDid(did: string): Promise<void> {
    await this.link?.addDid(did).catch(() => undefined);
  }

  /** Signs in to `brokerUrl` (remembered for reconnects) unless the network or the broker is down. */
  async connectBroker(identity: BrokerIdentity, brokerUrl = this.brokerUrl): Promise<void> {
    this.brokerUrl = brokerUrl;
    if (!brokerUrl || !this.brokerWanted || this.network === 'down' || this.mqtt || this.closed) return;
    this.broker = 'connecting';
    let mqtt: MqttTransport;
    try {
      mqtt = await MqttTransport.connect({
        url: brokerUrl,
        protocolVersion: 4,
        username: identity.did,
        dids: [identity.pairingDid],
        credentials: () => identity.token(),
        connectTimeoutMs: 10_000,
      });
    } catch (e) {
      this.broker = 'offline';
      throw e;
    }
    mqtt.onEvent((e) => {
      if (this.mqtt !== mqtt) return;
      if (e.kind === 'connected') this.broker = 'connected';
      if (e.kind === 'offline') this.broker = 'offline';
    });
    this.mqtt = mqtt;
    this.broker = 'connected';
    await this.link?.attachMqtt(mqtt, brokerUrl);
  }

  private async dropBroker(state: BrokerState): Promise<void> {
    const m = this.mqtt;
    this.mqtt = undefined;
    this.link?.detachMqtt();
    if (m) await m.kill();
    if (this.brokerUrl) this.broker = state;
  }

  async networkLoss(): Promise<void> {
    if (this.network === 'down') return;
    this.network = 'down';
    await this.dropBroker('offline');
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }

  /** Back on the network: the same endpoint, the inboxes of `dids`, a new broker connection. */
  async networkRestore(identity: BrokerIdentity | undefined, dids: string[]): Promise<void> {
    if (this.network === 'up') return;
    const link = this.attach(await LocalHttpTransport.listen({ host: this.host, port: this.port, cors: this.cors }));
    this.network = 'up';
    for (const did of dids) await link.addDid(did).catch(() => undefined);
    if (identity) await this.connectBroker(identity);
  }

  async brokerLoss(): Promise<void> {
    this.brokerWanted = false;
    await this.dropBroker('lost');
  }

  async brokerRestore(identity: BrokerIdentity | undefined): Promise<void> {
    this.brokerWanted = true;
    if (identity) await this.connectBroker(identity);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.dropBroker('offline');
    await this.link?.close();
    this.link = undefined;
  }
}
