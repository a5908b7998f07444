/**
 * Present Proof 3.0 (https://didcomm.org/present-proof/3.0/), WACI-DIDComm
 * flavour: how an owner proves ownership of a device to a verifier (the
 * manufacturer, a shop).
 *
 *   prover   -- propose-presentation -->  verifier   (optional)
 *   prover   <-- request-presentation --  verifier   challenge + domain
 *   prover   -- presentation -------->    verifier   VP (imprint + device certificate)
 *   prover   <-- ack -----------------    verifier   when will_confirm: what it checked
 *
 * The request's attachment (format `dif/presentation-exchange/definitions@v1.0`,
 * as WACI-DIDComm uses it) is `{options: {challenge, domain},
 * presentation_definition?}`; the presentation's attachment (format
 * `dif/presentation-exchange/submission@v1.0`) is the Verifiable
 * Presentation itself (`data.json`), its `authentication` proof carrying
 * the same challenge and domain. Choice: the verifier's ack carries its
 * result (`verified`, the `checks` it made and the failing `errors` codes)
 * so the prover learns what was checked — body fields a generic agent
 * ignores.
 */
import type { Attachment, PlaintextMessage } from '../didcomm/message.ts';
import { isJsonObject } from '../didcomm/message.ts';
import type { Body, Headers } from './fields.ts';
import { attachJson, requireAck, defined, goalAndComment, invalid, jsonAttachment, message, ofType, optBool, requireThid, strArray } from './fields.ts';
import { defineMachine } from './state-machine.ts';

export const PRESENT_PROOF_PIURI = 'https://didcomm.org/present-proof/3.0';
export const PROPOSE_PRESENTATION_TYPE = `${PRESENT_PROOF_PIURI}/propose-presentation`;
export const REQUEST_PRESENTATION_TYPE = `${PRESENT_PROOF_PIURI}/request-presentation`;
export const PRESENTATION_TYPE = `${PRESENT_PROOF_PIURI}/presentation`;
export const PRESENTATION_ACK_TYPE = `${PRESENT_PROOF_PIURI}/ack`;

export const PE_DEFINITION_FORMAT = 'dif/presentation-exchange/definitions@v1.0';
export const PE_SUBMISSION_FORMAT = 'dif/presentation-exchange/submission@v1.0';
export const VP_MEDIA_TYPE = 'application/vp';
/** Goal code of a proof of device ownership. */
export const OWNERSHIP_GOAL_CODE = 'ssiot.proof-of-ownership';
/** Longest challenge / domain accepted (they are echoed into a signed proof). */
export const MAX_CHALLENGE = 256;

export interface PresentationRequestOptions {
  challenge: string;
  domain: string;
}

export interface PresentationRequestData {
  options: PresentationRequestOptions;
  presentation_definition?: Record<string, unknown>;
}

export interface ProposePresentationOptions extends Headers {
  goalCode?: string;
  comment?: string;
  attachments?: Attachment[];
}

export function buildProposePresentation(o: ProposePresentationOptions): PlaintextMessage {
  return validateProposePresentation(message(PROPOSE_PRESENTATION_TYPE, defined({ goal_code: o.goalCode, comment: o.comment }), o, o.attachments));
}

export function validateProposePresentation(m: unknown): PlaintextMessage {
  const msg = ofType(m, PROPOSE_PRESENTATION_TYPE);
  goalAndComment(msg.body);
  return msg;
}

export interface RequestPresentationOptions extends Headers {
  challenge: string;
  domain: string;
  presentationDefinition?: Record<string, unknown>;
  goalCode?: string;
  comment?: string;
  /** The verifier will answer the presentation with an ack (default true). */
  willConfirm?: boolean;
}

export function buildRequestPresentation(o: RequestPresentationOptions): PlaintextMessage {
  const data: Record<string, unknown> = { options: { challenge: o.challenge, domain: o.domain } };
  if (o.presentationDefinition !== undefined) data.presentation_definition = o.presentationDefinition;
  const body = defined({ goal_code: o.goalCode, comment: o.comment, will_confirm: o.willConfirm ?? true });
  return validateRequestPresentation(message(REQUEST_PRESENTATION_TYPE, body, o, [attachJson('presentation-request', PE_DEFINITION_FORMAT, data)]));
}

/** request-presentation: one PE-definitions attachment with non-empty `options.challenge` and `options.domain`. */
export function validateRequestPresentation(m: unknown): PlaintextMessage & { body: { goal_code?: string; comment?: string; will_confirm?: boolean } } {
  const msg = ofType(m, REQUEST_PRESENTATION_TYPE);
  goalAndComment(msg.body);
  optBool(msg.body, 'will_confirm');
  presentationRequest(msg);
  return msg;
}

/** The challenge, domain and definition of a request-presentation. */
export function presentationRequest(m: PlaintextMessage): PresentationRequestData {
  const data = jsonAttachment(m, PE_DEFINITION_FORMAT, 'presentation request');
  const opts = data.options;
  if (!isJsonObject(opts)) throw invalid('attachments', 'presentation request needs options {challenge, domain}');
  for (const k of ['challenge', 'domain'] as const) {
    const v = opts[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_CHALLENGE) throw invalid('attachments', `options.${k} must be a non-empty string of at most ${MAX_CHALLENGE} characters`);
  }
  if (data.presentation_definition !== undefined && !isJsonObject(data.presentation_definition)) {
    throw invalid('attachments', 'presentation_definition must be an object');
  }
  const out: PresentationRequestData = { options: { challenge: opts.challenge as string, domain: opts.domain as string } };
  if (data.presentation_definition !== undefined) out.presentation_definition = data.presentation_definition as Record<string, unknown>;
  return out;
}

export interface PresentationOptions extends Headers {
  thid: string;
  /** The Verifiable Presentation (vc/presentation.ts createPresentation). */
  presentation: Record<string, unknown>;
  comment?: string;
}

export function buildPresentation(o: PresentationOptions): PlaintextMessage {
  const att = attachJson('presentation', PE_SUBMISSION_FORMAT, o.presentation, VP_MEDIA_TYPE);
  return validatePresentation(message(PRESENTATION_TYPE, defined({ comment: o.comment }), o, [att]));
}

/** presentation: on the request's thread, one VP attachment (shape only; verifyPresentation does the rest). */
export function validatePresentation(m: unknown): PlaintextMessage {
  const msg = ofType(m, PRESENTATION_TYPE);
  requireThid(msg);
  goalAndComment(msg.body);
  presentedVp(msg);
  return msg;
}

/** The VP of a presentation message. */
export function presentedVp(m: PlaintextMessage): Body {
  const vp = jsonAttachment(m, PE_SUBMISSION_FORMAT, 'presentation');
  const types = Array.isArray(vp.type) ? vp.type : [vp.type];
  if (!types.includes('VerifiablePresentation') || vp.proof === undefined) throw invalid('attachments', 'must be a secured VerifiablePresentation');
  return vp;
}

export interface PresentationAckOptions extends Headers {
  thid: string;
  /** Id of the presentation acknowledged. */
  ack: string;
  verified: boolean;
  /** What the verifier checked, in order (e.g. presentation, imprint, certificate, binding, chain). */
  checks: string[];
  /** Codes of the failed checks (empty when verified). */
  errors?: string[];
}

export function buildPresentationAck(o: PresentationAckOptions): PlaintextMessage {
  const body = defined({ status: o.verified ? 'OK' : 'FAIL', verified: o.verified, checks: o.checks, errors: o.errors && o.errors.length > 0 ? o.errors : undefined });
  const m = message(PRESENTATION_ACK_TYPE, body, o);
  m.ack = [o.ack];
  return validatePresentationAck(m);
}

export function validatePresentationAck(m: unknown): PlaintextMessage & { body: { status: 'OK' | 'FAIL'; verified: boolean; checks: string[]; errors?: string[] } } {
  const msg = ofType(m, PRESENTATION_ACK_TYPE);
  requireThid(msg);
  requireAck(msg);
  const b = msg.body;
  if (typeof b.verified !== 'boolean') throw invalid('body.verified', 'must be a boolean');
  if (b.status !== (b.verified ? 'OK' : 'FAIL')) throw invalid('body.status', 'must be OK when verified, FAIL otherwise');
  strArray(b, 'checks');
  if (b.errors !== undefined) strArray(b, 'errors');
  if (b.verified && b.errors !== undefined) throw invalid('body.errors', 'must be absent when verified');
  return msg as PlaintextMessage & { body: { status: 'OK' | 'FAIL'; verified: boolean; checks: string[]; errors?: string[] } };
}

/** The verifier. */
export const PRESENT_PROOF_VERIFIER = defineMachine(PRESENT_PROOF_PIURI, 'verifier', ['done', 'abandoned'], [
  ['start', 'receive:propose-presentation', 'proposal-received'],
  ['start', 'send:request-presentation', 'request-sent'],
  ['proposal-received', 'send:request-presentation', 'request-sent'],
  ['proposal-received', 'send:problem-report', 'abandoned'],
  ['request-sent', 'receive:presentation', 'presentation-received'],
  ['request-sent', 'receive:problem-report', 'abandoned'],
  ['presentation-received', 'send:ack', 'done'],
  ['presentation-received', 'send:problem-report', 'abandoned'],
]);

/** The prover (the owner's agent). */
export const PRESENT_PROOF_PROVER = defineMachine(PRESENT_PROOF_PIURI, 'prover', ['done', 'abandoned'], [
  ['start', 'send:propose-presentation', 'proposal-sent'],
  ['start', 'receive:request-presentation', 'request-received'],
  ['proposal-sent', 'receive:request-presentation', 'request-received'],
  ['proposal-sent', 'receive:problem-report', 'abandoned'],
  ['request-received', 'send:presentation', 'presentation-sent'],
  ['request-received', 'send:problem-report', 'abandoned'],
  ['presentation-sent', 'receive:ack', 'done'],
  ['presentation-sent', 'receive:problem-report', 'abandoned'],
]);
