import { describe, it, expect } from 'vitest';
import {
  DEFAULT_POLICY,
  POLICY_DEVICE,
  POLICY_OWNER,
  SET_POLICY_TYPE,
  applyPolicy,
  buildAuditLog,
  buildGetAuditLog,
  buildGetPolicy,
  buildPolicyState,
  buildSetPolicy,
  validateAuditLog,
  validateGetAuditLog,
  validateGetPolicy,
  validatePolicy,
  validatePolicyState,
  validateSetPolicy,
} from './policy.ts';
import { expectInvalid, expectRefused, mutate, walk } from './testing.ts';

describe('policy messages', () => {
  it('defaults share nothing and ask before firmware; partial updates merge', () => {
    expect(DEFAULT_POLICY).toEqual({ share: { diagnostics: false, usageCounters: false, errorLogs: false }, firmware: 'ask' });
    const p = applyPolicy(DEFAULT_POLICY, { share: { diagnostics: true } });
    expect(p).toEqual({ share: { diagnostics: true, usageCounters: false, errorLogs: false }, firmware: 'ask' });
    expect(applyPolicy(p, { firmware: 'never' }).firmware).toBe('never');
    expect(DEFAULT_POLICY.share.diagnostics).toBe(false);
  });

  it('set-policy: each invalid field', () => {
    const m = buildSetPolicy({ from: 'did:example:owner', policy: { share: { errorLogs: true }, firmware: 'auto' } });
    expect(m.type).toBe(SET_POLICY_TYPE);
    expect(validateSetPolicy(m).body.policy).toEqual({ share: { errorLogs: true }, firmware: 'auto' });
    expectInvalid(() => validateSetPolicy(mutate(m, 'body.policy', undefined)), 'body.policy');
    expectInvalid(() => validateSetPolicy(mutate(m, 'body.policy.firmware', 'sometimes')), 'body.policy.firmware');
    expectInvalid(() => validateSetPolicy(mutate(m, 'body.policy.share', true)), 'body.policy.share');
    expectInvalid(() => validateSetPolicy(mutate(m, 'body.policy.share.errorLogs', 'yes')), 'body.policy.share.errorLogs');
    expectInvalid(() => validateSetPolicy(mutate(m, 'body.policy.share.everything', true)), 'body.policy.share.everything');
    expectInvalid(() => validateSetPolicy(mutate(m, 'body.policy.telemetry', true)), 'body.policy.telemetry');
  });

  it('policy-state needs a complete policy and a time', () => {
    const s = buildPolicyState({ thid: 't', policy: { ...DEFAULT_POLICY, share: { ...DEFAULT_POLICY.share } }, updatedTime: 1_800_000_000 });
    expect(validatePolicyState(s)).toEqual(s);
    expectInvalid(() => validatePolicyState(mutate(s, 'body.policy.firmware', undefined)), 'body.policy.firmware');
    expectInvalid(() => validatePolicyState(mutate(s, 'body.policy.share.usageCounters', undefined)), 'body.policy.share.usageCounters');
    expectInvalid(() => validatePolicyState(mutate(s, 'body.updated_time', -1)), 'body.updated_time');
    expectInvalid(() => validatePolicyState(mutate(s, 'thid', undefined)), 'thid');
    expectInvalid(() => validatePolicy({ share: {} }), 'body.policy.firmware');
    expect(validateGetPolicy(buildGetPolicy({}))).toBeDefined();
  });

  it('audit log request and answer', () => {
    const g = buildGetAuditLog({ since: 10, limit: 50 });
    expect(g.body).toEqual({ since: 10, limit: 50 });
    expectInvalid(() => validateGetAuditLog(mutate(g, 'body.limit', 0)), 'body.limit');
    expectInvalid(() => validateGetAuditLog(mutate(g, 'body.limit', 257)), 'body.limit');
    expectInvalid(() => validateGetAuditLog(mutate(g, 'body.since', '1')), 'body.since');
    const log = buildAuditLog({ thid: g.id, entries: [{ seq: 10, time: 1_800_000_000, event: 'policy.set', party: 'did:example:owner' }, { seq: 11, time: 1_800_000_001, event: 'share.refused', detail: 'diagnostics' }], next: 12 });
    expect(validateAuditLog(log)).toEqual(log);
    expectInvalid(() => validateAuditLog(mutate(log, 'body.entries', undefined)), 'body.entries');
    expectInvalid(() => validateAuditLog(mutate(log, 'body.entries.0.seq', -1)), 'body.entries[0].seq');
    expectInvalid(() => validateAuditLog(mutate(log, 'body.entries.1.event', 'Share Refused')), 'body.entries[1].event');
    expectInvalid(() => validateAuditLog(mutate(log, 'body.entries.0.party', 5)), 'body.entries[0].party');
    expectInvalid(() => validateAuditLog(mutate(log, 'body.entries.1', 'x')), 'body.entries[1]');
    expectInvalid(() => validateAuditLog(mutate(log, 'body.next', 'x')), 'body.next');
  });
});

describe('policy state machines', () => {
  it('owner and device', () => {
    expect(walk(POLICY_OWNER, ['send:set-policy', 'receive:policy-state']).pop()).toBe('done');
    expect(walk(POLICY_OWNER, ['send:get-audit-log', 'receive:problem-report']).pop()).toBe('refused');
    expect(walk(POLICY_DEVICE, ['receive:get-policy', 'send:policy-state']).pop()).toBe('done');
    expect(walk(POLICY_DEVICE, ['receive:get-audit-log', 'send:audit-log']).pop()).toBe('done');
    expectRefused(POLICY_OWNER, [['start', 'receive:policy-state'], ['log-requested', 'receive:policy-state'], ['done', 'receive:audit-log']]);
    expectRefused(POLICY_DEVICE, [['start', 'send:policy-state'], ['policy-requested', 'send:audit-log'], ['done', 'send:policy-state']]);
  });
});
