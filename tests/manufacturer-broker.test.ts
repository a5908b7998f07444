/**
 * The manufacturer's broker over real sockets (TCP and WebSocket) with
 * mqtt.js 5 speaking MQTT 3.1.1: device token authentication, the topic
 * ACL, and that a device cannot read another's messages.
 *
 * "Receives nothing" is proved without timing: after the message the
 * device must not get, a marker is published that it may get; the broker
 * delivers one publisher's messages to a subscriber in order, so once the
 * marker is in, anything published before it would have been too.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { installCrypto, getCrypto } from '../protocols/crypto/index.ts';
import { createDidKey } from '../protocols/did/key.ts';
import { createBrokerToken } from '../protocols/didcomm/transports/mqtt-auth.ts';
import { announceTopic, clientIdFor, inboxTopic } from '../protocols/didcomm/transports/mqtt-topics.ts';
import { startBroker, type Broker, type DeviceRecord } from '../manufacturer/broker/index.ts';

installCrypto(nodeCrypto);

const SECRET = 'service-secret-for-tests-0123456789';
const service = createDidKey({ seed: new Uint8Array(32).fill(99) });
const AUD = service.did;

interface TestDevice {
  did: string;
  sign: (b: Uint8Array) => Uint8Array;
}

function device(fill: number): TestDevice {
  const seed = new Uint8Array(32).fill(fill);
  return { did: createDidKey({ seed }).did, sign: (b) => getCrypto().ed25519Sign(b, seed) };
}

const A = device(1); // acme/grinder-x1
const B = device(2); // acme/kettle-k2
const U = device(3); // never registered
const aPair = createDidKey({ seed: new Uint8Array(32).fill(11) }).did; // A's pairwise DID with the service
const bLater = createDidKey({ seed: new Uint8Array(32).fill(12) }).did; // registered for B while it is connected

const registry = new Map<string, DeviceRecord>([
  [A.did, { inboxDids: [aPair], vendor: 'acme', deviceClass: 'grinder-x1' }],
  [B.did, { inboxDids: [], vendor: 'acme', deviceClass: 'kettle-k2' }],
]);
let lookups = 0;

let broker: Broker;
const deviceEvents: { did: string; connected: boolean }[] = [];
const open: MqttClient[] = [];

beforeAll(async () => {
  broker = await startBroker({
    audience: AUD,
    serviceDids: [service.did],
    serviceSecret: SECRET,
    devices: {
      async lookup(did) {
        lookups++;
        return registry.get(did);
      },
    },
    onDevice: (e) => deviceEvents.push(e),
  });
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
  await broker?.close();
});

function connect(url: string, o: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clean: true, ...o });
    open.push(c);
    c.once('connect', () => {
      c.removeAllListeners('error');
      c.on('error', () => undefined);
      resolve(c);
    });
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

const token = (d: TestDevice, extra: { now?: number; audience?: string; sign?: TestDevice['sign']; did?: string } = {}): Promise<string> =>
  createBrokerToken({ did: extra.did ?? d.did, sign: extra.sign ?? d.sign, audience: extra.audience ?? AUD, now: extra.now ?? Date.now() });

async function connectDevice(d: TestDevice, o: IClientOptions & { url?: string } = {}): Promise<MqttClient> {
  return connect(o.url ?? broker.tcpUrl, { username: d.did, password: await token(d), clientId: clientIdFor(d.did), ...o });
}

const connectService = (clientId = 'ssiot-service-test'): Promise<MqttClient> => connect(broker.tcpUrl, { username: 'service', password: SECRET, clientId });

/** Resolves with the CONNACK refusal code (5 = not authorized), fails if the connection is accepted. */
async function refusedCode(url: string, o: IClientOptions): Promise<number> {
  try {
    await connect(url, o);
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  }
  throw new Error('connection was accepted');
}

/** Messages a client receives, and a way to wait for one. */
function inbox(c: MqttClient): { got: { topic: string; payload: string }[]; waitFor(payload: string): Promise<void> } {
  const got: { topic: string; payload: string }[] = [];
  const waiters: { payload: string; resolve: () => void }[] = [];
  c.on('message', (topic, payload) => {
    got.push({ topic, payload: payload.toString() });
    for (const w of waiters.filter((x) => x.payload === payload.toString())) w.resolve();
  });
  return {
    got,
    waitFor: (payload) => (got.some((m) => m.payload === payload) ? Promise.resolve() : new Promise((resolve) => waiters.push({ payload, resolve }))),
  };
}

/** SUBACK granted QoS for one topic: 0-2, or 128 when refused. */
async function subscribeResult(c: MqttClient, topic: string | string[]): Promise<number> {
  try {
    const granted = await c.subscribeAsync(topic, { qos: 1 });
    return Math.max(...granted.map((g) => g.qos));
  } catch (e) {
    // mqtt.js 5 rejects when any topic is refused; the SUBACK is on the error
    const granted = (e as { packet?: { granted?: number[] } }).packet?.granted;
    return granted ? Math.max(...granted) : -1;
  }
}

/** Waits (polling, up to 5 s) until `cond` holds: for the broker's side of a disconnect, which the client does not wait for. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

const closed = (c: MqttClient): Promise<void> => new Promise((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));

describe('manufacturer broker: device authentication', () => {
  it('a registered device connects with its token over TCP and over WebSocket', async () => {
    const before = broker.stats();
    expect(broker.tcpUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(broker.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    const tcp = await connectDevice(A);
    // a second connection of the same device, under the client id of its pairwise DID, over WebSocket
    const ws = await connectDevice(A, { url: broker.wsUrl, clientId: clientIdFor(aPair) });
    expect(tcp.connected && ws.connected).toBe(true);
    const s = broker.stats();
    expect(s.devicesConnected - before.devicesConnected).toBe(2);
    expect(s.connectionsAccepted - before.connectionsAccepted).toBe(2);
    expect(broker.connectedDevices()).toContain(A.did);
    expect(deviceEvents).toContainEqual({ did: A.did, connected: true });
    // the device can use the WebSocket connection: its inbox, from the service
    const svc = await connectService();
    const wsInbox = inbox(ws);
    expect(await subscribeResult(ws, inboxTopic(A.did))).toBe(1);
    await svc.publishAsync(inboxTopic(A.did), 'hello over ws', { qos: 1 });
    await wsInbox.waitFor('hello over ws');
    await Promise.all([tcp.endAsync(), ws.endAsync(), svc.endAsync()]);
    await until(() => broker.stats().devicesConnected === before.devicesConnected);
    expect(broker.stats().devicesConnected).toBe(before.devicesConnected);
    expect(deviceEvents).toContainEqual({ did: A.did, connected: false });
  });

  it('refuses bad, expired, replayed, wrong-audience and other-key tokens, each for its reason', async () => {
    const url = broker.tcpUrl;
    const asA = { username: A.did, clientId: clientIdFor(A.did) };
    const cases: [string, () => Promise<IClientOptions>][] = [
      ['broker.invalid_token', async () => ({ ...asA, password: 'not-a-token' })],
      ['broker.invalid_token', async () => ({ ...asA, password: 'x'.repeat(5000) })],
      ['broker.invalid_token', async () => ({ ...asA })], // no password
      ['broker.expired', async () => ({ ...asA, password: await token(A, { now: Date.now() - 20 * 60_000 }) })],
      ['broker.not_yet_valid', async () => ({ ...asA, password: await token(A, { now: Date.now() + 20 * 60_000 }) })],
      ['broker.wrong_audience', async () => ({ ...asA, password: await token(A, { audience: 'did:web:other-maker.example' }) })],
      // iss = A, signed by B's key
      ['broker.bad_signature', async () => ({ ...asA, password: await token(A, { sign: B.sign }) })],
      // B's own valid token, presented as A
      ['broker.username_mismatch', async () => ({ ...asA, password: await token(B) })],
      // A's valid token under B's client id (would take over B's session)
      ['broker.client_id_mismatch', async () => ({ ...asA, clientId: clientIdFor(B.did), password: await token(A) })],
      ['broker.client_id_mismatch', async () => ({ ...asA, clientId: '', password: await token(A) })],
    ];
    for (const [code, make] of cases) {
      const before = broker.stats().refusedByReason[code] ?? 0;
      expect(await refusedCode(url, await make()), code).toBe(5);
      expect(broker.stats().refusedByReason[code], code).toBe(before + 1);
    }
    // the WebSocket door refuses the same way
    const before = broker.stats().refusedByReason['broker.bad_signature'] ?? 0;
    expect(await refusedCode(broker.wsUrl, { ...asA, password: await token(A, { sign: B.sign }) })).toBe(5);
    expect(broker.stats().refusedByReason['broker.bad_signature']).toBe(before + 1);
  });

  it('a token is accepted once: replaying it (even after a clean disconnect) is refused', async () => {
    const password = await token(A);
    const c = await connect(broker.tcpUrl, { username: A.did, password, clientId: clientIdFor(A.did) });
    await c.endAsync();
    const before = broker.stats().refusedByReason['broker.replayed'] ?? 0;
    expect(await refusedCode(broker.tcpUrl, { username: A.did, password, clientId: clientIdFor(A.did) })).toBe(5);
    expect(broker.stats().refusedByReason['broker.replayed']).toBe(before + 1);
    expect(broker.stats().replayCacheEntries).toBeGreaterThan(0);
    // a fresh token works
    const again = await connectDevice(A);
    await again.endAsync();
  });

  it('a device that mints a fresh token for each CONNECT reconnects (mqtt.js: password set on "reconnect")', async () => {
    const c = mqtt.connect(broker.tcpUrl, { protocolVersion: 4, reconnectPeriod: 50, connectTimeout: 5000, username: A.did, password: await token(A), clientId: clientIdFor(A.did) });
    open.push(c);
    let nextToken = token(A);
    let connects = 0;
    let pending: string | undefined;
    void nextToken.then((t) => (pending = t));
    c.on('reconnect', () => {
      if (pending) c.options.password = pending;
      pending = undefined;
      nextToken = token(A);
      void nextToken.then((t) => (pending = t));
    });
    const second = new Promise<void>((resolve) =>
      c.on('connect', () => {
        if (++connects === 1) broker.disconnect(A.did);
        else resolve();
      }),
    );
    await second;
    expect(connects).toBe(2);
    await c.endAsync();
  });

  it('refuses an unregistered device, strangers and a wrong service secret', async () => {
    const before = broker.stats();
    const lookupsBefore = lookups;
    expect(await refusedCode(broker.tcpUrl, { username: U.did, password: await token(U), clientId: clientIdFor(U.did) })).toBe(5);
    expect(lookups).toBe(lookupsBefore + 1);
    expect(await refusedCode(broker.tcpUrl, {})).toBe(5);
    expect(await refusedCode(broker.tcpUrl, { username: 'admin', password: 'admin' })).toBe(5);
    expect(await refusedCode(broker.tcpUrl, { username: 'service', password: 'wrong-secret-wrong-secret' })).toBe(5);
    expect(await refusedCode(broker.wsUrl, { username: 'service', password: SECRET.slice(0, -1) })).toBe(5);
    const after = broker.stats();
    expect(after.refusedByReason['broker.unknown_device']).toBe((before.refusedByReason['broker.unknown_device'] ?? 0) + 1);
    expect(after.refusedByReason['broker.not_authorized']).toBe((before.refusedByReason['broker.not_authorized'] ?? 0) + 4);
    expect(after.connectionsAccepted).toBe(before.connectionsAccepted);
  });
});

describe('manufacturer broker: topic ACL', () => {
  it("a device cannot subscribe to another device's inbox and cannot read its messages", async () => {
    const svc = await connectService();
    const a = await connectDevice(A);
    const b = await connectDevice(B);
    const aIn = inbox(a);
    const bIn = inbox(b);
    expect(await subscribeResult(a, inboxTopic(A.did))).toBe(1);
    expect(await subscribeResult(b, inboxTopic(B.did))).toBe(1);
    const refusedBefore = broker.stats().subscriptionsRefused;
    // B tries A's inbox, wildcards over every inbox, and everything
    expect(await subscribeResult(b, inboxTopic(A.did))).toBe(128);
    expect(await subscribeResult(b, inboxTopic(aPair))).toBe(128);
    expect(await subscribeResult(b, 'ssiot/v1/inbox/+')).toBe(128);
    expect(await subscribeResult(b, 'ssiot/v1/#')).toBe(128);
    expect(await subscribeResult(b, '#')).toBe(128);
    expect(await subscribeResult(b, '$SYS/#')).toBe(128);
    expect(broker.stats().subscriptionsRefused).toBe(refusedBefore + 6);
    // the service writes to A; then a marker to B
    await svc.publishAsync(inboxTopic(A.did), 'secret for A', { qos: 1 });
    await svc.publishAsync(inboxTopic(B.did), 'marker for B', { qos: 1 });
    await aIn.waitFor('secret for A');
    await bIn.waitFor('marker for B');
    expect(bIn.got).toEqual([{ topic: inboxTopic(B.did), payload: 'marker for B' }]);
    expect(aIn.got).toEqual([{ topic: inboxTopic(A.did), payload: 'secret for A' }]);
    await Promise.all([svc.endAsync(), a.endAsync(), b.endAsync()]);
  });

  it('a persistent session keeps nothing it was refused (aedes stores a SUBSCRIBE packet whole)', async () => {
    // B subscribes to its own inbox and to A's in ONE packet, in a persistent session
    const b1 = await connectDevice(B, { clean: false });
    expect(await subscribeResult(b1, [inboxTopic(B.did), inboxTopic(A.did)])).toBe(128);
    await b1.endAsync();
    const b2 = await connectDevice(B, { clean: false });
    const bIn = inbox(b2);
    const svc = await connectService();
    await svc.publishAsync(inboxTopic(A.did), 'secret for A again', { qos: 1 });
    await svc.publishAsync(inboxTopic(B.did), 'marker for B again', { qos: 1 });
    await bIn.waitFor('marker for B again');
    expect(bIn.got.map((m) => m.payload)).toEqual(['marker for B again']);
    await Promise.all([svc.endAsync(), b2.endAsync()]);
  });

  it("a device cannot publish to another device's inbox (its connection is closed); it can publish to the service's inbox", async () => {
    const svc = await connectService();
    const svcIn = inbox(svc);
    expect(await subscribeResult(svc, inboxTopic(service.did))).toBe(1);
    const a = await connectDevice(A);
    const b = await connectDevice(B);
    const bIn = inbox(b);
    expect(await subscribeResult(b, inboxTopic(B.did))).toBe(1);
    await a.publishAsync(inboxTopic(service.did), 'report from A', { qos: 1 });
    await svcIn.waitFor('report from A');
    const refusedBefore = broker.stats().publishesRefused;
    const aClosed = closed(a);
    a.publish(inboxTopic(B.did), 'forged for B', { qos: 0 });
    await aClosed;
    expect(broker.stats().publishesRefused).toBe(refusedBefore + 1);
    // retained publishes and other roots are refused too
    for (const [topic, retain] of [
      [inboxTopic(service.did), true],
      ['other/topic', false],
      [announceTopic('acme', 'kettle-k2'), false],
    ] as const) {
      const a2 = await connectDevice(A);
      const c = closed(a2);
      a2.publish(topic, 'nope', { qos: 0, retain });
      await c;
    }
    expect(broker.stats().publishesRefused).toBe(refusedBefore + 4);
    // nor through a last will: it is checked like a PUBLISH when the broker would send it
    const willer = await connectDevice(A, { will: { topic: inboxTopic(B.did), payload: Buffer.from('will for B'), qos: 0, retain: false } });
    const wc = closed(willer);
    willer.stream.destroy(); // an abrupt loss of connection fires the will
    await wc;
    await until(() => broker.stats().publishesRefused > refusedBefore + 4);
    expect(broker.stats().publishesRefused).toBe(refusedBefore + 5);
    await svc.publishAsync(inboxTopic(B.did), 'marker', { qos: 1 });
    await bIn.waitFor('marker');
    expect(bIn.got.map((m) => m.payload)).toEqual(['marker']);
    expect(svcIn.got.map((m) => m.payload)).toEqual(['report from A']);
    await Promise.all([svc.endAsync(), b.endAsync()]);
  });

  it("a device receives its class's announcements and not another class's", async () => {
    const svc = await connectService();
    const a = await connectDevice(A);
    const aIn = inbox(a);
    expect(await subscribeResult(a, announceTopic('acme', 'grinder-x1'))).toBe(1);
    expect(await subscribeResult(a, announceTopic('acme', 'kettle-k2'))).toBe(128);
    expect(await subscribeResult(a, 'ssiot/v1/announce/acme/+')).toBe(128);
    await svc.publishAsync(announceTopic('acme', 'kettle-k2'), 'kettle release', { qos: 1 });
    await svc.publishAsync(announceTopic('acme', 'grinder-x1'), 'grinder release', { qos: 1 });
    await aIn.waitFor('grinder release');
    expect(aIn.got).toEqual([{ topic: announceTopic('acme', 'grinder-x1'), payload: 'grinder release' }]);
    await Promise.all([svc.endAsync(), a.endAsync()]);
  });

  it('the service publishes and subscribes anywhere under ssiot/v1/, nowhere else', async () => {
    const svc = await connectService();
    expect(await subscribeResult(svc, 'ssiot/v1/#')).toBe(1);
    expect(await subscribeResult(svc, '$SYS/#')).toBe(128);
    expect(await subscribeResult(svc, '#')).toBe(128);
    const a = await connectDevice(A);
    const aIn = inbox(a);
    expect(await subscribeResult(a, inboxTopic(aPair))).toBe(1);
    await svc.publishAsync(inboxTopic(aPair), 'to the pairwise DID', { qos: 1 });
    await aIn.waitFor('to the pairwise DID');
    const c = closed(svc);
    svc.publish('elsewhere/topic', 'x', { qos: 0 });
    await c;
    const stats = broker.stats();
    expect(stats.messagesIn).toBeGreaterThan(0);
    expect(stats.messagesDelivered).toBeGreaterThan(0);
    await a.endAsync();
  });

  it('a DID registered while the device is connected becomes subscribable, and unreadable again once dropped; disconnect(did)', async () => {
    const saved = registry.get(B.did) as DeviceRecord;
    const svc = await connectService();
    const b = await connectDevice(B);
    const bIn = inbox(b);
    expect(await subscribeResult(b, inboxTopic(B.did))).toBe(1);
    expect(await subscribeResult(b, inboxTopic(bLater))).toBe(128);
    registry.set(B.did, { ...saved, inboxDids: [bLater] });
    await new Promise((r) => setTimeout(r, 1100)); // registry re-reads are limited to one a second per connection
    expect(await subscribeResult(b, inboxTopic(bLater))).toBe(1);
    await svc.publishAsync(inboxTopic(bLater), 'to the new DID', { qos: 1 });
    await bIn.waitFor('to the new DID');
    // the registry drops the DID; the next re-read (here: a refused SUBSCRIBE) makes the granted subscription deliver nothing
    registry.set(B.did, saved);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await subscribeResult(b, inboxTopic(A.did))).toBe(128);
    const withheld = broker.stats().deliveriesWithheld;
    await svc.publishAsync(inboxTopic(bLater), 'after the drop', { qos: 1 });
    await svc.publishAsync(inboxTopic(B.did), 'marker after the drop', { qos: 1 });
    await bIn.waitFor('marker after the drop');
    expect(bIn.got.map((m) => m.payload)).toEqual(['to the new DID', 'marker after the drop']);
    expect(broker.stats().deliveriesWithheld).toBe(withheld + 1);
    await svc.endAsync();
    const c = closed(b);
    expect(broker.disconnect(B.did)).toBe(1);
    await c;
    expect(broker.disconnect(B.did)).toBe(0);
  });

  it('a device the registry dropped is disconnected at its next refused subscription', async () => {
    const saved = registry.get(B.did) as DeviceRecord;
    const b = await connectDevice(B);
    registry.delete(B.did);
    await new Promise((r) => setTimeout(r, 1100));
    const c = closed(b);
    b.subscribe(inboxTopic(A.did));
    await c;
    expect(b.connected).toBe(false);
    registry.set(B.did, saved);
  });
});

describe('manufacturer broker: options', () => {
  it('refuses a short service secret, no service DIDs, and a skew beyond an hour', async () => {
    const devices = { lookup: async () => undefined };
    const base = { audience: AUD, serviceDids: [service.did], serviceSecret: SECRET, devices };
    for (const bad of [{ serviceSecret: 'short' }, { serviceDids: [] }, { serviceDids: ['not-a-did'] }, { maxSkewSeconds: 3601 }, { tcpPort: 70000 }]) {
      await expect(startBroker({ ...base, ...bad })).rejects.toThrow();
      try {
        await startBroker({ ...base, ...bad });
      } catch (e) {
        expect((e as { code?: string }).code).toBe('broker.invalid_argument');
      }
    }
  });
});
