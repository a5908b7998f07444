/**
 * Routing 2.0 forward: the sender wraps for each routing key of the
 * recipient's service, each mediator unwraps one layer and finds `next`,
 * the recipient unwraps a mediator's re-wrapping forward on request.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { lunch, makeParty, resolverOf } from '../../tests/support/didcomm.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { resolveMessagingService } from './did-keys.ts';
import { buildForwardMessage, FORWARD_TYPE, parseForward, wrapInForward } from './forward.ts';
import { packEncrypted } from './pack.ts';
import { unpack } from './unpack.ts';

const alice = makeParty('alice');
const m1 = makeParty('mediator-1', { agreement: ['X25519', 'P-256'] });
const m2 = makeParty('mediator-2', { agreement: ['P-384'] });
const m1Key = `${m1.did}#ka-x25519-1`;
const m2Key = `${m2.did}#ka-p-384-1`;
const bob = makeParty('bob', { service: { uri: 'https://m1.example/inbox', routingKeys: [m1Key, m2Key] } });
const resolver = resolverOf(alice, m1, m2, bob);

describe('sender wraps, mediators unwrap', () => {
  it('two routing keys: m1 sees next = m2\'s key, m2 sees next = Bob, Bob reads the message', async () => {
    const m = lunch(alice.did, [bob.did]);
    const r = await packEncrypted(m, { to: bob.did, from: alice.did, forward: true, resolver, secrets: alice.resolver });
    expect(r.serviceMetadata).toEqual({ id: `${bob.did}#didcomm-1`, serviceEndpoint: 'https://m1.example/inbox' });

    const hop1 = await unpack(r.packed, { resolver, secrets: m1.resolver });
    expect(hop1.metadata.anonymous_sender).toBe(true);
    expect(hop1.metadata.encrypted_to_kids).toEqual([m1Key]);
    expect(hop1.message.type).toBe(FORWARD_TYPE);
    const f1 = parseForward(hop1.message)!;
    expect(f1.next).toBe(m2Key);

    const hop2 = await unpack(f1.forwarded, { resolver, secrets: m2.resolver });
    const f2 = parseForward(hop2.message)!;
    expect(f2.next).toBe(bob.did);

    const final = await unpack(f2.forwarded, { resolver, secrets: bob.resolver });
    expect(final.message.id).toBe(m.id);
    expect(final.metadata.encrypted_from_kid).toBe(`${alice.did}#ka-x25519-1`);
    // Mediators cannot read the inner message.
    await expect(unpack(f2.forwarded, { resolver, secrets: m2.resolver })).rejects.toThrow();
  });

  it('without forward: the plain envelope for Bob, with the endpoint to send it to', async () => {
    const r = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    expect(r.serviceMetadata?.serviceEndpoint).toBe('https://m1.example/inbox');
    expect((await unpack(r.packed, { resolver, secrets: bob.resolver })).message.from).toBe(alice.did);
  });

  it('a mediator DID as the endpoint uri: its keyAgreement keys take the outer forward, its uri is used', async () => {
    const hub = makeParty('hub', { service: { uri: 'mqtt://hub.example:1883' } });
    const dave = makeParty('dave', { service: { uri: hub.did } });
    const res = resolverOf(alice, hub, dave);
    expect(await resolveMessagingService(res, dave.did)).toEqual({
      id: `${dave.did}#didcomm-1`,
      uri: 'mqtt://hub.example:1883',
      accept: ['didcomm/v2'],
      routingKeys: [hub.did],
    });
    const r = await packEncrypted(lunch(alice.did, [dave.did]), { to: dave.did, from: alice.did, forward: true, resolver: res, secrets: alice.resolver });
    const atHub = await unpack(r.packed, { resolver: res, secrets: hub.resolver });
    expect(parseForward(atHub.message)!.next).toBe(dave.did);
    expect((await unpack(parseForward(atHub.message)!.forwarded, { resolver: res, secrets: dave.resolver })).message.from).toBe(alice.did);
  });

  it('re-wrapping: a forward to Bob around a message for Bob is unwrapped on request', async () => {
    const m = lunch(alice.did, [bob.did]);
    const r = await packEncrypted(m, { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    const rewrapped = await wrapInForward(r.packed, { to: bob.did, routingKeys: [bob.did], resolver, headers: { expires_time: 4000000000 } });
    const plain = await unpack(rewrapped, { resolver, secrets: bob.resolver });
    expect(plain.message.type).toBe(FORWARD_TYPE);
    expect(plain.message.expires_time).toBe(4000000000);
    const unwrapped = await unpack(rewrapped, { resolver, secrets: bob.resolver, unwrapReWrappingForward: true });
    expect(unwrapped.message.id).toBe(m.id);
    expect(unwrapped.metadata.re_wrapped_in_forward).toBe(true);
    expect(unwrapped.metadata.authenticated).toBe(true);
  });
});

describe('forward messages', () => {
  it('build and parse; json and base64 attachments', () => {
    const env = { ciphertext: 'x', protected: 'y' };
    const f = buildForwardMessage(env, 'did:example:bob');
    expect(f.type).toBe(FORWARD_TYPE);
    expect(parseForward(f)).toEqual({ next: 'did:example:bob', forwarded: env });
    const b64 = { ...f, attachments: [{ data: { base64: base64urlEncode(utf8Encode(JSON.stringify(env))) } }] };
    expect(parseForward(b64)!.forwarded).toEqual(env);
    expect(parseForward({ ...f, type: 'https://didcomm.org/trust-ping/2.0/ping' })).toBeUndefined();
  });

  it('a malformed forward is didcomm.invalid_message', () => {
    const f = buildForwardMessage({ a: 1 }, 'did:example:bob');
    expectCode(() => parseForward({ ...f, body: {} }), 'didcomm.invalid_message');
    expectCode(() => parseForward({ ...f, attachments: [] }), 'didcomm.invalid_message');
    expectCode(() => parseForward({ ...f, attachments: [{ data: { json: 'text' } }] }), 'didcomm.invalid_message');
    expectCode(() => parseForward({ ...f, attachments: [{ data: { base64: '!!' } }] }), 'didcomm.invalid_message');
    expectCode(() => buildForwardMessage({}, ''), 'didcomm.invalid_argument');
  });
});
