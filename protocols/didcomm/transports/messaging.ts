/**
 * Wiring for an agent's messaging: transports -> Router.receive, and
 * Router.send -> Outbox -> transports. A device host, the manufacturer
 * service and tests all assemble the same pieces; this does it once.
 */
import type { DidResolver } from '../../did/types.ts';
import { createReplayGuard, type ReplayGuard } from '../replay.ts';
import { Router, type RouterOptions } from '../router.ts';
import type { SecretsResolver } from '../secrets.ts';
import { unpack } from '../unpack.ts';
import { DEFAULT_MAX_RECEIVE_BYTES } from './limits.ts';
import { Outbox, type OutboxOptions } from './outbox.ts';
import type { MessageTransport } from './types.ts';

export interface MessagingOptions extends Omit<RouterOptions, 'unpack' | 'send' | 'dids' | 'maxReceiveBytes'> {
  /** Our DIDs (replies go from the one a message was for). */
  dids: string[];
  resolver: DidResolver;
  secrets: SecretsResolver;
  transports: MessageTransport[];
  /** Default: the smallest limit among the transports. */
  maxReceiveBytes?: number;
  /** Default: an in-memory guard (1024 ids, one day). */
  replayGuard?: ReplayGuard;
  outbox?: Omit<OutboxOptions, 'transports' | 'resolver' | 'secrets'>;
}

export interface Messaging {
  router: Router;
  outbox: Outbox;
  /** Unsubscribe from the transports (does not close them: the host owns them). */
  detach(): void;
}

/** Build a Router over the real envelope layer and the given transports, and start receiving. */
export function createMessaging(o: MessagingOptions): Messaging {
  const maxReceiveBytes = o.maxReceiveBytes ?? Math.min(DEFAULT_MAX_RECEIVE_BYTES, ...o.transports.map((t) => t.maxReceiveBytes));
  const replayGuard = o.replayGuard ?? createReplayGuard();
  const outbox = new Outbox({ ...(o.outbox ?? {}), transports: o.transports, resolver: o.resolver, secrets: o.secrets });
  const { resolver, secrets, transports, replayGuard: _r, outbox: _o, ...routerOptions } = o;
  const router = new Router({
    ...routerOptions,
    dids: o.dids,
    maxReceiveBytes,
    unpack: (packed) => unpack(packed, { resolver, secrets, replayGuard, maxBytes: maxReceiveBytes, ...(o.now ? { now: Math.floor(o.now() / 1000) } : {}) }),
    send: outbox.send,
  });
  const offs = transports.map((t) =>
    t.onMessage(async (m) => {
      await router.receive(m.data);
    }),
  );
  return { router, outbox, detach: () => offs.forEach((off) => off()) };
}
