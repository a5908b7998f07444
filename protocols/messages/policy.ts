/**
 * ssiot policy 1.0 (`https://ssiot.dev/protocols/policy/1.0`): the owner
 * decides what the device may share with its manufacturer and how firmware
 * gets installed; the device enforces it and keeps an audit log the owner
 * can read.
 *
 *   owner -- set-policy{policy} -->  device      (partial: omitted fields keep their value)
 *   owner <-- policy-state{policy, updated_time}
 *   owner -- get-policy -->  device
 *   owner <-- policy-state
 *   owner -- get-audit-log{since?, limit?} -->  device
 *   owner <-- audit-log{entries, next?}
 *
 * Only the owner's DID may send these (the device answers anyone else with
 * a problem report `e.p.trust.not-owner`). Defaults share nothing and let
 * the owner be asked before firmware installs (DESIGN: privacy by default).
 */
import type { PlaintextMessage } from '../didcomm/message.ts';
import { isJsonObject } from '../didcomm/message.ts';
import type { Body, Headers } from './fields.ts';
import { defined, int, invalid, message, obj, ofType, optInt, requireThid } from './fields.ts';
import { defineMachine } from './state-machine.ts';

export const POLICY_PIURI = 'https://ssiot.dev/protocols/policy/1.0';
export const SET_POLICY_TYPE = `${POLICY_PIURI}/set-policy`;
export const GET_POLICY_TYPE = `${POLICY_PIURI}/get-policy`;
export const POLICY_STATE_TYPE = `${POLICY_PIURI}/policy-state`;
export const GET_AUDIT_LOG_TYPE = `${POLICY_PIURI}/get-audit-log`;
export const AUDIT_LOG_TYPE = `${POLICY_PIURI}/audit-log`;

/** Problem code for a policy message from someone other than the owner. */
export const NOT_OWNER = 'e.p.trust.not-owner';
/** Most audit entries in one audit-log message. */
export const MAX_AUDIT_ENTRIES = 256;

export const FIRMWARE_MODES = ['auto', 'ask', 'never'] as const;
export type FirmwareMode = (typeof FIRMWARE_MODES)[number];

export interface SharePolicy {
  diagnostics: boolean;
  usageCounters: boolean;
  errorLogs: boolean;
}

export interface Policy {
  share: SharePolicy;
  firmware: FirmwareMode;
}

export type PolicyUpdate = { share?: Partial<SharePolicy>; firmware?: FirmwareMode };

/** Nothing shared, firmware on request. */
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  share: Object.freeze({ diagnostics: false, usageCounters: false, errorLogs: false }),
  firmware: 'ask' as FirmwareMode,
});

const SHARE_KEYS = ['diagnostics', 'usageCounters', 'errorLogs'] as const;

/** Check a (partial) policy object; unknown members are refused (a typo must not silently share nothing / everything). */
export function validatePolicyUpdate(p: unknown, where = 'body.policy'): PolicyUpdate {
  if (!isJsonObject(p)) throw invalid(where, 'must be an object');
  for (const k of Object.keys(p)) if (k !== 'share' && k !== 'firmware') throw invalid(`${where}.${k}`, 'is not a policy field');
  const out: PolicyUpdate = {};
  if (p.share !== undefined) {
    if (!isJsonObject(p.share)) throw invalid(`${where}.share`, 'must be an object');
    const share: Partial<SharePolicy> = {};
    for (const k of Object.keys(p.share)) {
      if (!(SHARE_KEYS as readonly string[]).includes(k)) throw invalid(`${where}.share.${k}`, 'is not a share field');
      if (typeof p.share[k] !== 'boolean') throw invalid(`${where}.share.${k}`, 'must be a boolean');
      share[k as keyof SharePolicy] = p.share[k] as boolean;
    }
    out.share = share;
  }
  if (p.firmware !== undefined) {
    if (typeof p.firmware !== 'string' || !(FIRMWARE_MODES as readonly string[]).includes(p.firmware)) throw invalid(`${where}.firmware`, `must be one of ${FIRMWARE_MODES.join(', ')}`);
    out.firmware = p.firmware as FirmwareMode;
  }
  return out;
}

/** A complete policy (every field present). */
export function validatePolicy(p: unknown, where = 'body.policy'): Policy {
  const u = validatePolicyUpdate(p, where);
  if (u.firmware === undefined) throw invalid(`${where}.firmware`, 'is required');
  for (const k of SHARE_KEYS) if (u.share?.[k] === undefined) throw invalid(`${where}.share.${k}`, 'is required');
  return { share: { ...(u.share as SharePolicy) }, firmware: u.firmware };
}

/** `current` with `update` applied (a new object). */
export function applyPolicy(current: Policy, update: PolicyUpdate): Policy {
  return { share: { ...current.share, ...(update.share ?? {}) }, firmware: update.firmware ?? current.firmware };
}

export interface SetPolicyOptions extends Headers {
  policy: PolicyUpdate;
}

export function buildSetPolicy(o: SetPolicyOptions): PlaintextMessage {
  return validateSetPolicy(message(SET_POLICY_TYPE, { policy: o.policy as Body }, o));
}

export function validateSetPolicy(m: unknown): PlaintextMessage & { body: { policy: PolicyUpdate } } {
  const msg = ofType(m, SET_POLICY_TYPE);
  obj(msg.body, 'policy');
  validatePolicyUpdate(msg.body.policy);
  return msg as PlaintextMessage & { body: { policy: PolicyUpdate } };
}

export function buildGetPolicy(o: Headers): PlaintextMessage {
  return validateGetPolicy(message(GET_POLICY_TYPE, {}, o));
}

export function validateGetPolicy(m: unknown): PlaintextMessage {
  return ofType(m, GET_POLICY_TYPE);
}

export interface PolicyStateOptions extends Headers {
  thid: string;
  policy: Policy;
  /** UTC epoch seconds of the last change. */
  updatedTime: number;
}

export function buildPolicyState(o: PolicyStateOptions): PlaintextMessage {
  return validatePolicyState(message(POLICY_STATE_TYPE, { policy: o.policy as unknown as Body, updated_time: o.updatedTime }, o));
}

export function validatePolicyState(m: unknown): PlaintextMessage & { body: { policy: Policy; updated_time: number } } {
  const msg = ofType(m, POLICY_STATE_TYPE);
  requireThid(msg);
  validatePolicy(msg.body.policy);
  int(msg.body, 'updated_time');
  return msg as PlaintextMessage & { body: { policy: Policy; updated_time: number } };
}

export interface GetAuditLogOptions extends Headers {
  /** Entries with seq >= since (default 0). */
  since?: number;
  /** At most this many (default and max MAX_AUDIT_ENTRIES). */
  limit?: number;
}

export function buildGetAuditLog(o: GetAuditLogOptions): PlaintextMessage {
  return validateGetAuditLog(message(GET_AUDIT_LOG_TYPE, defined({ since: o.since, limit: o.limit }), o));
}

export function validateGetAuditLog(m: unknown): PlaintextMessage & { body: { since?: number; limit?: number } } {
  const msg = ofType(m, GET_AUDIT_LOG_TYPE);
  optInt(msg.body, 'since');
  optInt(msg.body, 'limit', 1, MAX_AUDIT_ENTRIES);
  return msg as PlaintextMessage & { body: { since?: number; limit?: number } };
}

/** One audit entry: what the device did and why, never the data itself. */
export interface AuditEntry {
  /** Monotonic sequence number (survives reboots). */
  seq: number;
  /** UTC epoch seconds. */
  time: number;
  /** Dotted event name, e.g. `policy.set`, `share.diagnostics`, `share.refused`, `firmware.installed`, `service-auth.revoked`. */
  event: string;
  /** The other party, when there is one. */
  party?: string;
  /** Short static detail (a reason code, a credential id, a version). */
  detail?: string;
}

export interface AuditLogOptions extends Headers {
  thid: string;
  entries: AuditEntry[];
  /** `since` for the next page, when more entries exist. */
  next?: number;
}

export function buildAuditLog(o: AuditLogOptions): PlaintextMessage {
  return validateAuditLog(message(AUDIT_LOG_TYPE, defined({ entries: o.entries, next: o.next }), o));
}

export function validateAuditLog(m: unknown): PlaintextMessage & { body: { entries: AuditEntry[]; next?: number } } {
  const msg = ofType(m, AUDIT_LOG_TYPE);
  requireThid(msg);
  const entries = msg.body.entries;
  if (!Array.isArray(entries) || entries.length > MAX_AUDIT_ENTRIES) throw invalid('body.entries', `must be an array of at most ${MAX_AUDIT_ENTRIES} entries`);
  entries.forEach((e, i) => checkAuditEntry(e, `body.entries[${i}]`));
  optInt(msg.body, 'next');
  return msg as PlaintextMessage & { body: { entries: AuditEntry[]; next?: number } };
}

function checkAuditEntry(e: unknown, where: string): void {
  if (!isJsonObject(e)) throw invalid(where, 'must be an object');
  for (const k of ['seq', 'time']) if (typeof e[k] !== 'number' || !Number.isSafeInteger(e[k]) || (e[k] as number) < 0) throw invalid(`${where}.${k}`, 'must be a non-negative integer');
  if (typeof e.event !== 'string' || !/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(e.event) || e.event.length > 64) throw invalid(`${where}.event`, 'must be a dotted lower-case name');
  for (const k of ['party', 'detail']) if (e[k] !== undefined && (typeof e[k] !== 'string' || (e[k] as string).length > 256)) throw invalid(`${where}.${k}`, 'must be a short string');
}

/** The owner's side: each request gets one answer on its thread. */
export const POLICY_OWNER = defineMachine(POLICY_PIURI, 'owner', ['done', 'refused'], [
  ['start', 'send:set-policy', 'policy-requested'],
  ['start', 'send:get-policy', 'policy-requested'],
  ['policy-requested', 'receive:policy-state', 'done'],
  ['policy-requested', 'receive:problem-report', 'refused'],
  ['start', 'send:get-audit-log', 'log-requested'],
  ['log-requested', 'receive:audit-log', 'done'],
  ['log-requested', 'receive:problem-report', 'refused'],
]);

/** The device's side. */
export const POLICY_DEVICE = defineMachine(POLICY_PIURI, 'device', ['done', 'refused'], [
  ['start', 'receive:set-policy', 'policy-requested'],
  ['start', 'receive:get-policy', 'policy-requested'],
  ['policy-requested', 'send:policy-state', 'done'],
  ['policy-requested', 'send:problem-report', 'refused'],
  ['start', 'receive:get-audit-log', 'log-requested'],
  ['log-requested', 'send:audit-log', 'done'],
  ['log-requested', 'send:problem-report', 'refused'],
]);
