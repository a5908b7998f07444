/**
 * Shared plumbing of the ssiot message families: one builder for the
 * DIDComm headers, and field checkers that throw `protocol.invalid_message`
 * naming the field. Validators take a received plaintext message (already
 * checked by didcomm/message.ts on unpack, re-checked here so a builder's
 * output and a parsed message go through the same gate).
 */
import type { Attachment, PlaintextMessage } from '../didcomm/message.ts';
import { isJsonObject, newMessageId, validatePlaintext } from '../didcomm/message.ts';
import { parseDid } from '../did/did-url.ts';
import { base64urlDecode } from '../encoding/base64url.ts';
import { ProtocolError, isSsiotError } from '../errors.ts';
import { PROBLEM, ProblemReportError } from './report-problem.ts';

/** DIDComm headers every builder accepts. */
export interface Headers {
  from?: string;
  to?: string[];
  /** Thread id: the first message's id; set on every reply. */
  thid?: string;
  /** Parent thread (the OOB invitation id, the introduction's thread, ...). */
  pthid?: string;
  id?: string;
  createdTime?: number;
  expiresTime?: number;
}

export type Body = Record<string, unknown>;

/** A message with `type`, `body`, the given headers and attachments (nothing else added). */
export function message(type: string, body: Body, h: Headers, attachments?: Attachment[]): PlaintextMessage {
  const m: PlaintextMessage = { id: h.id ?? newMessageId(), type, body };
  if (h.from !== undefined) m.from = h.from;
  if (h.to !== undefined) m.to = [...h.to];
  if (h.thid !== undefined) m.thid = h.thid;
  if (h.pthid !== undefined) m.pthid = h.pthid;
  if (h.createdTime !== undefined) m.created_time = h.createdTime;
  if (h.expiresTime !== undefined) m.expires_time = h.expiresTime;
  if (attachments !== undefined && attachments.length > 0) m.attachments = attachments;
  return m;
}

export function invalid(field: string, why: string): ProtocolError {
  return new ProtocolError('protocol.invalid_message', `${field} ${why}`, { field });
}

/**
 * The plaintext check plus the type: `protocol.unexpected_type` for another
 * message type, `protocol.invalid_message` (field `message`) for a
 * malformed envelope-level message.
 */
export function ofType(m: unknown, type: string): PlaintextMessage & { body: Body } {
  let msg: PlaintextMessage;
  try {
    msg = validatePlaintext(m);
  } catch (e) {
    throw new ProtocolError('protocol.invalid_message', `not a DIDComm plaintext message (${isSsiotError(e) ? e.code : 'error'})`, { cause: e, field: 'message' });
  }
  if (msg.type !== type) throw new ProtocolError('protocol.unexpected_type', `expected ${type}`, { field: 'type' });
  return msg as PlaintextMessage & { body: Body };
}

/** Replies must name their thread. */
export function requireThid(m: PlaintextMessage): string {
  if (typeof m.thid !== 'string' || m.thid.length === 0) throw invalid('thid', 'is required on a reply');
  return m.thid;
}

/** Messages answering an invitation must name it as parent thread. */
export function requirePthid(m: PlaintextMessage): string {
  if (typeof m.pthid !== 'string' || m.pthid.length === 0) throw invalid('pthid', 'is required (the invitation id)');
  return m.pthid;
}

/** Longest free-text field we accept (comments, support messages): bounded, strangers send them. */
export const MAX_TEXT = 4096;

export function str(b: Body, name: string, max = MAX_TEXT): string {
  const v = b[name];
  if (typeof v !== 'string' || v.length === 0) throw invalid(`body.${name}`, 'must be a non-empty string');
  if (v.length > max) throw invalid(`body.${name}`, `must be at most ${max} characters`);
  return v;
}

export function optStr(b: Body, name: string, max = MAX_TEXT): string | undefined {
  return b[name] === undefined ? undefined : str(b, name, max);
}

export function bool(b: Body, name: string): boolean {
  if (typeof b[name] !== 'boolean') throw invalid(`body.${name}`, 'must be a boolean');
  return b[name] as boolean;
}

export function optBool(b: Body, name: string): boolean | undefined {
  return b[name] === undefined ? undefined : bool(b, name);
}

/** A non-negative safe integer in [min, max]. */
export function int(b: Body, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = b[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw invalid(`body.${name}`, `must be an integer in [${min}, ${max}]`);
  return v;
}

export function optInt(b: Body, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return b[name] === undefined ? undefined : int(b, name, min, max);
}

export function oneOf<T extends string>(b: Body, name: string, values: readonly T[]): T {
  const v = b[name];
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw invalid(`body.${name}`, `must be one of ${values.join(', ')}`);
  return v as T;
}

export function isDid(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    parseDid(v);
    return true;
  } catch {
    return false;
  }
}

export function did(b: Body, name: string): string {
  if (!isDid(b[name])) throw invalid(`body.${name}`, 'must be a DID');
  return b[name] as string;
}

/** base64url (no padding) decoding to exactly `length` bytes, or within [min, max]. */
export function b64(b: Body, name: string, min: number, max = min): Uint8Array {
  const v = b[name];
  let bytes: Uint8Array | undefined;
  if (typeof v === 'string' && /^[A-Za-z0-9_-]*$/.test(v)) {
    try {
      bytes = base64urlDecode(v);
    } catch {
      bytes = undefined;
    }
  }
  if (bytes === undefined) throw invalid(`body.${name}`, 'must be base64url without padding');
  if (bytes.length < min || bytes.length > max) throw invalid(`body.${name}`, min === max ? `must decode to ${min} bytes` : `must decode to ${min}..${max} bytes`);
  return bytes;
}

export function obj(b: Body, name: string): Body {
  if (!isJsonObject(b[name])) throw invalid(`body.${name}`, 'must be an object');
  return b[name] as Body;
}

export function strArray(b: Body, name: string, allowed?: readonly string[], maxItems = 64): string[] {
  const v = b[name];
  if (!Array.isArray(v) || v.length === 0 || v.length > maxItems || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 256)) {
    throw invalid(`body.${name}`, `must be a non-empty array of at most ${maxItems} strings`);
  }
  if (allowed && !v.every((x) => allowed.includes(x as string))) throw invalid(`body.${name}`, `entries must be among ${allowed.join(', ')}`);
  if (new Set(v).size !== v.length) throw invalid(`body.${name}`, 'must not repeat entries');
  return [...(v as string[])];
}

/** The attachments with `format` (all of them when format is undefined). */
export function attachmentsOf(m: PlaintextMessage, format?: string): Attachment[] {
  const all = m.attachments ?? [];
  return format === undefined ? all : all.filter((a) => a.format === format);
}

/** Exactly one attachment in `format` whose `data.json` is an object; returns that object. */
export function jsonAttachment(m: PlaintextMessage, format: string, what: string): Body {
  const found = attachmentsOf(m, format);
  if (found.length !== 1) throw invalid('attachments', `must hold exactly one ${what} (format ${format})`);
  const json = found[0].data.json;
  if (!isJsonObject(json)) throw invalid('attachments', `${what} must be inline JSON (data.json)`);
  return json;
}

/** An inline-JSON attachment. */
export function attachJson(id: string, format: string, json: unknown, mediaType = 'application/json'): Attachment {
  return { id, media_type: mediaType, format, data: { json } };
}

/** A credential-shaped object: @context, type, issuer, credentialSubject (full checks are verifyCredential's). */
export function checkCredentialLike(v: Body, where: string, requiredType?: string): void {
  const types = Array.isArray(v.type) ? v.type : [v.type];
  if (v['@context'] === undefined || !types.includes('VerifiableCredential') || v.issuer === undefined || v.credentialSubject === undefined) {
    throw invalid(where, 'must be a Verifiable Credential');
  }
  if (requiredType !== undefined && !types.includes(requiredType)) throw invalid(where, `must be a ${requiredType}`);
}

/** Common `goal_code` / `comment` of the Aries-derived protocols. */
export function goalAndComment(b: Body): { goal_code?: string; comment?: string } {
  const out: { goal_code?: string; comment?: string } = {};
  const g = optStr(b, 'goal_code', 256);
  const c = optStr(b, 'comment');
  if (g !== undefined) out.goal_code = g;
  if (c !== undefined) out.comment = c;
  return out;
}

/** Copy defined values only (builders never write `undefined` members). */
export function defined(o: Record<string, unknown>): Body {
  const out: Body = {};
  for (const k of Object.keys(o)) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** The DIDComm v2 `ack` header: the ids of the messages acknowledged (a non-empty list). */
export function requireAck(m: PlaintextMessage): string[] {
  const a = m.ack;
  if (!Array.isArray(a) || a.length === 0 || !a.every((x) => typeof x === 'string' && x.length > 0)) throw invalid('ack', 'must list the acknowledged message id');
  return a as string[];
}

/** A map of counter names to non-negative integers (usage counters), when present. */
export function optCounters(b: Body, name: string): Record<string, number> | undefined {
  const c = b[name];
  if (c === undefined) return undefined;
  if (!isJsonObject(c) || !Object.keys(c).every((k) => typeof c[k] === 'number' && Number.isSafeInteger(c[k]) && (c[k] as number) >= 0)) {
    throw invalid(`body.${name}`, 'must map names to non-negative integers');
  }
  return c as Record<string, number>;
}

/**
 * The problem report a handler should answer a validation error with:
 * `protocol.invalid_message` / `protocol.unexpected_type` -> `e.p.msg.invalid`
 * (args: the field), `protocol.invalid_transition` -> `e.m.req.out-of-order`;
 * anything else is returned unchanged for the router to classify. Only the
 * field name travels, never the message text.
 */
export function problemFor(e: unknown): unknown {
  if (!isSsiotError(e)) return e;
  if (e.code === 'protocol.invalid_message' || e.code === 'protocol.unexpected_type') {
    const field = (e as ProtocolError).field;
    return new ProblemReportError(PROBLEM.invalid, field === undefined ? [] : [field], { cause: e });
  }
  if (e.code === 'protocol.invalid_transition') return new ProblemReportError(PROBLEM.outOfOrder, [], { cause: e });
  return e;
}
