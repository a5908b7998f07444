/**
 * Staged rollouts of a published release to the devices of its class.
 *
 * The table of allowed moves is rollout-machine.ts; here is one handler per
 * event saying what the event does (which stage to announce, which fields
 * change). `fire` runs a handler, announces (if the handler asks), then
 * commits the new state, the devices' statuses and a history event in one
 * transaction. Choice: announce *before* committing, so a failed
 * announcement stores nothing and the same action can be retried; a
 * duplicate announcement (commit lost after sending) is harmless, the
 * device's updater treats the release in progress as the same one.
 *
 * After every change and every report, `evaluate` applies the stage
 * decision (rollout-machine.ts evaluateStage) until nothing more follows:
 * an error pause, the next stage, or completion. Work on one rollout is
 * serialized (an async lock per rollout), so two reports arriving together
 * cannot announce the same stage twice.
 */
import type { Database } from 'better-sqlite3';
import { announcementToJson, MAX_LOG_ENTRIES } from '../../device/updater/announcement.ts';
import type { StatusReportMessage } from '../../device/updater/report.ts';
import { ReleaseError } from './errors.ts';
import { KeyedLock } from './lock.ts';
import { newId, type ReleaseRow, type ReleaseStore } from './releases.ts';
import { checkReportIsNew, verifyReport } from './reports.ts';
import {
  evaluateStage,
  nextRolloutState,
  ROLLOUT_ACTIVE,
  rolloutEventsFrom,
  type RolloutEvent,
  type RolloutState,
} from './rollout-machine.ts';
import { assignStages, checkStages, DEFAULT_STAGES } from './stages.ts';
import type { AnnouncedRelease, ReleaseServiceOptions } from './types.ts';

export const DEFAULT_SUCCESS_THRESHOLD = 0.9;
export const DEFAULT_ERROR_THRESHOLD = 0.1;

export type DeviceRolloutStatus = 'pending' | 'installing' | 'installed' | 'failed';

export interface RolloutRow {
  id: string;
  release_id: string;
  device_class: string;
  state: RolloutState;
  stages: string;
  current_stage: number;
  success_threshold: number;
  error_threshold: number;
  acknowledged_failures: number;
  paused_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface StageProgress {
  index: number;
  percent: number;
  devices: number;
  pending: number;
  installing: number;
  installed: number;
  failed: number;
}

export interface RolloutProgress {
  id: string;
  releaseId: string;
  deviceClass: string;
  state: RolloutState;
  /** Index of the stage announced last (-1 before start). */
  currentStage: number;
  successThreshold: number;
  errorThreshold: number;
  pausedReason: string | null;
  stages: StageProgress[];
  totals: Omit<StageProgress, 'index' | 'percent'>;
  /** What staff may do now (rollout-machine.ts). */
  actions: RolloutEvent[];
  createdAt: string;
  updatedAt: string;
}

export interface CreateRolloutInput {
  releaseId: string;
  /** Cumulative percentages (default [1, 10, 50, 100]). */
  stages?: readonly number[];
  successThreshold?: number;
  errorThreshold?: number;
  /** Start at once (default true); false leaves a draft to start later. */
  start?: boolean;
}

export interface ReportOutcome {
  rolloutId: string;
  device: string;
  status: DeviceRolloutStatus;
  sequence: number;
  rolloutState: RolloutState;
}

/** What a handler decides: the stage to announce (if any) and the fields to set. */
interface Plan {
  announceStage?: number;
  set?: Partial<Pick<RolloutRow, 'current_stage' | 'acknowledged_failures' | 'paused_reason'>>;
}

type Handler = (r: RolloutRow, self: Rollouts) => Plan;

/** One handler per event. */
const HANDLERS: Readonly<Record<RolloutEvent, Handler>> = {
  start: () => ({ announceStage: 0, set: { current_stage: 0, acknowledged_failures: 0 } }),
  advance: (r) => ({ announceStage: r.current_stage + 1, set: { current_stage: r.current_stage + 1, acknowledged_failures: 0 } }),
  complete: () => ({}),
  error_threshold: () => ({ set: { paused_reason: 'error_threshold' } }),
  pause: () => ({ set: { paused_reason: 'staff' } }),
  // staff accepted the failures so far: only new ones count toward the error threshold
  resume: (r, self) => ({ set: { paused_reason: null, acknowledged_failures: self.stageCounts(r.id, r.current_stage).failed } }),
  abort: () => ({ set: { paused_reason: null } }),
};

function threshold(v: number | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new ReleaseError('release.invalid_threshold', `${what} must be a fraction in (0, 1]`);
  return v;
}

export class Rollouts {
  private readonly db: Database;
  private readonly locks = new KeyedLock();
  private readonly now: () => number;

  constructor(
    private readonly store: ReleaseStore,
    private readonly o: ReleaseServiceOptions,
  ) {
    this.db = store.db;
    this.now = o.now ?? Date.now;
  }

  /** Runs `fn` after every earlier task on the same rollout. */
  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  row(id: string): RolloutRow {
    const r = this.db.prepare('SELECT * FROM release_rollouts WHERE id = ?').get(id) as RolloutRow | undefined;
    if (!r) throw new ReleaseError('release.rollout_not_found', `no rollout ${id}`);
    return r;
  }

  list(filter: { releaseId?: string; state?: RolloutState } = {}): RolloutRow[] {
    return this.db
      .prepare('SELECT * FROM release_rollouts WHERE (@r IS NULL OR release_id = @r) AND (@s IS NULL OR state = @s) ORDER BY created_at DESC, id')
      .all({ r: filter.releaseId ?? null, s: filter.state ?? null }) as RolloutRow[];
  }

  stageCounts(rolloutId: string, stage: number): { devices: number; installed: number; failed: number } {
    const c = this.db
      .prepare(
        `SELECT COUNT(*) AS devices, SUM(status = 'installed') AS installed, SUM(status = 'failed') AS failed
         FROM release_rollout_devices WHERE rollout_id = ? AND stage = ?`,
      )
      .get(rolloutId, stage) as { devices: number; installed: number | null; failed: number | null };
    return { devices: c.devices, installed: c.installed ?? 0, failed: c.failed ?? 0 };
  }

  /** Progress per stage: what the console draws. */
  progress(id: string): RolloutProgress {
    const r = this.row(id);
    const percents = JSON.parse(r.stages) as number[];
    const rows = this.db
      .prepare('SELECT stage, status, COUNT(*) AS n FROM release_rollout_devices WHERE rollout_id = ? GROUP BY stage, status')
      .all(id) as { stage: number; status: DeviceRolloutStatus; n: number }[];
    const stages: StageProgress[] = percents.map((percent, index) => ({ index, percent, devices: 0, pending: 0, installing: 0, installed: 0, failed: 0 }));
    const totals = { devices: 0, pending: 0, installing: 0, installed: 0, failed: 0 };
    for (const { stage, status, n } of rows) {
      stages[stage][status] += n;
      stages[stage].devices += n;
      totals[status] += n;
      totals.devices += n;
    }
    return {
      id: r.id,
      releaseId: r.release_id,
      deviceClass: r.device_class,
      state: r.state,
      currentStage: r.current_stage,
      successThreshold: r.success_threshold,
      errorThreshold: r.error_threshold,
      pausedReason: r.paused_reason,
      stages,
      totals,
      actions: rolloutEventsFrom(r.state).filter((e) => e === 'start' || e === 'pause' || e === 'resume' || e === 'abort'),
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  /** Creates a rollout over a snapshot of the class's devices; starts it unless `start: false`. */
  async create(input: CreateRolloutInput): Promise<RolloutProgress> {
    const release = this.store.get(input.releaseId);
    if (release.state !== 'published') throw new ReleaseError('release.not_published', `release ${release.id} is ${release.state}, not published`);
    const stages = checkStages(input.stages ?? DEFAULT_STAGES);
    const success = threshold(input.successThreshold, DEFAULT_SUCCESS_THRESHOLD, 'successThreshold');
    const error = threshold(input.errorThreshold, DEFAULT_ERROR_THRESHOLD, 'errorThreshold');
    const listed = await this.o.devices.list(release.device_class);
    const dids = listed.map((d) => (typeof d === 'string' ? d : d.did)).filter((d): d is string => typeof d === 'string' && d.length > 0);
    const id = newId('ro');
    const assigned = assignStages(id, dids, stages);
    const now = this.now();
    this.db.transaction(() => {
      if (this.store.get(release.id).state !== 'published') throw new ReleaseError('release.not_published', `release ${release.id} is no longer published`);
      const active = this.db
        .prepare(`SELECT id FROM release_rollouts WHERE device_class = ? AND state IN (${ROLLOUT_ACTIVE.map(() => '?').join(', ')})`)
        .get(release.device_class, ...ROLLOUT_ACTIVE) as { id: string } | undefined;
      if (active) throw new ReleaseError('release.rollout_active', `rollout ${active.id} of ${release.device_class} is still active`);
      this.db
        .prepare(
          `INSERT INTO release_rollouts (id, release_id, device_class, state, stages, current_stage, success_threshold, error_threshold, created_at, updated_at)
           VALUES (?, ?, ?, 'draft', ?, -1, ?, ?, ?, ?)`,
        )
        .run(id, release.id, release.device_class, JSON.stringify(stages), success, error, now, now);
      const insert = this.db.prepare(`INSERT INTO release_rollout_devices (rollout_id, device_did, stage, rank, status, updated_at) VALUES (?, ?, ?, ?, 'pending', ?)`);
      for (const a of assigned) insert.run(id, a.did, a.stage, a.rank, now);
      this.store.event(id, 'create', null, 'draft', { release: release.id, devices: assigned.length, stages });
    })();
    this.o.log?.info({ rollout: id, release: release.id, devices: assigned.length }, 'rollout created');
    if (input.start !== false) await this.fire(id, 'start');
    return this.progress(id);
  }

  /** A staff action (start, pause, resume, abort). */
  async act(id: string, event: 'start' | 'pause' | 'resume' | 'abort'): Promise<RolloutProgress> {
    this.row(id);
    await this.fire(id, event);
    return this.progress(id);
  }

  /** Applies `event` (checked against the table), then the stage decisions it leads to. */
  fire(id: string, event: RolloutEvent): Promise<void> {
    return this.exclusive(id, async () => {
      await this.apply(id, event);
      // the event itself is done; a stage decision that fails now is retried by the next report or action
      await this.evaluateLocked(id).catch((e: unknown) => this.logEvaluationFailure(id, e));
    });
  }

  /** Re-applies the stage decision (e.g. after an announcement failed); reports call it too. */
  evaluate(id: string): Promise<void> {
    return this.exclusive(id, () => this.evaluateLocked(id));
  }

  private async apply(id: string, event: RolloutEvent): Promise<void> {
    const r = this.row(id);
    const to = nextRolloutState(r.state, event);
    const plan = HANDLERS[event](r, this);
    let announced: string[] = [];
    if (plan.announceStage !== undefined) {
      announced = (
        this.db.prepare(`SELECT device_did FROM release_rollout_devices WHERE rollout_id = ? AND stage = ? AND status = 'pending' ORDER BY rank`).all(id, plan.announceStage) as {
          device_did: string;
        }[]
      ).map((d) => d.device_did);
      if (announced.length > 0) await this.announce(r, announced);
    }
    const now = this.now();
    this.db.transaction(() => {
      const current = this.row(id);
      if (current.state !== r.state || current.current_stage !== r.current_stage) {
        throw new ReleaseError('release.invalid_transition', `rollout ${id} changed while handling ${event}`);
      }
      const set = { ...plan.set };
      this.db
        .prepare(
          `UPDATE release_rollouts SET state = ?, current_stage = ?, acknowledged_failures = ?, paused_reason = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          to,
          set.current_stage ?? r.current_stage,
          set.acknowledged_failures ?? r.acknowledged_failures,
          'paused_reason' in set ? set.paused_reason : r.paused_reason,
          now,
          id,
        );
      if (announced.length > 0) {
        const mark = this.db.prepare(`UPDATE release_rollout_devices SET status = 'installing', announced_at = ?, updated_at = ? WHERE rollout_id = ? AND device_did = ? AND status = 'pending'`);
        for (const did of announced) mark.run(now, now, id, did);
      }
      this.store.event(id, event, r.state, to, plan.announceStage === undefined ? undefined : { stage: plan.announceStage, announced: announced.length });
    })();
    this.o.log?.info({ rollout: id, event, from: r.state, to, announced: announced.length }, 'rollout transition');
  }

  private async announce(r: RolloutRow, devices: string[]): Promise<void> {
    const release = this.store.get(r.release_id);
    if (release.state !== 'published' || !release.envelope) throw new ReleaseError('release.not_published', `release ${release.id} is ${release.state}`);
    const log = await this.o.didLog();
    // a device further behind than MAX_LOG_ENTRIES fetches the log in steps (device/updater/announcement.ts)
    const entries = log.length > MAX_LOG_ENTRIES ? log.slice(-MAX_LOG_ENTRIES) : log;
    const payload: AnnouncedRelease = {
      releaseId: release.id,
      rolloutId: r.id,
      deviceClass: release.device_class,
      version: release.version,
      sequence: release.sequence,
      announcement: announcementToJson({ envelope: new Uint8Array(release.envelope), log: entries }),
    };
    try {
      await this.o.announce(devices, payload);
    } catch (e) {
      throw new ReleaseError('release.announce_failed', `announcing ${release.id} to ${devices.length} device(s) failed`, { cause: e });
    }
  }

  private logEvaluationFailure(id: string, e: unknown): void {
    const err = e instanceof Error ? { code: (e as { code?: string }).code, message: e.message } : { message: String(e) };
    this.o.log?.warn({ rollout: id, err }, 'rollout stage decision failed');
  }

  private async evaluateLocked(id: string): Promise<void> {
    for (let guard = 0; guard < 64; guard++) {
      const r = this.row(id);
      if (r.state !== 'running') return;
      const stages = JSON.parse(r.stages) as number[];
      const decision = evaluateStage(this.stageCounts(id, r.current_stage), {
        success: r.success_threshold,
        error: r.error_threshold,
        acknowledgedFailures: r.acknowledged_failures,
      });
      if (decision === undefined) return;
      const event: RolloutEvent = decision === 'error_threshold' ? 'error_threshold' : r.current_stage >= stages.length - 1 ? 'complete' : 'advance';
      await this.apply(id, event);
    }
  }

  /**
   * A device's signed status report (HTTP route or the DIDComm side):
   * verified, checked for replay, matched to the device's rollout of the
   * release it names (sequence and image digest), recorded with the
   * device's new status in one transaction, then the rollout re-evaluated.
   * A stage decision that fails (e.g. the announcement) is logged, not the
   * report's error: the report is stored and the next report or staff
   * action retries.
   */
  async receiveReport(jws: string): Promise<ReportOutcome> {
    const msg: StatusReportMessage = await verifyReport(jws, this.o.devices);
    const device = msg.from;
    const digest = typeof msg.body.digest === 'string' ? msg.body.digest.toLowerCase() : '';
    const release = this.db
      .prepare(`SELECT * FROM release_releases WHERE sequence = ? AND image_sha256 = ? AND state IN ('published', 'withdrawn')`)
      .get(msg.body.sequence, digest) as ReleaseRow | undefined;
    if (!release) throw new ReleaseError('release.unknown_release', `no published release has sequence ${msg.body.sequence} and that image digest`);
    const membership = this.db
      .prepare(
        `SELECT d.rollout_id AS rolloutId FROM release_rollout_devices d JOIN release_rollouts r ON r.id = d.rollout_id
         WHERE d.device_did = ? AND r.release_id = ? ORDER BY r.created_at DESC, r.rowid DESC LIMIT 1`,
      )
      .get(device, release.id) as { rolloutId: string } | undefined;
    if (!membership) throw new ReleaseError('release.device_not_in_rollout', `${device} is not in a rollout of release ${release.id}`);
    const status: DeviceRolloutStatus = msg.body.status === 'installed' ? 'installed' : 'failed';
    const now = this.now();
    this.db.transaction(() => {
      checkReportIsNew(this.db, msg);
      this.db
        .prepare(
          `INSERT INTO release_reports (rollout_id, device_did, report_id, created_time, status, sequence, digest, reason, received_at, jws)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(membership.rolloutId, device, msg.id, msg.created_time, msg.body.status, msg.body.sequence, digest, msg.body.reason ?? null, now, jws);
      this.db.prepare('UPDATE release_rollout_devices SET status = ?, updated_at = ? WHERE rollout_id = ? AND device_did = ?').run(status, now, membership.rolloutId, device);
    })();
    await this.evaluate(membership.rolloutId).catch((e: unknown) => this.logEvaluationFailure(membership.rolloutId, e));
    return { rolloutId: membership.rolloutId, device, status, sequence: msg.body.sequence, rolloutState: this.row(membership.rolloutId).state };
  }

  /** Reports recorded for a rollout (oldest first). */
  reports(rolloutId: string): { device: string; reportId: string; status: string; sequence: number; reason: string | null; createdTime: number; receivedAt: string }[] {
    this.row(rolloutId);
    return (
      this.db.prepare('SELECT * FROM release_reports WHERE rollout_id = ? ORDER BY seq').all(rolloutId) as {
        device_did: string;
        report_id: string;
        status: string;
        sequence: number;
        reason: string | null;
        created_time: number;
        received_at: number;
      }[]
    ).map((r) => ({
      device: r.device_did,
      reportId: r.report_id,
      status: r.status,
      sequence: r.sequence,
      reason: r.reason,
      createdTime: r.created_time,
      receivedAt: new Date(r.received_at).toISOString(),
    }));
  }

  /**
   * Withdraws a published release: no longer served or announced; its
   * active rollouts are aborted in the same transaction.
   */
  withdraw(releaseId: string): ReleaseRow {
    const r = this.store.get(releaseId);
    if (r.state !== 'published') throw new ReleaseError('release.invalid_state', `a ${r.state} release cannot be withdrawn`);
    const now = this.now();
    this.db.transaction(() => {
      if (this.store.get(releaseId).state !== 'published') throw new ReleaseError('release.invalid_state', `release ${releaseId} changed`);
      this.db.prepare(`UPDATE release_releases SET state = 'withdrawn', withdrawn_at = ? WHERE id = ?`).run(now, releaseId);
      this.store.event(releaseId, 'withdraw', 'published', 'withdrawn');
      for (const ro of this.list({ releaseId })) {
        if (!ROLLOUT_ACTIVE.includes(ro.state)) continue;
        const to = nextRolloutState(ro.state, 'abort');
        this.db.prepare('UPDATE release_rollouts SET state = ?, paused_reason = NULL, updated_at = ? WHERE id = ?').run(to, now, ro.id);
        this.store.event(ro.id, 'abort', ro.state, to, { reason: 'release withdrawn' });
      }
    })();
    this.o.log?.info({ release: releaseId }, 'release withdrawn');
    return this.store.get(releaseId);
  }
}
