import { describe, it, expect } from 'vitest';
import {
  SERVICE_AUTH_DEVICE,
  SERVICE_AUTH_MANUFACTURER,
  SERVICE_AUTH_OWNER,
  SERVICE_AUTH_PROBLEM,
  authorizationOf,
  authorizationProblem,
  buildDiagnosticsRequest,
  buildDiagnosticsResponse,
  buildGrant,
  buildRevoke,
  buildServiceAuthAck,
  serviceAuthorizationCredential,
  serviceAuthorizationTerms,
  validateDiagnosticsRequest,
  validateDiagnosticsResponse,
  validateGrant,
  validateRevoke,
  validateServiceAuthAck,
  type AuthorizationContext,
} from './service-auth.ts';
import { expectInvalid, expectRefused, mutate, walk } from './testing.ts';

const OWNER = 'did:example:owner';
const MAKER = 'did:example:maker';
const DEVICE = 'did:example:device';
const TERMS = { id: 'urn:uuid:5a1', owner: OWNER, manufacturer: MAKER, device: DEVICE, scope: ['diagnostics', 'error-logs'] as ('diagnostics' | 'error-logs')[], validFrom: '2026-01-01T00:00:00Z', validUntil: '2026-12-31T00:00:00Z' };
const SIGNED = { ...serviceAuthorizationCredential(TERMS), proof: { type: 'DataIntegrityProof' } };

describe('service authorization credential', () => {
  it('round-trips its terms', () => {
    const vc = serviceAuthorizationCredential(TERMS);
    expect(vc.type).toEqual(['VerifiableCredential', 'ServiceAuthorization']);
    expect(vc.credentialSubject).toEqual({ id: MAKER, device: DEVICE, scope: ['diagnostics', 'error-logs'] });
    expect(serviceAuthorizationTerms(vc)).toEqual(TERMS);
  });

  it('refuses malformed terms', () => {
    expectInvalid(() => serviceAuthorizationTerms(mutate(SIGNED, 'validUntil', undefined)), 'attachments');
    expectInvalid(() => serviceAuthorizationTerms(mutate(SIGNED, 'id', undefined)), 'attachments');
    expectInvalid(() => serviceAuthorizationTerms(mutate(SIGNED, 'issuer', 'https://owner.example')), 'attachments');
    expectInvalid(() => serviceAuthorizationTerms(mutate(SIGNED, 'credentialSubject.device', 'x')), 'attachments');
    expectInvalid(() => serviceAuthorizationTerms(mutate(SIGNED, 'type', ['VerifiableCredential'])), 'attachments');
    expectInvalid(() => serviceAuthorizationTerms(mutate(SIGNED, 'credentialSubject.scope', ['firmware'])), 'attachments');
    expectInvalid(() => serviceAuthorizationCredential({ ...TERMS, scope: [] }), 'attachments');
  });

  it('authorizationProblem: each refusal reason, in order', () => {
    const ok: AuthorizationContext = { device: DEVICE, owner: OWNER, requester: MAKER, scope: ['diagnostics'], now: new Date('2026-06-01T00:00:00Z'), granted: (id) => id === TERMS.id, revoked: () => false };
    expect(authorizationProblem(TERMS, ok)).toBeUndefined();
    const cases: [Partial<AuthorizationContext>, string][] = [
      [{ device: 'did:example:other-device' }, SERVICE_AUTH_PROBLEM.wrongDevice],
      [{ owner: 'did:example:new-owner' }, SERVICE_AUTH_PROBLEM.notOwner],
      [{ requester: 'did:example:someone' }, SERVICE_AUTH_PROBLEM.wrongHolder],
      [{ revoked: () => true }, SERVICE_AUTH_PROBLEM.revoked],
      [{ granted: () => false }, SERVICE_AUTH_PROBLEM.unknown],
      [{ now: new Date('2027-01-01T00:00:00Z') }, SERVICE_AUTH_PROBLEM.expired],
      [{ now: new Date('2025-06-01T00:00:00Z') }, SERVICE_AUTH_PROBLEM.notYetValid],
      [{ scope: ['usage-counters'] }, SERVICE_AUTH_PROBLEM.scope],
    ];
    for (const [change, code] of cases) expect(authorizationProblem(TERMS, { ...ok, ...change })).toBe(code);
    expect(authorizationProblem({ ...TERMS, validUntil: 'soon' }, ok)).toBe(SERVICE_AUTH_PROBLEM.invalid);
  });
});

describe('service-auth messages', () => {
  it('grant / revoke / ack', () => {
    const g = buildGrant({ from: OWNER, to: [DEVICE], credential: SIGNED });
    expect(authorizationOf(g).terms.id).toBe(TERMS.id);
    expectInvalid(() => validateGrant(mutate(g, 'attachments', undefined)), 'attachments');
    expectInvalid(() => validateGrant(mutate(g, 'attachments.0.data.json.proof', undefined)), 'attachments');
    const r = buildRevoke({ from: OWNER, credentialId: TERMS.id });
    expect(r.body).toEqual({ credential_id: TERMS.id });
    expectInvalid(() => validateRevoke(mutate(r, 'body.credential_id', '')), 'body.credential_id');
    const a = buildServiceAuthAck({ thid: r.id, ack: r.id, credentialId: TERMS.id, state: 'revoked' });
    expect(validateServiceAuthAck(a)).toEqual(a);
    expectInvalid(() => validateServiceAuthAck(mutate(a, 'body.state', 'gone')), 'body.state');
    expectInvalid(() => validateServiceAuthAck(mutate(a, 'body.status', 'FAIL')), 'body.status');
    expectInvalid(() => validateServiceAuthAck(mutate(a, 'body.credential_id', undefined)), 'body.credential_id');
    expectInvalid(() => validateServiceAuthAck(mutate(a, 'ack', undefined)), 'ack');
  });

  it('diagnostics request and response', () => {
    const q = buildDiagnosticsRequest({ from: MAKER, to: [DEVICE], scope: ['diagnostics'], credential: SIGNED });
    expect(validateDiagnosticsRequest(q).body.scope).toEqual(['diagnostics']);
    expectInvalid(() => validateDiagnosticsRequest(mutate(q, 'from', undefined)), 'from');
    expectInvalid(() => validateDiagnosticsRequest(mutate(q, 'body.scope', ['root-shell'])), 'body.scope');
    expectInvalid(() => validateDiagnosticsRequest(mutate(q, 'body.scope', ['diagnostics', 'diagnostics'])), 'body.scope');
    expectInvalid(() => validateDiagnosticsRequest(mutate(q, 'attachments', undefined)), 'attachments');
    const s = buildDiagnosticsResponse({ thid: q.id, diagnostics: { burr_rpm: 1400 }, usage_counters: { cycles: 512 }, error_logs: [{ time: 1_800_000_000, code: 'motor.stall' }], withheld: ['usage-counters'] });
    expect(validateDiagnosticsResponse(s)).toEqual(s);
    expect(buildDiagnosticsResponse({ thid: 't', withheld: [] }).body).toEqual({});
    expectInvalid(() => validateDiagnosticsResponse(mutate(s, 'body.diagnostics', [])), 'body.diagnostics');
    expectInvalid(() => validateDiagnosticsResponse(mutate(s, 'body.usage_counters.cycles', -1)), 'body.usage_counters');
    expectInvalid(() => validateDiagnosticsResponse(mutate(s, 'body.error_logs.0.code', 1)), 'body.error_logs');
    expectInvalid(() => validateDiagnosticsResponse(mutate(s, 'body.withheld', ['x'])), 'body.withheld');
    expectInvalid(() => validateDiagnosticsResponse(mutate(s, 'thid', undefined)), 'thid');
  });
});

describe('service-auth state machines', () => {
  it('owner, device, manufacturer', () => {
    expect(walk(SERVICE_AUTH_OWNER, ['send:grant', 'receive:ack']).pop()).toBe('done');
    expect(walk(SERVICE_AUTH_OWNER, ['send:revoke', 'receive:problem-report']).pop()).toBe('refused');
    expect(walk(SERVICE_AUTH_DEVICE, ['receive:revoke', 'send:ack']).pop()).toBe('done');
    expect(walk(SERVICE_AUTH_DEVICE, ['receive:diagnostics-request', 'send:problem-report']).pop()).toBe('refused');
    expect(walk(SERVICE_AUTH_MANUFACTURER, ['send:diagnostics-request', 'receive:diagnostics-response']).pop()).toBe('done');
    expectRefused(SERVICE_AUTH_DEVICE, [['start', 'send:diagnostics-response'], ['owner-request', 'send:diagnostics-response'], ['diagnostics-requested', 'send:ack']]);
    expectRefused(SERVICE_AUTH_MANUFACTURER, [['start', 'receive:diagnostics-response'], ['done', 'receive:diagnostics-response']]);
    expectRefused(SERVICE_AUTH_OWNER, [['start', 'receive:ack'], ['done', 'receive:ack']]);
  });
});
