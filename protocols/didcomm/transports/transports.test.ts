import { describe, it, expect } from 'vitest';
import { expectCode, expectCodeAsync } from '../../../tests/support/assert.ts';
import { createDidPeer2, generateDidPeer2 } from '../../did/peer2.ts';
import { createDefaultResolver } from '../../did/resolver.ts';
import { parseSecret } from '../../did/keys.ts';
import { utf8Decode } from '../../encoding/bytes.ts';
import { createSecretsResolver } from '../secrets.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, backoffDelay, checkBackoffPolicy, cryptoRandom } from './backoff.ts';
import { wireLength } from './limits.ts';
import { LoopbackNetwork } from './loopback.ts';
import { parseContentType, sniffMediaType } from './media-type.ts';
import { announceFilter, announceTopic, clientIdFor, didTopicHash, inboxTopic, parseTopic, topicMatchesFilter } from './mqtt-topics.ts';
import { Outbox } from './outbox.ts';
import { uriScheme, type InboundMessage } from './types.ts';

describe('MQTT topic scheme', () => {
  it('inbox = ssiot/v1/inbox/ + first 26 chars of lowercase base32(sha256(DID)) (values from an independent implementation)', () => {
    expect(inboxTopic('did:example:alice')).toBe('ssiot/v1/inbox/m5bcagddz6hsc2ybitech6escm');
    expect(didTopicHash('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK')).toBe('qvi7ibhm7zsahqx6syflez6nrr');
    expect(parseTopic(inboxTopic('did:example:alice'))).toEqual({ kind: 'inbox', hash: 'm5bcagddz6hsc2ybitech6escm' });
  });

  it('a DID URL or non-DID has no inbox', () => {
    for (const bad of ['did:example:alice#key-1', 'did:example:alice/path', 'alice', '']) expectCode(() => inboxTopic(bad), 'didcomm.invalid_topic');
  });

  it('a long did:peer:2 still gives a 41-character topic without wildcard or separator characters', () => {
    const t = inboxTopic(generateDidPeer2({ serviceUri: 'mqtt://broker.example:1883' }).did);
    expect(t).toHaveLength(41);
    expect(t).toMatch(/^ssiot\/v1\/inbox\/[a-z2-7]{26}$/);
  });

  it('announcements per vendor and class, with subscription filters', () => {
    expect(announceTopic('acme', 'grinder-x1')).toBe('ssiot/v1/announce/acme/grinder-x1');
    expect(announceFilter()).toBe('ssiot/v1/announce/+/+');
    expect(announceFilter('acme')).toBe('ssiot/v1/announce/acme/+');
    expect(announceFilter('acme', 'grinder-x1')).toBe('ssiot/v1/announce/acme/grinder-x1');
    expect(parseTopic('ssiot/v1/announce/acme/grinder-x1')).toEqual({ kind: 'announce', vendor: 'acme', deviceClass: 'grinder-x1' });
    for (const [v, c] of [['ac/me', 'x'], ['acme', '+'], ['#', 'x'], ['', 'x'], ['a'.repeat(65), 'x']]) expectCode(() => announceTopic(v, c), 'didcomm.invalid_topic');
    for (const t of ['ssiot/v1/inbox/short', 'ssiot/v1/announce/a/b/c', 'other/topic', 'ssiot/v1/inbox/M5BCAGDDZ6HSC2YBITECH6ESCM']) expect(parseTopic(t)).toBeUndefined();
  });

  it('topic filters: + is one level, # the rest', () => {
    expect(topicMatchesFilter('ssiot/v1/announce/+/+', 'ssiot/v1/announce/acme/x')).toBe(true);
    expect(topicMatchesFilter('ssiot/v1/announce/+/+', 'ssiot/v1/announce/acme')).toBe(false);
    expect(topicMatchesFilter('ssiot/v1/announce/+/+', 'ssiot/v1/announce/acme/x/y')).toBe(false);
    expect(topicMatchesFilter('ssiot/#', 'ssiot/v1/inbox/abc')).toBe(true);
    expect(topicMatchesFilter('ssiot/#/x', 'ssiot/v1/x')).toBe(false);
    expect(topicMatchesFilter('a/b', 'a/b')).toBe(true);
    expect(topicMatchesFilter('a/b', 'a/c')).toBe(false);
  });

  it('client ids are stable and 23 characters (the MQTT 3.1.1 guaranteed maximum)', () => {
    expect(clientIdFor('did:example:alice')).toBe('ssiot-m5bcagddz6hsc2ybi');
    expect(clientIdFor('did:example:alice')).toHaveLength(23);
  });
});

describe('reconnect backoff', () => {
  it('grows by the factor, is capped, and the jitter spans [1 - jitter, 1] of the base', () => {
    const p: BackoffPolicy = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
    const low = [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, p, () => 0));
    const high = [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, p, () => 0.999999));
    expect(low).toEqual([50, 100, 200, 400, 500, 500]);
    expect(high).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(10_000, p, () => 0.5)).toBe(750);
  });

  it('no jitter is plain exponential; nonsense random values and attempts are tamed', () => {
    const p: BackoffPolicy = { initialMs: 10, maxMs: 100, factor: 3, jitter: 0 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, p))).toEqual([10, 30, 90, 100]);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => NaN)).toBe(250);
    expect(backoffDelay(-3, DEFAULT_BACKOFF, () => 7)).toBe(250);
  });

  it('the default random comes from the crypto facade and is in [0, 1)', () => {
    for (let i = 0; i < 50; i++) {
      const r = cryptoRandom();
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(1);
    }
  });

  it('rejects policies that cannot produce sane delays', () => {
    for (const p of [
      { initialMs: 0, maxMs: 1, factor: 2, jitter: 0 },
      { initialMs: 10, maxMs: 5, factor: 2, jitter: 0 },
      { initialMs: 1, maxMs: 5, factor: 0.5, jitter: 0 },
      { initialMs: 1, maxMs: 5, factor: 2, jitter: 2 },
      { initialMs: NaN, maxMs: 5, factor: 2, jitter: 0 },
    ]) {
      expectCode(() => checkBackoffPolicy(p), 'didcomm.invalid_backoff');
    }
  });
});

describe('media types and sizes', () => {
  it('parses Content-Type values, with parameters, any case, or without application/', () => {
    expect(parseContentType('application/didcomm-encrypted+json')).toBe('application/didcomm-encrypted+json');
    expect(parseContentType('Application/DIDComm-Signed+JSON; charset=utf-8')).toBe('application/didcomm-signed+json');
    expect(parseContentType('didcomm-plain+json')).toBe('application/didcomm-plain+json');
    for (const v of ['application/json', 'text/plain', '', undefined, null, ';', 'x'.repeat(300)]) expect(parseContentType(v)).toBeUndefined();
  });

  it('sniffs the envelope kind from the top-level members', () => {
    expect(sniffMediaType('{"protected":"e30","ciphertext":"AA","iv":"AA","tag":"AA"}')).toBe('application/didcomm-encrypted+json');
    expect(sniffMediaType('{"payload":"e30","signatures":[]}')).toBe('application/didcomm-signed+json');
    expect(sniffMediaType('{"id":"1","type":"t","body":{}}')).toBe('application/didcomm-plain+json');
    for (const v of ['[]', 'null', '{}', 'not json']) expect(sniffMediaType(v)).toBeUndefined();
  });

  it('wireLength is the UTF-8 length', () => {
    expect(wireLength('abc')).toBe(3);
    expect(wireLength('é')).toBe(2);
    expect(wireLength('€')).toBe(3);
    expect(wireLength('😀')).toBe(4);
    expect(wireLength('\ud800')).toBe(3);
    expect(wireLength(new Uint8Array(9))).toBe(9);
    expect(uriScheme('MQTTS://broker')).toBe('mqtts');
    expect(uriScheme('no-scheme')).toBeUndefined();
  });
});

describe('loopback transport', () => {
  it('delivers bytes with the media type; refuses unknown addresses, other schemes and oversize', async () => {
    const net = new LoopbackNetwork();
    const a = net.transport('a');
    const b = net.transport('b', { maxReceiveBytes: 10 });
    const got: InboundMessage[] = [];
    b.onMessage((m) => void got.push(m));
    await a.send({ uri: 'loop://b' }, '{"id":"1"}');
    expect(utf8Decode(got[0].data)).toBe('{"id":"1"}');
    expect(got[0]).toMatchObject({ transport: 'loopback', address: 'loop://b' });
    await expectCodeAsync(() => a.send({ uri: 'loop://nobody' }, 'x'), 'didcomm.transport_failed');
    await expectCodeAsync(() => a.send({ uri: 'http://b' }, 'x'), 'didcomm.unsupported_endpoint');
    await expectCodeAsync(() => a.send({ uri: 'loop://b' }, 'x'.repeat(11)), 'didcomm.too_large');
    expectCode(() => net.transport('a'), 'didcomm.invalid_argument');
    await b.close();
    await expectCodeAsync(() => a.send({ uri: 'loop://b' }, 'x'), 'didcomm.transport_failed');
  });
});

describe('outbox', () => {
  const resolver = createDefaultResolver();
  const sender = generateDidPeer2({ serviceUri: 'loop://sender' });
  const secrets = createSecretsResolver(sender.secrets.map(parseSecret));
  const ping = (to: string) => ({ id: 'o1', type: 'https://didcomm.org/trust-ping/2.0/ping', from: sender.did, to: [to], body: {} });

  it('a recipient without a DIDComm service, or with only another profile, cannot be used', async () => {
    const net = new LoopbackNetwork();
    const outbox = new Outbox({ transports: [net.transport('sender')], resolver, secrets });
    const noService = generateDidPeer2().did;
    await expectCodeAsync(() => outbox.send(ping(noService)), 'didcomm.cant_use_endpoint');
    const keys = (await resolver.resolve(noService)).verificationMethod!.map((vm, i) => ({ purpose: i === 0 ? 'verification' : 'encryption', publicKeyMultibase: (vm as { publicKeyMultibase: string }).publicKeyMultibase }) as const);
    const aip1 = createDidPeer2({ keys, services: [{ type: 'DIDCommMessaging', serviceEndpoint: { uri: 'loop://x', accept: ['didcomm/aip1'] } }] });
    await expectCodeAsync(() => outbox.send(ping(aip1)), 'didcomm.cant_use_endpoint');
  });

  it('an endpoint scheme no transport speaks is didcomm.unsupported_endpoint; deliver() reports per recipient', async () => {
    const net = new LoopbackNetwork();
    const outbox = new Outbox({ transports: [net.transport('sender')], resolver, secrets });
    const httpOnly = generateDidPeer2({ serviceUri: 'https://example.com/didcomm' }).did;
    await expectCodeAsync(() => outbox.send(ping(httpOnly)), 'didcomm.unsupported_endpoint');
    const reachable = generateDidPeer2({ serviceUri: 'loop://r' });
    net.transport('r');
    const results = await outbox.deliver({ ...ping(reachable.did), to: [reachable.did, httpOnly] });
    expect(results).toEqual([
      { to: reachable.did, endpoint: 'loop://r', transport: 'loopback' },
      { to: httpOnly, error: 'didcomm.unsupported_endpoint' },
    ]);
    await expectCodeAsync(() => outbox.send({ ...ping(reachable.did), to: [] }), 'didcomm.invalid_argument');
  });
});
