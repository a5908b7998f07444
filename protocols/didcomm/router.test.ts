import { describe, it, expect } from 'vitest';
import { expectCode, expectCodeAsync } from '../../tests/support/assert.ts';
import { engine } from '../../tests/support/vectors.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { parseJson } from '../encoding/json.ts';
import { DidcommError, ProtocolError } from '../errors.ts';
import type { PlaintextMessage } from './message.ts';
import { validatePlaintext } from './message.ts';
import { claimedContext, parseMessageType, parseProtocolUri, problemCodeFor, Router, ProblemReportedError, type RouterEvent, type RouterOptions, type Unpacked } from './router.ts';
import type { StateMachine } from './thread.ts';
import { PROBLEM_REPORT_TYPE, ProblemReportError, createProblemReport } from '../messages/report-problem.ts';

const ALICE = 'did:example:alice';
const BOB = 'did:example:bob';
const LUNCH = 'https://didcomm.org/lets_do_lunch/1.0/proposal';

/** Plaintext-only envelope layer for router tests: parse + validate, no crypto. */
const plainUnpack = async (packed: string): Promise<Unpacked> => ({
  message: validatePlaintext(parseJson(packed)),
  metadata: { encrypted: false, authenticated: false },
});

interface Harness {
  router: Router;
  sent: PlaintextMessage[];
  events: RouterEvent[];
}

function harness(extra: Partial<RouterOptions> = {}): Harness {
  const sent: PlaintextMessage[] = [];
  const events: RouterEvent[] = [];
  const router = new Router({
    unpack: plainUnpack,
    send: async (m) => {
      sent.push(m);
    },
    dids: [BOB],
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { router, sent, events };
}

const msg = (over: Partial<PlaintextMessage> = {}): PlaintextMessage => ({ id: 'm-1', type: LUNCH, from: ALICE, to: [BOB], body: {}, ...over });
const wire = (m: unknown): string => JSON.stringify(m);

describe('message type URIs', () => {
  it('parses the spec examples into doc-uri, protocol, version, name', () => {
    expect(parseMessageType('https://didcomm.org/lets_do_lunch/1.0/proposal')).toEqual({
      docUri: 'https://didcomm.org/',
      protocol: 'lets_do_lunch',
      version: '1.0',
      major: 1,
      minor: 0,
      name: 'proposal',
      piuri: 'https://didcomm.org/lets_do_lunch/1.0',
    });
    const q = parseMessageType('https://example.com/protocols?which=lets_do_lunch/1.0/proposal')!;
    expect(q.docUri).toBe('https://example.com/protocols?which=');
    expect(q.protocol).toBe('lets_do_lunch');
    expect(parseMessageType('did:example:1234567890;spec/lets_do_lunch/1.0/proposal')!.docUri).toBe('did:example:1234567890;spec/');
    expect(parseProtocolUri('https://didcomm.org/trust-ping/2.0')!.major).toBe(2);
  });

  it('rejects what is not an MTURI', () => {
    for (const t of ['', 'proposal', 'https://didcomm.org/x/proposal', 'https://didcomm.org/x/v1/proposal', 42, null, 'a'.repeat(600)]) {
      expect(parseMessageType(t)).toBeUndefined();
    }
  });

  it('registration is one handler per type, compared ignoring case, punctuation and minor version', () => {
    const { router } = harness();
    router.on(LUNCH, () => undefined);
    expectCode(() => router.on(LUNCH, () => undefined), 'didcomm.duplicate_handler');
    expectCode(() => router.on('https://DIDCOMM.org/Lets-Do-Lunch/1.3/Proposal', () => undefined), 'didcomm.duplicate_handler');
    expectCode(() => router.on('not a type', () => undefined), 'didcomm.invalid_message_type');
    expect(router.handles('https://didcomm.org/letsdolunch/1.9/proposal')).toBe(true);
    expect(router.handles('https://didcomm.org/lets_do_lunch/2.0/proposal')).toBe(false);
  });
});

describe('dispatch', () => {
  it('calls the handler with message, thread, peer and self', async () => {
    const { router, sent } = harness();
    let seen: { thid?: string; peer?: string; self?: string; body?: unknown } = {};
    router.on(LUNCH, (ctx) => {
      seen = { thid: ctx.thread.thid, peer: ctx.peer, self: ctx.self, body: ctx.message.body };
    });
    const out = await router.receive(wire(msg({ body: { where: 'cafe' } })));
    expect(out.status).toBe('handled');
    expect(seen).toEqual({ thid: 'm-1', peer: ALICE, self: BOB, body: { where: 'cafe' } });
    expect(sent).toHaveLength(0);
  });

  it('a newer minor version reaches the handler (semver: same major interoperates)', async () => {
    const { router } = harness();
    let n = 0;
    router.on(LUNCH, () => {
      n++;
    });
    await router.receive(wire(msg({ type: 'https://didcomm.org/lets_do_lunch/1.4/proposal' })));
    expect(n).toBe(1);
  });

  it('reply() answers on the thread, from our DID to the sender', async () => {
    const { router, sent } = harness();
    router.on(LUNCH, async (ctx) => {
      await ctx.reply('https://didcomm.org/lets_do_lunch/1.0/accept', { ok: true });
    });
    await router.receive(wire(msg({ thid: 'lunch-thread' })));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'https://didcomm.org/lets_do_lunch/1.0/accept', thid: 'lunch-thread', from: BOB, to: [ALICE], body: { ok: true } });
    expect(sent[0].id).not.toBe('m-1');
  });

  it('reply() without a sender is didcomm.no_reply_path, reported as a handler failure with nobody to tell', async () => {
    const { router, sent, events } = harness();
    let code = '';
    router.on(LUNCH, async (ctx) => {
      try {
        await ctx.reply(LUNCH, {});
      } catch (e) {
        code = (e as DidcommError).code;
        throw e;
      }
    });
    const out = await router.receive(wire(msg({ from: undefined })));
    expect(code).toBe('didcomm.no_reply_path');
    expect(out.status).toBe('problem');
    expect(out.status === 'problem' && out.reported).toBe(false);
    expect(sent).toHaveLength(0);
    expect(events.some((e) => e.kind === 'handler_failed')).toBe(true);
  });
});

describe('problem reports', () => {
  it('unknown type: e.p.msg.unsupported to the sender, pthid = the thread, ack = the message', async () => {
    const { router, sent } = harness();
    const out = await router.receive(wire(msg({ id: 'x-1', thid: 'thread-9', type: 'https://example.org/unknown/1.0/thing' })));
    expect(out.status).toBe('problem');
    expect(sent).toHaveLength(1);
    const p = sent[0];
    expect(p.type).toBe(PROBLEM_REPORT_TYPE);
    expect(p.pthid).toBe('thread-9');
    expect(p.ack).toEqual(['x-1']);
    expect(p.to).toEqual([ALICE]);
    expect(p.from).toBe(BOB);
    expect(p.body).toMatchObject({ code: 'e.p.msg.unsupported', args: ['https://example.org/unknown/1.0/thing'] });
  });

  it('without a thid, pthid is the failed message id', async () => {
    const { router, sent } = harness();
    await router.receive(wire(msg({ id: 'lonely', type: 'https://example.org/unknown/1.0/thing' })));
    expect(sent[0].pthid).toBe('lonely');
  });

  it('a type that is not an MTURI is unsupported too', async () => {
    const { router, sent } = harness();
    await router.receive(wire(msg({ type: 'hello' })));
    expect((sent[0].body as { code: string }).code).toBe('e.p.msg.unsupported');
  });

  it('no sender: dropped, nothing sent', async () => {
    const { router, sent } = harness();
    const out = await router.receive(wire(msg({ from: undefined, type: 'https://example.org/unknown/1.0/thing' })));
    expect(out.status).toBe('problem');
    expect(sent).toHaveLength(0);
  });

  it('a protocol handler takes unknown message names of its protocol', async () => {
    const { router, sent } = harness();
    const names: string[] = [];
    router.onProtocol('https://didcomm.org/lets_do_lunch/1.0', (ctx) => {
      names.push(ctx.type.name);
    });
    await router.receive(wire(msg({ type: 'https://didcomm.org/lets_do_lunch/1.0/counter-proposal' })));
    expect(names).toEqual(['counter-proposal']);
    expect(sent).toHaveLength(0);
    expectCode(() => router.onProtocol('https://didcomm.org/lets-do-lunch/1.2', () => undefined), 'didcomm.duplicate_handler');
  });

  it('handler failures: generic error -> e.p.me (no details), ProblemReportError -> its code and args', async () => {
    const { router, sent } = harness();
    router.on(LUNCH, () => {
      throw new Error('secret detail: key=abc');
    });
    router.on('https://didcomm.org/lets_do_lunch/1.0/accept', () => {
      throw new ProblemReportError('e.p.msg.no-table', ['cafe']);
    });
    await router.receive(wire(msg({ id: 'a' })));
    await router.receive(wire(msg({ id: 'b', type: 'https://didcomm.org/lets_do_lunch/1.0/accept' })));
    expect(sent[0].body).toEqual({ code: 'e.p.me', comment: 'Internal error.' });
    expect(JSON.stringify(sent[0])).not.toContain('secret');
    expect(sent[1].body).toEqual({ code: 'e.p.msg.no-table', args: ['cafe'] });
  });

  it('problem codes from error codes', () => {
    expect(problemCodeFor(new DidcommError('didcomm.decrypt_failed', 'x'), 'unpack')).toBe('e.p.trust.crypto');
    expect(problemCodeFor(new DidcommError('didcomm.expired', 'x'), 'unpack')).toBe('e.p.req.time');
    expect(problemCodeFor(new DidcommError('didcomm.too_large', 'x'), 'unpack')).toBe('e.p.me.res.storage.message_too_big');
    expect(problemCodeFor(new DidcommError('didcomm.transport_failed', 'x'), 'handler')).toBe('e.p.xfer.cant-use-endpoint');
    expect(problemCodeFor(new ProtocolError('protocol.invalid_message', 'x', { field: 'body.nonce' }), 'handler')).toBe('e.p.msg.invalid');
    expect(problemCodeFor(new ProtocolError('protocol.unexpected_type', 'x'), 'handler')).toBe('e.p.msg.invalid');
    expect(problemCodeFor(new ProtocolError('protocol.invalid_transition', 'x'), 'handler')).toBe('e.m.req.out-of-order');
    expect(problemCodeFor(new Error('x'), 'handler')).toBe('e.p.me');
    expect(problemCodeFor(new Error('x'), 'unpack')).toBe('e.p.msg.invalid');
  });

  it('a problem report is never answered with a problem report, even when malformed', async () => {
    const { router, sent } = harness();
    const bad = { id: 'p1', type: PROBLEM_REPORT_TYPE, from: ALICE, to: [BOB], pthid: 't', body: { code: 'not a code' } };
    expect((await router.receive(wire(bad))).status).toBe('dropped');
    const good = createProblemReport({ code: 'e.p.xfer.cant-use-endpoint', pthid: 't', from: ALICE, to: [BOB] });
    expect((await router.receive(wire(good))).status).toBe('handled');
    expect(sent).toHaveLength(0);
  });

  it('a received problem report rejects the waits on its parent thread and reaches listeners', async () => {
    const { router } = harness();
    const heard: string[] = [];
    router.onProblem((p) => heard.push(p.code));
    const wait = router.waitReply('T-1', { from: ALICE });
    await router.receive(wire(createProblemReport({ code: 'e.p.trust.crypto', pthid: 't-1', from: ALICE, to: [BOB] })));
    const err: unknown = await wait.promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProblemReportedError);
    expect((err as ProblemReportedError).problem.code).toBe('e.p.trust.crypto');
    expect(heard).toEqual(['e.p.trust.crypto']);
  });

  it('circuit breaker: past maxErrorsPerThread one max-errors-exceeded, then silence on that thread', async () => {
    const { router, sent } = harness({ maxErrorsPerThread: 2 });
    router.on(LUNCH, () => {
      throw new ProblemReportError('e.m.msg.bad-time');
    });
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await router.receive(wire(msg({ id: `m${i}`, thid: 'hot' })));
      codes.push(out.status === 'problem' ? out.code : out.status);
    }
    expect(codes).toEqual(['e.m.msg.bad-time', 'e.m.msg.bad-time', 'e.p.req.max-errors-exceeded', 'dropped', 'dropped']);
    expect(sent.map((m) => (m.body as { code: string }).code)).toEqual(['e.m.msg.bad-time', 'e.m.msg.bad-time', 'e.p.req.max-errors-exceeded']);
    expect(router.threads.get('HOT')!.abandoned).toBe(true);
  });

  it('problem reports received count against the parent thread too', async () => {
    const { router } = harness({ maxErrorsPerThread: 1 });
    router.on(LUNCH, () => undefined);
    await router.send(msg({ id: 'mine', from: BOB, to: [ALICE] }), {});
    await router.receive(wire(msg({ id: 'r0', thid: 'mine' })));
    for (let i = 0; i < 2; i++) await router.receive(wire(createProblemReport({ code: 'e.p.me', pthid: 'mine', from: ALICE, to: [BOB] })));
    expect((await router.receive(wire(msg({ id: 'r1', thid: 'mine' })))).status).toBe('dropped');
  });

  it('requireAuthenticated refuses unauthenticated messages with e.p.trust', async () => {
    const { router, sent } = harness();
    let called = false;
    router.on(
      LUNCH,
      () => {
        called = true;
      },
      { requireAuthenticated: true },
    );
    await router.receive(wire(msg()));
    expect(called).toBe(false);
    expect((sent[0].body as { code: string }).code).toBe('e.p.trust');
    const ok = await router.dispatch(msg({ id: 'm-2' }), { authenticated: true });
    expect(ok.status).toBe('handled');
    expect(called).toBe(true);
  });

  it('a failing outbound path is an outcome, not an exception', async () => {
    const { router } = harness({
      send: async () => {
        throw new DidcommError('didcomm.transport_failed', 'down');
      },
    });
    const out = await router.receive(wire(msg({ type: 'https://example.org/unknown/1.0/thing' })));
    expect(out).toMatchObject({ status: 'problem', code: 'e.p.msg.unsupported', reported: false });
  });
});

describe('input that does not unpack', () => {
  const failing = (code: `didcomm.${string}`) => async (): Promise<Unpacked> => {
    throw new DidcommError(code, 'failed');
  };
  const b64json = (x: unknown) => base64urlEncode(utf8Encode(JSON.stringify(x)));
  const jwe = (header: Record<string, unknown>) => wire({ protected: b64json(header), recipients: [], iv: 'AA', ciphertext: 'AA', tag: 'AA' });

  it('JWE that fails to decrypt: e.p.trust.crypto to the skid DID, no pthid to invent', async () => {
    const { router, sent } = harness({ unpack: failing('didcomm.decrypt_failed') });
    const out = await router.receive(jwe({ alg: 'ECDH-1PU+A256KW', skid: `${ALICE}#key-x25519-1` }));
    expect(out).toMatchObject({ status: 'problem', code: 'e.p.trust.crypto', reported: true, error: 'didcomm.decrypt_failed' });
    expect(sent[0].to).toEqual([ALICE]);
    expect(sent[0].pthid).toBeUndefined();
  });

  it('the apu names the sender when skid is absent', () => {
    expect(claimedContext(jwe({ apu: base64urlEncode(utf8Encode(`${ALICE}#k`)) })).sender).toBe(ALICE);
  });

  it('anoncrypt (no sender): dropped silently', async () => {
    const { router, sent } = harness({ unpack: failing('didcomm.decrypt_failed') });
    expect((await router.receive(jwe({ alg: 'ECDH-ES+A256KW' }))).status).toBe('dropped');
    expect(sent).toHaveLength(0);
  });

  it('a replayed message is dropped silently (QoS 1 redelivery is normal)', async () => {
    const { router, sent } = harness({ unpack: failing('didcomm.replayed') });
    expect(await router.receive(jwe({ skid: `${ALICE}#k` }))).toEqual({ status: 'dropped', reason: 'didcomm.replayed' });
    expect(sent).toHaveLength(0);
  });

  it('JWS: the signer kid is the sender and the payload names the thread', () => {
    const jws = { payload: b64json({ id: 'i-1', thid: 'th-1', from: ALICE }), signatures: [{ protected: b64json({ kid: `${ALICE}#key-1` }), signature: 'AA' }] };
    expect(claimedContext(wire(jws))).toEqual({ sender: ALICE, thid: 'th-1', id: 'i-1' });
  });

  it('invalid plaintext with a from: e.p.msg.invalid on its thread', async () => {
    const { router, sent } = harness();
    const out = await router.receive(wire({ id: 'bad-1', type: LUNCH, from: ALICE, body: 'not an object' }));
    expect(out).toMatchObject({ status: 'problem', code: 'e.p.msg.invalid', reported: true });
    expect(sent[0].pthid).toBe('bad-1');
  });

  it('a sender can make us send only so many thread-less reports', async () => {
    let t = 0;
    const { router, sent } = harness({ unpack: failing('didcomm.decrypt_failed'), problemBudget: { max: 3, windowMs: 1000 }, now: () => t });
    for (let i = 0; i < 10; i++) await router.receive(jwe({ skid: `${ALICE}#k` }));
    expect(sent).toHaveLength(3);
    t = 1000;
    await router.receive(jwe({ skid: `${ALICE}#k` }));
    expect(sent).toHaveLength(4);
  });

  it('oversized input is dropped before the unpacker sees it', async () => {
    let calls = 0;
    const { router } = harness({
      maxReceiveBytes: 100,
      unpack: async (p) => {
        calls++;
        return plainUnpack(p);
      },
    });
    expect(await router.receive('x'.repeat(101))).toEqual({ status: 'dropped', reason: 'didcomm.too_large' });
    // UTF-8 length counts, not UTF-16 length: 40 x 'é' is 80 bytes, 60 x 'é' is 120
    expect((await router.receive(new Uint8Array(120))).status).toBe('dropped');
    expect(await router.receive('é'.repeat(60))).toEqual({ status: 'dropped', reason: 'didcomm.too_large' });
    expect(calls).toBe(0);
  });

  it('invalid UTF-8 bytes are dropped', async () => {
    const { router } = harness();
    expect(await router.receive(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({ status: 'dropped', reason: 'encoding.invalid_utf8' });
  });
});

const ASK: StateMachine = {
  protocol: 'https://example.org/ask/1.0',
  role: 'asker',
  initial: 'start',
  final: ['done'],
  transitions: [
    { from: 'start', on: 'send:question', to: 'asked' },
    { from: 'asked', on: 'receive:answer', to: 'done' },
  ],
};

describe('threads and state machines', () => {
  it('an answer nobody asked for is e.m.req.out-of-order; after asking it is accepted once', async () => {
    const { router, sent } = harness();
    let answers = 0;
    router.on(
      'https://example.org/ask/1.0/answer',
      () => {
        answers++;
      },
      { machine: ASK },
    );
    const answer = (id: string) => wire({ id, type: 'https://example.org/ask/1.0/answer', thid: 'q-1', from: ALICE, to: [BOB], body: {} });
    const early = await router.receive(answer('a0'));
    expect(early).toMatchObject({ status: 'problem', code: 'e.m.req.out-of-order' });
    expect((sent[0].body as { args: string[] }).args).toEqual(['answer', 'q-1']);
    // a fresh router: ask, then the answer moves the thread to done
    const h = harness();
    h.router.on('https://example.org/ask/1.0/answer', () => void answers++, { machine: ASK });
    await h.router.send({ id: 'q-1', type: 'https://example.org/ask/1.0/question', from: BOB, to: [ALICE], body: {} }, { machine: ASK });
    expect(h.router.threads.get('q-1')!.state).toBe('asked');
    expect((await h.router.receive(answer('a1'))).status).toBe('handled');
    expect(h.router.threads.get('q-1')!.state).toBe('done');
    expect((await h.router.receive(answer('a2'))).status).toBe('problem');
    expect(answers).toBe(1);
  });

  it('sending a message the table does not allow is didcomm.invalid_state', async () => {
    const { router } = harness();
    await expectCodeAsync(() => router.send({ id: 'x', type: 'https://example.org/ask/1.0/answer', to: [ALICE], body: {} }, { machine: ASK }), 'didcomm.invalid_state');
  });

  it('a machine of another protocol cannot be attached to a type', () => {
    const { router } = harness();
    expectCode(() => router.on(LUNCH, () => undefined, { machine: ASK }), 'didcomm.invalid_state_machine');
  });

  it('another party cannot move a two-party thread (e.p.trust, thread untouched)', async () => {
    const { router, sent } = harness();
    router.on('https://example.org/ask/1.0/answer', () => undefined, { machine: ASK });
    await router.send({ id: 'q-2', type: 'https://example.org/ask/1.0/question', from: BOB, to: [ALICE], body: {} }, { machine: ASK });
    const mallory = wire({ id: 'z', type: 'https://example.org/ask/1.0/answer', thid: 'q-2', from: 'did:example:mallory', to: [BOB], body: {} });
    expect(await router.receive(mallory)).toMatchObject({ status: 'problem', code: 'e.p.trust' });
    expect(sent.at(-1)!.to).toEqual(['did:example:mallory']);
    expect(router.threads.get('q-2')).toMatchObject({ state: 'asked', errors: 0 });
  });

  it('thread ids compare case-insensitively', async () => {
    const { router } = harness();
    router.on(LUNCH, () => undefined);
    await router.receive(wire(msg({ id: 'm-a', thid: 'ABC-def' })));
    expect(router.threads.get('abc-DEF')!.peer).toBe(ALICE);
  });

  it('waitReply resolves with the next message on the thread from the expected peer; cancel rejects', async () => {
    const { router } = harness();
    router.on(LUNCH, () => undefined);
    const w = router.waitReply('t-w', { from: ALICE });
    const other = router.waitReply('t-other');
    await router.receive(wire(msg({ id: 'from-mallory', thid: 't-w', from: 'did:example:mallory' })));
    await router.receive(wire(msg({ id: 'r', thid: 't-w' })));
    expect((await w.promise).id).toBe('r');
    other.cancel();
    await expectCodeAsync(() => other.promise, 'didcomm.wait_cancelled');
  });

  it('pending waits are bounded: the oldest is rejected', async () => {
    const { router } = harness({ maxWaiters: 2 });
    const a = router.waitReply('a');
    router.waitReply('b');
    router.waitReply('c');
    await expectCodeAsync(() => a.promise, 'didcomm.too_many_waiters');
  });
});

/** Deterministic PRNG (xorshift32): the fuzz cases are the same on every run and engine. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

describe('fuzz: garbage from the wire never throws', () => {
  const rounds = engine() === 'xs' ? 300 : 3000;

  it(`${rounds} random inputs: receive() always resolves with an outcome`, async () => {
    const rnd = prng(0x5eed);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const { router } = harness({ problemBudget: { max: 1e9, windowMs: 1 } });
    router.on(LUNCH, (ctx) => {
      if ((ctx.message.body as { boom?: unknown }).boom) throw new TypeError('boom');
    });
    router.on('https://example.org/ask/1.0/answer', () => undefined, { machine: ASK });
    const seeds: string[] = [
      wire(msg()),
      wire(msg({ body: { boom: 1 } })),
      wire(createProblemReport({ code: 'e.p.me', pthid: 'x', from: ALICE })),
      wire({ protected: base64urlEncode(utf8Encode('{"skid":"did:example:alice#k"}')), ciphertext: 'AA' }),
      wire({ payload: 'e30', signatures: [{ protected: 'e30', signature: '' }] }),
      wire({ id: 'q', type: 'https://example.org/ask/1.0/answer', thid: 'z', from: ALICE, body: {} }),
    ];
    const atoms: unknown[] = [null, true, 0, -1, 1e308, '', 'did:example:alice', 'did:', '#', [], {}, [[[]]], 'x'.repeat(300), '\u0000', '\ud800'];
    const keys = ['id', 'type', 'from', 'to', 'thid', 'pthid', 'body', 'attachments', 'created_time', 'expires_time', 'protected', 'ciphertext', 'payload', 'signatures', '__proto__', 'constructor'];
    let outcomes = 0;
    for (let i = 0; i < rounds; i++) {
      let input: string | Uint8Array;
      const kind = i % 4;
      if (kind === 0) {
        // random bytes
        const b = new Uint8Array(Math.floor(rnd() * 64));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
        input = b;
      } else if (kind === 1) {
        // a valid seed with bytes flipped / cut
        const s = pick(seeds);
        const at = Math.floor(rnd() * s.length);
        input = rnd() < 0.5 ? s.slice(0, at) : s.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(at + 1);
      } else {
        // structurally plausible JSON with hostile values
        const o: Record<string, unknown> = JSON.parse(pick(seeds.slice(0, 3)));
        const n = 1 + Math.floor(rnd() * 4);
        for (let j = 0; j < n; j++) o[pick(keys)] = pick(atoms);
        input = kind === 2 ? JSON.stringify(o) : JSON.stringify([o]);
      }
      const out = await router.receive(input);
      expect(['handled', 'problem', 'dropped']).toContain(out.status);
      outcomes++;
    }
    expect(outcomes).toBe(rounds);
  });

  it('non-string, non-byte input and unpackers that throw non-errors are outcomes too', async () => {
    const { router } = harness({
      unpack: async () => {
        throw 'a string, not an Error';
      },
    });
    expect((await router.receive(42 as unknown as string)).status).toBe('dropped');
    expect((await router.receive(wire(msg()))).status).toBe('problem');
    const weird = harness({ unpack: async () => null as unknown as Unpacked });
    expect((await weird.router.receive('{}')).status).toBe('dropped');
    expect((await weird.router.dispatch(null as unknown as PlaintextMessage)).status).toBe('dropped');
  });
});
