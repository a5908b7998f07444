/**
 * What the device knows about itself and may share, filtered by the owner's
 * policy: used by remote diagnostics (service-auth.ts) and by support
 * threads (the context the policy allows).
 *
 * The grinder's state (device/grinder.ts) is persisted as one wallet
 * record, with a bounded error log derived from its fault counters (the
 * grinder model counts faults; the log gives each new one a time).
 */
import type { Policy, SharePolicy } from '../protocols/messages/policy.ts';
import { SCOPE_POLICY, type DiagnosticsData, type ServiceScope } from '../protocols/messages/service-auth.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import { newGrinder, type FaultCode, type GrinderState } from './grinder.ts';
import type { DeviceHost } from './host.ts';
import { getRecord, putRecord } from './store.ts';

/** Wallet type/id of the grinder record (kept across transfer and reset: it is the machine's history). */
export const GRINDER_RECORD = 'device:grinder';
/** Most error-log entries kept. */
export const ERROR_LOG_LIMIT = 32;

export interface GrinderRecord {
  state: GrinderState;
  errors: { time: number; code: FaultCode }[];
}

/** The persisted grinder (a fresh one before the first save). */
export async function loadGrinder(wallet: Wallet): Promise<GrinderRecord> {
  return (await getRecord<GrinderRecord>(wallet, GRINDER_RECORD, 'state')) ?? { state: newGrinder(), errors: [] };
}

/** Saves the grinder state; faults whose counters grew since the last save are appended to the error log. */
export async function saveGrinder(wallet: Wallet, state: GrinderState, nowMs: number): Promise<GrinderRecord> {
  const prev = await loadGrinder(wallet);
  const errors = [...prev.errors];
  for (const code of Object.keys(state.counters.faults) as FaultCode[]) {
    const added = (state.counters.faults[code] ?? 0) - (prev.state.counters.faults[code] ?? 0);
    for (let i = 0; i < added; i++) errors.push({ time: Math.floor(nowMs / 1000), code });
  }
  const record: GrinderRecord = { state, errors: errors.slice(-ERROR_LOG_LIMIT) };
  await putRecord(wallet, GRINDER_RECORD, 'state', record);
  return record;
}

/** Facts about the device: model (from its certificate) and the running firmware. */
export interface DeviceFacts {
  model: string;
  /** The SUIT sequence of the running image, or `factory` when the host knows none. */
  firmwareVersion: string;
}

export async function deviceFacts(host: Pick<DeviceHost, 'slots'>, certificate: { credentialSubject?: unknown } | undefined): Promise<DeviceFacts> {
  const subject = (certificate?.credentialSubject ?? {}) as Record<string, unknown>;
  const running = await host.slots.running();
  return { model: typeof subject.model === 'string' ? subject.model : 'unknown', firmwareVersion: running.image ? String(running.image.sequence) : 'factory' };
}

/**
 * The data for `scopes`, each included only when the policy's switch for
 * it is on; the others are listed in `withheld`.
 *   diagnostics    -> {model, firmwareVersion, grindSize, motorC, activeFaults}
 *   usage-counters -> {cycles, grams, motorMs}
 *   error-logs     -> [{time, code}]
 */
export function sharedData(policy: Policy, scopes: readonly ServiceScope[], facts: DeviceFacts, grinder: GrinderRecord): DiagnosticsData & { withheld: ServiceScope[] } {
  const out: DiagnosticsData & { withheld: ServiceScope[] } = { withheld: [] };
  const s = grinder.state;
  for (const scope of scopes) {
    const allowed = policy.share[SCOPE_POLICY[scope] as keyof SharePolicy];
    if (!allowed) {
      if (!out.withheld.includes(scope)) out.withheld.push(scope);
      continue;
    }
    if (scope === 'diagnostics') out.diagnostics = { ...facts, grindSize: s.size, motorC: Math.round(s.motorC), activeFaults: [...s.active] };
    if (scope === 'usage-counters') out.usage_counters = { cycles: s.counters.cycles, grams: Math.round(s.counters.grams), motorMs: s.counters.motorMs };
    if (scope === 'error-logs') out.error_logs = grinder.errors.map((e) => ({ time: e.time, code: e.code }));
  }
  return out;
}
