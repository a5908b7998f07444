/**
 * The message router: wire bytes in, one handler per message type, replies
 * and problem reports out.
 *
 *   receive(bytes) -> size check -> unpack (envelope layer, injected)
 *     -> thread lookup -> state-machine check -> handler(ctx)
 *
 * Whatever arrives, receive() resolves with an outcome and never throws:
 * every failure is either answered with a report-problem 2.0 message (when
 * there is someone to answer) or dropped and reported to `onEvent`. That is
 * the property the fuzz test holds it to.
 *
 * Spec points and choices:
 * - Message Type URIs are matched as the spec asks (§"Message Type URI"):
 *   protocol and message names compared ignoring case and punctuation
 *   (`_ - .`), the doc-uri case-insensitively, and versions by major only, so
 *   a 2.1 message reaches a 2.0 handler (semver rules: same major interoperates).
 * - Problem reports carry `pthid` = the thread of the failed message
 *   (`thid`, else its `id`) and `ack` = its id. When even that is unknown
 *   (a message that could not be decrypted or parsed) `pthid` is omitted
 *   rather than invented, although the spec calls it REQUIRED: there is no
 *   thread to name.
 * - Undecryptable or unparseable input is answered only when a sender can
 *   be named (JWE `skid`/`apu`, JWS `kid`, plaintext `from`); the report is
 *   encrypted to that DID's keys by the outbound path, so only its owner can
 *   read it, and a per-sender budget limits how many such reports anyone can
 *   make us send. Replays are dropped silently (QoS 1 redelivery is normal).
 * - No problem report answers a problem report (spec §"Cascading Problems":
 *   no vicious cycles); each thread counts errors both ways and past
 *   `maxErrorsPerThread` sends one `e.p.req.max-errors-exceeded` and then
 *   ignores the thread.
 */
import { base64urlDecode } from '../encoding/base64url.ts';
import { utf8Decode } from '../encoding/bytes.ts';
import { parseJson } from '../encoding/json.ts';
import { parseDidUrl } from '../did/did-url.ts';
import { DidcommError, isSsiotError } from '../errors.ts';
import type { PlaintextMessage } from './message.ts';
import { newMessageId, validatePlaintext } from './message.ts';
import {
  MemoryThreadStore,
  checkStateMachine,
  isFinalState,
  nextState,
  receiveEvent,
  sendEvent,
  threadKey,
  type StateMachine,
  type ThreadRecord,
  type ThreadStore,
} from './thread.ts';
import { DEFAULT_MAX_RECEIVE_BYTES, wireLength } from './transports/limits.ts';
import {
  PROBLEM,
  PROBLEM_REPORT_TYPE,
  ProblemReportError,
  createProblemReport,
  parseProblemReport,
  type ProblemReportBody,
} from '../messages/report-problem.ts';

/**
 * What the envelope layer reports about how a message arrived: the subset
 * of unpack.ts's UnpackMetadata the router reads, all optional so messages
 * taken out of attachments or forwards can be dispatched too.
 */
export interface MessageMetadata {
  encrypted?: boolean;
  authenticated?: boolean;
  non_repudiation?: boolean;
  anonymous_sender?: boolean;
  encrypted_from_kid?: string;
  encrypted_to_kids?: string[];
  sign_from?: string;
}

export interface Unpacked {
  message: PlaintextMessage;
  metadata: MessageMetadata;
}

/** The envelope layer: packed text -> plaintext + metadata; throws typed errors. */
export type Unpacker = (packed: string) => Promise<Unpacked>;
/** The outbound path: pack for `message.to` and deliver. */
export type Sender = (message: PlaintextMessage) => Promise<void>;

/** A parsed Message Type URI (spec regex `(.*?)([a-z0-9._-]+)/(\d[^/]*)/([a-z0-9._-]+)$`). */
export interface MessageType {
  docUri: string;
  protocol: string;
  version: string;
  major: number;
  minor: number;
  name: string;
  /** `docUri + protocol + '/' + version`. */
  piuri: string;
}

const MTURI = /^(.*?)([a-z0-9._-]+)\/(\d[^/]*)\/([a-z0-9._-]+)$/i;
const PIURI = /^(.*?)([a-z0-9._-]+)\/(\d[^/]*)\/?$/i;

function parseVersion(v: string): { major: number; minor: number } | undefined {
  const m = /^(\d{1,6})(?:\.(\d{1,6}))?/.exec(v);
  return m ? { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]) } : undefined;
}

/** Parse an MTURI; undefined when `type` is not one. */
export function parseMessageType(type: unknown): MessageType | undefined {
  if (typeof type !== 'string' || type.length > 512) return undefined;
  const m = MTURI.exec(type);
  if (!m) return undefined;
  const ver = parseVersion(m[3]);
  if (!ver) return undefined;
  return { docUri: m[1], protocol: m[2], version: m[3], major: ver.major, minor: ver.minor, name: m[4], piuri: `${m[1]}${m[2]}/${m[3]}` };
}

/** Parse a PIURI (`https://didcomm.org/trust-ping/2.0`). */
export function parseProtocolUri(piuri: unknown): Omit<MessageType, 'name'> | undefined {
  if (typeof piuri !== 'string' || piuri.length > 512) return undefined;
  const m = PIURI.exec(piuri);
  if (!m) return undefined;
  const ver = parseVersion(m[3]);
  if (!ver) return undefined;
  return { docUri: m[1], protocol: m[2], version: m[3], major: ver.major, minor: ver.minor, piuri: `${m[1]}${m[2]}/${m[3]}` };
}

const norm = (s: string): string => s.toLowerCase().replace(/[._-]/g, '');
const protocolKey = (t: Omit<MessageType, 'name'>): string => `${t.docUri.toLowerCase()}${norm(t.protocol)}/${t.major}`;
const typeKey = (t: MessageType): string => `${protocolKey(t)}/${norm(t.name)}`;

/** Everything a handler gets. */
export interface HandlerContext {
  readonly message: PlaintextMessage;
  readonly metadata: MessageMetadata;
  readonly type: MessageType;
  readonly thread: ThreadRecord;
  readonly router: Router;
  /** Our DID the message was for (the `from` of replies), when known. */
  readonly self: string | undefined;
  /** The party to answer (`from`), when there is one. */
  readonly peer: string | undefined;
  /**
   * Reply on this thread: `thid` set, `to` = [peer], `from` = self. The
   * state machine (if any) moves on `send:<name>`. Throws
   * `didcomm.no_reply_path` when the message had no sender.
   */
  reply(type: string, body?: Record<string, unknown>, extra?: Partial<PlaintextMessage>): Promise<PlaintextMessage>;
}

export type Handler = (ctx: HandlerContext) => void | Promise<void>;

export interface HandlerOptions {
  /** Roles we play in this protocol (disclosed by discover-features). */
  roles?: string[];
  /** State machine the message moves (`receive:<name>`), checked before the handler runs. */
  machine?: StateMachine;
  /** Refuse messages that were neither authcrypted nor signed (`e.p.trust`). */
  requireAuthenticated?: boolean;
}

interface Registration {
  type: string;
  handler: Handler;
  options: HandlerOptions;
}

export type RouterEventKind = 'handled' | 'dropped' | 'problem_sent' | 'problem_received' | 'send_failed' | 'handler_failed';

/** For logs and metrics; carries codes and types, never message content. */
export interface RouterEvent {
  kind: RouterEventKind;
  /** ssiot error code (`didcomm.*`, `crypto.*`) or problem code. */
  code?: string;
  type?: string;
  thid?: string;
  peer?: string;
}

export type ReceiveOutcome =
  | { status: 'handled'; message: PlaintextMessage; thid: string }
  | { status: 'problem'; code: string; reported: boolean; message?: PlaintextMessage; error?: string }
  | { status: 'dropped'; reason: string; message?: PlaintextMessage };

export interface ProblemBudget {
  /** Thread-less problem reports one sender can trigger per window. */
  max: number;
  windowMs: number;
}

export interface RouterOptions {
  unpack: Unpacker;
  send: Sender;
  /** Our DIDs: replies go `from` the one a message was addressed to. */
  dids?: string[];
  threads?: ThreadStore;
  /** Inputs longer than this are dropped unread (default DEFAULT_MAX_RECEIVE_BYTES, 1 MiB; a device passes DEVICE_MAX_RECEIVE_BYTES). */
  maxReceiveBytes?: number;
  /** Errors (sent + received) after which a thread is abandoned (default 5). */
  maxErrorsPerThread?: number;
  problemBudget?: ProblemBudget;
  /** Wall clock, ms (default Date.now). */
  now?: () => number;
  onEvent?: (event: RouterEvent) => void;
  /** Pending waitReply() calls at most (default 64); the oldest is rejected past it. */
  maxWaiters?: number;
}

interface Waiter {
  key: string;
  /** Only a message from this DID settles the wait. */
  from?: string;
  resolve: (m: PlaintextMessage) => void;
  reject: (e: unknown) => void;
}

export interface PendingReply {
  promise: Promise<PlaintextMessage>;
  /** Stop waiting; the promise rejects with `didcomm.wait_cancelled`. */
  cancel(): void;
}

/** Thrown to waiters when the peer answered with a problem report. */
export class ProblemReportedError extends DidcommError {
  readonly problem: ProblemReportBody;
  constructor(problem: ProblemReportBody) {
    super('didcomm.problem_reported', `peer reported problem ${problem.code}`);
    this.problem = problem;
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The DID of a DID URL (or DID), or undefined. */
function didOf(s: unknown): string | undefined {
  if (typeof s !== 'string' || s.length > 4096) return undefined;
  try {
    return parseDidUrl(s).did;
  } catch {
    return undefined;
  }
}

/** A syntactically usable thread id (the spec's id rules, loosely: short, unreserved characters). */
function usableId(x: unknown): string | undefined {
  return typeof x === 'string' && x.length > 0 && x.length <= 64 && /^[A-Za-z0-9._~-]+$/.test(x) ? x : undefined;
}

function decodeJsonB64(s: unknown): Record<string, unknown> | undefined {
  if (typeof s !== 'string' || s.length > 65536) return undefined;
  try {
    const v = parseJson(utf8Decode(base64urlDecode(s)));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Best effort, unauthenticated: who claims to have sent `packed`, and on
 * which thread, for answering input we could not unpack. JWE: `skid` (or
 * `apu`) of the protected header; JWS: the first signature's `kid` and the
 * payload's `thid`/`id`; plaintext: `from`, `thid`/`id`.
 */
export function claimedContext(packed: string): { sender?: string; thid?: string; id?: string } {
  let v: unknown;
  try {
    v = parseJson(packed);
  } catch {
    return {};
  }
  if (!isRecord(v)) return {};
  const threadOf = (m: Record<string, unknown>) => {
    const id = usableId(m.id);
    const thid = usableId(m.thid) ?? id;
    const out: { thid?: string; id?: string } = {};
    if (thid) out.thid = thid;
    if (id) out.id = id;
    return out;
  };
  if (typeof v.ciphertext === 'string') {
    const h = decodeJsonB64(v.protected);
    if (!h) return {};
    let sender = didOf(h.skid);
    if (!sender && typeof h.apu === 'string') {
      try {
        sender = didOf(utf8Decode(base64urlDecode(h.apu)));
      } catch {
        sender = undefined;
      }
    }
    return sender ? { sender } : {};
  }
  if (typeof v.payload === 'string') {
    const sigs = Array.isArray(v.signatures) ? v.signatures : [v];
    const first = isRecord(sigs[0]) ? sigs[0] : undefined;
    const header = first ? decodeJsonB64(first.protected) : undefined;
    const kidSender = didOf(header?.kid ?? (first && isRecord(first.header) ? first.header.kid : undefined));
    const payload = decodeJsonB64(v.payload);
    const out: { sender?: string; thid?: string; id?: string } = payload ? threadOf(payload) : {};
    if (kidSender) out.sender = kidSender;
    return out;
  }
  const out: { sender?: string; thid?: string; id?: string } = threadOf(v);
  const from = didOf(v.from);
  if (from && from === v.from) out.sender = from;
  return out;
}

/** Envelope error codes (protocols/errors.ts DidcommError) and the problem each is reported as. */
const UNPACK_PROBLEMS: Readonly<Record<string, string>> = {
  'didcomm.too_large': PROBLEM.tooBig,
  'didcomm.expired': PROBLEM.time,
  'didcomm.malformed': PROBLEM.invalid,
  'didcomm.invalid_message': PROBLEM.invalid,
  'didcomm.unsupported_alg': PROBLEM.crypto,
  'didcomm.unknown_recipient': PROBLEM.crypto,
  'didcomm.missing_secret': PROBLEM.crypto,
  'didcomm.decrypt_failed': PROBLEM.crypto,
  'didcomm.unknown_sender_key': PROBLEM.crypto,
  'didcomm.sender_mismatch': PROBLEM.crypto,
  'didcomm.signer_mismatch': PROBLEM.crypto,
  'didcomm.recipient_mismatch': PROBLEM.crypto,
  'didcomm.invalid_signature': PROBLEM.crypto,
  'didcomm.no_compatible_keys': PROBLEM.crypto,
  'didcomm.cant_use_endpoint': PROBLEM.cantUseEndpoint,
  'didcomm.transport_failed': PROBLEM.cantUseEndpoint,
  'didcomm.unsupported_endpoint': PROBLEM.cantUseEndpoint,
};

/**
 * The problem code for an error: a handler's ProblemReportError as given,
 * envelope codes by the table above, other codes by area (`crypto.*` ->
 * trust.crypto, `did.*` -> did, `encoding.*` -> msg.invalid). Anything else
 * from a handler is `e.p.me` (internal): details stay on our side.
 */
export function problemCodeFor(e: unknown, stage: 'unpack' | 'handler'): string {
  if (e instanceof ProblemReportError) return e.problemCode;
  const code = isSsiotError(e) ? e.code : '';
  const mapped = UNPACK_PROBLEMS[code];
  if (mapped) return mapped;
  if (code.startsWith('crypto.')) return PROBLEM.crypto;
  if (code.startsWith('did.')) return PROBLEM.did;
  if (code.startsWith('encoding.')) return PROBLEM.invalid;
  // A handler's protocol validation (protocols/messages) blames the sender's message, not us.
  if (code === 'protocol.invalid_message' || code === 'protocol.unexpected_type') return PROBLEM.invalid;
  if (code === 'protocol.invalid_transition') return PROBLEM.outOfOrder;
  return stage === 'unpack' ? PROBLEM.invalid : PROBLEM.internal;
}

const isReplay = (e: unknown): boolean => isSsiotError(e) && e.code === 'didcomm.replayed';

export class Router {
  private readonly byType = new Map<string, Registration>();
  private readonly byProtocol = new Map<string, Registration>();
  /** PIURI (as registered) -> roles, for discover-features. */
  private readonly protocolRoles = new Map<string, Set<string>>();
  private readonly waiters = new Map<string, Waiter[]>();
  private waiterCount = 0;
  private readonly budgets = new Map<string, { start: number; count: number }>();
  private readonly problemListeners: ((problem: ProblemReportBody, message: PlaintextMessage) => void)[] = [];
  readonly threads: ThreadStore;
  readonly maxReceiveBytes: number;
  private readonly o: RouterOptions;
  private readonly maxErrors: number;
  private readonly budget: ProblemBudget;
  private readonly maxWaiters: number;

  constructor(options: RouterOptions) {
    if (!isRecord(options) || typeof options.unpack !== 'function' || typeof options.send !== 'function') {
      throw new DidcommError('didcomm.invalid_argument', 'Router needs unpack and send functions');
    }
    this.o = options;
    this.threads = options.threads ?? new MemoryThreadStore();
    this.maxReceiveBytes = options.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    this.maxErrors = options.maxErrorsPerThread ?? 5;
    this.budget = options.problemBudget ?? { max: 10, windowMs: 60_000 };
    this.maxWaiters = options.maxWaiters ?? 64;
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  private emit(event: RouterEvent): void {
    if (!this.o.onEvent) return;
    try {
      this.o.onEvent(event);
    } catch {
      // a failing logger must not break message handling
    }
  }

  /**
   * Handle messages of `type` (an MTURI). One handler per type (compared as
   * the spec compares MTURIs); a second registration is
   * `didcomm.duplicate_handler`.
   */
  on(type: string, handler: Handler, options: HandlerOptions = {}): this {
    const t = parseMessageType(type);
    if (!t) throw new DidcommError('didcomm.invalid_message_type', 'not a message type URI');
    if (typeof handler !== 'function') throw new DidcommError('didcomm.invalid_argument', 'handler must be a function');
    const key = typeKey(t);
    if (this.byType.has(key)) throw new DidcommError('didcomm.duplicate_handler', `a handler for ${type} is already registered`);
    if (options.machine) {
      checkStateMachine(options.machine);
      const mp = parseProtocolUri(options.machine.protocol);
      if (!mp || protocolKey(mp) !== protocolKey(t)) throw new DidcommError('didcomm.invalid_state_machine', `state machine protocol does not match ${type}`);
    }
    this.byType.set(key, { type, handler, options });
    const roles = this.protocolRoles.get(t.piuri) ?? new Set<string>();
    for (const r of options.roles ?? []) roles.add(r);
    if (options.machine) roles.add(options.machine.role);
    this.protocolRoles.set(t.piuri, roles);
    return this;
  }

  /**
   * Fallback for message types of protocol `piuri` that have no handler of
   * their own (e.g. a newer message name in a known protocol). Without one,
   * such messages get `e.p.msg.unsupported`.
   */
  onProtocol(piuri: string, handler: Handler, options: HandlerOptions = {}): this {
    const p = parseProtocolUri(piuri);
    if (!p) throw new DidcommError('didcomm.invalid_message_type', 'not a protocol identifier URI');
    const key = protocolKey(p);
    if (this.byProtocol.has(key)) throw new DidcommError('didcomm.duplicate_handler', `a protocol handler for ${piuri} is already registered`);
    this.byProtocol.set(key, { type: piuri, handler, options });
    const roles = this.protocolRoles.get(p.piuri) ?? new Set<string>();
    for (const r of options.roles ?? []) roles.add(r);
    this.protocolRoles.set(p.piuri, roles);
    return this;
  }

  /** Listen to problem reports received (after the router recorded them). */
  onProblem(listener: (problem: ProblemReportBody, message: PlaintextMessage) => void): () => void {
    this.problemListeners.push(listener);
    return () => {
      const i = this.problemListeners.indexOf(listener);
      if (i >= 0) this.problemListeners.splice(i, 1);
    };
  }

  /** True when a message of `type` would reach a handler. */
  handles(type: string): boolean {
    const t = parseMessageType(type);
    return !!t && (this.byType.has(typeKey(t)) || this.byProtocol.has(protocolKey(t)));
  }

  /** Protocols with handlers, as PIURIs with our roles (discover-features disclosures). */
  protocols(): { id: string; roles: string[] }[] {
    const out: { id: string; roles: string[] }[] = [];
    for (const [id, roles] of this.protocolRoles) out.push({ id, roles: [...roles] });
    return out;
  }

  private thread(thid: string, init: Partial<ThreadRecord>): ThreadRecord {
    const existing = this.threads.get(thid);
    if (existing) return existing;
    const t = this.now();
    const rec: ThreadRecord = { thid, errors: 0, created: t, updated: t, data: {}, ...init };
    this.threads.set(rec);
    return rec;
  }

  private save(rec: ThreadRecord): void {
    rec.updated = this.now();
    this.threads.set(rec);
  }

  /** Move `thread` by `event` under `machine`; undefined when the table forbids it. */
  private advance(rec: ThreadRecord, machine: StateMachine, event: string): string | undefined {
    const sameProtocol = rec.protocol === machine.protocol && rec.role === machine.role;
    const from = sameProtocol && rec.state !== undefined ? rec.state : machine.initial;
    return nextState(machine, from, event);
  }

  /**
   * Send a message we originate (or continue), through the outbound path.
   * With `machine`, the thread (`thid`, else `id`) moves on `send:<name>`;
   * a transition the table does not allow is `didcomm.invalid_state`.
   */
  async send(message: PlaintextMessage, options: { machine?: StateMachine } = {}): Promise<void> {
    const thid = message.thid ?? message.id;
    if (options.machine) {
      const t = parseMessageType(message.type);
      if (!t) throw new DidcommError('didcomm.invalid_message_type', 'not a message type URI');
      const peer = Array.isArray(message.to) && message.to.length === 1 ? message.to[0] : undefined;
      const init: Partial<ThreadRecord> = { protocol: options.machine.protocol, role: options.machine.role };
      if (peer !== undefined) init.peer = peer;
      if (message.pthid !== undefined) init.pthid = message.pthid;
      const rec = this.thread(thid, init);
      const next = this.advance(rec, options.machine, sendEvent(t.name));
      if (next === undefined) throw new DidcommError('didcomm.invalid_state', `cannot send ${t.name} in state ${rec.state ?? options.machine.initial}`);
      rec.protocol = options.machine.protocol;
      rec.role = options.machine.role;
      rec.state = next;
      this.save(rec);
    }
    await this.o.send(message);
  }

  /**
   * Wait for the next message on thread `thid` (handled by its handler
   * first). Rejects with ProblemReportedError when the peer answers with a
   * problem report on that thread. No timers here (XS has none): the host
   * cancels after its own timeout.
   */
  waitReply(thid: string, options: { from?: string } = {}): PendingReply {
    const key = threadKey(thid);
    let waiter!: Waiter;
    const promise = new Promise<PlaintextMessage>((resolve, reject) => {
      waiter = { key, resolve, reject };
      if (options.from !== undefined) waiter.from = options.from;
    });
    const list = this.waiters.get(key) ?? [];
    list.push(waiter);
    this.waiters.set(key, list);
    this.waiterCount++;
    if (this.waiterCount > this.maxWaiters) {
      // reject the oldest pending wait (Map iteration order = insertion order)
      const [oldKey, oldList] = this.waiters.entries().next().value as [string, Waiter[]];
      const oldest = oldList.shift()!;
      if (oldList.length === 0) this.waiters.delete(oldKey);
      this.waiterCount--;
      oldest.reject(new DidcommError('didcomm.too_many_waiters', 'too many pending replies; the oldest was dropped'));
    }
    return {
      promise,
      cancel: () => {
        if (this.takeWaiter(waiter)) waiter.reject(new DidcommError('didcomm.wait_cancelled', 'wait for reply cancelled'));
      },
    };
  }

  private takeWaiter(w: Waiter): boolean {
    const list = this.waiters.get(w.key);
    const i = list ? list.indexOf(w) : -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.waiters.delete(w.key);
    this.waiterCount--;
    return true;
  }

  /** Settle the waits on `thid` that accept a message from `from`. */
  private settleWaiters(thid: string, from: string | undefined, fn: (w: Waiter) => void): void {
    const key = threadKey(thid);
    const list = this.waiters.get(key);
    if (!list) return;
    const hit = list.filter((w) => w.from === undefined || w.from === from);
    const rest = list.filter((w) => !hit.includes(w));
    if (rest.length > 0) this.waiters.set(key, rest);
    else this.waiters.delete(key);
    this.waiterCount -= hit.length;
    for (const w of hit) fn(w);
  }

  /**
   * Process one message from the wire. Never throws and never rejects:
   * every failure becomes an outcome (and a problem report when someone can
   * be told).
   */
  async receive(input: string | Uint8Array): Promise<ReceiveOutcome> {
    try {
      return await this.receiveUnsafe(input);
    } catch (e) {
      // defence in depth: receiveUnsafe catches what it expects; anything else is a bug, not a crash
      const code = isSsiotError(e) ? e.code : 'didcomm.internal';
      this.emit({ kind: 'dropped', code });
      return { status: 'dropped', reason: code };
    }
  }

  private async receiveUnsafe(input: string | Uint8Array): Promise<ReceiveOutcome> {
    if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
      this.emit({ kind: 'dropped', code: 'didcomm.invalid_input' });
      return { status: 'dropped', reason: 'didcomm.invalid_input' };
    }
    // Size first, before decoding or parsing anything (a string's UTF-8 length is computed without copying).
    if (wireLength(input) > this.maxReceiveBytes) {
      this.emit({ kind: 'dropped', code: 'didcomm.too_large' });
      return { status: 'dropped', reason: 'didcomm.too_large' };
    }
    let text: string;
    try {
      text = typeof input === 'string' ? input : utf8Decode(input);
    } catch {
      this.emit({ kind: 'dropped', code: 'encoding.invalid_utf8' });
      return { status: 'dropped', reason: 'encoding.invalid_utf8' };
    }
    let unpacked: Unpacked;
    try {
      unpacked = await this.o.unpack(text);
      if (!isRecord(unpacked) || !isRecord(unpacked.message)) throw new DidcommError('didcomm.invalid_message', 'unpacker returned no message');
    } catch (e) {
      const code = isSsiotError(e) ? e.code : 'didcomm.unpack_failed';
      if (isReplay(e)) {
        this.emit({ kind: 'dropped', code });
        return { status: 'dropped', reason: code };
      }
      const claimed = claimedContext(text);
      const problem = problemCodeFor(e, 'unpack');
      if (!claimed.sender) {
        this.emit({ kind: 'dropped', code });
        return { status: 'dropped', reason: code };
      }
      const reported = await this.reportThreadless(problem, claimed.sender, claimed.thid, claimed.id, undefined);
      return { status: 'problem', code: problem, reported, error: code };
    }
    return this.dispatch(unpacked.message, unpacked.metadata ?? {});
  }

  /**
   * Route an already unpacked message (e.g. one taken out of an attachment
   * or a forward). Same guarantees as receive().
   */
  async dispatch(raw: PlaintextMessage, metadata: MessageMetadata = {}): Promise<ReceiveOutcome> {
    let message: PlaintextMessage;
    try {
      message = validatePlaintext(raw);
    } catch (e) {
      const code = isSsiotError(e) ? e.code : 'didcomm.invalid_message';
      const claimed = isRecord(raw) ? claimedContext(JSON.stringify(raw)) : {};
      if (!claimed.sender) {
        this.emit({ kind: 'dropped', code });
        return { status: 'dropped', reason: code };
      }
      const reported = await this.reportThreadless(PROBLEM.invalid, claimed.sender, claimed.thid, claimed.id, undefined);
      return { status: 'problem', code: PROBLEM.invalid, reported, error: code };
    }
    try {
      return await this.dispatchValid(message, isRecord(metadata) ? metadata : {});
    } catch (e) {
      const code = isSsiotError(e) ? e.code : 'didcomm.internal';
      this.emit({ kind: 'dropped', code, type: message.type });
      return { status: 'dropped', reason: code, message };
    }
  }

  /** Our DID this message was for: the recipient kid it was decrypted with, else a `to` we own. */
  private selfFor(message: PlaintextMessage, metadata: MessageMetadata): string | undefined {
    const mine = this.o.dids;
    const kids = Array.isArray(metadata.encrypted_to_kids) ? metadata.encrypted_to_kids : [];
    for (const k of kids) {
      const d = didOf(k);
      if (d && (!mine || mine.includes(d))) return d;
    }
    const to = Array.isArray(message.to) ? message.to : [];
    for (const d of to) if (typeof d === 'string' && (!mine || mine.includes(d))) return d;
    return mine && mine.length > 0 ? mine[0] : undefined;
  }

  private async dispatchValid(message: PlaintextMessage, metadata: MessageMetadata): Promise<ReceiveOutcome> {
    const type = parseMessageType(message.type);
    const peer = typeof message.from === 'string' ? message.from : undefined;
    const thid = message.thid ?? message.id;
    const self = this.selfFor(message, metadata);

    if (type && typeKey(type) === typeKey(parseMessageType(PROBLEM_REPORT_TYPE)!)) return this.receiveProblem(message, peer);

    const init: Partial<ThreadRecord> = {};
    if (peer !== undefined) init.peer = peer;
    if (message.pthid !== undefined) init.pthid = message.pthid;
    const rec = this.thread(thid, init);
    if (rec.abandoned) {
      this.emit({ kind: 'dropped', code: 'didcomm.thread_abandoned', type: message.type, thid });
      return { status: 'dropped', reason: 'didcomm.thread_abandoned', message };
    }
    const reg = type ? (this.byType.get(typeKey(type)) ?? this.byProtocol.get(protocolKey(type))) : undefined;
    if (!type || !reg) {
      return this.problemOnThread(PROBLEM.unsupported, [String(message.type).slice(0, 256)], message, rec, peer, self, 'didcomm.unsupported_type');
    }
    if (reg.options.requireAuthenticated && !metadata.authenticated && !metadata.non_repudiation) {
      return this.problemOnThread(PROBLEM.trust, [], message, rec, peer, self, 'didcomm.not_authenticated');
    }
    const machine = reg.options.machine;
    if (machine) {
      // a two-party protocol thread belongs to the peer that started it: nobody else moves its state
      // (answered within the sender's budget, without counting against the thread: a stranger must not abandon it)
      if (rec.peer !== undefined && rec.peer !== peer) {
        const reported = peer ? await this.reportThreadless(PROBLEM.trust, peer, thid, message.id, self) : false;
        if (!reported) this.emit({ kind: 'dropped', code: 'didcomm.thread_peer_mismatch', type: message.type, thid });
        return { status: 'problem', code: PROBLEM.trust, reported, message, error: 'didcomm.thread_peer_mismatch' };
      }
      const next = this.advance(rec, machine, receiveEvent(type.name));
      if (next === undefined) {
        return this.problemOnThread(PROBLEM.outOfOrder, [type.name, thid], message, rec, peer, self, 'didcomm.out_of_order');
      }
      rec.protocol = machine.protocol;
      rec.role = machine.role;
      rec.state = next;
      this.save(rec);
    }

    const ctx: HandlerContext = {
      message,
      metadata,
      type,
      thread: rec,
      router: this,
      self,
      peer,
      reply: async (replyType, body = {}, extra = {}) => {
        if (!peer) throw new DidcommError('didcomm.no_reply_path', 'the message has no sender to reply to');
        const reply = { ...extra, id: extra.id ?? newMessageId(), type: replyType, thid, body, to: [peer], created_time: Math.floor(this.now() / 1000) } as PlaintextMessage;
        if (self !== undefined) reply.from = self;
        // a reply within the same protocol continues our role's state machine
        const rt = parseMessageType(replyType);
        await this.send(reply, machine && rt && protocolKey(rt) === protocolKey(type) ? { machine } : {});
        return reply;
      },
    };
    try {
      await reg.handler(ctx);
    } catch (e) {
      const code = isSsiotError(e) ? e.code : 'didcomm.handler_failed';
      this.emit({ kind: 'handler_failed', code, type: message.type, thid });
      const problem = problemCodeFor(e, 'handler');
      const args = e instanceof ProblemReportError ? e.args : [];
      return this.problemOnThread(problem, args, message, rec, peer, self, code);
    }
    this.settleWaiters(thid, peer, (w) => w.resolve(message));
    if (machine && isFinalState(machine, rec.state)) this.save(rec);
    this.emit({ kind: 'handled', type: message.type, thid });
    return { status: 'handled', message, thid };
  }

  private receiveProblem(message: PlaintextMessage, peer: string | undefined): ReceiveOutcome {
    let problem: ProblemReportBody;
    try {
      problem = parseProblemReport(message);
    } catch (e) {
      const code = isSsiotError(e) ? e.code : 'didcomm.invalid_problem_report';
      // never answer a problem report with a problem report
      this.emit({ kind: 'dropped', code, type: message.type });
      return { status: 'dropped', reason: code, message };
    }
    const parent = message.pthid;
    if (parent !== undefined) {
      const rec = this.threads.get(parent);
      if (rec) {
        rec.errors++;
        if (rec.errors > this.maxErrors) rec.abandoned = true;
        this.save(rec);
      }
      this.settleWaiters(parent, peer, (w) => w.reject(new ProblemReportedError(problem)));
    }
    this.emit({ kind: 'problem_received', code: problem.code, type: message.type, thid: parent, peer });
    for (const l of [...this.problemListeners]) {
      try {
        l(problem, message);
      } catch {
        // listeners are the app's; their failures stay theirs
      }
    }
    return { status: 'handled', message, thid: message.thid ?? message.id };
  }

  /** Report a problem on a known thread, with the per-thread circuit breaker. */
  private async problemOnThread(
    code: string,
    args: string[],
    message: PlaintextMessage,
    rec: ThreadRecord,
    peer: string | undefined,
    self: string | undefined,
    error: string,
  ): Promise<ReceiveOutcome> {
    if (!peer) {
      this.emit({ kind: 'dropped', code: error, type: message.type, thid: rec.thid });
      return { status: 'problem', code, reported: false, message, error };
    }
    rec.errors++;
    let sendCode = code;
    let sendArgs = args;
    if (rec.errors > this.maxErrors) {
      if (rec.abandoned) return { status: 'dropped', reason: 'didcomm.thread_abandoned', message };
      // the limit is crossed by an error we emit: send max-errors-exceeded instead, then stay silent
      rec.abandoned = true;
      sendCode = PROBLEM.maxErrors;
      sendArgs = [];
    }
    this.save(rec);
    const report = createProblemReport({ code: sendCode, args: sendArgs, pthid: rec.thid, ack: message.id, to: [peer], ...(self ? { from: self } : {}), createdTime: Math.floor(this.now() / 1000) });
    const reported = await this.sendProblem(report, peer, rec.thid);
    return { status: 'problem', code: sendCode, reported, message, error };
  }

  /** Report a problem that has no thread of ours (undecryptable / invalid input), within the sender's budget. */
  private async reportThreadless(code: string, sender: string, thid: string | undefined, ack: string | undefined, self: string | undefined): Promise<boolean> {
    const t = this.now();
    let b = this.budgets.get(sender);
    if (!b || t - b.start >= this.budget.windowMs) {
      b = { start: t, count: 0 };
      this.budgets.delete(sender);
      this.budgets.set(sender, b);
      while (this.budgets.size > 256) this.budgets.delete(this.budgets.keys().next().value as string);
    }
    if (b.count >= this.budget.max) {
      this.emit({ kind: 'dropped', code: 'didcomm.problem_budget_exceeded', peer: sender });
      return false;
    }
    b.count++;
    const from = self ?? (this.o.dids && this.o.dids.length > 0 ? this.o.dids[0] : undefined);
    const report = createProblemReport({
      code,
      ...(thid ? { pthid: thid } : {}),
      ...(ack ? { ack } : {}),
      to: [sender],
      ...(from ? { from } : {}),
      createdTime: Math.floor(t / 1000),
    });
    return this.sendProblem(report, sender, thid);
  }

  private async sendProblem(report: PlaintextMessage, peer: string, thid: string | undefined): Promise<boolean> {
    const code = (report.body as { code?: string }).code;
    try {
      await this.o.send(report);
      this.emit({ kind: 'problem_sent', code, peer, ...(thid ? { thid } : {}) });
      return true;
    } catch (e) {
      this.emit({ kind: 'send_failed', code: isSsiotError(e) ? e.code : 'didcomm.send_failed', peer, type: PROBLEM_REPORT_TYPE });
      return false;
    }
  }
}
