/**
 * The firmware's MQTT send queue (hosts/moddable/mqtt-outbox.ts) against a
 * fake of the SDK's ECMA-419 MQTT client that keeps its rules: a packet's
 * first write must fit the socket's space (else `overflow`), a PUBLISH may
 * continue in fragments, and nothing else may be written until it is done.
 */
import { describe, expect, it } from 'vitest';
import { utf8Decode } from '../protocols/encoding/bytes.ts';
import { MAX_QUEUED_BYTES, MqttOutbox, type MqttWriter } from '../hosts/moddable/mqtt-outbox.ts';
import { expectCode } from './support/assert.ts';

const OVERHEAD = 8; // the client reports the socket's space less 8

/** The SDK client's write rules, with a socket of `space` bytes per turn. */
class FakeClient implements MqttWriter {
  readonly sent: { op: 'publish' | 'subscribe'; topic: string; id: number; payload?: string }[] = [];
  private raw = 0;
  private current: { topic: string; id: number; remaining: number; parts: Uint8Array[] } | undefined;
  writes = 0;

  /** A new turn: the socket drained, `space` bytes free; returns what onWritable would be given. */
  turn(space: number): number {
    this.raw = space;
    return space - OVERHEAD;
  }

  write(data: ArrayBuffer | undefined, options?: Record<string, unknown>): number {
    this.writes++;
    if (this.current) {
      if (options || !data || data.byteLength > this.current.remaining) throw new Error('publishing: a fragment only');
      if (data.byteLength > this.raw) throw new Error('socket overflow');
      this.raw -= data.byteLength;
      this.current.parts.push(new Uint8Array(data));
      this.current.remaining -= data.byteLength;
      if (this.current.remaining === 0) this.finish();
      return Math.max(0, this.raw - OVERHEAD);
    }
    if (!options) throw new Error('connected: options required');
    if (options.operation === 8) {
      const items = options.items as { topic: string }[];
      const length = 1 + 1 + 2 + 2 + items[0]!.topic.length + 1;
      if (length > this.raw) throw new Error('overflow');
      this.raw -= length;
      this.sent.push({ op: 'subscribe', topic: items[0]!.topic, id: options.id as number });
      return Math.max(0, this.raw - OVERHEAD);
    }
    const topic = options.topic as string;
    const byteLength = options.byteLength as number;
    const first = data ? data.byteLength : 0;
    const length = 1 + (byteLength + topic.length + 4 > 127 ? 2 : 1) + 2 + topic.length + 2 + first;
    if (length > this.raw) throw new Error('overflow');
    this.raw -= length;
    this.current = { topic, id: options.id as number, remaining: byteLength - first, parts: data ? [new Uint8Array(data)] : [] };
    if (this.current.remaining === 0) this.finish();
    return Math.max(0, this.raw - OVERHEAD);
  }

  private finish(): void {
    const c = this.current!;
    const all = new Uint8Array(c.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of c.parts) {
      all.set(p, at);
      at += p.length;
    }
    this.sent.push({ op: 'publish', topic: c.topic, id: c.id, payload: utf8Decode(all) });
    this.current = undefined;
  }
}

function setup() {
  const client = new FakeClient();
  let id = 0;
  const outbox = new MqttOutbox(client, () => ++id);
  return { client, outbox, turn: (space: number) => outbox.onWritable(client.turn(space)) };
}

describe('the firmware MQTT send queue', () => {
  it('sends an envelope larger than the socket in fragments, whole and in order with the packets around it', () => {
    const { client, outbox, turn } = setup();
    turn(1460);
    const big = 'x'.repeat(9_000) + 'é'.repeat(500); // 10,000 UTF-8 bytes
    outbox.subscribe('ssiot/v1/inbox/a');
    outbox.publish('ssiot/v1/inbox/mfr', big);
    outbox.publish('ssiot/v1/inbox/owner', 'small');
    outbox.subscribe('ssiot/v1/inbox/b');
    expect(client.sent.map((s) => s.op)).toEqual(['subscribe']); // the big one is under way
    let turns = 0;
    while (outbox.pendingBytes > 0 && turns < 100) {
      turn(1460);
      turns++;
    }
    expect(turns).toBeGreaterThanOrEqual(6); // 10,000 bytes through 1,452-byte windows
    expect(client.sent.map((s) => [s.op, s.topic])).toEqual([
      ['subscribe', 'ssiot/v1/inbox/a'],
      ['publish', 'ssiot/v1/inbox/mfr'],
      ['publish', 'ssiot/v1/inbox/owner'],
      ['subscribe', 'ssiot/v1/inbox/b'],
    ]);
    expect(client.sent[1]!.payload).toBe(big);
    expect(client.sent[2]!.payload).toBe('small');
    expect(new Set(client.sent.map((s) => s.id)).size).toBe(4);
  });

  it('waits for the first onWritable (CONNACK) before writing anything', () => {
    const { client, outbox, turn } = setup();
    outbox.subscribe('t/a');
    outbox.publish('t/a', 'hello');
    expect(client.writes).toBe(0);
    turn(100);
    expect(client.sent.map((s) => s.payload ?? s.op)).toEqual(['subscribe', 'hello']);
    expect(outbox.pendingBytes).toBe(0);
  });

  it('sends an empty payload as one packet', () => {
    const { client, outbox, turn } = setup();
    turn(64);
    outbox.publish('t/a', '');
    expect(client.sent).toEqual([{ op: 'publish', topic: 't/a', id: 1, payload: '' }]);
  });

  it('refuses a message that would overfill the queue, and keeps what was queued', () => {
    const { client, outbox, turn } = setup();
    outbox.publish('t/a', 'a'.repeat(MAX_QUEUED_BYTES - 10));
    expectCode(() => outbox.publish('t/a', 'b'.repeat(20)), 'didcomm.transport_failed');
    expect(outbox.pendingBytes).toBe(MAX_QUEUED_BYTES - 10);
    for (let i = 0; i < 400 && outbox.pendingBytes > 0; i++) turn(1460);
    expect(client.sent).toHaveLength(1);
    expect(client.sent[0]!.payload).toHaveLength(MAX_QUEUED_BYTES - 10);
  });
});
