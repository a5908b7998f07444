/**
 * ssiot support 1.0 (`https://ssiot.dev/protocols/support/1.0`): the
 * device as a conduit between its owner and its manufacturer. The owner
 * never needs a relationship with the manufacturer; the device holds a
 * support thread (a persistent object with its own id) and relays.
 *
 *   owner        -- open-thread{subject, text?} -->  device
 *   device       -- open-thread{subject, support_thread_id} -->  manufacturer
 *   device       <-- thread-opened{support_thread_id}  -- manufacturer
 *   owner        <-- thread-opened{support_thread_id}  -- device
 *   device       -- context{support_thread_id, model?, firmware?, counters?} -->  manufacturer
 *   either side  -- message{support_thread_id, from_party, text} -->  device --> the other side
 *   either side  -- close{support_thread_id, reason?} -->  device --> the other side
 *
 * `support_thread_id` (a UUID the device assigns) names the support case
 * across both DIDComm threads and across reboots; the DIDComm `thid` of
 * each leg is that leg's own open-thread id. `from_party` is set by the
 * device when relaying (it is what the recipient shows), never trusted from
 * the sender: the device overwrites it. `context` holds only what the
 * owner's policy allows (counters only with share.usageCounters).
 */
import type { PlaintextMessage } from '../didcomm/message.ts';
import type { Headers } from './fields.ts';
import { defined, message, optCounters, ofType, oneOf, optStr, requireThid, str } from './fields.ts';
import { defineMachine } from './state-machine.ts';

export const SUPPORT_PIURI = 'https://ssiot.dev/protocols/support/1.0';
export const OPEN_THREAD_TYPE = `${SUPPORT_PIURI}/open-thread`;
export const THREAD_OPENED_TYPE = `${SUPPORT_PIURI}/thread-opened`;
export const SUPPORT_MESSAGE_TYPE = `${SUPPORT_PIURI}/message`;
export const SUPPORT_CONTEXT_TYPE = `${SUPPORT_PIURI}/context`;
export const SUPPORT_CLOSE_TYPE = `${SUPPORT_PIURI}/close`;

export const PARTIES = ['owner', 'device', 'manufacturer'] as const;
export type Party = (typeof PARTIES)[number];
/** Longest relayed text (a support chat line, not a file transfer). */
export const MAX_SUPPORT_TEXT = 4096;

export interface OpenThreadOptions extends Headers {
  subject: string;
  text?: string;
  /** Set by the device on the manufacturer leg only. */
  supportThreadId?: string;
}

export function buildOpenThread(o: OpenThreadOptions): PlaintextMessage {
  return validateOpenThread(message(OPEN_THREAD_TYPE, defined({ subject: o.subject, text: o.text, support_thread_id: o.supportThreadId }), o));
}

export function validateOpenThread(m: unknown): PlaintextMessage & { body: { subject: string; text?: string; support_thread_id?: string } } {
  const msg = ofType(m, OPEN_THREAD_TYPE);
  str(msg.body, 'subject', 256);
  optStr(msg.body, 'text', MAX_SUPPORT_TEXT);
  optStr(msg.body, 'support_thread_id', 128);
  return msg as PlaintextMessage & { body: { subject: string; text?: string; support_thread_id?: string } };
}

export interface ThreadOpenedOptions extends Headers {
  thid: string;
  supportThreadId: string;
}

export function buildThreadOpened(o: ThreadOpenedOptions): PlaintextMessage {
  return validateThreadOpened(message(THREAD_OPENED_TYPE, { support_thread_id: o.supportThreadId }, o));
}

export function validateThreadOpened(m: unknown): PlaintextMessage & { body: { support_thread_id: string } } {
  const msg = ofType(m, THREAD_OPENED_TYPE);
  requireThid(msg);
  str(msg.body, 'support_thread_id', 128);
  return msg as PlaintextMessage & { body: { support_thread_id: string } };
}

export interface SupportMessageOptions extends Headers {
  thid: string;
  supportThreadId: string;
  fromParty: Party;
  text: string;
}

export function buildSupportMessage(o: SupportMessageOptions): PlaintextMessage {
  return validateSupportMessage(message(SUPPORT_MESSAGE_TYPE, { support_thread_id: o.supportThreadId, from_party: o.fromParty, text: o.text }, o));
}

export function validateSupportMessage(m: unknown): PlaintextMessage & { body: { support_thread_id: string; from_party: Party; text: string } } {
  const msg = ofType(m, SUPPORT_MESSAGE_TYPE);
  requireThid(msg);
  str(msg.body, 'support_thread_id', 128);
  oneOf(msg.body, 'from_party', PARTIES);
  str(msg.body, 'text', MAX_SUPPORT_TEXT);
  return msg as PlaintextMessage & { body: { support_thread_id: string; from_party: Party; text: string } };
}

/** What the device tells the manufacturer about itself (each part only when the policy allows it). */
export interface SupportContext {
  model?: string;
  firmware?: string;
  counters?: Record<string, number>;
}

export interface SupportContextOptions extends Headers, SupportContext {
  thid: string;
  supportThreadId: string;
}

export function buildSupportContext(o: SupportContextOptions): PlaintextMessage {
  const body = defined({ support_thread_id: o.supportThreadId, model: o.model, firmware: o.firmware, counters: o.counters });
  return validateSupportContext(message(SUPPORT_CONTEXT_TYPE, body, o));
}

export function validateSupportContext(m: unknown): PlaintextMessage & { body: SupportContext & { support_thread_id: string } } {
  const msg = ofType(m, SUPPORT_CONTEXT_TYPE);
  requireThid(msg);
  str(msg.body, 'support_thread_id', 128);
  optStr(msg.body, 'model', 128);
  optStr(msg.body, 'firmware', 64);
  optCounters(msg.body, 'counters');
  return msg as PlaintextMessage & { body: SupportContext & { support_thread_id: string } };
}

export interface SupportCloseOptions extends Headers {
  thid: string;
  supportThreadId: string;
  reason?: string;
}

export function buildSupportClose(o: SupportCloseOptions): PlaintextMessage {
  return validateSupportClose(message(SUPPORT_CLOSE_TYPE, defined({ support_thread_id: o.supportThreadId, reason: o.reason }), o));
}

export function validateSupportClose(m: unknown): PlaintextMessage & { body: { support_thread_id: string; reason?: string } } {
  const msg = ofType(m, SUPPORT_CLOSE_TYPE);
  requireThid(msg);
  str(msg.body, 'support_thread_id', 128);
  optStr(msg.body, 'reason', 256);
  return msg as PlaintextMessage & { body: { support_thread_id: string; reason?: string } };
}

/** The requester of a leg (owner towards the device, device towards the manufacturer). */
export const SUPPORT_REQUESTER = defineMachine(SUPPORT_PIURI, 'requester', ['closed', 'refused'], [
  ['start', 'send:open-thread', 'opening'],
  ['opening', 'receive:thread-opened', 'open'],
  ['opening', 'receive:problem-report', 'refused'],
  ['open', 'send:message', 'open'],
  ['open', 'receive:message', 'open'],
  ['open', 'send:context', 'open'],
  ['open', 'send:close', 'closed'],
  ['open', 'receive:close', 'closed'],
]);

/** The responder of a leg (device towards the owner, manufacturer towards the device). */
export const SUPPORT_RESPONDER = defineMachine(SUPPORT_PIURI, 'responder', ['closed', 'refused'], [
  ['start', 'receive:open-thread', 'opening'],
  ['opening', 'send:thread-opened', 'open'],
  ['opening', 'send:problem-report', 'refused'],
  ['open', 'send:message', 'open'],
  ['open', 'receive:message', 'open'],
  ['open', 'receive:context', 'open'],
  ['open', 'send:close', 'closed'],
  ['open', 'receive:close', 'closed'],
]);
