import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import {
  ISSUE_CREDENTIAL_ACK_TYPE,
  ISSUE_CREDENTIAL_HOLDER,
  ISSUE_CREDENTIAL_ISSUER,
  ISSUE_CREDENTIAL_TYPE,
  OFFER_CREDENTIAL_TYPE,
  VC_FORMAT,
  buildCredentialAck,
  buildIssueCredential,
  buildOfferCredential,
  buildProposeCredential,
  buildRequestCredential,
  credentialPreview,
  issuedCredential,
  requestedSubject,
  validateCredentialAck,
  validateIssueCredential,
  validateOfferCredential,
  validateProposeCredential,
  validateRequestCredential,
  wantsAck,
} from './issue-credential.ts';
import { expectInvalid, expectRefused, mutate, walk } from './testing.ts';

const DEVICE = 'did:example:device';
const OWNER = 'did:example:owner';
const VC = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiableCredential', 'OwnerImprint'],
  issuer: DEVICE,
  credentialSubject: { id: OWNER, serial: 'SN-1', model: 'Encore' },
  proof: { type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', verificationMethod: `${DEVICE}#k`, proofPurpose: 'assertionMethod', proofValue: 'z1' },
};

describe('issue-credential 3.0 messages', () => {
  it('propose -> offer -> request -> issue -> ack share one thread', () => {
    const propose = buildProposeCredential({ from: OWNER, to: [DEVICE], goalCode: 'ssiot.owner-imprint', comment: 'imprint me' });
    expect(propose.type).toBe('https://didcomm.org/issue-credential/3.0/propose-credential');
    expect(propose.thid).toBeUndefined();
    const { proof: _p, ...unsigned } = VC;
    const offer = buildOfferCredential({ from: DEVICE, to: [OWNER], thid: propose.id, preview: credentialPreview({ serial: 'SN-1' }), credential: unsigned });
    expect(offer.type).toBe(OFFER_CREDENTIAL_TYPE);
    expect(offer.thid).toBe(propose.id);
    expect(offer.attachments?.[0].format).toBe(VC_FORMAT);
    expect(offer.body.credential_preview).toEqual({ type: 'https://didcomm.org/issue-credential/3.0/credential-preview', body: { attributes: [{ name: 'serial', value: 'SN-1' }] } });
    const request = buildRequestCredential({ from: OWNER, to: [DEVICE], thid: propose.id, subjectId: OWNER });
    expect(requestedSubject(request)).toBe(OWNER);
    const issue = buildIssueCredential({ from: DEVICE, to: [OWNER], thid: propose.id, credential: VC });
    expect(issue.type).toBe(ISSUE_CREDENTIAL_TYPE);
    expect(wantsAck(issue)).toBe(true);
    expect(issuedCredential(issue)).toEqual(VC);
    const ack = buildCredentialAck({ from: OWNER, to: [DEVICE], thid: propose.id, ack: issue.id });
    expect(ack.type).toBe(ISSUE_CREDENTIAL_ACK_TYPE);
    expect(ack.ack).toEqual([issue.id]);
    expect(validateCredentialAck(JSON.parse(JSON.stringify(ack)))).toEqual(ack);
  });

  it('a request without attachment asks for a credential about its sender; no ack unless asked', () => {
    const r = buildRequestCredential({ from: OWNER, to: [DEVICE] });
    expect(r.attachments).toBeUndefined();
    expect(requestedSubject(r)).toBe(OWNER);
    const issue = buildIssueCredential({ thid: r.id, credential: VC, pleaseAck: false });
    expect(wantsAck(issue)).toBe(false);
  });

  it('propose: each invalid field', () => {
    const p = buildProposeCredential({ preview: credentialPreview({ a: 'b' }) });
    expectInvalid(() => validateProposeCredential(mutate(p, 'body.goal_code', 5)), 'body.goal_code');
    expectInvalid(() => validateProposeCredential(mutate(p, 'body.comment', '')), 'body.comment');
    expectInvalid(() => validateProposeCredential(mutate(p, 'body.credential_preview.type', 'x')), 'body.credential_preview');
    expectInvalid(() => validateProposeCredential(mutate(p, 'body.credential_preview.body.attributes.0.value', 3)), 'body.credential_preview');
    expectInvalid(() => validateProposeCredential(mutate(p, 'body.credential_preview', 'x')), 'body.credential_preview');
    expectCode(() => validateProposeCredential(mutate(p, 'type', OFFER_CREDENTIAL_TYPE)), 'protocol.unexpected_type');
    expectInvalid(() => validateProposeCredential(mutate(p, 'id', 7)), 'message');
  });

  it('offer: needs a preview or a credential; the credential must look like one', () => {
    const o = buildOfferCredential({ preview: credentialPreview({ a: 'b' }) });
    expect(validateOfferCredential(o)).toEqual(o);
    expectInvalid(() => validateOfferCredential(mutate(o, 'body.credential_preview', undefined)), 'body.credential_preview');
    expectInvalid(() => validateOfferCredential(mutate(o, 'body.replacement_id', 1)), 'body.replacement_id');
    const withVc = buildOfferCredential({ credential: { ...VC } });
    expectInvalid(() => validateOfferCredential(mutate(withVc, 'attachments.0.data.json.type', ['Other'])), 'attachments');
    expectInvalid(() => buildOfferCredential({}), 'body.credential_preview');
  });

  it('request: a request attachment must name a subject DID', () => {
    const r = buildRequestCredential({ subjectId: OWNER });
    expect(validateRequestCredential(r)).toEqual(r);
    expectInvalid(() => validateRequestCredential(mutate(r, 'attachments.0.data.json.credentialSubject.id', 'not a did')), 'attachments');
    expectInvalid(() => validateRequestCredential(mutate(r, 'attachments.0.data.json', { x: 1 })), 'attachments');
    expectInvalid(() => validateRequestCredential(mutate(r, 'body.comment', 1)), 'body.comment');
  });

  it('issue: thid, exactly one secured credential, please_ack shape', () => {
    const i = buildIssueCredential({ thid: 't-1', credential: VC });
    expect(validateIssueCredential(i)).toEqual(i);
    expectInvalid(() => validateIssueCredential(mutate(i, 'thid', undefined)), 'thid');
    expectInvalid(() => validateIssueCredential(mutate(i, 'attachments.0.data.json.proof', undefined)), 'attachments');
    expectInvalid(() => validateIssueCredential(mutate(i, 'attachments.0.format', 'other')), 'attachments');
    expectInvalid(() => validateIssueCredential(mutate(i, 'attachments', [i.attachments![0], i.attachments![0]])), 'attachments');
    expectInvalid(() => validateIssueCredential(mutate(i, 'attachments.0.data', { base64: 'AA' })), 'attachments');
    expectInvalid(() => validateIssueCredential(mutate(i, 'please_ack', 'yes')), 'please_ack');
    expectInvalid(() => validateIssueCredential(mutate(i, 'body.replacement_id', '')), 'body.replacement_id');
  });

  it('ack: thid and ack header required', () => {
    const a = buildCredentialAck({ thid: 't', ack: 'm' });
    expectInvalid(() => validateCredentialAck(mutate(a, 'thid', undefined)), 'thid');
    expectInvalid(() => validateCredentialAck(mutate(a, 'ack', [])), 'ack');
    expectInvalid(() => validateCredentialAck(mutate(a, 'body.status', 5)), 'body.status');
  });
});

describe('issue-credential 3.0 state machines', () => {
  it('issuer: offer-first, proposal-first and request-first paths', () => {
    expect(walk(ISSUE_CREDENTIAL_ISSUER, ['send:offer-credential', 'receive:request-credential', 'send:issue-credential', 'receive:ack']).pop()).toBe('done');
    expect(walk(ISSUE_CREDENTIAL_ISSUER, ['receive:propose-credential', 'send:offer-credential', 'receive:propose-credential', 'send:problem-report']).pop()).toBe('abandoned');
    expect(walk(ISSUE_CREDENTIAL_ISSUER, ['receive:request-credential', 'send:issue-credential', 'receive:problem-report']).pop()).toBe('abandoned');
    expectRefused(ISSUE_CREDENTIAL_ISSUER, [
      ['start', 'send:issue-credential'],
      ['start', 'receive:ack'],
      ['offer-sent', 'send:issue-credential'],
      ['credential-issued', 'send:issue-credential'],
      ['done', 'receive:request-credential'],
      ['abandoned', 'receive:request-credential'],
    ]);
  });

  it('holder: mirror of the issuer', () => {
    expect(walk(ISSUE_CREDENTIAL_HOLDER, ['send:propose-credential', 'receive:offer-credential', 'send:request-credential', 'receive:issue-credential', 'send:ack']).pop()).toBe('done');
    expect(walk(ISSUE_CREDENTIAL_HOLDER, ['send:request-credential', 'receive:issue-credential', 'send:problem-report']).pop()).toBe('abandoned');
    expectRefused(ISSUE_CREDENTIAL_HOLDER, [
      ['start', 'receive:issue-credential'],
      ['proposal-sent', 'receive:issue-credential'],
      ['request-sent', 'send:ack'],
      ['done', 'receive:issue-credential'],
    ]);
  });
});
