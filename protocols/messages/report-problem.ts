/**
 * Report-problem 2.0 (DIDComm v2 §"Problem Reports").
 *
 * Problem codes are `<sorter>.<scope>.<descriptor>...`: sorter `e` (error)
 * or `w` (warning); scope `p` (protocol abandoned), `m` (this message
 * rejected) or a state name; descriptors from the spec's table (`trust`,
 * `trust.crypto`, `xfer`, `did`, `msg`, `me`, `me.res`, `req`, `req.time`,
 * `legal`) optionally refined. `comment` MUST be statically associated with
 * the code, so comments come from one table here and never carry error
 * text (which could leak secrets or internals); situation-specific values go
 * in `args`.
 *
 * Choices: the spec's descriptor for crypto failures is `trust.crypto`, so
 * ours is `e.p.trust.crypto` (not `e.p.crypto`); unknown message types are
 * `e.p.msg.unsupported`; out-of-order messages are `e.m.req.out-of-order`
 * (scope `m`: the message is rejected, the thread goes on); an oversized
 * message is the spec's `me.res.storage.message_too_big` (its underscores
 * are the spec's own spelling, so tokens here allow `_`).
 */
import { DidcommError } from '../errors.ts';
import type { PlaintextMessage } from '../didcomm/message.ts';
import { newMessageId } from '../didcomm/message.ts';

export const REPORT_PROBLEM_PIURI = 'https://didcomm.org/report-problem/2.0';
export const PROBLEM_REPORT_TYPE = `${REPORT_PROBLEM_PIURI}/problem-report`;

/** The codes ssiot emits, with their static comments (`{n}` = args[n-1]). */
export const PROBLEM_COMMENTS: Readonly<Record<string, string>> = {
  'e.p.msg.unsupported': 'Message type {1} is not supported.',
  'e.p.msg.invalid': 'The message is malformed or lacks a required field.',
  'e.m.req.out-of-order': 'Message type {1} was not expected in the current state of thread {2}.',
  'e.p.trust.crypto': 'Cryptographic operation failed.',
  'e.p.trust': 'Failed to achieve required trust.',
  'e.p.did': 'DID is unusable.',
  'e.p.xfer.cant-use-endpoint': 'Unable to use the {1} endpoint for {2}.',
  'e.p.req.time': 'Failed to satisfy timing constraints.',
  'e.p.req.max-errors-exceeded': 'Too many errors on this thread; it is abandoned.',
  'e.p.me': 'Internal error.',
  'e.p.me.res.storage.message_too_big': 'The message exceeds max_receive_bytes ({1}).',
};

export const PROBLEM = {
  unsupported: 'e.p.msg.unsupported',
  invalid: 'e.p.msg.invalid',
  outOfOrder: 'e.m.req.out-of-order',
  crypto: 'e.p.trust.crypto',
  trust: 'e.p.trust',
  did: 'e.p.did',
  cantUseEndpoint: 'e.p.xfer.cant-use-endpoint',
  time: 'e.p.req.time',
  maxErrors: 'e.p.req.max-errors-exceeded',
  internal: 'e.p.me',
  tooBig: 'e.p.me.res.storage.message_too_big',
} as const;

export interface ProblemReportBody {
  code: string;
  comment?: string;
  args?: string[];
  escalate_to?: string;
}

/** Lower kebab-case dotted tokens: sorter, scope, at least one descriptor. */
const CODE = /^[ew]\.[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

export function isProblemCode(code: unknown): code is string {
  return typeof code === 'string' && code.length <= 128 && CODE.test(code);
}

/** True when `code` is `prefix` or refines it (`e.p.trust.crypto` matches `e.p.trust`). */
export function problemCodeMatches(code: string, prefix: string): boolean {
  return code === prefix || code.startsWith(`${prefix}.`);
}

/**
 * A handler throws this to answer with a specific problem code (the router
 * turns any other error into `e.p.me` or a code derived from its area).
 */
export class ProblemReportError extends DidcommError {
  readonly problemCode: string;
  readonly args: string[];
  constructor(problemCode: string, args: string[] = [], options?: { cause?: unknown }) {
    super('didcomm.problem', `problem ${problemCode}`, options);
    if (!isProblemCode(problemCode)) throw new DidcommError('didcomm.invalid_problem_code', 'not a problem code');
    this.problemCode = problemCode;
    this.args = args.map(String);
  }
}

export interface CreateProblemReportOptions {
  code: string;
  /** Thread in which the problem occurred (REQUIRED by the spec when there is one). */
  pthid?: string;
  /** Id of the message that triggered the problem (`ack`). */
  ack?: string;
  args?: string[];
  from?: string;
  to?: string[];
  escalateTo?: string;
  /** Overrides the table's comment (must still be static per code). */
  comment?: string;
  id?: string;
  createdTime?: number;
}

/** Build a problem-report plaintext message. `didcomm.invalid_problem_code` for a malformed code. */
export function createProblemReport(o: CreateProblemReportOptions): PlaintextMessage {
  if (!isProblemCode(o.code)) throw new DidcommError('didcomm.invalid_problem_code', 'not a problem code');
  const body: ProblemReportBody = { code: o.code };
  const comment = o.comment ?? PROBLEM_COMMENTS[o.code];
  if (comment !== undefined) body.comment = comment;
  if (o.args && o.args.length > 0) body.args = o.args.map(String);
  if (o.escalateTo !== undefined) body.escalate_to = o.escalateTo;
  const msg: PlaintextMessage = { id: o.id ?? newMessageId(), type: PROBLEM_REPORT_TYPE, body: body as unknown as Record<string, unknown> } as PlaintextMessage;
  if (o.pthid !== undefined) msg.pthid = o.pthid;
  if (o.ack !== undefined) (msg as Record<string, unknown>).ack = [o.ack];
  if (o.from !== undefined) msg.from = o.from;
  if (o.to !== undefined) msg.to = o.to;
  if (o.createdTime !== undefined) msg.created_time = o.createdTime;
  return msg;
}

/** Validate a received problem report's body; `didcomm.invalid_problem_report` when it is not one. */
export function parseProblemReport(message: PlaintextMessage): ProblemReportBody {
  const body = message.body as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null || !isProblemCode(body.code)) {
    throw new DidcommError('didcomm.invalid_problem_report', 'problem report needs body.code in problem-code syntax');
  }
  const out: ProblemReportBody = { code: body.code as string };
  if (typeof body.comment === 'string') out.comment = body.comment;
  if (Array.isArray(body.args)) out.args = body.args.map((a) => (a === null || a === undefined ? '?' : String(a)));
  if (typeof body.escalate_to === 'string') out.escalate_to = body.escalate_to;
  return out;
}

/**
 * The spec's interpolation: `{n}` becomes args[n-1]; missing or null args
 * become `?`; extra args are appended comma-separated.
 */
export function interpolateComment(comment: string, args: readonly (string | null | undefined)[] = []): string {
  let maxUsed = 0;
  const text = comment.replace(/\{(\d+)\}/g, (_m, d: string) => {
    const n = Number(d);
    if (n > maxUsed) maxUsed = n;
    const v = n >= 1 ? args[n - 1] : undefined;
    return v === undefined || v === null ? '?' : String(v);
  });
  const extra = args.slice(maxUsed).map((a) => (a === undefined || a === null ? '?' : String(a)));
  return extra.length > 0 ? `${text} ${extra.join(', ')}` : text;
}
