/**
 * The rollout lifecycle as data: states, events, one transition table, and
 * the pure decision a stage's counts lead to. rollouts.ts holds one handler
 * per event (what the event *does*: announce, record); this module only says
 * what is *allowed*.
 *
 *   draft   --start-->           running
 *   running --advance-->         running   (the next stage is announced)
 *   running --complete-->        completed (the last stage reached its success threshold)
 *   running --error_threshold--> paused    (too many failures in the current stage)
 *   running --pause-->           paused    (staff)
 *   paused  --resume-->          running   (staff)
 *   draft|running|paused --abort--> aborted (staff, or the release was withdrawn)
 *
 * Why not protocols/messages/state-machine.ts: its tables are checked for
 * DIDComm message events (`send:x` / `receive:x`); a rollout's events are
 * staff actions and stage decisions, so the same rows-as-data idea is used
 * with its own (equally checked) table.
 */
import { ReleaseError } from './errors.ts';

export type RolloutState = 'draft' | 'running' | 'paused' | 'completed' | 'aborted';
export type RolloutEvent = 'start' | 'advance' | 'complete' | 'error_threshold' | 'pause' | 'resume' | 'abort';

export const ROLLOUT_STATES: readonly RolloutState[] = Object.freeze(['draft', 'running', 'paused', 'completed', 'aborted']);
export const ROLLOUT_EVENTS: readonly RolloutEvent[] = Object.freeze(['start', 'advance', 'complete', 'error_threshold', 'pause', 'resume', 'abort']);
/** States a rollout never leaves. */
export const ROLLOUT_FINAL: readonly RolloutState[] = Object.freeze(['completed', 'aborted']);
/** States in which a rollout holds its device class (one active rollout per class). */
export const ROLLOUT_ACTIVE: readonly RolloutState[] = Object.freeze(['draft', 'running', 'paused']);
/** Events only staff may send (the others come from stage decisions). */
export const STAFF_EVENTS: readonly RolloutEvent[] = Object.freeze(['start', 'pause', 'resume', 'abort']);

export interface RolloutTransition {
  readonly from: RolloutState;
  readonly on: RolloutEvent;
  readonly to: RolloutState;
}

const ROWS: readonly (readonly [RolloutState, RolloutEvent, RolloutState])[] = [
  ['draft', 'start', 'running'],
  ['draft', 'abort', 'aborted'],
  ['running', 'advance', 'running'],
  ['running', 'complete', 'completed'],
  ['running', 'error_threshold', 'paused'],
  ['running', 'pause', 'paused'],
  ['running', 'abort', 'aborted'],
  ['paused', 'resume', 'running'],
  ['paused', 'abort', 'aborted'],
];

/** Checks the table once at load (no duplicate rows, no unknown names, every state reachable, finals have no exits). */
function checkTable(rows: typeof ROWS): readonly RolloutTransition[] {
  const seen = new Set<string>();
  const reachable = new Set<RolloutState>(['draft']);
  for (const [from, on, to] of rows) {
    if (!ROLLOUT_STATES.includes(from) || !ROLLOUT_STATES.includes(to) || !ROLLOUT_EVENTS.includes(on)) throw new Error(`rollout table: unknown name in ${from} ${on} ${to}`);
    if (ROLLOUT_FINAL.includes(from)) throw new Error(`rollout table: final state ${from} has an exit`);
    const key = `${from} ${on}`;
    if (seen.has(key)) throw new Error(`rollout table: two rows for ${key}`);
    seen.add(key);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, , to] of rows) if (reachable.has(from) && !reachable.has(to)) changed = reachable.add(to) !== undefined;
  }
  for (const s of ROLLOUT_STATES) if (!reachable.has(s)) throw new Error(`rollout table: ${s} is unreachable`);
  return Object.freeze(rows.map(([from, on, to]) => Object.freeze({ from, on, to })));
}

export const ROLLOUT_TRANSITIONS: readonly RolloutTransition[] = checkTable(ROWS);

/** The state after `event`; `release.invalid_transition` when the table has no such row. */
export function nextRolloutState(state: RolloutState, event: RolloutEvent): RolloutState {
  const row = ROLLOUT_TRANSITIONS.find((t) => t.from === state && t.on === event);
  if (!row) throw new ReleaseError('release.invalid_transition', `a ${state} rollout cannot ${event}`);
  return row.to;
}

/** Events the table accepts in `state` (what the console may offer). */
export function rolloutEventsFrom(state: RolloutState): RolloutEvent[] {
  return ROLLOUT_TRANSITIONS.filter((t) => t.from === state).map((t) => t.on);
}

export interface StageCounts {
  /** Devices assigned to the stage. */
  devices: number;
  installed: number;
  /** Reported failed or reverted. */
  failed: number;
}

export interface StageThresholds {
  /** Fraction of the stage's devices that must report installed to move on (0 < x <= 1). */
  success: number;
  /** Fraction of the stage's devices reporting failed that pauses the rollout (0 < x <= 1). */
  error: number;
  /** Failures staff already accepted by resuming after an error pause (not counted again). */
  acknowledgedFailures?: number;
}

/**
 * What a running stage's counts call for: `error_threshold` (pause), `done`
 * (the stage succeeded: advance or complete), or nothing yet. Errors are
 * checked first: a stage over both thresholds pauses. An empty stage (a
 * small fleet where a percentage rounds to no new device) is done.
 * Choice: failures a resume acknowledged do not count again, so a resume
 * lets the stage go on until *new* failures cross the threshold.
 */
export function evaluateStage(c: StageCounts, t: StageThresholds): 'error_threshold' | 'done' | undefined {
  if (c.devices === 0) return 'done';
  const newFailures = c.failed - (t.acknowledgedFailures ?? 0);
  if (newFailures > 0 && newFailures / c.devices >= t.error) return 'error_threshold';
  if (c.installed / c.devices >= t.success) return 'done';
  return undefined;
}
