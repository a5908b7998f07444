/**
 * Threads (DIDComm v2 §Threading) and protocol state machines as data.
 *
 * A thread is named by `thid` (the first message's `id` when it has no
 * `thid`); ids "MUST be compared case-insensitively", so the store keys on
 * the lowercase form. The store is bounded (LRU): anyone on the wire can
 * start threads, so memory must not grow with what strangers send. A
 * persistent store (the wallet) can implement the same interface later.
 *
 * A protocol's states are a table, not code: `{from, on, to}` rows where
 * `on` is `send:<message-name>` or `receive:<message-name>`. The router
 * consults the table before a handler runs and refuses out-of-order
 * messages with a problem report, so handlers never see impossible states.
 */
import { DidcommError } from '../errors.ts';

export interface ThreadRecord {
  /** Thread id as first seen. */
  thid: string;
  /** Parent thread, when the thread's first message named one. */
  pthid?: string;
  /** PIURI of the protocol running on this thread (major version form), once known. */
  protocol?: string;
  /** Our role in that protocol. */
  role?: string;
  /** Current state in the protocol's state machine. */
  state?: string;
  /** The other party's DID. */
  peer?: string;
  /** Problem reports sent and received on this thread (the circuit breaker of spec §"Cascading Problems"). */
  errors: number;
  /** Max errors exceeded: further messages on this thread are ignored. */
  abandoned?: boolean;
  /** ms timestamps from the router's clock. */
  created: number;
  updated: number;
  /** Per-protocol scratch data (JSON-serializable). */
  data: Record<string, unknown>;
}

export interface ThreadStore {
  get(thid: string): ThreadRecord | undefined;
  /** Insert or replace. May evict the least recently used thread. */
  set(record: ThreadRecord): void;
  delete(thid: string): void;
  readonly size: number;
}

/** Case-insensitive thread key (spec: ids compare case-insensitively). */
export function threadKey(thid: string): string {
  return thid.toLowerCase();
}

/** In-memory LRU thread store, `maxThreads` records at most (default 256). */
export class MemoryThreadStore implements ThreadStore {
  private readonly map = new Map<string, ThreadRecord>();
  readonly maxThreads: number;
  /** Called with each record evicted to make room (not for delete()). */
  onEvict?: (record: ThreadRecord) => void;

  constructor(maxThreads = 256) {
    if (!Number.isInteger(maxThreads) || maxThreads < 1) throw new DidcommError('didcomm.invalid_argument', 'maxThreads must be a positive integer');
    this.maxThreads = maxThreads;
  }

  get(thid: string): ThreadRecord | undefined {
    const k = threadKey(thid);
    const r = this.map.get(k);
    if (r) {
      // refresh recency
      this.map.delete(k);
      this.map.set(k, r);
    }
    return r;
  }

  set(record: ThreadRecord): void {
    const k = threadKey(record.thid);
    this.map.delete(k);
    this.map.set(k, record);
    while (this.map.size > this.maxThreads) {
      const oldest = this.map.keys().next().value as string;
      const evicted = this.map.get(oldest);
      this.map.delete(oldest);
      if (evicted && this.onEvict) this.onEvict(evicted);
    }
  }

  delete(thid: string): void {
    this.map.delete(threadKey(thid));
  }

  get size(): number {
    return this.map.size;
  }
}

/** One row of a state table. */
export interface Transition {
  from: string;
  /** `send:<message-name>` or `receive:<message-name>`. */
  on: string;
  to: string;
}

/**
 * A protocol role's state machine, as data. `protocol` is the PIURI
 * (`https://didcomm.org/trust-ping/2.0`); `initial` is the state of a
 * thread this role has not seen yet.
 */
export interface StateMachine {
  readonly protocol: string;
  readonly role: string;
  readonly initial: string;
  readonly final: readonly string[];
  readonly transitions: readonly Transition[];
}

/** Event name for sending / receiving a message of type name `name`. */
export const sendEvent = (name: string): string => `send:${name}`;
export const receiveEvent = (name: string): string => `receive:${name}`;

/** The state after `event` in `state`, or undefined when the table has no such row. */
export function nextState(machine: StateMachine, state: string, event: string): string | undefined {
  for (const t of machine.transitions) if (t.from === state && t.on === event) return t.to;
  return undefined;
}

/** True when `state` is final for the machine (no further messages expected). */
export function isFinalState(machine: StateMachine, state: string | undefined): boolean {
  return state !== undefined && machine.final.includes(state);
}

/**
 * Check a table once at registration: every state reachable, every row's
 * states named, no two rows for the same (from, on). Catches typos that
 * would otherwise show up as spurious out-of-order problem reports.
 */
export function checkStateMachine(machine: StateMachine): StateMachine {
  const bad = (why: string): never => {
    throw new DidcommError('didcomm.invalid_state_machine', `${machine && machine.protocol} (${machine && machine.role}): ${why}`);
  };
  if (typeof machine !== 'object' || machine === null) bad('not an object');
  if (typeof machine.protocol !== 'string' || typeof machine.role !== 'string' || typeof machine.initial !== 'string') bad('protocol, role and initial are required strings');
  if (!Array.isArray(machine.transitions) || !Array.isArray(machine.final)) bad('transitions and final must be arrays');
  const seen = new Set<string>();
  const reachable = new Set<string>([machine.initial]);
  for (const t of machine.transitions) {
    if (typeof t.from !== 'string' || typeof t.to !== 'string' || typeof t.on !== 'string') bad('each transition needs from, on, to');
    if (!/^(send|receive):[A-Za-z0-9._-]+$/.test(t.on)) bad(`transition event ${t.on} must be send:<name> or receive:<name>`);
    const key = `${t.from}\u0000${t.on}`;
    if (seen.has(key)) bad(`two transitions from ${t.from} on ${t.on}`);
    seen.add(key);
  }
  // fixpoint over the table (tables are tiny)
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of machine.transitions) {
      if (reachable.has(t.from) && !reachable.has(t.to)) {
        reachable.add(t.to);
        changed = true;
      }
    }
  }
  for (const t of machine.transitions) if (!reachable.has(t.from)) bad(`state ${t.from} is unreachable`);
  for (const f of machine.final) if (!reachable.has(f)) bad(`final state ${f} is unreachable`);
  return machine;
}
