/**
 * The device as introducer (Aries RFC 0028 on DIDComm v2,
 * protocols/messages/introduce.ts) between its owner and its manufacturer.
 *
 * The owner's transport is request/response (the phone asks, the device
 * answers), so the owner starts with `request`; the device then proposes
 * to both:
 *
 *   owner -> device   request{please_introduce_to}            thread TA = request id
 *   device -> mfr     proposal{to: owner descriptor, inviter} thread TM (reply: response)
 *   device -> owner   proposal{to: manufacturer descriptor}   on TA (the reply to the request)
 *   owner -> device   response{approve}                       on TA
 *   device -> mfr     ack                                     on TM   (both approved)
 *   device -> owner   invitation{manufacturer's OOB invitation} on TA
 *
 * Choices: the proposal to the owner travels on the request's thread
 * (thid = request id) so the owner's agent reads it as the reply; the
 * manufacturer is asked first, so that a manufacturer decline reaches the
 * owner as the reply to its request (problem report e.p.introduce.declined,
 * and no proposal), and an owner decline is reported to the manufacturer
 * on TM (and confirmed to the owner with the same problem code). The
 * owner descriptor names no DID: the manufacturer learns the owner's DID
 * only if the owner uses the invitation. Pending introductions live in
 * memory: a reboot in the middle drops them, and the owner asks again.
 *
 * The manufacturer's response comes back as the reply to the device's send
 * (HTTP, in-process) or, over MQTT, as a new inbound message: the response
 * type is therefore a peer handler that routes the owner's response to the
 * introducer and the manufacturer's to the link (ManufacturerLink.deliver,
 * matched by thid to the waiting proposal); anyone else gets not-owner.
 */
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import {
  approves,
  buildIntroduceAck,
  buildInvitationDelivery,
  buildProposal,
  carriedInvitation,
  INTRODUCE_REQUEST_TYPE,
  INTRODUCE_RESPONSE_TYPE,
  INTRODUCTION_DECLINED,
  validateIntroduceRequest,
  validateResponse,
} from '../protocols/messages/introduce.ts';
import { createProblemReport } from '../protocols/messages/report-problem.ts';
import type { DeviceAgent, DeviceFeature } from './agent.ts';
import { ManufacturerLink } from './manufacturer-link.ts';
import { DEVICE_PROBLEMS } from './pairing.ts';

/** Message types the introducer takes from the current owner. */
export const INTRODUCER_OWNER_TYPES: readonly string[] = [INTRODUCE_REQUEST_TYPE, INTRODUCE_RESPONSE_TYPE];

/** The current owner as the introducer needs it: its DID and the device's pairwise DID for it. */
export interface OwnerParty {
  did: string;
  deviceDid: string;
}

export interface IntroducerContext {
  link: ManufacturerLink;
  /** How the device describes itself to the manufacturer (no owner DID). */
  describe(): { model: string; serial: string };
  now(): number;
}

interface Pending {
  /** The manufacturer's thread and its approving response (with the invitation). */
  tm: string;
  invitation: PlaintextMessage;
  mfrResponseId: string;
}

/** At most this many introductions waiting for the owner's answer. */
const MAX_PENDING = 4;

export class DeviceIntroducer {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly ctx: IntroducerContext) {}

  /** Handles an owner message of INTRODUCER_OWNER_TYPES; returns the reply to send back. */
  async handle(msg: PlaintextMessage, owner: OwnerParty): Promise<PlaintextMessage> {
    if (msg.type === INTRODUCE_REQUEST_TYPE) return this.onRequest(msg, owner);
    return this.onResponse(msg, owner);
  }

  private async onRequest(msg: PlaintextMessage, owner: OwnerParty): Promise<PlaintextMessage> {
    try {
      validateIntroduceRequest(msg);
    } catch {
      return problem(msg, owner, 'e.p.msg.invalid');
    }
    const contact = await this.ctx.link.contact();
    if (!contact) return problem(msg, owner, 'e.p.xfer.cant-use-endpoint');
    const d = this.ctx.describe();
    const toMfr = buildProposal({
      to: [contact.did],
      pthid: msg.id,
      other: { name: `Owner of ${d.model} ${d.serial}`, role: 'ssiot.owner' },
      inviter: true,
      goalCode: 'ssiot.owner-relationship',
    });
    let answer: PlaintextMessage | undefined;
    try {
      answer = await this.ctx.link.request(toMfr);
      if (answer) validateResponse(answer);
    } catch {
      answer = undefined;
    }
    if (!answer || answer.type !== INTRODUCE_RESPONSE_TYPE || answer.thid !== toMfr.id) return problem(msg, owner, 'e.p.xfer.cant-use-endpoint');
    const invitation = approves(answer) ? carriedInvitation(answer) : undefined;
    if (!invitation) return problem(msg, owner, INTRODUCTION_DECLINED);
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
    this.pending.set(msg.id, { tm: toMfr.id, invitation, mfrResponseId: answer.id });
    return buildProposal({
      from: owner.deviceDid,
      to: [owner.did],
      thid: msg.id,
      other: { name: contact.name, did: contact.publicDid, role: 'ssiot.manufacturer' },
      goalCode: 'ssiot.owner-relationship',
    });
  }

  private async onResponse(msg: PlaintextMessage, owner: OwnerParty): Promise<PlaintextMessage> {
    try {
      validateResponse(msg);
    } catch {
      return problem(msg, owner, 'e.p.msg.invalid');
    }
    const p = this.pending.get(msg.thid as string);
    if (!p) return problem(msg, owner, 'e.p.req.unknown-thread');
    this.pending.delete(msg.thid as string);
    if (!approves(msg)) {
      // the manufacturer is told on its thread; the owner gets the same code as confirmation
      const told = createProblemReport({ code: INTRODUCTION_DECLINED, pthid: p.tm });
      await this.ctx.link.exchange({ ...told, thid: p.tm }).catch(() => undefined);
      return problem(msg, owner, INTRODUCTION_DECLINED);
    }
    await this.ctx.link.exchange(buildIntroduceAck({ thid: p.tm, ack: p.mfrResponseId }));
    return buildInvitationDelivery({ from: owner.deviceDid, to: [owner.did], thid: msg.thid as string, invitation: p.invitation });
  }
}

function problem(msg: PlaintextMessage, owner: OwnerParty, code: string): PlaintextMessage {
  const p = createProblemReport({ code, pthid: msg.thid ?? msg.id, ack: msg.id, from: owner.deviceDid, to: [owner.did] });
  return { ...p, thid: msg.thid ?? msg.id };
}

/** A link to the manufacturer for `agent` (its pairing DID, resolver, transport and clock). */
export function linkOf(agent: DeviceAgent): ManufacturerLink {
  const host = agent.platform;
  return new ManufacturerLink({
    wallet: agent.wallet,
    resolver: agent.peerResolver,
    deviceDid: agent.identity.pairingDid,
    send: (endpoint, packed) => host.transport.send(endpoint, packed),
    now: () => host.now(),
    monotonic: () => host.monotonic(),
    setTimer: host.setTimer && ((ms, callback) => (host.setTimer as NonNullable<typeof host.setTimer>)(ms, callback)),
  });
}

/** Installs the introducer: introduce request and response from the current owner, the manufacturer's response to the link. */
export const introduceFeature: DeviceFeature = (agent) => {
  const link = linkOf(agent);
  const introducer = new DeviceIntroducer({
    link,
    describe: () => agent.certificateRequest(),
    now: () => agent.platform.now(),
  });
  agent.registerOwnerHandler(INTRODUCE_REQUEST_TYPE, (ctx) => introducer.handle(ctx.message, ctx.owner));
  agent.registerPeerHandler(INTRODUCE_RESPONSE_TYPE, async (ctx) => {
    const owner = agent.state.owner;
    if (owner && ctx.sender === owner.did && ctx.recipient === owner.deviceDid) return introducer.handle(ctx.message, owner);
    if (await link.deliver(ctx.message, ctx.sender)) return undefined;
    return ctx.problem(DEVICE_PROBLEMS.notOwner);
  });
};
