import { describe, it, expect } from 'vitest';
import {
  SUPPORT_REQUESTER,
  SUPPORT_RESPONDER,
  buildOpenThread,
  buildSupportClose,
  buildSupportContext,
  buildSupportMessage,
  buildThreadOpened,
  validateOpenThread,
  validateSupportClose,
  validateSupportContext,
  validateSupportMessage,
  validateThreadOpened,
} from './support.ts';
import { expectInvalid, expectRefused, mutate, walk } from './testing.ts';

describe('support messages', () => {
  it('open, opened, context, message, close', () => {
    const open = buildOpenThread({ from: 'did:example:owner', subject: 'Grinds too coarse', text: 'Setting 5 is like 20' });
    expect(open.body).toEqual({ subject: 'Grinds too coarse', text: 'Setting 5 is like 20' });
    expectInvalid(() => validateOpenThread(mutate(open, 'body.subject', '')), 'body.subject');
    expectInvalid(() => validateOpenThread(mutate(open, 'body.subject', 'x'.repeat(257))), 'body.subject');
    expectInvalid(() => validateOpenThread(mutate(open, 'body.text', 5)), 'body.text');
    expectInvalid(() => validateOpenThread(mutate(open, 'body.support_thread_id', '')), 'body.support_thread_id');

    const opened = buildThreadOpened({ thid: open.id, supportThreadId: 'st-1' });
    expectInvalid(() => validateThreadOpened(mutate(opened, 'body.support_thread_id', undefined)), 'body.support_thread_id');
    expectInvalid(() => validateThreadOpened(mutate(opened, 'thid', undefined)), 'thid');

    const ctx = buildSupportContext({ thid: 'leg-2', supportThreadId: 'st-1', model: 'Encore', firmware: '1.4.2', counters: { cycles: 512 } });
    expect(validateSupportContext(ctx)).toEqual(ctx);
    expect(buildSupportContext({ thid: 'leg-2', supportThreadId: 'st-1' }).body).toEqual({ support_thread_id: 'st-1' });
    expectInvalid(() => validateSupportContext(mutate(ctx, 'body.counters.cycles', 1.5)), 'body.counters');
    expectInvalid(() => validateSupportContext(mutate(ctx, 'body.model', 3)), 'body.model');
    expectInvalid(() => validateSupportContext(mutate(ctx, 'body.firmware', '')), 'body.firmware');

    const msg = buildSupportMessage({ thid: open.id, supportThreadId: 'st-1', fromParty: 'manufacturer', text: 'Please recalibrate' });
    expect(validateSupportMessage(msg)).toEqual(msg);
    expectInvalid(() => validateSupportMessage(mutate(msg, 'body.from_party', 'stranger')), 'body.from_party');
    expectInvalid(() => validateSupportMessage(mutate(msg, 'body.text', 'x'.repeat(4097))), 'body.text');
    expectInvalid(() => validateSupportMessage(mutate(msg, 'body.support_thread_id', 1)), 'body.support_thread_id');

    const close = buildSupportClose({ thid: open.id, supportThreadId: 'st-1', reason: 'resolved' });
    expect(validateSupportClose(close)).toEqual(close);
    expectInvalid(() => validateSupportClose(mutate(close, 'body.reason', 1)), 'body.reason');
    expectInvalid(() => validateSupportClose(mutate(close, 'thid', undefined)), 'thid');
  });
});

describe('support state machines', () => {
  it('requester and responder legs', () => {
    expect(walk(SUPPORT_REQUESTER, ['send:open-thread', 'receive:thread-opened', 'send:context', 'send:message', 'receive:message', 'receive:close']).pop()).toBe('closed');
    expect(walk(SUPPORT_RESPONDER, ['receive:open-thread', 'send:thread-opened', 'receive:context', 'receive:message', 'send:message', 'send:close']).pop()).toBe('closed');
    expect(walk(SUPPORT_RESPONDER, ['receive:open-thread', 'send:problem-report']).pop()).toBe('refused');
    expectRefused(SUPPORT_REQUESTER, [['start', 'send:message'], ['opening', 'send:message'], ['closed', 'send:message'], ['open', 'receive:context']]);
    expectRefused(SUPPORT_RESPONDER, [['start', 'receive:message'], ['closed', 'receive:message'], ['open', 'send:context']]);
  });
});
