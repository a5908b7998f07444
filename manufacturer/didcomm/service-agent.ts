/**
 * The manufacturer's enterprise agent inside the service: a ManufacturerAgent
 * (manufacturer/agent.ts) with
 * - two DIDs kept in the service wallet (encrypted under the master key):
 *   the device-facing DID, whose DIDComm endpoint is the broker (devices
 *   publish to its inbox), and the owner-facing DID on the service's HTTP
 *   endpoint (owners POST and read the answer in the response);
 * - its relationships and support threads persisted in SQLite after every
 *   change (`agent_state`), so a restart continues them;
 * - a routing `send`: a registered device is reached on its MQTT inbox
 *   through the service's own broker connection (its pairing DID's service
 *   is its local endpoint, out of the service's reach), anyone else at the
 *   endpoint of their DID (HTTP request/response, or MQTT);
 * - firmware status reports handed to the releases module, firmware state
 *   recorded in the device registry.
 */
import type { Database } from 'better-sqlite3';
import { MqttTransport } from '../../hosts/node/transports/mqtt.ts';
import { answerOverMqtt, envelopeParties, HttpRequester } from '../../hosts/node/device-transports.ts';
import { getRecord, putRecord } from '../../device/store.ts';
import type { DidResolver } from '../../protocols/did/types.ts';
import { uriScheme } from '../../protocols/didcomm/transports/types.ts';
import type { Wallet } from '../../protocols/wallet/wallet.ts';
import type { StatusReportMessage } from '../../device/updater/report.ts';
import { generateAgentIdentity, ManufacturerAgent, type AgentIdentity, type ManufacturerAgentOptions, type ManufacturerAgentState } from '../agent.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import type { Broker } from '../broker/index.ts';
import { DeviceRegistryError } from '../devices/registry.ts';
import type { ServiceScope } from '../../protocols/messages/service-auth.ts';

/** What a remote diagnostics request came to. */
export type DiagnosticsOutcome =
  | { status: 'answered'; authorization: string; data: Record<string, unknown> }
  /** The device refused (its problem code: e.g. the owner revoked the authorization on the device). */
  | { status: 'refused'; authorization: string; code: string };

const IDENTITY_RECORD = 'service:agent-identity';

export interface ServiceAgentOptions {
  db: Database;
  /** The service wallet (the identity's): the agent's DID secrets live there. */
  wallet: Wallet;
  registry: DeviceRegistry;
  resolver: DidResolver;
  /** The manufacturer's did:webvh (issuer of device certificates). */
  manufacturerDid: string;
  /** The broker URL devices reach (goes into the device-facing DID; e.g. mqtt://mfr.example:1883). */
  brokerUrl: string;
  /** The URL the service itself connects to (default brokerUrl) and its privileged login. */
  brokerConnectUrl?: string;
  serviceSecret: string;
  /** The public URL of the owner endpoint (POST /didcomm). */
  ownerEndpoint: string;
  /** A verified firmware status report (the releases module records it). */
  onFirmwareStatus?(device: string, report: StatusReportMessage, jws: string): Promise<void> | void;
  approveIntroduction?: ManufacturerAgentOptions['approveIntroduction'];
  now?: () => number;
  /** Starts the broker once the agent's DIDs are known (devices may publish only to their inboxes). */
  beforeConnect?(serviceDids: string[]): Promise<Broker>;
}

/**
 * The agent's DIDs: made once and kept in the wallet. Choice: the DIDs name
 * their endpoints (did:peer:2), so a new broker URL or public URL means new
 * DIDs — then the stored ones are replaced and devices must be told (not yet
 * automated: the device keeps the contact the factory gave it).
 */
async function agentIdentity(wallet: Wallet, role: 'device' | 'owner', endpoint: string): Promise<AgentIdentity> {
  const stored = await getRecord<AgentIdentity & { endpoint: string }>(wallet, IDENTITY_RECORD, role);
  if (stored && stored.endpoint === endpoint) return { did: stored.did, secrets: stored.secrets };
  const made = generateAgentIdentity(endpoint);
  await putRecord(wallet, IDENTITY_RECORD, role, { ...made, endpoint });
  return made;
}

export class ServiceAgent {
  readonly agent: ManufacturerAgent;
  readonly mqtt: MqttTransport;
  /** The broker started by `beforeConnect`, if any. */
  broker: Broker | undefined;
  private readonly http = new HttpRequester();
  private readonly offMqtt: () => void;

  private constructor(
    private readonly o: ServiceAgentOptions,
    agent: ManufacturerAgent,
    mqtt: MqttTransport,
  ) {
    this.agent = agent;
    this.mqtt = mqtt;
    this.offMqtt = answerOverMqtt(mqtt, o.brokerUrl, (packed) => this.receive(packed, 'mqtt'));
  }

  private readonly listeners: ((transport: 'mqtt' | 'http') => void)[] = [];

  /** Observes every inbound envelope (metrics). */
  onMessage(listener: (transport: 'mqtt' | 'http') => void): void {
    this.listeners.push(listener);
  }

  /** One inbound envelope from `transport`; resolves to the packed reply, if any. */
  receive(packed: string, transport: 'mqtt' | 'http'): Promise<string | undefined> {
    for (const l of this.listeners) l(transport);
    return this.agent.receive(packed);
  }

  static async start(o: ServiceAgentOptions): Promise<ServiceAgent> {
    o.db.exec('CREATE TABLE IF NOT EXISTS agent_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL)');
    const save = o.db.prepare('INSERT INTO agent_state (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state');
    let saved: string | undefined;
    const identity = await agentIdentity(o.wallet, 'device', o.brokerUrl);
    const ownerIdentity = await agentIdentity(o.wallet, 'owner', o.ownerEndpoint);
    let self: ServiceAgent | undefined;
    const agent = new ManufacturerAgent({
      endpoint: o.brokerUrl,
      identity,
      ownerIdentity,
      resolver: o.resolver,
      manufacturerDid: o.manufacturerDid,
      now: o.now,
      approveIntroduction: o.approveIntroduction,
      send: (endpoint, packed) => (self as ServiceAgent).send(endpoint, packed),
      onChange: () => {
        const state = JSON.stringify(agent.snapshot());
        if (state === saved) return; // most messages (pings, acks) change nothing
        save.run(state);
        saved = state;
      },
      // warranty registration: the owner proved ownership of a registered device
      onOwnershipProof: (result) => {
        if (result.verified && result.device && result.owner) o.registry.recordWarranty(result.device, result.owner);
      },
      onFirmwareStatus: async (device, report, jws) => {
        const registered = o.registry.byAnyDid(device);
        if (registered) o.registry.recordFirmware(registered.did, { status: report.body.status, sequence: report.body.sequence });
        await o.onFirmwareStatus?.(device, report, jws);
      },
    });
    const row = o.db.prepare('SELECT state FROM agent_state WHERE id = 1').get() as { state: string } | undefined;
    if (row) {
      agent.restore(JSON.parse(row.state) as ManufacturerAgentState);
      saved = row.state;
    }
    // devices answer requests from either agent DID (diagnostics come from the DID the owner's VC names)
    const broker = await o.beforeConnect?.([agent.did, agent.ownerDid]);
    const mqtt = await MqttTransport.connect({
      url: o.brokerConnectUrl ?? o.brokerUrl,
      brokerAliases: [o.brokerUrl],
      protocolVersion: 4, // aedes 1.x speaks MQTT 3.1.1
      username: 'service',
      password: o.serviceSecret,
      clientId: 'ssiot-service',
      dids: [agent.did, agent.ownerDid],
    });
    self = new ServiceAgent(o, agent, mqtt);
    self.broker = broker;
    return self;
  }

  /** Devices on their inbox (through our broker), others at their endpoint. */
  async send(endpoint: string, packed: string): Promise<string | undefined> {
    const { recipients } = envelopeParties(packed);
    const toDevice = recipients.some((did) => this.o.registry.byAnyDid(did) !== undefined);
    const scheme = uriScheme(endpoint);
    if (!toDevice && (scheme === 'http' || scheme === 'https')) return this.http.send(endpoint, packed);
    for (const did of recipients) await this.mqtt.send({ uri: this.o.brokerUrl, did }, packed);
    return undefined;
  }

  /**
   * Remote diagnostics of a registered device (its did:key) under the
   * newest active service authorization its owner handed over: the request
   * goes over the broker; the answer is awaited up to `timeoutMs`.
   * Errors: `device.not_found`, `device.no_authorization`, `device.no_answer`.
   */
  async diagnostics(deviceDid: string, scope?: ServiceScope[], timeoutMs = 15_000): Promise<DiagnosticsOutcome> {
    const device = this.o.registry.get(deviceDid);
    if (!device) throw new DeviceRegistryError('device.not_found', 'no such device');
    const now = (this.o.now ?? Date.now)();
    const held = [...this.agent.authorizations.values()]
      .filter((a) => a.device === deviceDid && !a.revoked && Date.parse(a.validUntil) > now)
      .sort((a, b) => Date.parse(b.validUntil) - Date.parse(a.validUntil))[0];
    if (!held) throw new DeviceRegistryError('device.no_authorization', "the device's owner has not authorized diagnostics (or the authorization expired or was withdrawn)");
    const asked = scope ?? held.scope;
    const { thid, reply } = await this.agent.sendDiagnosticsRequest(device.pairingDid, asked, held.credential);
    const outcome = (): DiagnosticsOutcome | undefined => {
      if (reply) return reply.type.endsWith('/problem-report') ? { status: 'refused', authorization: held.id, code: String(reply.body.code) } : { status: 'answered', authorization: held.id, data: reply.body };
      const answer = this.agent.diagnostics.find((d) => d.thid === thid);
      if (answer) return { status: 'answered', authorization: held.id, data: answer.body };
      const problem = this.agent.problems.find((p) => p.thid === thid);
      if (problem) return { status: 'refused', authorization: held.id, code: problem.code };
      return undefined;
    };
    const end = Date.now() + timeoutMs;
    for (;;) {
      const o = outcome();
      if (o) return o;
      if (Date.now() > end) throw new DeviceRegistryError('device.no_answer', 'the device did not answer the diagnostics request in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    this.offMqtt();
    await this.mqtt.close();
  }
}
