/**
 * Service authorization on the device (protocols/messages/service-auth.ts,
 * docs/protocols.md §7): the owner grants the manufacturer a time-limited
 * ServiceAuthorization VC and may revoke it; the manufacturer's
 * diagnostics-request is answered only under a valid, granted, unrevoked
 * authorization from the CURRENT owner, with what the policy allows.
 *
 * Records: one per credential id (type SERVICE_AUTH_RECORD, tag `owner`),
 * `{state: active|revoked}`. A revoke of an id never granted still writes a
 * revoked record, so a later grant of that id is refused. Grants belong to
 * the owner who made them: cleanup drops every other owner's records, and
 * the issuer check (issuer = current owner) refuses a former owner's VC
 * even before cleanup ran. Revocation needs only the owner and the device:
 * no status list, no manufacturer, no network beyond the owner's channel.
 */
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import {
  authorizationOf,
  authorizationProblem,
  buildDiagnosticsResponse,
  buildServiceAuthAck,
  DIAGNOSTICS_REQUEST_TYPE,
  GRANT_TYPE,
  REVOKE_TYPE,
  SERVICE_AUTH_PROBLEM,
  validateDiagnosticsRequest,
  validateGrant,
  validateRevoke,
  type ServiceAuthorizationTerms,
} from '../protocols/messages/service-auth.ts';
import { isSsiotError } from '../protocols/errors.ts';
import { verifyCredential } from '../protocols/vc/verify.ts';
import type { DidResolver } from '../protocols/did/types.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import type { DeviceAgent, InboundContext, OwnerContext } from './agent.ts';
import { audit, dropOtherOwners, loadPolicy } from './policy.ts';
import type { OwnerRecord } from './state.ts';
import { getRecord, putRecord } from './store.ts';
import { deviceFacts, loadGrinder, sharedData } from './telemetry.ts';

/** Wallet type of the grant/revocation records (id: credential id; tag `owner`). */
export const SERVICE_AUTH_RECORD = 'device:service-auth';

export interface ServiceAuthRecord {
  state: 'active' | 'revoked';
  /** Terms of the granted VC (absent for a revoke of an id never granted). */
  terms?: ServiceAuthorizationTerms;
}

/** Validity-window results of verifyCredential: reported by authorizationProblem as expired / not-yet-valid instead. */
const WINDOW_CODES = ['vc.expired', 'vc.not_yet_valid'];

/** The VC's proofs verify with a key its issuer controls (assertionMethod), at the device's clock. */
async function signatureValid(credential: Record<string, unknown>, resolver: DidResolver, nowMs: number): Promise<boolean> {
  const r = await verifyCredential(credential, { resolver, now: new Date(nowMs) });
  return r.errors.every((e) => WINDOW_CODES.includes(e.code));
}

async function record(wallet: Wallet, id: string): Promise<ServiceAuthRecord | undefined> {
  return getRecord<ServiceAuthRecord>(wallet, SERVICE_AUTH_RECORD, id);
}

/** The first reason the authorization is refused, or undefined (signature, then the terms against the device's records). */
async function check(
  ctx: InboundContext,
  owner: OwnerRecord | null,
  credential: Record<string, unknown>,
  terms: ServiceAuthorizationTerms,
  requester: string,
  scope: readonly string[],
  grantingNow: boolean,
): Promise<string | undefined> {
  if (!owner) return SERVICE_AUTH_PROBLEM.notOwner;
  if (!(await signatureValid(credential, ctx.agent.peerResolver, ctx.host.now()))) return SERVICE_AUTH_PROBLEM.invalid;
  const r = await record(ctx.wallet, terms.id);
  return authorizationProblem(terms, {
    device: ctx.agent.identity.did,
    owner: owner.did,
    requester,
    scope,
    now: new Date(ctx.host.now()),
    granted: () => grantingNow || r?.state === 'active',
    revoked: () => r?.state === 'revoked',
  });
}

/** grant (owner): the VC must be the owner's own, for this device, verifying and not expired. */
async function onGrant(ctx: OwnerContext): Promise<PlaintextMessage> {
  validateGrant(ctx.message);
  const { credential, terms } = authorizationOf(ctx.message);
  const existing = await record(ctx.wallet, terms.id);
  // the requester check does not apply to a grant: the subject is whoever the owner names
  const problem = existing?.state === 'revoked' ? SERVICE_AUTH_PROBLEM.revoked : await check(ctx, ctx.owner, credential, terms, terms.manufacturer, [], true);
  if (problem) {
    await audit(ctx.wallet, ctx.owner, ctx.host.now(), { event: 'service-auth.refused', party: terms.manufacturer, detail: `${problem} ${terms.id}` });
    return ctx.problem(problem);
  }
  await putRecord(ctx.wallet, SERVICE_AUTH_RECORD, terms.id, { state: 'active', terms } satisfies ServiceAuthRecord, { owner: ctx.owner.did });
  await audit(ctx.wallet, ctx.owner, ctx.host.now(), { event: 'service-auth.granted', party: terms.manufacturer, detail: terms.id });
  return buildServiceAuthAck({ ...ctx.reply, ack: ctx.message.id, credentialId: terms.id, state: 'active' });
}

/** revoke (owner): by credential id; immediate, idempotent, needs nobody else. */
async function onRevoke(ctx: OwnerContext): Promise<PlaintextMessage> {
  const id = validateRevoke(ctx.message).body.credential_id;
  const existing = await record(ctx.wallet, id);
  await putRecord(ctx.wallet, SERVICE_AUTH_RECORD, id, { state: 'revoked', terms: existing?.terms } satisfies ServiceAuthRecord, { owner: ctx.owner.did });
  await audit(ctx.wallet, ctx.owner, ctx.host.now(), { event: 'service-auth.revoked', party: existing?.terms?.manufacturer, detail: id });
  return buildServiceAuthAck({ ...ctx.reply, ack: ctx.message.id, credentialId: id, state: 'revoked' });
}

/** diagnostics-request (anyone authenticated; in practice the manufacturer). */
async function onDiagnosticsRequest(ctx: InboundContext): Promise<PlaintextMessage> {
  const owner = ctx.agent.state.owner;
  let credential: Record<string, unknown>;
  let terms: ServiceAuthorizationTerms;
  let scope: string[];
  try {
    scope = validateDiagnosticsRequest(ctx.message).body.scope;
    ({ credential, terms } = authorizationOf(ctx.message));
  } catch (e) {
    const missing = isSsiotError(e) && /attachment/i.test(e.message) && !(ctx.message.attachments ?? []).length;
    return refuse(ctx, owner, missing ? SERVICE_AUTH_PROBLEM.missing : SERVICE_AUTH_PROBLEM.invalid, undefined);
  }
  const problem = await check(ctx, owner, credential, terms, ctx.sender, scope, false);
  if (problem || !owner) return refuse(ctx, owner, problem ?? SERVICE_AUTH_PROBLEM.notOwner, terms.id);
  const { policy } = await loadPolicy(ctx.wallet, owner);
  const facts = await deviceFacts(ctx.host, await ctx.agent.certificate());
  const data = sharedData(policy, terms.scope.filter((s) => scope.includes(s)), facts, await loadGrinder(ctx.wallet));
  const shared = scope.filter((s) => !data.withheld.includes(s as never));
  await audit(ctx.wallet, owner, ctx.host.now(), {
    event: 'service-auth.diagnostics',
    party: ctx.sender,
    detail: `shared=${shared.join(',') || 'none'};withheld=${data.withheld.join(',') || 'none'};${terms.id}`,
  });
  return buildDiagnosticsResponse({ ...ctx.reply, ...data });
}

async function refuse(ctx: InboundContext, owner: OwnerRecord | null, code: string, credentialId: string | undefined): Promise<PlaintextMessage> {
  await audit(ctx.wallet, owner, ctx.host.now(), { event: 'service-auth.refused', party: ctx.sender, detail: credentialId ? `${code} ${credentialId}` : code });
  return ctx.problem(code);
}

/** Drops grants and revocations of anyone but the current owner (transfer, reset). */
const cleanupGrants = (wallet: Wallet, owner: OwnerRecord | null): Promise<void> => dropOtherOwners(wallet, SERVICE_AUTH_RECORD, owner);

/** Installs grant and revoke (owner only) and diagnostics-request (any authenticated peer). */
export function serviceAuthFeature(agent: DeviceAgent): void {
  agent.registerOwnerHandler(GRANT_TYPE, onGrant);
  agent.registerOwnerHandler(REVOKE_TYPE, onRevoke);
  agent.registerPeerHandler(DIAGNOSTICS_REQUEST_TYPE, onDiagnosticsRequest);
  agent.registerCleanup(cleanupGrants);
}
