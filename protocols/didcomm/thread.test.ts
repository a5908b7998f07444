import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { MemoryThreadStore, checkStateMachine, isFinalState, nextState, type StateMachine, type ThreadRecord } from './thread.ts';

const rec = (thid: string): ThreadRecord => ({ thid, errors: 0, created: 0, updated: 0, data: {} });

const M: StateMachine = {
  protocol: 'https://example.org/p/1.0',
  role: 'a',
  initial: 'start',
  final: ['done'],
  transitions: [
    { from: 'start', on: 'send:x', to: 'mid' },
    { from: 'mid', on: 'receive:y', to: 'done' },
  ],
};

describe('MemoryThreadStore', () => {
  it('is bounded: the least recently used thread is evicted (get refreshes)', () => {
    const s = new MemoryThreadStore(3);
    const evicted: string[] = [];
    s.onEvict = (r) => evicted.push(r.thid);
    for (const t of ['a', 'b', 'c']) s.set(rec(t));
    expect(s.get('a')).toBeDefined(); // a is now most recent
    s.set(rec('d'));
    expect(evicted).toEqual(['b']);
    expect(s.get('b')).toBeUndefined();
    expect(s.size).toBe(3);
    for (let i = 0; i < 100; i++) s.set(rec(`t${i}`));
    expect(s.size).toBe(3);
  });

  it('keys are case-insensitive; delete removes', () => {
    const s = new MemoryThreadStore();
    s.set(rec('AbC'));
    expect(s.get('abc')!.thid).toBe('AbC');
    s.delete('ABC');
    expect(s.get('abc')).toBeUndefined();
  });

  it('rejects a non-positive bound', () => {
    expectCode(() => new MemoryThreadStore(0), 'didcomm.invalid_argument');
  });
});

describe('state machines as data', () => {
  it('nextState follows the table and nothing else', () => {
    expect(nextState(M, 'start', 'send:x')).toBe('mid');
    expect(nextState(M, 'start', 'receive:y')).toBeUndefined();
    expect(nextState(M, 'mid', 'receive:y')).toBe('done');
    expect(isFinalState(M, 'done')).toBe(true);
    expect(isFinalState(M, 'mid')).toBe(false);
    expect(isFinalState(M, undefined)).toBe(false);
  });

  it('checkStateMachine accepts a sound table and names the defects of broken ones', () => {
    expect(checkStateMachine(M)).toBe(M);
    const broken: StateMachine[] = [
      { ...M, transitions: [...M.transitions, { from: 'start', on: 'send:x', to: 'done' }] },
      { ...M, transitions: [...M.transitions, { from: 'nowhere', on: 'send:z', to: 'done' }] },
      { ...M, final: ['never'] },
      { ...M, transitions: [{ from: 'start', on: 'x', to: 'mid' }] },
      { ...M, initial: 7 as unknown as string },
      null as unknown as StateMachine,
    ];
    for (const b of broken) expectCode(() => checkStateMachine(b), 'didcomm.invalid_state_machine');
  });
});
