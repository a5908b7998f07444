/**
 * The owner's policies on the device and the audit log the owner reads
 * (protocols/messages/policy.ts on the wire, docs/protocols.md §policy).
 *
 * Policies belong to the owner who set them: the record's id is the
 * owner's pairwise DID, so a transfer or a factory reset (which changes or
 * forgets the owner) falls back to DEFAULT_POLICY — nothing shared, firmware
 * on request — without a separate wipe that a power cut could skip
 * (cleanup deletes the stale record at the next relationship change or boot).
 *
 * The audit log is bounded (AUDIT_LOG_LIMIT entries, the oldest dropped),
 * one wallet item per entry (an append is one write, not a rewrite of the
 * whole log) plus one counter record, so `seq` keeps growing across
 * reboots. Entries are tagged with the owner they were recorded for; a
 * new owner does not read the former owner's history (choice: the log is
 * the owner's view of what the device did on its behalf).
 *
 * Firmware: the owner's firmware mode lives in the policy record and
 * `updaterPolicy(agent)` is the `UpdaterConfig.policy` callback of the
 * agent's Updater (device/firmware.ts; read at each announcement, so a
 * change applies to the next release).
 */
import {
  AUDIT_LOG_TYPE,
  applyPolicy,
  buildAuditLog,
  buildPolicyState,
  DEFAULT_POLICY,
  GET_AUDIT_LOG_TYPE,
  GET_POLICY_TYPE,
  MAX_AUDIT_ENTRIES,
  SET_POLICY_TYPE,
  validateGetAuditLog,
  validateGetPolicy,
  validateSetPolicy,
  type AuditEntry,
  type Policy,
} from '../protocols/messages/policy.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import type { UpdatePolicy } from './updater/updater.ts';
import type { DeviceAgent, OwnerContext } from './agent.ts';
import type { OwnerRecord } from './state.ts';
import { getRecord, putRecord } from './store.ts';

export { AUDIT_LOG_TYPE };

/** Wallet type of the policy records (id and tag `owner`: the owner's DID). */
export const POLICY_RECORD = 'device:policy';
/** Wallet type of the audit entries (id: zero-padded seq; tag `owner`). */
export const AUDIT_RECORD = 'device:audit';
/** Wallet type/id of the audit counter (never wiped: seq is monotonic for the device's life). */
const AUDIT_META = 'device:audit-meta';
/** Most entries the device keeps; older ones are dropped. */
export const AUDIT_LOG_LIMIT = MAX_AUDIT_ENTRIES;

interface PolicyRecord {
  policy: Policy;
  /** UTC epoch seconds of the last change. */
  updated: number;
}

/** The policy in force for `owner` (DEFAULT_POLICY when unowned or never set). */
export async function loadPolicy(wallet: Wallet, owner: OwnerRecord | null): Promise<{ policy: Policy; updated: number }> {
  const r = owner ? await getRecord<PolicyRecord>(wallet, POLICY_RECORD, owner.did) : undefined;
  return r ?? { policy: applyPolicy(DEFAULT_POLICY, {}), updated: 0 };
}

/**
 * The `UpdaterConfig.policy` callback: the current owner's firmware mode.
 * An unowned device has nobody to ask, so it installs nothing ('never').
 */
export function updaterPolicy(agent: Pick<DeviceAgent, 'wallet' | 'state'>): () => Promise<UpdatePolicy> {
  return async () => {
    const owner = agent.state.owner;
    if (!owner) return 'never';
    return (await loadPolicy(agent.wallet, owner)).policy.firmware;
  };
}

function auditId(seq: number): string {
  return String(seq).padStart(12, '0');
}

/** Appends one audit entry (bounded: the oldest entries beyond AUDIT_LOG_LIMIT are deleted). */
export async function audit(wallet: Wallet, owner: OwnerRecord | null, nowMs: number, entry: { event: string; party?: string; detail?: string }): Promise<AuditEntry> {
  const meta = (await getRecord<{ next: number }>(wallet, AUDIT_META, 'counter')) ?? { next: 0 };
  const e: AuditEntry = { seq: meta.next, time: Math.floor(nowMs / 1000), event: entry.event };
  if (entry.party !== undefined) e.party = entry.party;
  if (entry.detail !== undefined) e.detail = entry.detail.slice(0, 256);
  // counter first: a power cut after it only skips a seq, never reuses one
  await putRecord(wallet, AUDIT_META, 'counter', { next: meta.next + 1 });
  await putRecord(wallet, AUDIT_RECORD, auditId(e.seq), e, { owner: owner?.did ?? '' });
  // ids are consecutive seqs: the one that falls out of the window is known (no search; a no-op if already gone)
  if (e.seq >= AUDIT_LOG_LIMIT) await wallet.delete(AUDIT_RECORD, auditId(e.seq - AUDIT_LOG_LIMIT));
  return e;
}

/** The current owner's audit entries with seq >= since, oldest first, at most `limit`; `next` when more remain. */
export async function readAudit(wallet: Wallet, owner: OwnerRecord, since = 0, limit = MAX_AUDIT_ENTRIES): Promise<{ entries: AuditEntry[]; next?: number }> {
  const items = await wallet.search(AUDIT_RECORD, { owner: owner.did });
  const entries = items
    .map((i) => JSON.parse(i.value) as AuditEntry)
    .filter((e) => e.seq >= since)
    .sort((a, b) => a.seq - b.seq);
  const page = entries.slice(0, limit);
  return entries.length > page.length ? { entries: page, next: entries[page.length].seq } : { entries: page };
}

async function onSetPolicy(ctx: OwnerContext) {
  const update = validateSetPolicy(ctx.message).body.policy;
  const current = await loadPolicy(ctx.wallet, ctx.owner);
  const policy = applyPolicy(current.policy, update);
  const updated = Math.floor(ctx.host.now() / 1000);
  await putRecord(ctx.wallet, POLICY_RECORD, ctx.owner.did, { policy, updated } satisfies PolicyRecord, { owner: ctx.owner.did });
  await audit(ctx.wallet, ctx.owner, ctx.host.now(), { event: 'policy.set', party: ctx.sender, detail: describePolicy(policy) });
  return buildPolicyState({ ...ctx.reply, policy, updatedTime: updated });
}

async function onGetPolicy(ctx: OwnerContext) {
  validateGetPolicy(ctx.message);
  const { policy, updated } = await loadPolicy(ctx.wallet, ctx.owner);
  return buildPolicyState({ ...ctx.reply, policy, updatedTime: updated });
}

async function onGetAuditLog(ctx: OwnerContext) {
  const { since, limit } = validateGetAuditLog(ctx.message).body;
  const page = await readAudit(ctx.wallet, ctx.owner, since, limit);
  return buildAuditLog({ ...ctx.reply, ...page });
}

/** A short static summary for the audit entry, e.g. `share=diagnostics,usageCounters;firmware=auto`. */
export function describePolicy(p: Policy): string {
  const shared = (Object.keys(p.share) as (keyof Policy['share'])[]).filter((k) => p.share[k]);
  return `share=${shared.length > 0 ? shared.join(',') : 'none'};firmware=${p.firmware}`;
}

/** Deletes the records of `type` whose `owner` tag is not the current owner (what a transfer or reset left behind). */
export async function dropOtherOwners(wallet: Wallet, type: string, owner: OwnerRecord | null): Promise<void> {
  for (const item of await wallet.search(type)) if (item.tags.owner !== owner?.did) await wallet.delete(type, item.id);
}

/** Drops policies and audit entries of anyone but the current owner (transfer, reset). */
async function cleanupPolicies(wallet: Wallet, owner: OwnerRecord | null): Promise<void> {
  await dropOtherOwners(wallet, POLICY_RECORD, owner);
  await dropOtherOwners(wallet, AUDIT_RECORD, owner);
}

/** Installs set-policy, get-policy and get-audit-log (owner only). */
export function policyFeature(agent: DeviceAgent): void {
  agent.registerOwnerHandler(SET_POLICY_TYPE, onSetPolicy);
  agent.registerOwnerHandler(GET_POLICY_TYPE, onGetPolicy);
  agent.registerOwnerHandler(GET_AUDIT_LOG_TYPE, onGetAuditLog);
  agent.registerCleanup(cleanupPolicies);
}
