import { describe, it, expect } from 'vitest';
import {
  INTRODUCE_INTRODUCEE,
  INTRODUCE_INTRODUCER,
  INTRODUCE_PROPOSAL_TYPE,
  OOB_INVITATION_FORMAT,
  approves,
  buildIntroduceAck,
  buildIntroduceRequest,
  buildInvitationDelivery,
  buildProposal,
  buildResponse,
  carriedInvitation,
  validateIntroduceAck,
  validateIntroduceRequest,
  validateInvitationDelivery,
  validateProposal,
  validateResponse,
} from './introduce.ts';
import { createInvitation } from './out-of-band.ts';
import { expectInvalid, expectRefused, mutate, walk } from './testing.ts';

const DEVICE = 'did:example:device';
const OWNER = 'did:example:owner';
const MAKER = 'did:example:maker';

describe('introduce messages', () => {
  it('the device introduces owner and manufacturer; the invitation reaches the owner', () => {
    const toOwner = buildProposal({ from: DEVICE, to: [OWNER], other: { name: 'Baratza', did: MAKER, role: 'ssiot.manufacturer' } });
    const toMaker = buildProposal({ from: DEVICE, to: [MAKER], other: { name: 'Owner of SN-1', role: 'ssiot.owner' }, inviter: true });
    expect(toOwner.type).toBe(INTRODUCE_PROPOSAL_TYPE);
    expect(toOwner.body.to).toEqual({ name: 'Baratza', did: MAKER, role: 'ssiot.manufacturer' });
    expect(toOwner.to).toEqual([OWNER]);
    expect(toMaker.body.inviter).toBe(true);
    const ownerYes = buildResponse({ from: OWNER, thid: toOwner.id, approve: true });
    const invitation = createInvitation({ from: MAKER, goalCode: 'ssiot.owner-relationship' });
    const makerYes = buildResponse({ from: MAKER, thid: toMaker.id, approve: true, invitation });
    expect(approves(ownerYes) && approves(makerYes)).toBe(true);
    expect(carriedInvitation(makerYes)).toEqual(invitation);
    expect(carriedInvitation(ownerYes)).toBeUndefined();
    const delivery = buildInvitationDelivery({ from: DEVICE, to: [OWNER], thid: toOwner.id, invitation: carriedInvitation(makerYes)! });
    expect(delivery.thid).toBe(toOwner.id);
    expect(delivery.attachments?.[0].format).toBe(OOB_INVITATION_FORMAT);
    expect(carriedInvitation(delivery)?.from).toBe(MAKER);
    const ack = buildIntroduceAck({ from: DEVICE, to: [MAKER], thid: toMaker.id, ack: makerYes.id });
    expect(validateIntroduceAck(ack)).toEqual(ack);
  });

  it('request: an introducee asks to be introduced', () => {
    const r = buildIntroduceRequest({ from: OWNER, introduceTo: { name: 'Baratza support' } });
    expect(r.body).toEqual({ please_introduce_to: { name: 'Baratza support' } });
    expectInvalid(() => validateIntroduceRequest(mutate(r, 'body.please_introduce_to', undefined)), 'body.please_introduce_to');
    expectInvalid(() => validateIntroduceRequest(mutate(r, 'body.please_introduce_to.name', '')), 'body.please_introduce_to');
  });

  it('proposal: each invalid field', () => {
    const p = buildProposal({ other: { name: 'M', did: MAKER, description: 'maker' }, timeout: 600 });
    expectInvalid(() => validateProposal(mutate(p, 'body.to', undefined)), 'body.to');
    expectInvalid(() => validateProposal(mutate(p, 'body.to.name', 3)), 'body.to');
    expectInvalid(() => validateProposal(mutate(p, 'body.to.did', 'nope')), 'body.to');
    expectInvalid(() => validateProposal(mutate(p, 'body.to.description', 3)), 'body.to');
    expectInvalid(() => validateProposal(mutate(p, 'body.to.role', 3)), 'body.to');
    expectInvalid(() => validateProposal(mutate(p, 'body.inviter', 'yes')), 'body.inviter');
    expectInvalid(() => validateProposal(mutate(p, 'body.timeout', 0)), 'body.timeout');
    expectInvalid(() => validateProposal(mutate(p, 'body.comment', 1)), 'body.comment');
  });

  it('response: approve required; a decline carries no invitation; the invitation must be valid', () => {
    const inv = createInvitation({ from: MAKER });
    const r = buildResponse({ thid: 't', approve: true, invitation: inv });
    expect(validateResponse(r)).toEqual(r);
    expectInvalid(() => validateResponse(mutate(r, 'body.approve', undefined)), 'body.approve');
    expectInvalid(() => validateResponse(mutate(r, 'body.approve', false)), 'attachments');
    expectInvalid(() => validateResponse(mutate(r, 'thid', undefined)), 'thid');
    expectInvalid(() => validateResponse(mutate(r, 'attachments.0.data.json.from', undefined)), 'attachments');
    expectInvalid(() => validateResponse(mutate(r, 'attachments.0.data.json.type', 'https://didcomm.org/trust-ping/2.0/ping')), 'attachments');
    const no = buildResponse({ thid: 't', approve: false, comment: 'not now' });
    expect(approves(no)).toBe(false);
  });

  it('invitation delivery and ack: required parts', () => {
    const d = buildInvitationDelivery({ thid: 't', invitation: createInvitation({ from: MAKER }) });
    expectInvalid(() => validateInvitationDelivery(mutate(d, 'attachments', undefined)), 'attachments');
    expectInvalid(() => validateInvitationDelivery(mutate(d, 'thid', undefined)), 'thid');
    const a = buildIntroduceAck({ thid: 't', ack: 'm' });
    expectInvalid(() => validateIntroduceAck(mutate(a, 'ack', 'm')), 'ack');
    expectInvalid(() => validateIntroduceAck(mutate(a, 'body.status', undefined)), 'body.status');
  });
});

describe('introduce state machines', () => {
  it('introducer: both approve (invitation / ack), a decline, a request first', () => {
    expect(walk(INTRODUCE_INTRODUCER, ['send:proposal', 'receive:response', 'send:invitation']).pop()).toBe('done');
    expect(walk(INTRODUCE_INTRODUCER, ['send:proposal', 'receive:response', 'send:ack']).pop()).toBe('done');
    expect(walk(INTRODUCE_INTRODUCER, ['send:proposal', 'receive:response', 'send:problem-report']).pop()).toBe('declined');
    expect(walk(INTRODUCE_INTRODUCER, ['receive:request', 'send:proposal', 'receive:problem-report']).pop()).toBe('abandoned');
    expectRefused(INTRODUCE_INTRODUCER, [['start', 'send:invitation'], ['proposed', 'send:invitation'], ['done', 'send:invitation'], ['start', 'receive:response']]);
  });

  it('introducee', () => {
    expect(walk(INTRODUCE_INTRODUCEE, ['receive:proposal', 'send:response', 'receive:invitation']).pop()).toBe('done');
    expect(walk(INTRODUCE_INTRODUCEE, ['send:request', 'receive:proposal', 'send:response', 'receive:ack']).pop()).toBe('done');
    expect(walk(INTRODUCE_INTRODUCEE, ['receive:proposal', 'send:response', 'receive:problem-report']).pop()).toBe('declined');
    expectRefused(INTRODUCE_INTRODUCEE, [['start', 'receive:invitation'], ['start', 'send:response'], ['proposed', 'receive:invitation'], ['declined', 'receive:invitation']]);
  });
});
