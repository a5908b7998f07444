/**
 * Thing as conduit: the device relays a support conversation between its
 * owner and its manufacturer (protocols/messages/support.ts, docs/protocols.md
 * §support). The owner never needs a relationship with the manufacturer.
 *
 * A support thread is a wallet record (type SUPPORT_RECORD, id: the
 * `support_thread_id` the device assigns) holding both legs' thread ids,
 * the subject, its state and the relayed messages, so it survives a
 * reboot; a relationship change (transfer, reset) drops the threads of
 * former owners.
 *
 * What the device tells the manufacturer about itself (`context`, sent once
 * when the thread opens) is limited by the owner's policy, read through
 * `supportShare`: model and firmware version with `share.diagnostics`,
 * usage counters with `share.usageCounters`; by default nothing. Each
 * context sent is written to the owner's audit log.
 *
 * Delivery to the owner: the device authcrypts the relayed message from
 * its pairwise DID to the owner's and hands it to `deliverToOwner` (the
 * host's push channel to the phone); without one, it is sent to the owner
 * DID's DIDComm endpoint if it has one, and otherwise only kept in the
 * thread (the owner reads the thread when it next connects — not yet a
 * protocol message; see docs/protocols.md).
 *
 * The manufacturer's `thread-opened` is the reply to the device's
 * open-thread over HTTP or in process; over MQTT it arrives later as an
 * inbound message, which the THREAD_OPENED_TYPE peer handler hands to the
 * link (ManufacturerLink.deliver, matched by thid to the opening thread,
 * whose record is already saved as 'opening'). The manufacturer's relayed
 * messages and closes are inbound messages on every transport.
 */
import { newMessageId, type PlaintextMessage } from '../protocols/didcomm/message.ts';
import { parseSecret } from '../protocols/did/keys.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createSecretsResolver } from '../protocols/didcomm/secrets.ts';
import {
  buildOpenThread,
  buildSupportClose,
  buildSupportContext,
  buildSupportMessage,
  buildThreadOpened,
  OPEN_THREAD_TYPE,
  SUPPORT_CLOSE_TYPE,
  SUPPORT_MESSAGE_TYPE,
  THREAD_OPENED_TYPE,
  validateOpenThread,
  validateSupportClose,
  validateSupportMessage,
  validateThreadOpened,
  type Party,
  type SupportContext,
} from '../protocols/messages/support.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import type { DeviceAgent, DeviceFeature, InboundContext } from './agent.ts';
import { linkOf } from './introduce.ts';
import { manufacturerContact, type ManufacturerLink } from './manufacturer-link.ts';
import { DEVICE_PROBLEMS, RELATIONSHIP, type RelationshipRecord } from './pairing.ts';
import { audit, loadPolicy } from './policy.ts';
import type { OwnerRecord } from './state.ts';
import { getRecord, putRecord } from './store.ts';

/** Wallet type of support threads (id: support_thread_id; tag `owner`). */
export const SUPPORT_RECORD = 'device:support';
/** Most messages a thread keeps (the oldest are dropped; the relay itself is not limited). */
export const SUPPORT_LOG_LIMIT = 64;

export interface SupportThread {
  id: string;
  /** The owner's DID the thread belongs to. */
  owner: string;
  /** Thread id of the owner's leg (its open-thread id). */
  ownerThid: string;
  /** Thread id of the manufacturer leg (the device's open-thread id). */
  manufacturerThid: string;
  subject: string;
  status: 'opening' | 'open' | 'refused' | 'closed';
  /** What the device told the manufacturer about itself. */
  shared: SupportContext;
  messages: { from: Party; text: string; time: number }[];
  /** Relayed to the owner but not delivered (no push channel). */
  undelivered: number;
}

/** Which parts of the support context the owner's policy allows. */
export interface SupportShare {
  model: boolean;
  firmware: boolean;
  counters: boolean;
}

/** What the device knows about itself (the grinder model: firmware version, usage counters). */
export interface DeviceFacts {
  model: string;
  firmware?: string;
  counters?: Record<string, number>;
}

export interface SupportOptions {
  /** The device's facts (default: the certified model only). */
  facts?(agent: DeviceAgent): DeviceFacts | Promise<DeviceFacts>;
  /** Push channel to the owner's phone: an authcrypt envelope for the owner. */
  deliverToOwner?(packed: string): Promise<void>;
}

/** The one place the support relay reads the owner's policy (nothing shared by default). */
export async function supportShare(wallet: Wallet, owner: OwnerRecord | null): Promise<SupportShare> {
  const { share } = (await loadPolicy(wallet, owner)).policy;
  return { model: share.diagnostics, firmware: share.diagnostics, counters: share.usageCounters };
}

/** The context the policy allows, from the device's facts. */
export function limitContext(facts: DeviceFacts, share: SupportShare): SupportContext {
  const c: SupportContext = {};
  if (share.model) c.model = facts.model;
  if (share.firmware && facts.firmware !== undefined) c.firmware = facts.firmware;
  if (share.counters && facts.counters !== undefined) c.counters = { ...facts.counters };
  return c;
}

/** A support thread by id (undefined when unknown). */
export async function loadSupportThread(wallet: Wallet, id: string): Promise<SupportThread | undefined> {
  return getRecord<SupportThread>(wallet, SUPPORT_RECORD, id);
}

/** The support threads of `owner`. */
export async function supportThreads(wallet: Wallet, owner: string): Promise<SupportThread[]> {
  return (await wallet.search(SUPPORT_RECORD, { owner })).map((i) => JSON.parse(i.value) as SupportThread);
}

async function save(wallet: Wallet, t: SupportThread): Promise<void> {
  if (t.messages.length > SUPPORT_LOG_LIMIT) t.messages = t.messages.slice(t.messages.length - SUPPORT_LOG_LIMIT);
  await putRecord(wallet, SUPPORT_RECORD, t.id, t, { owner: t.owner });
}

export class SupportConduit {
  constructor(
    private readonly agent: DeviceAgent,
    private readonly link: ManufacturerLink,
    private readonly options: SupportOptions = {},
  ) {}

  private get wallet(): Wallet {
    return this.agent.wallet;
  }

  private now(): number {
    return this.agent.platform.now();
  }

  /** Every support message type, from the owner or the manufacturer (one handler: the same types flow both ways). */
  async handle(ctx: InboundContext): Promise<PlaintextMessage | undefined> {
    const owner = this.agent.state.owner;
    if (owner && ctx.sender === owner.did && ctx.recipient === owner.deviceDid) return this.fromOwner(ctx, owner);
    const contact = await manufacturerContact(this.wallet);
    if (contact && ctx.sender === contact.did && ctx.message.type !== OPEN_THREAD_TYPE) return this.fromManufacturer(ctx);
    return ctx.problem(DEVICE_PROBLEMS.notOwner);
  }

  private async fromOwner(ctx: InboundContext, owner: OwnerRecord): Promise<PlaintextMessage | undefined> {
    const msg = ctx.message;
    if (msg.type === OPEN_THREAD_TYPE) return this.open(ctx, owner);
    const body = msg.type === SUPPORT_MESSAGE_TYPE ? validateSupportMessage(msg).body : validateSupportClose(msg).body;
    const t = await loadSupportThread(this.wallet, body.support_thread_id);
    if (!t || t.owner !== owner.did) return ctx.problem('e.p.req.unknown-thread');
    if (t.status !== 'open') return ctx.problem('e.p.support.closed');
    if (msg.type === SUPPORT_MESSAGE_TYPE) {
      const text = (body as { text: string }).text;
      // from_party is the device's to set, whatever the sender wrote
      await this.link.exchange(buildSupportMessage({ thid: t.manufacturerThid, supportThreadId: t.id, fromParty: 'owner', text }));
      t.messages.push({ from: 'owner', text, time: Math.floor(this.now() / 1000) });
    } else {
      await this.link.exchange(buildSupportClose({ thid: t.manufacturerThid, supportThreadId: t.id, reason: (body as { reason?: string }).reason }));
      t.status = 'closed';
    }
    await save(this.wallet, t);
    return undefined;
  }

  private async open(ctx: InboundContext, owner: OwnerRecord): Promise<PlaintextMessage | undefined> {
    const req = validateOpenThread(ctx.message);
    if (!(await manufacturerContact(this.wallet))) return ctx.problem('e.p.xfer.cant-use-endpoint');
    const toMfr = buildOpenThread({ subject: req.body.subject, text: req.body.text, supportThreadId: newMessageId() });
    const id = toMfr.body.support_thread_id as string;
    const time = Math.floor(this.now() / 1000);
    const t: SupportThread = {
      id,
      owner: owner.did,
      ownerThid: ctx.reply.thid,
      manufacturerThid: toMfr.id,
      subject: req.body.subject,
      status: 'opening',
      shared: {},
      messages: req.body.text === undefined ? [] : [{ from: 'owner', text: req.body.text, time }],
      undelivered: 0,
    };
    await save(this.wallet, t);
    let opened: PlaintextMessage | undefined;
    try {
      opened = await this.link.request(toMfr);
      if (!opened || opened.type !== THREAD_OPENED_TYPE || opened.thid !== toMfr.id || validateThreadOpened(opened).body.support_thread_id !== id) opened = undefined;
    } catch {
      opened = undefined;
    }
    if (!opened) {
      t.status = 'refused';
      await save(this.wallet, t);
      return ctx.problem('e.p.xfer.cant-use-endpoint');
    }
    const share = await supportShare(this.wallet, owner);
    const facts = this.options.facts ? await this.options.facts(this.agent) : { model: this.agent.certificateRequest().model };
    t.shared = limitContext(facts, share);
    t.status = 'open';
    await save(this.wallet, t);
    await this.link.exchange(buildSupportContext({ thid: toMfr.id, supportThreadId: id, ...t.shared }));
    const parts = Object.keys(t.shared);
    await audit(this.wallet, owner, this.now(), { event: 'support.context', party: opened.from, detail: parts.length > 0 ? parts.join(',') : 'none' });
    return buildThreadOpened({ ...ctx.reply, supportThreadId: id });
  }

  private async fromManufacturer(ctx: InboundContext): Promise<PlaintextMessage | undefined> {
    const msg = ctx.message;
    const body = msg.type === SUPPORT_MESSAGE_TYPE ? validateSupportMessage(msg).body : validateSupportClose(msg).body;
    const t = await loadSupportThread(this.wallet, body.support_thread_id);
    const owner = this.agent.state.owner;
    if (!t || !owner || t.owner !== owner.did) return ctx.problem('e.p.req.unknown-thread');
    if (t.status !== 'open') return ctx.problem('e.p.support.closed');
    let relay: PlaintextMessage;
    if (msg.type === SUPPORT_MESSAGE_TYPE) {
      const text = (body as { text: string }).text;
      t.messages.push({ from: 'manufacturer', text, time: Math.floor(this.now() / 1000) });
      relay = buildSupportMessage({ from: owner.deviceDid, to: [owner.did], thid: t.ownerThid, supportThreadId: t.id, fromParty: 'manufacturer', text });
    } else {
      t.status = 'closed';
      relay = buildSupportClose({ from: owner.deviceDid, to: [owner.did], thid: t.ownerThid, supportThreadId: t.id, reason: (body as { reason?: string }).reason });
    }
    await save(this.wallet, t);
    if (!(await this.toOwner(relay, owner))) {
      t.undelivered++;
      await save(this.wallet, t);
    }
    return undefined;
  }

  /** Authcrypts `msg` to the owner and pushes it (this feature's channel, else the agent's); false when the owner is out of reach now. */
  private async toOwner(msg: PlaintextMessage, owner: OwnerRecord): Promise<boolean> {
    return this.agent.pushToOwner(owner, msg, this.options.deliverToOwner);
  }
}

/** Drops support threads of anyone but the current owner (transfer, reset). */
async function cleanupSupport(wallet: Wallet, owner: OwnerRecord | null): Promise<void> {
  for (const item of await wallet.search(SUPPORT_RECORD)) if (item.tags.owner !== owner?.did) await wallet.delete(SUPPORT_RECORD, item.id);
}

/** The support feature: open-thread, message and close from the owner; thread-opened, message and close from the manufacturer. */
export function supportFeature(options: SupportOptions = {}): DeviceFeature {
  return (agent) => {
    const link = linkOf(agent);
    const conduit = new SupportConduit(agent, link, options);
    for (const type of [OPEN_THREAD_TYPE, SUPPORT_MESSAGE_TYPE, SUPPORT_CLOSE_TYPE]) agent.registerPeerHandler(type, (ctx) => conduit.handle(ctx));
    // the manufacturer's answer to an open-thread sent over a broker
    agent.registerPeerHandler(THREAD_OPENED_TYPE, async (ctx) => ((await link.deliver(ctx.message, ctx.sender)) ? undefined : ctx.problem('e.p.req.unknown-thread')));
    agent.registerCleanup(cleanupSupport);
  };
}
