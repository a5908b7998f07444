import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { ProtocolError } from '../errors.ts';
import { problemFor } from './fields.ts';
import { ProblemReportError } from './report-problem.ts';
import { canTransition, defineMachine, eventsFrom, statesOf, transition } from './state-machine.ts';

const M = defineMachine('https://example.org/p/1.0', 'a', ['done'], [
  ['start', 'send:x', 'middle'],
  ['middle', 'receive:y', 'done'],
]);

describe('state-machine helper', () => {
  it('transition follows the table and refuses missing rows', () => {
    expect(transition(M, 'start', 'send:x')).toBe('middle');
    expect(transition(M, 'middle', 'receive:y')).toBe('done');
    expectCode(() => transition(M, 'start', 'receive:y'), 'protocol.invalid_transition');
    expectCode(() => transition(M, 'done', 'send:x'), 'protocol.invalid_transition');
    expectCode(() => transition(M, 'nowhere', 'send:x'), 'protocol.invalid_transition');
  });

  it('canTransition, eventsFrom, statesOf', () => {
    expect(canTransition(M, 'start', 'send:x')).toBe(true);
    expect(canTransition(M, 'start', 'send:y')).toBe(false);
    expect(eventsFrom(M, 'middle')).toEqual(['receive:y']);
    expect(eventsFrom(M, 'done')).toEqual([]);
    expect(statesOf(M)).toEqual(['start', 'middle', 'done']);
  });

  it('defineMachine checks the table (typos fail at definition)', () => {
    expectCode(() => defineMachine('p', 'r', ['done'], [['start', 'sned:x', 'done']]), 'didcomm.invalid_state_machine');
    expectCode(() => defineMachine('p', 'r', ['done'], [['start', 'send:x', 'a'], ['start', 'send:x', 'b']]), 'didcomm.invalid_state_machine');
    expectCode(() => defineMachine('p', 'r', ['done'], [['start', 'send:x', 'a'], ['b', 'send:y', 'done']]), 'didcomm.invalid_state_machine');
  });

  it('machines are frozen', () => {
    expect(Object.isFrozen(M)).toBe(true);
    expect(Object.isFrozen(M.transitions)).toBe(true);
  });
});

describe('problemFor', () => {
  it('maps validation and transition errors to problem codes, carrying only the field', () => {
    const p1 = problemFor(new ProtocolError('protocol.invalid_message', 'body.nonce must be base64url', { field: 'body.nonce' }));
    expect(p1).toBeInstanceOf(ProblemReportError);
    expect((p1 as ProblemReportError).problemCode).toBe('e.p.msg.invalid');
    expect((p1 as ProblemReportError).args).toEqual(['body.nonce']);
    let p2: unknown;
    try {
      transition(M, 'done', 'send:x');
    } catch (e) {
      p2 = problemFor(e);
    }
    expect((p2 as ProblemReportError).problemCode).toBe('e.m.req.out-of-order');
    const other = new Error('x');
    expect(problemFor(other)).toBe(other);
  });
});
