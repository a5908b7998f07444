/**
 * The coffee grinder itself: a small, deterministic model of what the
 * device does, so diagnostics, usage counters and support threads have
 * something real to talk about. Plain data in, plain data out (the state is
 * a JSON value the agent can persist); no timers: the host drives it.
 */
import { DeviceError } from './errors.ts';

/** Grind sizes, finest first. */
export const GRIND_SIZES = ['espresso', 'fine', 'medium', 'coarse', 'french-press'] as const;
export type GrindSize = (typeof GRIND_SIZES)[number];

export type FaultCode = 'motor_overheat' | 'burr_jam' | 'hopper_empty' | 'lid_open';

/** Faults that stop grinding until cleared. */
const BLOCKING: readonly FaultCode[] = ['motor_overheat', 'burr_jam', 'lid_open', 'hopper_empty'];

export interface GrinderCounters {
  cycles: number;
  /** Grams ground, all time. */
  grams: number;
  /** Motor run time, ms. */
  motorMs: number;
  /** Faults seen, by code. */
  faults: Partial<Record<FaultCode, number>>;
}

export interface GrinderState {
  size: GrindSize;
  /** Beans in the hopper, grams. */
  hopperGrams: number;
  /** Motor temperature, °C (rises with each cycle, cools with idle time). */
  motorC: number;
  active: FaultCode[];
  counters: GrinderCounters;
}

/** Grams per second at each size (finer is slower). */
const RATE: Record<GrindSize, number> = { espresso: 1, fine: 1.5, medium: 2, coarse: 2.5, 'french-press': 3 };
const OVERHEAT_C = 80;
const AMBIENT_C = 25;

export function newGrinder(hopperGrams = 250): GrinderState {
  return { size: 'medium', hopperGrams, motorC: AMBIENT_C, active: [], counters: { cycles: 0, grams: 0, motorMs: 0, faults: {} } };
}

export function setGrindSize(s: GrinderState, size: string): GrinderState {
  if (!(GRIND_SIZES as readonly string[]).includes(size)) throw new DeviceError('device.invalid_grind_size', `unknown grind size ${size}`);
  return { ...s, size: size as GrindSize };
}

function raise(s: GrinderState, fault: FaultCode): GrinderState {
  if (s.active.includes(fault)) return s;
  const faults = { ...s.counters.faults, [fault]: (s.counters.faults[fault] ?? 0) + 1 };
  return { ...s, active: [...s.active, fault], counters: { ...s.counters, faults } };
}

export function reportFault(s: GrinderState, fault: FaultCode): GrinderState {
  return raise(s, fault);
}

export function clearFault(s: GrinderState, fault: FaultCode): GrinderState {
  if (fault === 'motor_overheat' && s.motorC >= OVERHEAT_C) return s; // still hot
  if (fault === 'hopper_empty' && s.hopperGrams <= 0) return s;
  return { ...s, active: s.active.filter((f) => f !== fault) };
}

export function refill(s: GrinderState, grams: number): GrinderState {
  return clearFault({ ...s, hopperGrams: s.hopperGrams + Math.max(0, grams) }, 'hopper_empty');
}

/** Idle time cools the motor (1 °C per 2 s, down to ambient). */
export function idle(s: GrinderState, ms: number): GrinderState {
  return { ...s, motorC: Math.max(AMBIENT_C, s.motorC - ms / 2000) };
}

/**
 * One grind cycle of `grams`. Refused (`device.grinder_fault`) while a
 * blocking fault is active; running dry raises hopper_empty, a hot motor
 * raises motor_overheat (the cycle still completes what it ground).
 */
export function grind(s: GrinderState, grams: number): { state: GrinderState; ground: number } {
  if (!(grams > 0)) throw new DeviceError('device.invalid_amount', 'grind a positive amount');
  const blocking = s.active.find((f) => BLOCKING.includes(f));
  if (blocking) throw new DeviceError('device.grinder_fault', `grinder stopped: ${blocking}`);
  const ground = Math.min(grams, s.hopperGrams);
  const ms = Math.round((ground / RATE[s.size]) * 1000);
  let next: GrinderState = {
    ...s,
    hopperGrams: s.hopperGrams - ground,
    motorC: s.motorC + ms / 1000, // 1 °C per second of grinding
    counters: { ...s.counters, cycles: s.counters.cycles + 1, grams: s.counters.grams + ground, motorMs: s.counters.motorMs + ms },
  };
  if (next.hopperGrams <= 0) next = raise(next, 'hopper_empty');
  if (next.motorC >= OVERHEAT_C) next = raise(next, 'motor_overheat');
  return { state: next, ground };
}
