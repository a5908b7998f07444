/**
 * The broker's topic ACL: who may subscribe, publish and receive what.
 * Pure decisions over a connection's principal, no aedes in here, so the
 * rules read as a table (docs/protocols.md, "Manufacturer broker: device
 * authentication and topic ACL"):
 *
 * | principal | SUBSCRIBE | PUBLISH | receives |
 * |---|---|---|---|
 * | device  | exactly the inbox topic of its device DID or of a DID the registry lists for it; exactly `announceTopic(vendor, class)` of its class; no wildcards | exactly a service inbox topic, retain off, payload ≤ maxPublishBytes | only what it may subscribe to |
 * | service | any filter under `ssiot/v1/` | any topic under `ssiot/v1/` | anything it subscribed to |
 *
 * `$SYS/...` and every other root are closed to everyone.
 */
import { announceTopic, clientIdFor, inboxTopic, TOPIC_ROOT } from '../../protocols/didcomm/transports/mqtt-topics.ts';

/** What the device registry says about a device (the broker's only source of truth about devices). */
export interface DeviceRecord {
  /** DIDs whose inboxes the device may read, besides its device DID (its pairwise DIDs with the service). */
  inboxDids: string[];
  vendor: string;
  deviceClass: string;
}

/** The device registry as the broker sees it: registered devices only (undefined = unknown). */
export interface DeviceDirectory {
  lookup(did: string): Promise<DeviceRecord | undefined>;
}

/** A connected device: its DID and the topics it may read, from the registry. */
export interface DevicePrincipal {
  kind: 'device';
  did: string;
  vendor: string;
  deviceClass: string;
  /** Exact topics the device may subscribe to and receive from. */
  readable: Set<string>;
  /** MQTT client ids the device may use: clientIdFor() of each of its DIDs. */
  clientIds: Set<string>;
}

export interface ServicePrincipal {
  kind: 'service';
}

export type Principal = DevicePrincipal | ServicePrincipal;

const UNDER_ROOT = `${TOPIC_ROOT}/`;

/** `fn(x)`, or undefined when it throws (registry data that does not make a topic grants nothing). */
function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * A device's principal from its registry record. A DID in `inboxDids` that
 * is not a DID, or a vendor/class that is not a valid topic level, grants
 * nothing (it cannot be addressed on this broker anyway).
 */
export function devicePrincipal(did: string, record: DeviceRecord): DevicePrincipal {
  const readable = new Set<string>();
  const clientIds = new Set<string>();
  const dids = [did, ...(Array.isArray(record.inboxDids) ? record.inboxDids : [])];
  for (const d of dids) {
    const topic = attempt(() => inboxTopic(d));
    if (topic === undefined) continue;
    readable.add(topic);
    clientIds.add(clientIdFor(d));
  }
  const announce = attempt(() => announceTopic(record.vendor, record.deviceClass));
  if (announce !== undefined) readable.add(announce);
  return { kind: 'device', did, vendor: record.vendor, deviceClass: record.deviceClass, readable, clientIds };
}

/** The service's inbox topics: where devices may publish. */
export function serviceInboxes(serviceDids: readonly string[]): Set<string> {
  return new Set(serviceDids.map((d) => inboxTopic(d)));
}

/** May `p` subscribe to `filter`? Devices: exact topics only (a wildcard never matches the set). */
export function maySubscribe(p: Principal, filter: string): boolean {
  if (p.kind === 'service') return filter.startsWith(UNDER_ROOT);
  return p.readable.has(filter);
}

export interface PublishCheck {
  topic: string;
  retain: boolean;
  payloadBytes: number;
}

/** May `p` publish this message? Devices: to a service inbox only, not retained, at most `maxPublishBytes`. */
export function mayPublish(p: Principal, m: PublishCheck, inboxes: ReadonlySet<string>, maxPublishBytes: number): boolean {
  if (p.kind === 'service') return m.topic.startsWith(UNDER_ROOT);
  return inboxes.has(m.topic) && !m.retain && m.payloadBytes <= maxPublishBytes;
}

/**
 * May `p` be sent a message published on `topic`? The same rule as
 * subscribing, checked again at delivery: a subscription restored from a
 * persistent session, or one granted before the registry dropped a DID,
 * delivers nothing the device may not read now.
 */
export function mayReceive(p: Principal, topic: string): boolean {
  if (p.kind === 'service') return topic.startsWith(UNDER_ROOT);
  return p.readable.has(topic);
}
