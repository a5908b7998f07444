/**
 * Protocols end to end over real envelopes: two agents with did:peer:2
 * DIDs whose DIDCommMessaging endpoints are loop:// addresses, authcrypt
 * both ways, Router + Outbox + LoopbackNetwork. Runs in Node and in XS.
 */
import { describe, it, expect } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { parseSecret } from '../did/keys.ts';
import { generateDidPeer2 } from '../did/peer2.ts';
import { createDefaultResolver } from '../did/resolver.ts';
import { createSecretsResolver } from '../didcomm/secrets.ts';
import { LoopbackNetwork } from '../didcomm/transports/loopback.ts';
import { createMessaging, type Messaging } from '../didcomm/transports/messaging.ts';
import type { RouterEvent } from '../didcomm/router.ts';
import { ProblemReportedError } from '../didcomm/router.ts';
import { registerTrustPing, sendPing, PING_RESPONSE_TYPE } from './trust-ping.ts';
import { createQueries, parseDisclose, peerMaxReceiveBytes, registerDiscoverFeatures } from './discover-features.ts';
import { PROBLEM_REPORT_TYPE } from './report-problem.ts';

interface Agent extends Messaging {
  did: string;
  events: RouterEvent[];
}

function agent(net: LoopbackNetwork, name: string, maxReceiveBytes?: number): Agent {
  const created = generateDidPeer2({ serviceUri: `loop://${name}` });
  const secrets = createSecretsResolver(created.secrets.map(parseSecret));
  const transport = net.transport(name, maxReceiveBytes ? { maxReceiveBytes } : {});
  const events: RouterEvent[] = [];
  const m = createMessaging({ dids: [created.did], resolver: createDefaultResolver(), secrets, transports: [transport], onEvent: (e) => events.push(e) });
  registerTrustPing(m.router);
  registerDiscoverFeatures(m.router, { goalCodes: ['pair-device'] });
  return { ...m, did: created.did, events };
}

describe('trust-ping 2.0 over authcrypt (loopback)', () => {
  it('ping -> ping-response on the ping thread; both threads end in done', async () => {
    const net = new LoopbackNetwork();
    const alice = agent(net, 'alice');
    const bob = agent(net, 'bob');
    const { ping, response } = await sendPing(alice.router, { from: alice.did, to: [bob.did] });
    const reply = await response!.promise;
    expect(reply.type).toBe(PING_RESPONSE_TYPE);
    expect(reply.thid).toBe(ping.id);
    expect(reply.from).toBe(bob.did);
    expect(reply.to).toEqual([alice.did]);
    expect(alice.router.threads.get(ping.id)).toMatchObject({ role: 'sender', state: 'done', peer: bob.did });
    expect(bob.router.threads.get(ping.id)).toMatchObject({ role: 'receiver', state: 'done', peer: alice.did });
    expect(net.delivered).toBe(2);
  });

  it('response_requested false: the receiver stays quiet', async () => {
    const net = new LoopbackNetwork();
    const alice = agent(net, 'alice');
    const bob = agent(net, 'bob');
    const r = await sendPing(alice.router, { from: alice.did, to: [bob.did], responseRequested: false });
    expect(r.response).toBeUndefined();
    expect(net.delivered).toBe(1);
    expect(bob.events.some((e) => e.kind === 'handled' && e.type === 'https://didcomm.org/trust-ping/2.0/ping')).toBe(true);
  });

  it('a replayed envelope is dropped without an answer', async () => {
    const net = new LoopbackNetwork();
    const alice = agent(net, 'alice');
    const bob = agent(net, 'bob');
    const ping = { id: 'replay-me', type: 'https://didcomm.org/trust-ping/2.0/ping', from: alice.did, to: [bob.did], body: { response_requested: false } };
    // bob's transport hands the same bytes to a second listener: feed them to bob's router again
    const seen: Uint8Array[] = [];
    net.node('bob')!.onMessage((m) => void seen.push(m.data));
    await alice.router.send(ping);
    expect((await bob.router.receive(seen[0])).status).toBe('dropped');
    expect(bob.events.at(-1)).toMatchObject({ kind: 'dropped', code: 'didcomm.replayed' });
  });

  it('an envelope bob cannot decrypt, claimed by alice, gets her an e.p.trust.crypto report', async () => {
    const net = new LoopbackNetwork();
    const alice = agent(net, 'alice');
    const bob = agent(net, 'bob');
    const carol = agent(net, 'carol');
    // alice authcrypts to carol; the bytes are then handed to bob
    const captured: Uint8Array[] = [];
    net.node('carol')!.onMessage((m) => void captured.push(m.data));
    await alice.router.send({ id: 'for-carol', type: 'https://didcomm.org/trust-ping/2.0/ping', from: alice.did, to: [carol.did], body: { response_requested: false } });
    const problems: string[] = [];
    alice.router.onProblem((p) => problems.push(p.code));
    const out = await bob.router.receive(captured[0]);
    expect(out).toMatchObject({ status: 'problem', code: 'e.p.trust.crypto', reported: true, error: 'didcomm.unknown_recipient' });
    expect(problems).toEqual(['e.p.trust.crypto']);
  });
});

describe('discover-features 2.0 and report-problem over authcrypt (loopback)', () => {
  it('queries with wildcards -> disclose with our protocols, goal codes and max_receive_bytes', async () => {
    const net = new LoopbackNetwork();
    const alice = agent(net, 'alice');
    const bob = agent(net, 'bob', 65536);
    const q = createQueries({
      from: alice.did,
      to: [bob.did],
      queries: [
        { 'feature-type': 'protocol', match: 'https://didcomm.org/trust-ping/*' },
        { 'feature-type': 'goal-code', match: '*' },
        { 'feature-type': 'constraint', match: 'max_receive_bytes' },
        { 'feature-type': 'governance-framework', match: '*' },
      ],
    });
    const wait = alice.router.waitReply(q.id, { from: bob.did });
    await alice.router.send(q);
    const disclose = await wait.promise;
    const d = parseDisclose(disclose);
    expect(d).toEqual([
      { 'feature-type': 'protocol', id: 'https://didcomm.org/trust-ping/2.0', roles: ['receiver', 'sender'] },
      { 'feature-type': 'goal-code', id: 'pair-device' },
      { 'feature-type': 'constraint', id: 'max_receive_bytes', max_receive_bytes: '65536' },
    ]);
    expect(peerMaxReceiveBytes(d)).toBe(65536);
  });

  it('an unknown message type comes back as e.p.msg.unsupported on the sender thread', async () => {
    const net = new LoopbackNetwork();
    const alice = agent(net, 'alice');
    const bob = agent(net, 'bob');
    const m = { id: 'lunch-1', type: 'https://didcomm.org/lets_do_lunch/1.0/proposal', from: alice.did, to: [bob.did], body: {} };
    const wait = alice.router.waitReply(m.id);
    await alice.router.send(m);
    const err: unknown = await wait.promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProblemReportedError);
    expect((err as ProblemReportedError).problem).toMatchObject({ code: 'e.p.msg.unsupported', args: [m.type] });
    expect(alice.events.some((e) => e.kind === 'problem_received' && e.type === PROBLEM_REPORT_TYPE && e.thid === 'lunch-1')).toBe(true);
  });

  it('a message over the receiver max_receive_bytes is refused by the transport (didcomm.too_large)', async () => {
    const net = new LoopbackNetwork();
    const alice = agent(net, 'alice');
    const bob = agent(net, 'bob', 2048);
    const big = { id: 'big', type: 'https://didcomm.org/trust-ping/2.0/ping', from: alice.did, to: [bob.did], body: { pad: 'x'.repeat(4000) } };
    await expectCodeAsync(() => alice.router.send(big), 'didcomm.too_large');
  });
});
