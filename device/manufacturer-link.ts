/**
 * The device's DIDComm link with its manufacturer's agent (introductions
 * and support threads go over it; the owner's relationship is separate).
 *
 * Choice: the device speaks to the manufacturer from its pairing DID (the
 * did:peer:2 of the label, kept across factory resets, its secrets already
 * loaded by the agent), so the manufacturer's own messages (support
 * replies) arrive through the agent's peer-handler registry without a
 * DID of their own; the manufacturer already knows the device, so this
 * links nothing new. The manufacturer agent's DID (did:peer:2 with its
 * endpoint) is handed over by the factory station with the certificate
 * (DeviceAgent.installCertificate's `contact`; `setManufacturerContact`
 * replaces it later) and kept in the wallet; a factory reset keeps it.
 *
 * Answers: over a request/response transport (HTTP, the in-process
 * network) the manufacturer's answer is the reply to the send. Over MQTT a
 * send only publishes, and the answer arrives later on the device's inbox
 * as an ordinary inbound message; the feature modules register peer
 * handlers for the answer types and hand them to `deliver`, which matches
 * them by thid to the pending `request`. Choice: the link waits for an
 * inbound answer only when the endpoint is MQTT (mqtt:, mqtts:, ws:, wss:
 * brokers); elsewhere "no direct reply" means no answer, as before. A wait
 * ends unanswered (`undefined`) after `answerTimeoutMs` (default 30 s, on
 * the monotonic clock): by the host's timer when it has one, otherwise
 * lazily the next time the link is used. Waits are memory only (a reboot
 * ends them; the callers record the request as refused, so nothing hangs
 * across a reboot); at most MAX_WAITING requests wait (the oldest is
 * answered `undefined`).
 */
import type { DidResolver } from '../protocols/did/types.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createReplayGuard } from '../protocols/didcomm/replay.ts';
import { createSecretsResolver } from '../protocols/didcomm/secrets.ts';
import { unpack } from '../protocols/didcomm/unpack.ts';
import { isSsiotError } from '../protocols/errors.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import { DeviceError } from './errors.ts';
import { pairingSecrets } from './manufacture.ts';
import { getRecord, putRecord } from './store.ts';

/** Wallet record type/id of the manufacturer contact. */
export const MANUFACTURER_CONTACT = 'device:mfr-contact';

/** Who the manufacturer is, as the device tells others. */
export interface ManufacturerContact {
  /** The manufacturer agent's DIDComm DID (did:peer:2 with a DIDCommMessaging service). */
  did: string;
  /** Its public did:webvh (the certificate issuer). */
  publicDid: string;
  name: string;
}

/** Installs (or replaces) the manufacturer contact. */
export async function setManufacturerContact(wallet: Wallet, contact: ManufacturerContact): Promise<void> {
  await putRecord(wallet, MANUFACTURER_CONTACT, 'contact', contact);
}

/** The installed manufacturer contact, if any. */
export async function manufacturerContact(wallet: Wallet): Promise<ManufacturerContact | undefined> {
  return getRecord<ManufacturerContact>(wallet, MANUFACTURER_CONTACT, 'contact');
}

export interface LinkContext {
  wallet: Wallet;
  resolver: DidResolver;
  /** The device's pairing DID (the link's sender). */
  deviceDid: string;
  send(endpoint: string, packed: string): Promise<string | undefined>;
  now(): number;
  /** Monotonic milliseconds (deadlines of waits). */
  monotonic(): number;
  /** The host's one-shot timer (DeviceHost.setTimer), if it has one. */
  setTimer?(ms: number, callback: () => void): () => void;
  /** How long to wait for an answer over a broker (default DEFAULT_ANSWER_TIMEOUT_MS). */
  answerTimeoutMs?: number;
}

/** At most this many requests wait for an inbound answer. */
const MAX_WAITING = 8;
/** Default wait for the manufacturer's answer over a broker. */
export const DEFAULT_ANSWER_TIMEOUT_MS = 30_000;

/** A request waiting for its answer on a thread. */
interface Waiting {
  wake(answer: PlaintextMessage | undefined): void;
  deadline: number;
  cancelTimer?: () => void;
}

/** Brokers: a send publishes, the answer comes back as a new inbound message. */
function answersLater(endpoint: string): boolean {
  return /^(mqtts?|wss?):/i.test(endpoint);
}

export class ManufacturerLink {
  private readonly replay = createReplayGuard({ maxEntries: 256 });
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly ctx: LinkContext) {}

  async contact(): Promise<ManufacturerContact | undefined> {
    return manufacturerContact(this.ctx.wallet);
  }

  /**
   * Sends `msg` and resolves to the manufacturer's answer on `thid` (default:
   * the message's id): the direct reply when the transport gives one,
   * otherwise (MQTT) the inbound message `deliver` matches to it. The wait
   * starts before the send, so an answer faster than the publish is kept.
   */
  async request(msg: PlaintextMessage, thid: string = msg.id): Promise<PlaintextMessage | undefined> {
    let later: Promise<PlaintextMessage | undefined> | undefined;
    try {
      const reply = await this.send(msg, (endpoint) => {
        if (answersLater(endpoint)) later = this.wait(thid);
      });
      if (reply !== undefined && later) this.end(thid, undefined);
      if (reply !== undefined || !later) return reply;
    } catch (e) {
      this.end(thid, undefined);
      throw e;
    }
    return later;
  }

  /** Requests waiting for an answer now (after ending those past their deadline). */
  get waitingCount(): number {
    this.expire();
    return this.waiting.size;
  }

  /**
   * An inbound message from the manufacturer (a peer handler's): resolves the
   * request waiting on its thid; false when nothing waits (a stray or late
   * answer, which the caller refuses).
   */
  async deliver(msg: PlaintextMessage, sender: string): Promise<boolean> {
    this.expire(); // an answer after its deadline is a late answer
    if (msg.thid === undefined || !this.waiting.has(msg.thid)) return false;
    const contact = await this.contact();
    if (!contact || sender !== contact.did) return false;
    return this.end(msg.thid, msg);
  }

  private wait(thid: string): Promise<PlaintextMessage | undefined> {
    this.expire();
    this.end(thid, undefined);
    if (this.waiting.size >= MAX_WAITING) this.end(this.waiting.keys().next().value as string, undefined);
    const ms = this.ctx.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
    return new Promise((resolve) => {
      const w: Waiting = { wake: resolve, deadline: this.ctx.monotonic() + ms };
      this.waiting.set(thid, w);
      if (this.ctx.setTimer) w.cancelTimer = this.ctx.setTimer(ms, () => void this.end(thid, undefined, w));
    });
  }

  /** Ends the wait on `thid` (only if it is still `only`, when given) with `answer`; false when none. */
  private end(thid: string, answer: PlaintextMessage | undefined, only?: Waiting): boolean {
    const w = this.waiting.get(thid);
    if (!w || (only && w !== only)) return false;
    this.waiting.delete(thid);
    w.cancelTimer?.();
    w.wake(answer);
    return true;
  }

  /** Ends every wait past its deadline (hosts without a timer; late answers). */
  private expire(): void {
    const now = this.ctx.monotonic();
    for (const [thid, w] of [...this.waiting]) if (w.deadline <= now) this.end(thid, undefined, w);
  }

  /** Sends `msg` from the device's pairing DID to the manufacturer; resolves to its authenticated immediate reply, if any. */
  async exchange(msg: PlaintextMessage): Promise<PlaintextMessage | undefined> {
    return this.send(msg);
  }

  private async send(msg: PlaintextMessage, beforeSend?: (endpoint: string) => void): Promise<PlaintextMessage | undefined> {
    const contact = await this.contact();
    if (!contact) throw new DeviceError('device.no_manufacturer', 'no manufacturer contact is installed');
    const secrets = createSecretsResolver(await pairingSecrets(this.ctx.wallet));
    const out = { ...msg, from: this.ctx.deviceDid, to: [contact.did] };
    const packed = await packEncrypted(out, { to: contact.did, from: this.ctx.deviceDid, resolver: this.ctx.resolver, secrets });
    const endpoint = packed.serviceMetadata?.serviceEndpoint;
    if (!endpoint) throw new DeviceError('device.no_manufacturer', 'the manufacturer DID has no DIDComm endpoint');
    beforeSend?.(endpoint);
    const raw = await this.ctx.send(endpoint, packed.packed);
    if (raw === undefined) return undefined;
    let reply;
    try {
      reply = await unpack(raw, { resolver: this.ctx.resolver, secrets, replayGuard: this.replay, now: Math.floor(this.ctx.now() / 1000) });
    } catch (e) {
      throw new DeviceError('device.unreadable', `the manufacturer's reply does not unpack${isSsiotError(e) ? ` (${e.code})` : ''}`, { cause: e });
    }
    if (!reply.metadata.authenticated || reply.message.from !== contact.did) throw new DeviceError('device.not_authcrypt', 'the reply is not from the manufacturer');
    return reply.message;
  }
}
