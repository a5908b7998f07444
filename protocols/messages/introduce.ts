/**
 * Introduce (Aries RFC 0028) mapped to DIDComm v2: the device introduces
 * its owner and its manufacturer, who share nothing yet.
 *
 *   introducer -- proposal{to: M} --> owner (A)        thread TA
 *   introducer -- proposal{to: A} --> manufacturer (M) thread TM
 *   A -- response{approve} --> introducer               on TA
 *   M -- response{approve, + OOB invitation} --> introducer   on TM
 *   introducer -- invitation{+ M's OOB invitation} --> A      on TA (the RFC's final delivery)
 *   introducer -- ack --> M                                   on TM (the introduction went through)
 *   A -- (OOB: a new thread with pthid = invitation id) --> M
 *
 * Mapping: the RFC's `~attach` is the DIDComm v2 `attachments` array, its
 * `~thread` is `thid`; the two proposals are separate threads sharing a
 * `pthid` when the introduction was itself asked for (`request`, an
 * introducee asking the introducer to introduce it to someone). The party
 * whose response carries an OOB invitation is the one that will be
 * contacted. Either introducee may decline (`approve: false`): the
 * introducer then tells the other one with a problem report
 * `e.p.introduce.declined` on its thread, and nobody learns more than that.
 * Choice: the invitation is delivered with a message of its own
 * (`invitation`) rather than a reused `response`, so each message type has
 * one sender role.
 */
import type { PlaintextMessage } from '../didcomm/message.ts';
import { isJsonObject } from '../didcomm/message.ts';
import type { Body, Headers } from './fields.ts';
import { attachJson, requireAck, attachmentsOf, bool, defined, goalAndComment, invalid, isDid, jsonAttachment, message, obj, ofType, optBool, optStr, requireThid, str } from './fields.ts';
import { INVITATION_TYPE, validateInvitation } from './out-of-band.ts';
import { defineMachine } from './state-machine.ts';

export const INTRODUCE_PIURI = 'https://didcomm.org/introduce/1.0';
export const INTRODUCE_REQUEST_TYPE = `${INTRODUCE_PIURI}/request`;
export const INTRODUCE_PROPOSAL_TYPE = `${INTRODUCE_PIURI}/proposal`;
export const INTRODUCE_RESPONSE_TYPE = `${INTRODUCE_PIURI}/response`;
export const INTRODUCE_INVITATION_TYPE = `${INTRODUCE_PIURI}/invitation`;
export const INTRODUCE_ACK_TYPE = `${INTRODUCE_PIURI}/ack`;
/** Attachment format of an OOB 2.0 invitation carried inside introduce messages. */
export const OOB_INVITATION_FORMAT = 'didcomm/oob-invitation@v2';
/** Problem code the introducer sends to one party when the other declined. */
export const INTRODUCTION_DECLINED = 'e.p.introduce.declined';

/** Who the other party is (the RFC's `to` descriptor). */
export interface IntroduceeDescriptor {
  name: string;
  description?: string;
  /** Its public DID, when it has one worth showing (the manufacturer's did:webvh). */
  did?: string;
  /** Reverse-DNS kind of party, e.g. `ssiot.manufacturer`, `ssiot.owner`. */
  role?: string;
}

function descriptor(b: Body, name: string): IntroduceeDescriptor {
  const d = obj(b, name);
  const where = `body.${name}`;
  if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > 256) throw invalid(where, 'needs a name');
  if (d.description !== undefined && (typeof d.description !== 'string' || d.description.length > 4096)) throw invalid(where, 'description must be a string');
  if (d.did !== undefined && !isDid(d.did)) throw invalid(where, 'did must be a DID');
  if (d.role !== undefined && (typeof d.role !== 'string' || d.role.length > 256)) throw invalid(where, 'role must be a string');
  return d as unknown as IntroduceeDescriptor;
}

export interface IntroduceRequestOptions extends Headers {
  /** Whom the requester wants to meet (body `please_introduce_to`). */
  introduceTo: IntroduceeDescriptor;
  comment?: string;
}

/** request: an introducee asks the introducer for an introduction (optional start). */
export function buildIntroduceRequest(o: IntroduceRequestOptions): PlaintextMessage {
  return validateIntroduceRequest(message(INTRODUCE_REQUEST_TYPE, defined({ please_introduce_to: o.introduceTo, comment: o.comment }), o));
}

export function validateIntroduceRequest(m: unknown): PlaintextMessage & { body: { please_introduce_to: IntroduceeDescriptor; comment?: string } } {
  const msg = ofType(m, INTRODUCE_REQUEST_TYPE);
  descriptor(msg.body, 'please_introduce_to');
  goalAndComment(msg.body);
  return msg as PlaintextMessage & { body: { please_introduce_to: IntroduceeDescriptor; comment?: string } };
}

export interface ProposalOptions extends Headers {
  /** The other introducee, described to this one (body `to`; the `to` header is this recipient). */
  other: IntroduceeDescriptor;
  /** Ask this introducee for the OOB invitation (it is the party to be contacted). */
  inviter?: boolean;
  goalCode?: string;
  comment?: string;
  /** The introducer's timeout for answers, seconds. */
  timeout?: number;
}

/**
 * proposal (introducer -> each introducee). `to` in the body is the RFC's
 * descriptor of the *other* party (the DIDComm `to` header is this
 * recipient). `inviter: true` tells the recipient to put an OOB invitation
 * in its response if it approves.
 */
export function buildProposal(o: ProposalOptions): PlaintextMessage {
  const body = defined({ to: o.other, inviter: o.inviter, goal_code: o.goalCode, comment: o.comment, timeout: o.timeout });
  return validateProposal(message(INTRODUCE_PROPOSAL_TYPE, body, o));
}

export function validateProposal(m: unknown): PlaintextMessage & { body: { to: IntroduceeDescriptor; inviter?: boolean; goal_code?: string; comment?: string; timeout?: number } } {
  const msg = ofType(m, INTRODUCE_PROPOSAL_TYPE);
  descriptor(msg.body, 'to');
  optBool(msg.body, 'inviter');
  goalAndComment(msg.body);
  const t = msg.body.timeout;
  if (t !== undefined && (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1)) throw invalid('body.timeout', 'must be a positive integer (seconds)');
  return msg as PlaintextMessage & { body: { to: IntroduceeDescriptor; inviter?: boolean; goal_code?: string; comment?: string; timeout?: number } };
}

export interface ResponseOptions extends Headers {
  thid: string;
  approve: boolean;
  /** The responder's OOB invitation (when it was asked to be the inviter and approves). */
  invitation?: PlaintextMessage;
  comment?: string;
}

export function buildResponse(o: ResponseOptions): PlaintextMessage {
  const att = o.invitation === undefined ? undefined : [attachJson('invitation', OOB_INVITATION_FORMAT, o.invitation)];
  return validateResponse(message(INTRODUCE_RESPONSE_TYPE, defined({ approve: o.approve, comment: o.comment }), o, att));
}

/** response: `approve` boolean; an invitation only with approve, and it must be a valid OOB 2.0 invitation. */
export function validateResponse(m: unknown): PlaintextMessage & { body: { approve: boolean; comment?: string } } {
  const msg = ofType(m, INTRODUCE_RESPONSE_TYPE);
  requireThid(msg);
  const approve = bool(msg.body, 'approve');
  optStr(msg.body, 'comment');
  if (attachmentsOf(msg, OOB_INVITATION_FORMAT).length > 0) {
    if (!approve) throw invalid('attachments', 'a declining response carries no invitation');
    carriedInvitation(msg);
  }
  return msg as PlaintextMessage & { body: { approve: boolean; comment?: string } };
}

/** The OOB invitation carried by a response or invitation message, validated; undefined when none. */
export function carriedInvitation(m: PlaintextMessage): PlaintextMessage | undefined {
  if (attachmentsOf(m, OOB_INVITATION_FORMAT).length === 0) return undefined;
  const inv = jsonAttachment(m, OOB_INVITATION_FORMAT, 'OOB invitation');
  if (inv.type !== INVITATION_TYPE) throw invalid('attachments', `must be an ${INVITATION_TYPE}`);
  try {
    return validateInvitation(inv);
  } catch {
    throw invalid('attachments', 'carries an invalid OOB invitation');
  }
}

export interface InvitationDeliveryOptions extends Headers {
  thid: string;
  invitation: PlaintextMessage;
  comment?: string;
}

/** invitation (introducer -> the introducee who will make contact), on that introducee's thread. */
export function buildInvitationDelivery(o: InvitationDeliveryOptions): PlaintextMessage {
  const att = [attachJson('invitation', OOB_INVITATION_FORMAT, o.invitation)];
  return validateInvitationDelivery(message(INTRODUCE_INVITATION_TYPE, defined({ comment: o.comment }), o, att));
}

export function validateInvitationDelivery(m: unknown): PlaintextMessage {
  const msg = ofType(m, INTRODUCE_INVITATION_TYPE);
  requireThid(msg);
  optStr(msg.body, 'comment');
  if (carriedInvitation(msg) === undefined) throw invalid('attachments', 'must carry the OOB invitation');
  return msg;
}

export interface IntroduceAckOptions extends Headers {
  thid: string;
  ack: string;
}

/** ack (introducer -> the inviter): both approved and the invitation went out. */
export function buildIntroduceAck(o: IntroduceAckOptions): PlaintextMessage {
  const m = message(INTRODUCE_ACK_TYPE, { status: 'OK' }, o);
  m.ack = [o.ack];
  return validateIntroduceAck(m);
}

export function validateIntroduceAck(m: unknown): PlaintextMessage {
  const msg = ofType(m, INTRODUCE_ACK_TYPE);
  requireThid(msg);
  requireAck(msg);
  str(msg.body, 'status', 16);
  return msg;
}

/** True when a response approves. */
export function approves(m: PlaintextMessage): boolean {
  return isJsonObject(m.body) && m.body.approve === true;
}

/**
 * The introducer, one machine per introducee thread. After a response the
 * introducer either delivers the other's invitation (`invitation`), confirms
 * to the inviter (`ack`), or reports the other party's decline.
 */
export const INTRODUCE_INTRODUCER = defineMachine(INTRODUCE_PIURI, 'introducer', ['done', 'declined', 'abandoned'], [
  ['start', 'receive:request', 'requested'],
  ['start', 'send:proposal', 'proposed'],
  ['requested', 'send:proposal', 'proposed'],
  ['requested', 'send:problem-report', 'abandoned'],
  ['proposed', 'receive:response', 'responded'],
  ['proposed', 'receive:problem-report', 'abandoned'],
  ['responded', 'send:invitation', 'done'],
  ['responded', 'send:ack', 'done'],
  ['responded', 'send:problem-report', 'declined'],
]);

/** An introducee (owner or manufacturer). */
export const INTRODUCE_INTRODUCEE = defineMachine(INTRODUCE_PIURI, 'introducee', ['done', 'declined', 'abandoned'], [
  ['start', 'send:request', 'requested'],
  ['start', 'receive:proposal', 'proposed'],
  ['requested', 'receive:proposal', 'proposed'],
  ['requested', 'receive:problem-report', 'abandoned'],
  ['proposed', 'send:response', 'responded'],
  ['proposed', 'send:problem-report', 'abandoned'],
  ['responded', 'receive:invitation', 'done'],
  ['responded', 'receive:ack', 'done'],
  ['responded', 'receive:problem-report', 'declined'],
]);
