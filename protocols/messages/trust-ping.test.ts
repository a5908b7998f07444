import { describe, it, expect } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { parseJson } from '../encoding/json.ts';
import { validatePlaintext, type PlaintextMessage } from '../didcomm/message.ts';
import { Router } from '../didcomm/router.ts';
import { checkStateMachine } from '../didcomm/thread.ts';
import { PING_RESPONSE_TYPE, PING_TYPE, TRUST_PING_RECEIVER, TRUST_PING_SENDER, createPing, registerTrustPing, responseRequested, sendPing } from './trust-ping.ts';

function plainRouter(sent: PlaintextMessage[], respond?: boolean): Router {
  const r = new Router({ unpack: async (p) => ({ message: validatePlaintext(parseJson(p)), metadata: {} }), send: async (m) => void sent.push(m), dids: ['did:example:bob'] });
  registerTrustPing(r, respond === undefined ? {} : { respond });
  return r;
}

describe('trust-ping 2.0', () => {
  it('builds the spec ping; response_requested defaults to true', () => {
    const p = createPing({ id: '518be002-de8e-456e-b3d5-8fe472477a86', from: 'did:example:123456', to: ['did:example:bob'] });
    expect(p).toEqual({ id: '518be002-de8e-456e-b3d5-8fe472477a86', type: PING_TYPE, from: 'did:example:123456', to: ['did:example:bob'], body: { response_requested: true } });
    expect(responseRequested({ id: 'x', type: PING_TYPE, body: {} })).toBe(true);
    expect(responseRequested({ id: 'x', type: PING_TYPE, body: { response_requested: false } })).toBe(false);
    expect(responseRequested({ id: 'x', type: PING_TYPE, body: { response_requested: 'no' } })).toBe(true);
  });

  it('the state tables are sound', () => {
    expect(checkStateMachine(TRUST_PING_SENDER)).toBe(TRUST_PING_SENDER);
    expect(checkStateMachine(TRUST_PING_RECEIVER)).toBe(TRUST_PING_RECEIVER);
  });

  it('answers a ping with ping-response (thid = ping id); not when asked not to, anonymous, or told to stay quiet', async () => {
    const sent: PlaintextMessage[] = [];
    const r = plainRouter(sent);
    await r.receive(JSON.stringify(createPing({ id: 'p1', from: 'did:example:alice', to: ['did:example:bob'] })));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: PING_RESPONSE_TYPE, thid: 'p1', from: 'did:example:bob', to: ['did:example:alice'], body: {} });
    await r.receive(JSON.stringify(createPing({ id: 'p2', from: 'did:example:alice', to: ['did:example:bob'], responseRequested: false })));
    await r.receive(JSON.stringify(createPing({ id: 'p3', to: ['did:example:bob'] })));
    expect(sent).toHaveLength(1);
    const quiet: PlaintextMessage[] = [];
    await plainRouter(quiet, false).receive(JSON.stringify(createPing({ id: 'p4', from: 'did:example:alice', to: ['did:example:bob'] })));
    expect(quiet).toHaveLength(0);
  });

  it('an unsolicited ping-response is out of order', async () => {
    const sent: PlaintextMessage[] = [];
    const r = plainRouter(sent);
    await r.receive(JSON.stringify({ id: 'r1', type: PING_RESPONSE_TYPE, thid: 'never-sent', from: 'did:example:alice', body: {} }));
    expect(sent[0].body).toMatchObject({ code: 'e.m.req.out-of-order', args: ['ping-response', 'never-sent'] });
  });

  it('sendPing: one recipient; a failed send cancels the wait and rethrows', async () => {
    const r = new Router({
      unpack: async () => {
        throw new Error('unused');
      },
      send: async () => {
        throw new Error('offline');
      },
    });
    registerTrustPing(r);
    await expectCodeAsync(() => sendPing(r, { from: 'did:example:a', to: ['did:example:b', 'did:example:c'] }), 'didcomm.invalid_argument');
    let err: unknown;
    try {
      await sendPing(r, { from: 'did:example:a', to: ['did:example:b'] });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe('offline');
  });
});
