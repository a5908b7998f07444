import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import {
  PE_DEFINITION_FORMAT,
  PE_SUBMISSION_FORMAT,
  PRESENT_PROOF_PROVER,
  PRESENT_PROOF_VERIFIER,
  REQUEST_PRESENTATION_TYPE,
  buildPresentation,
  buildPresentationAck,
  buildProposePresentation,
  buildRequestPresentation,
  presentationRequest,
  presentedVp,
  validatePresentation,
  validatePresentationAck,
  validateProposePresentation,
  validateRequestPresentation,
} from './present-proof.ts';
import { expectInvalid, expectRefused, mutate, walk } from './testing.ts';

const VP = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiablePresentation'],
  holder: 'did:example:owner',
  verifiableCredential: [],
  proof: { type: 'DataIntegrityProof', proofPurpose: 'authentication', challenge: 'c', domain: 'd' },
};

describe('present-proof 3.0 messages', () => {
  it('request carries challenge and domain; presentation and ack follow on its thread', () => {
    const propose = buildProposePresentation({ from: 'did:example:owner', goalCode: 'ssiot.proof-of-ownership' });
    expect(validateProposePresentation(propose)).toEqual(propose);
    const req = buildRequestPresentation({ from: 'did:example:verifier', thid: propose.id, challenge: 'c', domain: 'd', presentationDefinition: { id: 'pd', input_descriptors: [] } });
    expect(req.type).toBe(REQUEST_PRESENTATION_TYPE);
    expect(req.body.will_confirm).toBe(true);
    expect(req.attachments?.[0].format).toBe(PE_DEFINITION_FORMAT);
    expect(presentationRequest(req)).toEqual({ options: { challenge: 'c', domain: 'd' }, presentation_definition: { id: 'pd', input_descriptors: [] } });
    const pres = buildPresentation({ thid: propose.id, presentation: VP });
    expect(pres.attachments?.[0].format).toBe(PE_SUBMISSION_FORMAT);
    expect(presentedVp(pres)).toEqual(VP);
    const ok = buildPresentationAck({ thid: propose.id, ack: pres.id, verified: true, checks: ['presentation', 'imprint', 'certificate', 'binding'] });
    expect(ok.body).toEqual({ status: 'OK', verified: true, checks: ['presentation', 'imprint', 'certificate', 'binding'] });
    const fail = buildPresentationAck({ thid: propose.id, ack: pres.id, verified: false, checks: ['presentation'], errors: ['vc.invalid_challenge'] });
    expect(fail.body.status).toBe('FAIL');
  });

  it('request: each invalid field', () => {
    const r = buildRequestPresentation({ challenge: 'c', domain: 'd' });
    expectInvalid(() => validateRequestPresentation(mutate(r, 'attachments.0.data.json.options.challenge', '')), 'attachments');
    expectInvalid(() => validateRequestPresentation(mutate(r, 'attachments.0.data.json.options.domain', undefined)), 'attachments');
    expectInvalid(() => validateRequestPresentation(mutate(r, 'attachments.0.data.json.options.challenge', 'x'.repeat(257))), 'attachments');
    expectInvalid(() => validateRequestPresentation(mutate(r, 'attachments.0.data.json.options', 'c')), 'attachments');
    expectInvalid(() => validateRequestPresentation(mutate(r, 'attachments.0.data.json.presentation_definition', [])), 'attachments');
    expectInvalid(() => validateRequestPresentation(mutate(r, 'attachments', undefined)), 'attachments');
    expectInvalid(() => validateRequestPresentation(mutate(r, 'body.will_confirm', 'yes')), 'body.will_confirm');
    expectInvalid(() => validateRequestPresentation(mutate(r, 'body.goal_code', '')), 'body.goal_code');
    expectCode(() => validateRequestPresentation(mutate(r, 'type', 'https://didcomm.org/present-proof/3.0/presentation')), 'protocol.unexpected_type');
  });

  it('presentation: thid and a secured VP', () => {
    const p = buildPresentation({ thid: 't', presentation: VP });
    expectInvalid(() => validatePresentation(mutate(p, 'thid', undefined)), 'thid');
    expectInvalid(() => validatePresentation(mutate(p, 'attachments.0.data.json.proof', undefined)), 'attachments');
    expectInvalid(() => validatePresentation(mutate(p, 'attachments.0.data.json.type', 'VerifiableCredential')), 'attachments');
    expectInvalid(() => validatePresentation(mutate(p, 'attachments.0.format', 'w3c/vc')), 'attachments');
  });

  it('ack: status agrees with verified; errors only on failure', () => {
    const a = buildPresentationAck({ thid: 't', ack: 'p', verified: true, checks: ['presentation'] });
    expect(validatePresentationAck(a)).toEqual(a);
    expectInvalid(() => validatePresentationAck(mutate(a, 'body.status', 'FAIL')), 'body.status');
    expectInvalid(() => validatePresentationAck(mutate(a, 'body.verified', 'true')), 'body.verified');
    expectInvalid(() => validatePresentationAck(mutate(a, 'body.checks', [])), 'body.checks');
    expectInvalid(() => validatePresentationAck(mutate(a, 'body.errors', ['vc.x'])), 'body.errors');
    expectInvalid(() => validatePresentationAck(mutate(a, 'ack', undefined)), 'ack');
    expectInvalid(() => validatePresentationAck(mutate(a, 'thid', undefined)), 'thid');
  });
});

describe('present-proof 3.0 state machines', () => {
  it('verifier and prover', () => {
    expect(walk(PRESENT_PROOF_VERIFIER, ['send:request-presentation', 'receive:presentation', 'send:ack']).pop()).toBe('done');
    expect(walk(PRESENT_PROOF_VERIFIER, ['receive:propose-presentation', 'send:request-presentation', 'receive:presentation', 'send:problem-report']).pop()).toBe('abandoned');
    expect(walk(PRESENT_PROOF_PROVER, ['send:propose-presentation', 'receive:request-presentation', 'send:presentation', 'receive:ack']).pop()).toBe('done');
    expect(walk(PRESENT_PROOF_PROVER, ['receive:request-presentation', 'send:problem-report']).pop()).toBe('abandoned');
    expectRefused(PRESENT_PROOF_VERIFIER, [['start', 'receive:presentation'], ['request-sent', 'send:ack'], ['done', 'receive:presentation']]);
    expectRefused(PRESENT_PROOF_PROVER, [['start', 'send:presentation'], ['presentation-sent', 'send:presentation'], ['done', 'receive:request-presentation']]);
  });
});
