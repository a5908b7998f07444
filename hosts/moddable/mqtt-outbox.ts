/**
 * What the device sends to the broker, written as the socket takes it.
 *
 * The SDK's ECMA-419 MQTT client (examples/io/tcp/mqttclient) writes a
 * control packet only when it fits in the socket's writable space, else it
 * throws `overflow`; a PUBLISH may be sent in fragments (`byteLength` the
 * whole payload, then plain `write(chunk)` calls until it is complete), and
 * no other packet may be written in between. A DIDComm envelope (an
 * introduction, a firmware report) is several KB, more than a socket takes
 * at once, so every packet goes through this queue: the first fragment with
 * the header, the rest as the client reports space (`onWritable`), then the
 * next packet. Subscriptions queue behind publications, in order.
 *
 * No Moddable import: the client is passed in, so the logic runs under Node
 * against a fake with the same rules (tests/moddable-mqtt-outbox.test.ts).
 */
import { utf8Encode } from '../../protocols/encoding/bytes.ts';
import { DidcommError } from '../../protocols/errors.ts';

/** The MQTTClient members used here; write() returns the bytes writable after it. */
export interface MqttWriter {
  write(data: ArrayBuffer | undefined, options?: Record<string, unknown>): number;
}

/** MQTTClient.SUBSCRIBE (the operation code of an MQTT 3.1.1 SUBSCRIBE packet). */
const SUBSCRIBE = 8;

/** Fixed header (1) + remaining length (at most 4) + topic length (2) + packet id (2). */
const PUBLISH_OVERHEAD = 9;
const SUBSCRIBE_OVERHEAD = 1 + 4 + 2 + 2 + 1;

/** Bytes that may wait in the queue (the device's DEVICE_MAX_RECEIVE_BYTES-sized envelopes, a few at a time). */
export const MAX_QUEUED_BYTES = 256 * 1024;

type Packet = { kind: 'subscribe'; topic: string; size: number } | { kind: 'publish'; topic: string; size: number; bytes: Uint8Array; sent: number };

export class MqttOutbox {
  private readonly packets: Packet[] = [];
  private queued = 0;
  private writable = 0;

  constructor(
    private readonly client: MqttWriter,
    private readonly nextId: () => number,
  ) {}

  /** Bytes waiting to be written (for the heap-conscious caller and the tests). */
  get pendingBytes(): number {
    return this.queued;
  }

  subscribe(topic: string): void {
    this.enqueue({ kind: 'subscribe', topic, size: utf8Encode(topic).length + SUBSCRIBE_OVERHEAD });
  }

  /** Queues a QoS 1 PUBLISH; throws `didcomm.transport_failed` when the queue is full (nothing is queued then). */
  publish(topic: string, payload: string): void {
    const bytes = utf8Encode(payload);
    this.enqueue({ kind: 'publish', topic, size: bytes.length, bytes, sent: 0 });
  }

  /** The client's onWritable: `count` bytes may be written now. */
  onWritable(count: number): void {
    this.writable = count;
    this.pump();
  }

  private enqueue(packet: Packet): void {
    if (this.queued + packet.size > MAX_QUEUED_BYTES) throw new DidcommError('didcomm.transport_failed', `MQTT send queue full (${this.queued} bytes waiting)`);
    this.packets.push(packet);
    this.queued += packet.size;
    this.pump();
  }

  private pump(): void {
    while (this.packets.length > 0) {
      const p = this.packets[0]!;
      if (p.kind === 'subscribe') {
        if (this.writable < p.size) return;
        this.writable = this.client.write(undefined, { operation: SUBSCRIBE, id: this.nextId(), items: [{ topic: p.topic, QoS: 1 }] });
      } else if (p.sent === 0) {
        // the header and as much payload as fits; an empty payload goes whole
        const room = this.writable - PUBLISH_OVERHEAD - utf8Encode(p.topic).length;
        if (room < Math.min(1, p.bytes.length)) return;
        const n = Math.min(p.bytes.length, room);
        this.writable = this.client.write(slice(p.bytes, 0, n), { topic: p.topic, QoS: 1, id: this.nextId(), byteLength: p.bytes.length });
        p.sent = n;
        if (p.sent < p.bytes.length) continue;
      } else {
        if (this.writable <= 0) return;
        const n = Math.min(p.bytes.length - p.sent, this.writable);
        this.writable = this.client.write(slice(p.bytes, p.sent, p.sent + n));
        p.sent += n;
        if (p.sent < p.bytes.length) continue;
      }
      this.packets.shift();
      this.queued -= p.size;
    }
  }
}

const slice = (bytes: Uint8Array, from: number, to: number): ArrayBuffer => bytes.slice(from, to).buffer as ArrayBuffer;
