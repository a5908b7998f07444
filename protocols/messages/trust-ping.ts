/**
 * Trust Ping 2.0 (DIDComm v2 §"Trust Ping Protocol 2.0"): test that a
 * DIDComm channel works end to end — transport, encryption both ways and
 * the peer's agent — not just that a host answers.
 *
 * `response_requested` defaults to true (spec); `false` asks for no answer.
 * The response is `{type: ping-response, thid: <ping id>}`; we also give it
 * an empty `body` (the spec's example has none; v2.1 plaintext makes body
 * optional, v2.0 parsers expect one, so `{}` satisfies both).
 */
import type { PlaintextMessage } from '../didcomm/message.ts';
import { newMessageId } from '../didcomm/message.ts';
import type { HandlerContext, PendingReply, Router } from '../didcomm/router.ts';
import type { StateMachine } from '../didcomm/thread.ts';
import { DidcommError } from '../errors.ts';

export const TRUST_PING_PIURI = 'https://didcomm.org/trust-ping/2.0';
export const PING_TYPE = `${TRUST_PING_PIURI}/ping`;
export const PING_RESPONSE_TYPE = `${TRUST_PING_PIURI}/ping-response`;

/** The sender's states: a ping out, then its response. */
export const TRUST_PING_SENDER: StateMachine = {
  protocol: TRUST_PING_PIURI,
  role: 'sender',
  initial: 'start',
  final: ['done'],
  transitions: [
    { from: 'start', on: 'send:ping', to: 'awaiting-response' },
    { from: 'awaiting-response', on: 'receive:ping-response', to: 'done' },
  ],
};

/** The receiver's states: a ping in, then (if asked) our response. */
export const TRUST_PING_RECEIVER: StateMachine = {
  protocol: TRUST_PING_PIURI,
  role: 'receiver',
  initial: 'start',
  final: ['done'],
  transitions: [
    { from: 'start', on: 'receive:ping', to: 'received' },
    { from: 'received', on: 'send:ping-response', to: 'done' },
  ],
};

export interface CreatePingOptions {
  from?: string;
  to: string[];
  responseRequested?: boolean;
  id?: string;
  createdTime?: number;
  expiresTime?: number;
}

/** A ping message. `from` is needed for a response (the receiver answers `from`). */
export function createPing(o: CreatePingOptions): PlaintextMessage {
  const m: PlaintextMessage = { id: o.id ?? newMessageId(), type: PING_TYPE, to: [...o.to], body: { response_requested: o.responseRequested !== false } };
  if (o.from !== undefined) m.from = o.from;
  if (o.createdTime !== undefined) m.created_time = o.createdTime;
  if (o.expiresTime !== undefined) m.expires_time = o.expiresTime;
  return m;
}

/** Whether a received ping asks for a response: anything but an explicit `false` does (spec default true). */
export function responseRequested(ping: PlaintextMessage): boolean {
  return (ping.body as { response_requested?: unknown } | undefined)?.response_requested !== false;
}

export interface TrustPingOptions {
  /** Answer pings (default true). A device in a quiet mode may decline. */
  respond?: boolean | ((ctx: HandlerContext) => boolean);
  /** Observe pings and responses (diagnostics). */
  onPing?: (ctx: HandlerContext) => void;
  onResponse?: (ctx: HandlerContext) => void;
}

/** Register both roles of trust-ping on `router`. */
export function registerTrustPing(router: Router, options: TrustPingOptions = {}): void {
  router.on(
    PING_TYPE,
    async (ctx) => {
      options.onPing?.(ctx);
      const respond = typeof options.respond === 'function' ? options.respond(ctx) : options.respond !== false;
      // no `from`: nowhere to answer (an anonymous ping only tests our side)
      if (!respond || !responseRequested(ctx.message) || ctx.peer === undefined) return;
      await ctx.reply(PING_RESPONSE_TYPE, {});
    },
    { machine: TRUST_PING_RECEIVER },
  );
  router.on(
    PING_RESPONSE_TYPE,
    (ctx) => {
      options.onResponse?.(ctx);
    },
    { machine: TRUST_PING_SENDER },
  );
}

/**
 * Ping `to` from `from`; with a response requested, `response` settles when
 * the ping-response (or a problem report) arrives on the ping's thread.
 * The caller owns the timeout (`response.cancel()`).
 */
export async function sendPing(router: Router, o: CreatePingOptions): Promise<{ ping: PlaintextMessage; response?: PendingReply }> {
  if (!Array.isArray(o.to) || o.to.length !== 1) throw new DidcommError('didcomm.invalid_argument', 'a trust ping goes to exactly one DID');
  const ping = createPing(o);
  const wantResponse = o.responseRequested !== false;
  const response = wantResponse ? router.waitReply(ping.id, { from: o.to[0] }) : undefined;
  try {
    // only a ping that expects an answer opens a thread in the sender role
    await router.send(ping, wantResponse ? { machine: TRUST_PING_SENDER } : {});
  } catch (e) {
    response?.cancel();
    response?.promise.catch(() => undefined);
    throw e;
  }
  return response ? { ping, response } : { ping };
}
