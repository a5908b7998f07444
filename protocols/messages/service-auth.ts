/**
 * ssiot service authorization 1.0 (`https://ssiot.dev/protocols/service-auth/1.0`):
 * the owner lets the manufacturer reach into the device (remote
 * diagnostics) for a while, and takes it back by telling the device
 * directly — so revocation works with the manufacturer offline.
 *
 *   owner        -- grant + ServiceAuthorization VC -->  device
 *   owner        <-- ack{credential_id, state: active}
 *   owner        -- revoke{credential_id} -->  device
 *   owner        <-- ack{credential_id, state: revoked}
 *   manufacturer -- diagnostics-request{scope} + ServiceAuthorization VC -->  device
 *   manufacturer <-- diagnostics-response{...what scope AND policy allow, withheld}
 *                    or problem-report e.p.trust.service-auth.*
 *
 * The ServiceAuthorization VC (VC DM 2.0, eddsa-jcs-2022, signed by the
 * owner's DID): `type` includes `ServiceAuthorization`, `issuer` = owner,
 * `validUntil` required, `credentialSubject` = {id: manufacturer DID,
 * device: device DID, scope: [...SERVICE_SCOPES]}. The device accepts a
 * diagnostics request only when the VC verifies, its issuer is the
 * *current* owner, its subject is the requester (`from`), it names this
 * device, it is within its validity period, it was granted (the device
 * knows its id) and not revoked, and the requested scope is within it.
 * Choice: the device must have received the grant from the owner; a VC the
 * manufacturer shows but the owner never granted to the device is refused
 * (`unknown`), so an owner's revoke can always find what it revokes.
 */
import type { PlaintextMessage } from '../didcomm/message.ts';
import { isJsonObject } from '../didcomm/message.ts';
import type { Body, Headers } from './fields.ts';
import { attachJson, optCounters, requireAck, checkCredentialLike, defined, invalid, isDid, jsonAttachment, message, ofType, oneOf, requireThid, str, strArray } from './fields.ts';
import type { SharePolicy } from './policy.ts';
import { VC_FORMAT, VC_MEDIA_TYPE } from './issue-credential.ts';
import { defineMachine } from './state-machine.ts';

export const SERVICE_AUTH_PIURI = 'https://ssiot.dev/protocols/service-auth/1.0';
export const GRANT_TYPE = `${SERVICE_AUTH_PIURI}/grant`;
export const REVOKE_TYPE = `${SERVICE_AUTH_PIURI}/revoke`;
export const SERVICE_AUTH_ACK_TYPE = `${SERVICE_AUTH_PIURI}/ack`;
export const DIAGNOSTICS_REQUEST_TYPE = `${SERVICE_AUTH_PIURI}/diagnostics-request`;
export const DIAGNOSTICS_RESPONSE_TYPE = `${SERVICE_AUTH_PIURI}/diagnostics-response`;

export const SERVICE_AUTHORIZATION = 'ServiceAuthorization';
export const SERVICE_SCOPES = ['diagnostics', 'usage-counters', 'error-logs'] as const;
export type ServiceScope = (typeof SERVICE_SCOPES)[number];

/** Which policy switch gates each scope. */
export const SCOPE_POLICY: Readonly<Record<ServiceScope, keyof SharePolicy>> = Object.freeze({
  diagnostics: 'diagnostics',
  'usage-counters': 'usageCounters',
  'error-logs': 'errorLogs',
});

/** Why a service authorization is refused (problem-report codes). */
export const SERVICE_AUTH_PROBLEM = {
  missing: 'e.p.trust.service-auth.missing',
  invalid: 'e.p.trust.service-auth.invalid',
  expired: 'e.p.trust.service-auth.expired',
  notYetValid: 'e.p.trust.service-auth.not-yet-valid',
  revoked: 'e.p.trust.service-auth.revoked',
  unknown: 'e.p.trust.service-auth.unknown',
  wrongDevice: 'e.p.trust.service-auth.wrong-device',
  notOwner: 'e.p.trust.service-auth.not-owner',
  wrongHolder: 'e.p.trust.service-auth.wrong-holder',
  scope: 'e.p.trust.service-auth.scope',
} as const;

export interface ServiceAuthorizationTerms {
  /** Credential id (a URL, `urn:uuid:...`): what revoke names. */
  id: string;
  owner: string;
  manufacturer: string;
  device: string;
  scope: ServiceScope[];
  validFrom?: string;
  validUntil: string;
}

/** The unsigned ServiceAuthorization VC for `terms` (sign it with vc/issue.ts issueCredential). */
export function serviceAuthorizationCredential(t: ServiceAuthorizationTerms): Record<string, unknown> {
  const vc: Record<string, unknown> = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: t.id,
    type: ['VerifiableCredential', SERVICE_AUTHORIZATION],
    issuer: t.owner,
  };
  if (t.validFrom !== undefined) vc.validFrom = t.validFrom;
  vc.validUntil = t.validUntil;
  vc.credentialSubject = { id: t.manufacturer, device: t.device, scope: [...t.scope] };
  serviceAuthorizationTerms(vc);
  return vc;
}

/** The terms of a ServiceAuthorization VC (shape only; the signature is verifyCredential's). */
export function serviceAuthorizationTerms(vc: unknown, where = 'attachments'): ServiceAuthorizationTerms {
  if (!isJsonObject(vc)) throw invalid(where, 'must be a ServiceAuthorization credential');
  checkCredentialLike(vc, where, SERVICE_AUTHORIZATION);
  const s = vc.credentialSubject;
  if (typeof vc.id !== 'string' || vc.id.length === 0) throw invalid(where, 'credential id is required (revocation names it)');
  const owner = typeof vc.issuer === 'string' ? vc.issuer : isJsonObject(vc.issuer) ? vc.issuer.id : undefined;
  if (!isDid(owner)) throw invalid(where, 'issuer must be the owner DID');
  if (!isJsonObject(s) || !isDid(s.id) || !isDid(s.device)) throw invalid(where, 'credentialSubject needs id (manufacturer DID) and device (device DID)');
  if (typeof vc.validUntil !== 'string') throw invalid(where, 'validUntil is required');
  let scope: ServiceScope[];
  try {
    scope = strArray(s, 'scope', SERVICE_SCOPES) as ServiceScope[];
  } catch {
    throw invalid(where, `credentialSubject.scope must be a non-empty set of ${SERVICE_SCOPES.join(', ')}`);
  }
  const out: ServiceAuthorizationTerms = { id: vc.id, owner, manufacturer: s.id, device: s.device, scope, validUntil: vc.validUntil };
  if (typeof vc.validFrom === 'string') out.validFrom = vc.validFrom;
  return out;
}

export interface AuthorizationContext {
  /** This device's DID. */
  device: string;
  /** The current owner's DID. */
  owner: string;
  /** The requester (`from` of the diagnostics request). */
  requester: string;
  /** Scopes asked for. */
  scope: readonly string[];
  now: Date;
  /** Ids the owner granted to this device and has not revoked. */
  granted: (id: string) => boolean;
  /** Ids the owner revoked. */
  revoked: (id: string) => boolean;
}

/**
 * The first reason (a SERVICE_AUTH_PROBLEM code) the terms do not
 * authorize the request, or undefined when they do. Signature and issuer
 * binding are checked before this (verifyCredential).
 */
export function authorizationProblem(t: ServiceAuthorizationTerms, c: AuthorizationContext): string | undefined {
  if (t.device !== c.device) return SERVICE_AUTH_PROBLEM.wrongDevice;
  if (t.owner !== c.owner) return SERVICE_AUTH_PROBLEM.notOwner;
  if (t.manufacturer !== c.requester) return SERVICE_AUTH_PROBLEM.wrongHolder;
  if (c.revoked(t.id)) return SERVICE_AUTH_PROBLEM.revoked;
  if (!c.granted(t.id)) return SERVICE_AUTH_PROBLEM.unknown;
  const now = c.now.getTime();
  const until = Date.parse(t.validUntil);
  if (!Number.isFinite(until)) return SERVICE_AUTH_PROBLEM.invalid;
  if (now > until) return SERVICE_AUTH_PROBLEM.expired;
  if (t.validFrom !== undefined) {
    const from = Date.parse(t.validFrom);
    if (!Number.isFinite(from)) return SERVICE_AUTH_PROBLEM.invalid;
    if (now < from) return SERVICE_AUTH_PROBLEM.notYetValid;
  }
  if (!c.scope.every((s) => (t.scope as string[]).includes(s))) return SERVICE_AUTH_PROBLEM.scope;
  return undefined;
}

export interface GrantOptions extends Headers {
  /** The signed ServiceAuthorization VC. */
  credential: Record<string, unknown>;
}

export function buildGrant(o: GrantOptions): PlaintextMessage {
  const att = [attachJson('service-authorization', VC_FORMAT, o.credential, VC_MEDIA_TYPE)];
  return validateGrant(message(GRANT_TYPE, {}, o, att));
}

/** grant: one signed ServiceAuthorization VC attachment. */
export function validateGrant(m: unknown): PlaintextMessage {
  const msg = ofType(m, GRANT_TYPE);
  authorizationOf(msg);
  return msg;
}

/** The ServiceAuthorization VC of a grant or diagnostics-request, with its terms. */
export function authorizationOf(m: PlaintextMessage): { credential: Body; terms: ServiceAuthorizationTerms } {
  const credential = jsonAttachment(m, VC_FORMAT, 'ServiceAuthorization credential');
  if (credential.proof === undefined) throw invalid('attachments', 'the ServiceAuthorization credential must carry a proof');
  return { credential, terms: serviceAuthorizationTerms(credential) };
}

export interface RevokeOptions extends Headers {
  credentialId: string;
}

export function buildRevoke(o: RevokeOptions): PlaintextMessage {
  return validateRevoke(message(REVOKE_TYPE, { credential_id: o.credentialId }, o));
}

export function validateRevoke(m: unknown): PlaintextMessage & { body: { credential_id: string } } {
  const msg = ofType(m, REVOKE_TYPE);
  str(msg.body, 'credential_id', 512);
  return msg as PlaintextMessage & { body: { credential_id: string } };
}

export interface ServiceAuthAckOptions extends Headers {
  thid: string;
  ack: string;
  credentialId: string;
  state: 'active' | 'revoked';
}

/** ack (device -> owner) after a grant or a revoke. */
export function buildServiceAuthAck(o: ServiceAuthAckOptions): PlaintextMessage {
  const m = message(SERVICE_AUTH_ACK_TYPE, { status: 'OK', credential_id: o.credentialId, state: o.state }, o);
  m.ack = [o.ack];
  return validateServiceAuthAck(m);
}

export function validateServiceAuthAck(m: unknown): PlaintextMessage & { body: { status: 'OK'; credential_id: string; state: 'active' | 'revoked' } } {
  const msg = ofType(m, SERVICE_AUTH_ACK_TYPE);
  requireThid(msg);
  requireAck(msg);
  oneOf(msg.body, 'status', ['OK'] as const);
  str(msg.body, 'credential_id', 512);
  oneOf(msg.body, 'state', ['active', 'revoked'] as const);
  return msg as PlaintextMessage & { body: { status: 'OK'; credential_id: string; state: 'active' | 'revoked' } };
}

export interface DiagnosticsRequestOptions extends Headers {
  scope: ServiceScope[];
  credential: Record<string, unknown>;
}

export function buildDiagnosticsRequest(o: DiagnosticsRequestOptions): PlaintextMessage {
  const att = [attachJson('service-authorization', VC_FORMAT, o.credential, VC_MEDIA_TYPE)];
  return validateDiagnosticsRequest(message(DIAGNOSTICS_REQUEST_TYPE, { scope: o.scope }, o, att));
}

/** diagnostics-request: `from` (the requester), scope within SERVICE_SCOPES, the authorization attached. */
export function validateDiagnosticsRequest(m: unknown): PlaintextMessage & { body: { scope: ServiceScope[] } } {
  const msg = ofType(m, DIAGNOSTICS_REQUEST_TYPE);
  if (!isDid(msg.from)) throw invalid('from', 'is required (it must be the authorization subject)');
  strArray(msg.body, 'scope', SERVICE_SCOPES);
  authorizationOf(msg);
  return msg as PlaintextMessage & { body: { scope: ServiceScope[] } };
}

export interface DiagnosticsData {
  diagnostics?: Record<string, unknown>;
  usage_counters?: Record<string, number>;
  error_logs?: { time: number; code: string }[];
}

export interface DiagnosticsResponseOptions extends Headers, DiagnosticsData {
  thid: string;
  /** Scopes asked for and authorized, but withheld by the owner's policy. */
  withheld?: ServiceScope[];
}

export function buildDiagnosticsResponse(o: DiagnosticsResponseOptions): PlaintextMessage {
  const body = defined({ diagnostics: o.diagnostics, usage_counters: o.usage_counters, error_logs: o.error_logs, withheld: o.withheld && o.withheld.length > 0 ? o.withheld : undefined });
  return validateDiagnosticsResponse(message(DIAGNOSTICS_RESPONSE_TYPE, body, o));
}

export function validateDiagnosticsResponse(m: unknown): PlaintextMessage & { body: DiagnosticsData & { withheld?: ServiceScope[] } } {
  const msg = ofType(m, DIAGNOSTICS_RESPONSE_TYPE);
  requireThid(msg);
  const b = msg.body;
  if (b.diagnostics !== undefined && !isJsonObject(b.diagnostics)) throw invalid('body.diagnostics', 'must be an object');
  optCounters(b, 'usage_counters');
  if (b.error_logs !== undefined) {
    const l = b.error_logs;
    if (!Array.isArray(l) || !l.every((e) => isJsonObject(e) && typeof e.time === 'number' && Number.isSafeInteger(e.time) && typeof e.code === 'string')) {
      throw invalid('body.error_logs', 'must be an array of {time, code}');
    }
  }
  if (b.withheld !== undefined) strArray(b, 'withheld', SERVICE_SCOPES);
  return msg as PlaintextMessage & { body: DiagnosticsData & { withheld?: ServiceScope[] } };
}

/** The owner's side of grant / revoke. */
export const SERVICE_AUTH_OWNER = defineMachine(SERVICE_AUTH_PIURI, 'owner', ['done', 'refused'], [
  ['start', 'send:grant', 'requested'],
  ['start', 'send:revoke', 'requested'],
  ['requested', 'receive:ack', 'done'],
  ['requested', 'receive:problem-report', 'refused'],
]);

/** The device: answers grant/revoke (owner) and diagnostics requests (manufacturer). */
export const SERVICE_AUTH_DEVICE = defineMachine(SERVICE_AUTH_PIURI, 'device', ['done', 'refused'], [
  ['start', 'receive:grant', 'owner-request'],
  ['start', 'receive:revoke', 'owner-request'],
  ['owner-request', 'send:ack', 'done'],
  ['owner-request', 'send:problem-report', 'refused'],
  ['start', 'receive:diagnostics-request', 'diagnostics-requested'],
  ['diagnostics-requested', 'send:diagnostics-response', 'done'],
  ['diagnostics-requested', 'send:problem-report', 'refused'],
]);

/** The manufacturer asking for diagnostics. */
export const SERVICE_AUTH_MANUFACTURER = defineMachine(SERVICE_AUTH_PIURI, 'manufacturer', ['done', 'refused'], [
  ['start', 'send:diagnostics-request', 'diagnostics-requested'],
  ['diagnostics-requested', 'receive:diagnostics-response', 'done'],
  ['diagnostics-requested', 'receive:problem-report', 'refused'],
]);
