/**
 * The simulated grinder's routine (neutral: the XS payload runs it too):
 * one cup of 18 g after `idleMs` of rest; the rest cools the motor, an
 * empty hopper is refilled, an overheat is cleared once the motor is cool.
 */
import { clearFault, grind, idle, refill, type GrinderState } from '../device/grinder.ts';

export function grindCycle(state: GrinderState, idleMs: number): GrinderState {
  let s = idle(state, idleMs);
  if (s.active.includes('hopper_empty')) s = refill(s, 500);
  if (s.active.includes('motor_overheat')) s = clearFault(s, 'motor_overheat');
  try {
    return grind(s, 18).state;
  } catch {
    return s; // a blocking fault: this cycle grinds nothing
  }
}

/** The grinder as the dashboard shows it. */
export function grinderView(g: GrinderState): { cycles: number; grams: number; hopperGrams: number; motorC: number; active: string[] } {
  return { cycles: g.counters.cycles, grams: Math.round(g.counters.grams), hopperGrams: Math.round(g.hopperGrams), motorC: Math.round(g.motorC), active: [...g.active] };
}
