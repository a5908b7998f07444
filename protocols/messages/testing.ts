/**
 * Test helpers for the message families (neutral: the tests also run in
 * XS). Not part of the protocol API.
 */
import { expect } from 'vitest';
import type { StateMachine } from '../didcomm/thread.ts';
import { transition } from './state-machine.ts';

/** Run `fn`, expect a `protocol.invalid_message` naming `field`. */
export function expectInvalid(fn: () => unknown, field: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected protocol.invalid_message for ${field}`).toBeInstanceOf(Error);
  expect((thrown as { code?: unknown }).code).toBe('protocol.invalid_message');
  expect((thrown as { field?: unknown }).field).toBe(field);
}

/** A deep copy with `path` (dot-separated, numeric segments index arrays) set to `value`, or deleted when `value` is undefined. */
export function mutate<T>(m: T, path: string, value: unknown): T {
  const copy = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy as T;
}

/** Walk `events` from the machine's initial state; returns the states passed through. */
export function walk(machine: StateMachine, events: readonly string[]): string[] {
  const states = [machine.initial];
  for (const e of events) states.push(transition(machine, states[states.length - 1], e));
  return states;
}

/** Expect every (state, event) pair to be refused with protocol.invalid_transition. */
export function expectRefused(machine: StateMachine, pairs: readonly (readonly [string, string])[]): void {
  for (const [state, event] of pairs) {
    let code: unknown;
    try {
      transition(machine, state, event);
    } catch (e) {
      code = (e as { code?: unknown }).code;
    }
    expect(code, `${machine.role}: ${state} on ${event} must be refused`).toBe('protocol.invalid_transition');
  }
}
