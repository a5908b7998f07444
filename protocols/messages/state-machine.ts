/**
 * Protocol state machines as data, for the ssiot message families.
 *
 * The tables use the router's shape (protocols/didcomm/thread.ts:
 * `{from, on: 'send:<name>' | 'receive:<name>', to}`), so the same object
 * both drives the router's out-of-order check and documents the protocol.
 * `transition` is the strict form for code that walks a machine by hand
 * (the device agent, tests): a missing row is a typed error, not undefined.
 *
 * Rows on `send:problem-report` / `receive:problem-report` say how a run
 * ends when either side reports a problem. The router itself routes problem
 * reports by `pthid` outside the tables (report-problem is its own
 * protocol), so those rows serve agents that walk a machine by hand and the
 * documentation (docs/protocols.md); they never refuse a problem report.
 * A run whose last message asked for no answer (issue-credential without
 * `please_ack`, a request with `will_confirm: false`) simply stays in its
 * last state (`credential-issued`, `presentation-sent`).
 */
import { ProtocolError } from '../errors.ts';
import type { StateMachine, Transition } from '../didcomm/thread.ts';
import { checkStateMachine, nextState, receiveEvent, sendEvent } from '../didcomm/thread.ts';

export type { StateMachine, Transition };
export { receiveEvent, sendEvent };

/**
 * The state after `event` in `state`; `protocol.invalid_transition` when the
 * table has no such row (an out-of-order or unknown message).
 */
export function transition(machine: StateMachine, state: string, event: string): string {
  const next = nextState(machine, state, event);
  if (next === undefined) {
    throw new ProtocolError('protocol.invalid_transition', `${machine.protocol} (${machine.role}): no transition from ${state} on ${event}`);
  }
  return next;
}

/** True when the table has a row for (`state`, `event`). */
export function canTransition(machine: StateMachine, state: string, event: string): boolean {
  return nextState(machine, state, event) !== undefined;
}

/** The events the machine accepts in `state` (what a UI may offer, what a peer may send next). */
export function eventsFrom(machine: StateMachine, state: string): string[] {
  return machine.transitions.filter((t) => t.from === state).map((t) => t.on);
}

/** Every state named by the table (initial first). */
export function statesOf(machine: StateMachine): string[] {
  const out = [machine.initial];
  for (const t of machine.transitions) for (const s of [t.from, t.to]) if (!out.includes(s)) out.push(s);
  return out;
}

/**
 * Build a machine from rows and check it once (reachability, no duplicate
 * rows, event syntax): a typo fails at module load, in every test.
 */
export function defineMachine(
  protocol: string,
  role: string,
  final: readonly string[],
  rows: readonly (readonly [from: string, on: string, to: string])[],
  initial = 'start',
): StateMachine {
  const transitions: Transition[] = rows.map(([from, on, to]) => ({ from, on, to }));
  return Object.freeze(checkStateMachine({ protocol, role, initial, final: Object.freeze([...final]), transitions: Object.freeze(transitions) }));
}
