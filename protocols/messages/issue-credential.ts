/**
 * Issue Credential 3.0 (https://didcomm.org/issue-credential/3.0/): how the
 * device issues the owner-imprint VC to its new owner.
 *
 *   holder  -- propose-credential -->  issuer     (optional)
 *   holder  <-- offer-credential ---   issuer     (optional when the holder starts with a request)
 *   holder  -- request-credential -->  issuer
 *   holder  <-- issue-credential ---   issuer     (please_ack -> holder answers `ack`)
 *
 * The first message's id is the thread id; every later message carries
 * `thid`. Attachments name their format. Choices (the 3.0 doc lists formats
 * by registry, not ours): a W3C VC DM 2.0 credential secured with Data
 * Integrity travels inline (`data.json`) with format `w3c/vc` and media type
 * `application/vc` (the VC DM 2.0 media type); a request names the subject
 * DID the credential is for (format `w3c/vc-request`, `{credentialSubject:
 * {id}}`, optional) — without it the subject is the requester's `from`.
 * Acks (DIDComm v2 §Acks): `please_ack: ["outcome"]` on issue-credential
 * asks the holder to confirm it stored a verifying credential; the holder
 * answers with `ack` (header `ack: [<issue message id>]`), or with a
 * problem report when the credential does not verify.
 */
import type { Attachment, PlaintextMessage } from '../didcomm/message.ts';
import { isJsonObject } from '../didcomm/message.ts';
import type { Body, Headers } from './fields.ts';
import { attachJson, requireAck, attachmentsOf, checkCredentialLike, defined, goalAndComment, invalid, isDid, jsonAttachment, message, obj, ofType, optStr, requireThid, str } from './fields.ts';
import { defineMachine } from './state-machine.ts';

export const ISSUE_CREDENTIAL_PIURI = 'https://didcomm.org/issue-credential/3.0';
export const PROPOSE_CREDENTIAL_TYPE = `${ISSUE_CREDENTIAL_PIURI}/propose-credential`;
export const OFFER_CREDENTIAL_TYPE = `${ISSUE_CREDENTIAL_PIURI}/offer-credential`;
export const REQUEST_CREDENTIAL_TYPE = `${ISSUE_CREDENTIAL_PIURI}/request-credential`;
export const ISSUE_CREDENTIAL_TYPE = `${ISSUE_CREDENTIAL_PIURI}/issue-credential`;
export const ISSUE_CREDENTIAL_ACK_TYPE = `${ISSUE_CREDENTIAL_PIURI}/ack`;
/** Type of the `credential_preview` object (the 3.0 doc's name). */
export const CREDENTIAL_PREVIEW_TYPE = `${ISSUE_CREDENTIAL_PIURI}/credential-preview`;

/** Attachment format of an inline W3C VC (DM 2.0, Data Integrity). */
export const VC_FORMAT = 'w3c/vc';
export const VC_MEDIA_TYPE = 'application/vc';
/** Attachment format of a request naming the credential's subject. */
export const VC_REQUEST_FORMAT = 'w3c/vc-request';
/** Goal code of the owner imprint exchange. */
export const IMPRINT_GOAL_CODE = 'ssiot.owner-imprint';

export interface PreviewAttribute {
  name: string;
  value: string;
  media_type?: string;
}

export interface CredentialPreview {
  type: typeof CREDENTIAL_PREVIEW_TYPE;
  body: { attributes: PreviewAttribute[] };
}

export interface ProposeCredentialBody {
  goal_code?: string;
  comment?: string;
  credential_preview?: CredentialPreview;
}

export interface OfferCredentialBody extends ProposeCredentialBody {
  replacement_id?: string;
  multiple_available?: string;
}

export interface RequestCredentialBody {
  goal_code?: string;
  comment?: string;
}

export interface IssueCredentialBody {
  goal_code?: string;
  comment?: string;
  replacement_id?: string;
}

/** Build a credential_preview from name/value pairs (values are strings, as in the 3.0 doc). */
export function credentialPreview(attributes: Record<string, string>): CredentialPreview {
  return { type: CREDENTIAL_PREVIEW_TYPE, body: { attributes: Object.keys(attributes).map((name) => ({ name, value: attributes[name] })) } };
}

function checkPreview(b: Body): CredentialPreview | undefined {
  if (b.credential_preview === undefined) return undefined;
  const p = obj(b, 'credential_preview');
  const attrs = isJsonObject(p.body) ? p.body.attributes : undefined;
  if (p.type !== CREDENTIAL_PREVIEW_TYPE || !Array.isArray(attrs)) {
    throw invalid('body.credential_preview', `must be {type: ${CREDENTIAL_PREVIEW_TYPE}, body: {attributes: [...]}}`);
  }
  for (const a of attrs) {
    if (!isJsonObject(a) || typeof a.name !== 'string' || a.name.length === 0 || typeof a.value !== 'string') {
      throw invalid('body.credential_preview', 'attributes must be {name, value} strings');
    }
  }
  return p as unknown as CredentialPreview;
}

export interface ProposeCredentialOptions extends Headers {
  goalCode?: string;
  comment?: string;
  preview?: CredentialPreview;
  attachments?: Attachment[];
}

export function buildProposeCredential(o: ProposeCredentialOptions): PlaintextMessage {
  const body = defined({ goal_code: o.goalCode, comment: o.comment, credential_preview: o.preview });
  return validateProposeCredential(message(PROPOSE_CREDENTIAL_TYPE, body, o, o.attachments));
}

/** propose-credential: every field optional (a holder may just ask). */
export function validateProposeCredential(m: unknown): PlaintextMessage & { body: ProposeCredentialBody } {
  const msg = ofType(m, PROPOSE_CREDENTIAL_TYPE);
  goalAndComment(msg.body);
  checkPreview(msg.body);
  return msg as PlaintextMessage & { body: ProposeCredentialBody };
}

export interface OfferCredentialOptions extends Headers {
  goalCode?: string;
  comment?: string;
  preview?: CredentialPreview;
  replacementId?: string;
  /** Unsigned credential template offered (format w3c/vc). */
  credential?: Record<string, unknown>;
}

/** offer-credential: answers a proposal (`thid` = its id) or starts a thread. */
export function buildOfferCredential(o: OfferCredentialOptions): PlaintextMessage {
  const body = defined({ goal_code: o.goalCode, comment: o.comment, credential_preview: o.preview, replacement_id: o.replacementId });
  const att = o.credential === undefined ? undefined : [attachJson('credential-offer', VC_FORMAT, o.credential, VC_MEDIA_TYPE)];
  return validateOfferCredential(message(OFFER_CREDENTIAL_TYPE, body, o, att));
}

/** offer-credential needs a credential_preview or an offered credential (something to accept). */
export function validateOfferCredential(m: unknown): PlaintextMessage & { body: OfferCredentialBody } {
  const msg = ofType(m, OFFER_CREDENTIAL_TYPE);
  goalAndComment(msg.body);
  optStr(msg.body, 'replacement_id', 256);
  optStr(msg.body, 'multiple_available', 16);
  const preview = checkPreview(msg.body);
  if (preview === undefined && attachmentsOf(msg, VC_FORMAT).length === 0) throw invalid('body.credential_preview', 'or a w3c/vc attachment is required');
  if (attachmentsOf(msg, VC_FORMAT).length > 0) checkCredentialLike(jsonAttachment(msg, VC_FORMAT, 'credential offer'), 'attachments');
  return msg as PlaintextMessage & { body: OfferCredentialBody };
}

export interface RequestCredentialOptions extends Headers {
  goalCode?: string;
  comment?: string;
  /** The DID the credential is to be about (default: the requester's `from`). */
  subjectId?: string;
}

export function buildRequestCredential(o: RequestCredentialOptions): PlaintextMessage {
  const body = defined({ goal_code: o.goalCode, comment: o.comment });
  const att = o.subjectId === undefined ? undefined : [attachJson('credential-request', VC_REQUEST_FORMAT, { credentialSubject: { id: o.subjectId } })];
  return validateRequestCredential(message(REQUEST_CREDENTIAL_TYPE, body, o, att));
}

/** request-credential; a w3c/vc-request attachment, when present, must name a subject DID. */
export function validateRequestCredential(m: unknown): PlaintextMessage & { body: RequestCredentialBody } {
  const msg = ofType(m, REQUEST_CREDENTIAL_TYPE);
  goalAndComment(msg.body);
  requestedSubject(msg);
  return msg as PlaintextMessage & { body: RequestCredentialBody };
}

/** The subject DID a request asks for: its w3c/vc-request attachment, else the message's `from`. */
export function requestedSubject(m: PlaintextMessage): string | undefined {
  if (attachmentsOf(m, VC_REQUEST_FORMAT).length === 0) return m.from;
  const r = jsonAttachment(m, VC_REQUEST_FORMAT, 'credential request');
  const subject = isJsonObject(r.credentialSubject) ? r.credentialSubject.id : undefined;
  if (!isDid(subject)) throw invalid('attachments', 'credential request must name credentialSubject.id as a DID');
  return subject;
}

export interface IssueCredentialOptions extends Headers {
  thid: string;
  credential: Record<string, unknown>;
  goalCode?: string;
  comment?: string;
  replacementId?: string;
  /** Ask the holder to ack (default true: the device wants to know the imprint arrived). */
  pleaseAck?: boolean;
}

/** issue-credential: the signed credential, on the request's thread. */
export function buildIssueCredential(o: IssueCredentialOptions): PlaintextMessage {
  const body = defined({ goal_code: o.goalCode, comment: o.comment, replacement_id: o.replacementId });
  const m = message(ISSUE_CREDENTIAL_TYPE, body, o, [attachJson('credential', VC_FORMAT, o.credential, VC_MEDIA_TYPE)]);
  if (o.pleaseAck !== false) m.please_ack = ['outcome'];
  return validateIssueCredential(m);
}

export function validateIssueCredential(m: unknown): PlaintextMessage & { body: IssueCredentialBody } {
  const msg = ofType(m, ISSUE_CREDENTIAL_TYPE);
  requireThid(msg);
  goalAndComment(msg.body);
  optStr(msg.body, 'replacement_id', 256);
  const vc = jsonAttachment(msg, VC_FORMAT, 'credential');
  checkCredentialLike(vc, 'attachments');
  if (!isJsonObject(vc.proof) && !Array.isArray(vc.proof)) throw invalid('attachments', 'credential must carry a proof');
  if (msg.please_ack !== undefined && (!Array.isArray(msg.please_ack) || !msg.please_ack.every((x) => typeof x === 'string'))) {
    throw invalid('please_ack', 'must be an array of strings');
  }
  return msg as PlaintextMessage & { body: IssueCredentialBody };
}

/** The credential of a validated issue-credential message. */
export function issuedCredential(m: PlaintextMessage): Record<string, unknown> {
  return jsonAttachment(m, VC_FORMAT, 'credential');
}

/** True when an issue-credential asks for an ack. */
export function wantsAck(m: PlaintextMessage): boolean {
  return Array.isArray(m.please_ack) && m.please_ack.length > 0;
}

export interface CredentialAckOptions extends Headers {
  thid: string;
  /** Id of the issue-credential message acknowledged. */
  ack: string;
}

/** The holder's ack: header `ack: [<issue id>]`, body `{status: 'OK'}`. */
export function buildCredentialAck(o: CredentialAckOptions): PlaintextMessage {
  const m = message(ISSUE_CREDENTIAL_ACK_TYPE, { status: 'OK' }, o);
  m.ack = [o.ack];
  return validateCredentialAck(m);
}

export function validateCredentialAck(m: unknown): PlaintextMessage {
  const msg = ofType(m, ISSUE_CREDENTIAL_ACK_TYPE);
  requireThid(msg);
  requireAck(msg);
  if (msg.body.status !== undefined) str(msg.body, 'status', 16);
  return msg;
}

/**
 * The issuer (the device). It may start with an offer, or answer a
 * proposal or a direct request; a problem report from either side ends
 * the thread (`abandoned`).
 */
export const ISSUE_CREDENTIAL_ISSUER = defineMachine(ISSUE_CREDENTIAL_PIURI, 'issuer', ['done', 'abandoned'], [
  ['start', 'receive:propose-credential', 'proposal-received'],
  ['start', 'send:offer-credential', 'offer-sent'],
  ['start', 'receive:request-credential', 'request-received'],
  ['proposal-received', 'send:offer-credential', 'offer-sent'],
  ['proposal-received', 'send:problem-report', 'abandoned'],
  ['offer-sent', 'receive:request-credential', 'request-received'],
  ['offer-sent', 'receive:propose-credential', 'proposal-received'],
  ['offer-sent', 'receive:problem-report', 'abandoned'],
  ['request-received', 'send:issue-credential', 'credential-issued'],
  ['request-received', 'send:problem-report', 'abandoned'],
  ['credential-issued', 'receive:ack', 'done'],
  ['credential-issued', 'receive:problem-report', 'abandoned'],
]);

/** The holder (the owner's agent). */
export const ISSUE_CREDENTIAL_HOLDER = defineMachine(ISSUE_CREDENTIAL_PIURI, 'holder', ['done', 'abandoned'], [
  ['start', 'send:propose-credential', 'proposal-sent'],
  ['start', 'receive:offer-credential', 'offer-received'],
  ['start', 'send:request-credential', 'request-sent'],
  ['proposal-sent', 'receive:offer-credential', 'offer-received'],
  ['proposal-sent', 'receive:problem-report', 'abandoned'],
  ['offer-received', 'send:request-credential', 'request-sent'],
  ['offer-received', 'send:propose-credential', 'proposal-sent'],
  ['offer-received', 'send:problem-report', 'abandoned'],
  ['request-sent', 'receive:issue-credential', 'credential-received'],
  ['request-sent', 'receive:problem-report', 'abandoned'],
  ['credential-received', 'send:ack', 'done'],
  ['credential-received', 'send:problem-report', 'abandoned'],
]);
