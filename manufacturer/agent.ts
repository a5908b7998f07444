/**
 * A minimal manufacturer agent (platform-neutral; the full service is a
 * later issue): a DIDComm party with its own did:peer:2 (its did:webvh key
 * signs certificates, not messages) that answers introductions, hands out
 * an OOB invitation, forms a relationship with an owner who uses it
 * (trust-ping on the invitation's thread), verifies proofs of ownership
 * (present-proof 3.0) and keeps support threads opened by devices.
 *
 * Transport: request/response, like the device host's: `receive(packed)`
 * returns the packed reply (or undefined); messages it starts itself go
 * out through `send(endpoint, packed)` to the peer DID's DIDComm service.
 */
import { getCrypto } from '../protocols/crypto/index.ts';
import { parseSecret } from '../protocols/did/keys.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import type { DidResolver } from '../protocols/did/types.ts';
import { newMessageId, type PlaintextMessage } from '../protocols/didcomm/message.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createReplayGuard } from '../protocols/didcomm/replay.ts';
import { createSecretsResolver, type SecretsResolver } from '../protocols/didcomm/secrets.ts';
import { unpack } from '../protocols/didcomm/unpack.ts';
import { base64urlEncode } from '../protocols/encoding/base64url.ts';
import { isSsiotError, SsiotError } from '../protocols/errors.ts';
import {
  buildResponse,
  INTRODUCE_ACK_TYPE,
  INTRODUCE_PROPOSAL_TYPE,
  INTRODUCTION_DECLINED,
  validateIntroduceAck,
  validateProposal,
} from '../protocols/messages/introduce.ts';
import { createInvitation } from '../protocols/messages/out-of-band.ts';
import {
  buildPresentationAck,
  buildRequestPresentation,
  OWNERSHIP_GOAL_CODE,
  PRESENTATION_TYPE,
  presentedVp,
  PROPOSE_PRESENTATION_TYPE,
  validatePresentation,
  validateProposePresentation,
} from '../protocols/messages/present-proof.ts';
import { createProblemReport, parseProblemReport, PROBLEM_REPORT_TYPE } from '../protocols/messages/report-problem.ts';
import {
  buildSupportMessage,
  buildThreadOpened,
  OPEN_THREAD_TYPE,
  SUPPORT_CLOSE_TYPE,
  SUPPORT_CONTEXT_TYPE,
  SUPPORT_MESSAGE_TYPE,
  validateOpenThread,
  validateSupportClose,
  validateSupportContext,
  validateSupportMessage,
  type Party,
  type SupportContext,
} from '../protocols/messages/support.ts';
import { PING_RESPONSE_TYPE, PING_TYPE, responseRequested } from '../protocols/messages/trust-ping.ts';
import type { StatusCheckSettings } from '../protocols/vc/status-list.ts';
import { checkOwnershipPresentation, type OwnershipCheckResult } from './ownership.ts';
import { publicKeyFromDidKey } from '../protocols/did/key.ts';
import { buildFirmwareAnnounce, FIRMWARE_PROGRESS_TYPE, FIRMWARE_STATUS_TYPE, validateFirmwareProgress, validateFirmwareStatus } from '../protocols/messages/firmware.ts';
import { verifyStatusReport, type StatusReportMessage } from '../device/updater/report.ts';

/** Goal code of the invitation a manufacturer hands out through an introduction. */
export const OWNER_RELATIONSHIP_GOAL_CODE = 'ssiot.owner-relationship';

export interface ManufacturerAgentOptions {
  /** Where this agent listens (goes into its did:peer:2 service). */
  endpoint: string;
  /** Delivers an envelope to a peer endpoint; resolves to its immediate reply. */
  send(endpoint: string, packed: string): Promise<string | undefined>;
  resolver: DidResolver;
  /** The manufacturer's public did:webvh (issuer of device certificates; shown in introductions). */
  manufacturerDid: string;
  now?: () => number;
  /** Whether to accept a proposed introduction (default: yes). */
  approveIntroduction?(proposal: PlaintextMessage): boolean | Promise<boolean>;
  /** Status-list lookups for imprints in proofs of ownership (default: status not checked). */
  checkStatus?: StatusCheckSettings;
}

/** One introduction as the manufacturer saw it, by the proposal's thread id. */
export interface IntroductionRecord {
  thid: string;
  device: string;
  status: 'approved' | 'declined' | 'done' | 'declined-by-other';
  invitationId?: string;
}

/** A support thread the manufacturer holds (keyed by the device's support_thread_id). */
export interface ManufacturerSupportThread {
  id: string;
  device: string;
  thid: string;
  subject: string;
  context?: SupportContext;
  messages: { from: Party; text: string }[];
  closed?: string;
}

export class ManufacturerAgent {
  /** The manufacturer's DIDComm DID (did:peer:2 with its endpoint). */
  readonly did: string;
  private readonly secrets: SecretsResolver;
  private readonly replay = createReplayGuard({ maxEntries: 1024 });
  readonly introductions = new Map<string, IntroductionRecord>();
  /** Owners related through an introduction's invitation: owner DID -> invitation id. */
  readonly relationships = new Map<string, string>();
  /** Open presentation requests by thread id: the challenge sent. */
  private readonly challenges = new Map<string, string>();
  /** Every proof of ownership checked, newest last. */
  readonly proofs: OwnershipCheckResult[] = [];
  readonly supportThreads = new Map<string, ManufacturerSupportThread>();
  /** Firmware status reports received and verified (signature by the device key), newest last. */
  readonly firmwareReports: { device: string; report: StatusReportMessage }[] = [];
  /** Firmware progress answers that arrived as messages (transports without an immediate reply), newest last. */
  readonly firmwareProgress: { device: string; sequence: number; status: string }[] = [];
  /** Why the last inbound message was refused, by code. */
  lastRefusal: string | undefined;

  constructor(private readonly o: ManufacturerAgentOptions) {
    const me = generateDidPeer2({ serviceUri: o.endpoint });
    this.did = me.did;
    this.secrets = createSecretsResolver(me.secrets.map((s) => parseSecret(s)));
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Handles one inbound envelope (authcrypt only); resolves to the packed reply, if any. */
  async receive(packed: string): Promise<string | undefined> {
    let msg: PlaintextMessage;
    try {
      const r = await unpack(packed, { resolver: this.o.resolver, secrets: this.secrets, replayGuard: this.replay, now: Math.floor(this.now() / 1000) });
      if (!r.metadata.authenticated || !r.message.from) {
        this.lastRefusal = 'manufacturer.not_authcrypt';
        return undefined;
      }
      msg = r.message;
    } catch (e) {
      this.lastRefusal = isSsiotError(e) ? e.code : 'manufacturer.unreadable';
      return undefined;
    }
    let reply: PlaintextMessage | undefined;
    try {
      reply = await this.handle(msg);
    } catch (e) {
      // a message that does not validate gets a problem report (the sender is authenticated)
      this.lastRefusal = isSsiotError(e) ? e.code : 'manufacturer.failed';
      reply = this.problem(msg, 'e.p.msg.invalid');
    }
    if (!reply) return undefined;
    return (await packEncrypted(reply, { to: msg.from as string, from: this.did, resolver: this.o.resolver, secrets: this.secrets })).packed;
  }

  private async handle(msg: PlaintextMessage): Promise<PlaintextMessage | undefined> {
    const from = msg.from as string;
    switch (msg.type) {
      case INTRODUCE_PROPOSAL_TYPE:
        return this.onProposal(msg);
      case INTRODUCE_ACK_TYPE: {
        validateIntroduceAck(msg);
        const rec = this.introductions.get(msg.thid as string);
        if (rec && rec.device === from && rec.status === 'approved') rec.status = 'done';
        return undefined;
      }
      case PROBLEM_REPORT_TYPE: {
        const rec = this.introductions.get(msg.pthid ?? msg.thid ?? '');
        if (rec && rec.device === from && parseProblemReport(msg).code === INTRODUCTION_DECLINED) rec.status = 'declined-by-other';
        return undefined;
      }
      case PING_TYPE:
        return this.onPing(msg);
      case PROPOSE_PRESENTATION_TYPE: {
        validateProposePresentation(msg);
        if (msg.body.goal_code !== OWNERSHIP_GOAL_CODE) return this.problem(msg, 'e.p.msg.unsupported-goal');
        const challenge = base64urlEncode(getCrypto().randomBytes(18));
        const thid = msg.thid ?? msg.id;
        this.challenges.set(thid, challenge);
        return buildRequestPresentation({ from: this.did, to: [from], thid, challenge, domain: this.did, goalCode: OWNERSHIP_GOAL_CODE });
      }
      case PRESENTATION_TYPE:
        return this.onPresentation(msg);
      case OPEN_THREAD_TYPE:
        return this.onOpenThread(msg);
      case SUPPORT_CONTEXT_TYPE: {
        validateSupportContext(msg);
        const t = this.thread(msg.body.support_thread_id as string, from);
        if (t) {
          const context: Record<string, unknown> = { ...msg.body };
          delete context.support_thread_id;
          t.context = context as SupportContext;
        }
        return undefined;
      }
      case SUPPORT_MESSAGE_TYPE: {
        validateSupportMessage(msg);
        const t = this.thread(msg.body.support_thread_id as string, from);
        if (!t) return this.problem(msg, 'e.p.req.unknown-thread');
        // the device sets from_party; towards the manufacturer it is the owner or the device itself
        t.messages.push({ from: msg.body.from_party === 'device' ? 'device' : 'owner', text: msg.body.text as string });
        return undefined;
      }
      case SUPPORT_CLOSE_TYPE: {
        validateSupportClose(msg);
        const t = this.thread(msg.body.support_thread_id as string, from);
        if (t) t.closed = (msg.body.reason as string | undefined) ?? 'closed';
        return undefined;
      }
      case FIRMWARE_PROGRESS_TYPE: {
        const { sequence, status } = validateFirmwareProgress(msg).body;
        this.firmwareProgress.push({ device: from, sequence, status });
        return undefined;
      }
      case FIRMWARE_STATUS_TYPE: {
        // the report is signed by the device's did:key (the certificate subject); the DIDComm sender is its link DID
        const report = await verifyStatusReport(validateFirmwareStatus(msg).body.report, (kid) => publicKeyFromDidKey(kid.split('#')[0]));
        this.firmwareReports.push({ device: from, report });
        return undefined;
      }
      default:
        return this.problem(msg, 'e.p.msg.unsupported');
    }
  }

  private async onProposal(msg: PlaintextMessage): Promise<PlaintextMessage> {
    validateProposal(msg);
    const approve = await (this.o.approveIntroduction ?? (() => true))(msg);
    const rec: IntroductionRecord = { thid: msg.thid ?? msg.id, device: msg.from as string, status: approve ? 'approved' : 'declined' };
    let invitation: PlaintextMessage | undefined;
    // only the party asked to be the inviter puts an invitation in its approval
    if (approve && msg.body.inviter === true) {
      invitation = createInvitation({ from: this.did, goalCode: OWNER_RELATIONSHIP_GOAL_CODE, accept: ['didcomm/v2'] });
      rec.invitationId = invitation.id;
    }
    this.introductions.set(rec.thid, rec);
    return buildResponse({ from: this.did, to: [rec.device], thid: rec.thid, approve, invitation });
  }

  /** A trust-ping on an invitation's thread (pthid) from an introduction that went through forms the relationship. */
  private onPing(msg: PlaintextMessage): PlaintextMessage | undefined {
    const from = msg.from as string;
    if (msg.pthid !== undefined) {
      const intro = [...this.introductions.values()].find((r) => r.invitationId === msg.pthid);
      if (!intro || intro.status !== 'done') return this.problem(msg, 'e.p.trust.unknown-invitation');
      this.relationships.set(from, msg.pthid);
    }
    if (!responseRequested(msg)) return undefined;
    return { id: newMessageId(), type: PING_RESPONSE_TYPE, from: this.did, to: [from], thid: msg.id, body: {} };
  }

  private async onPresentation(msg: PlaintextMessage): Promise<PlaintextMessage> {
    validatePresentation(msg);
    const thid = msg.thid as string;
    const challenge = this.challenges.get(thid);
    if (challenge === undefined) return this.problem(msg, 'e.p.req.unknown-thread');
    this.challenges.delete(thid);
    const result = await checkOwnershipPresentation(presentedVp(msg), {
      resolver: this.o.resolver,
      manufacturerDid: this.o.manufacturerDid,
      challenge,
      domain: this.did,
      now: new Date(this.now()),
      checkStatus: this.o.checkStatus,
    });
    this.proofs.push(result);
    return buildPresentationAck({ from: this.did, to: [msg.from as string], thid, ack: msg.id, verified: result.verified, checks: result.checks, errors: result.errors });
  }

  private onOpenThread(msg: PlaintextMessage): PlaintextMessage {
    validateOpenThread(msg);
    const id = msg.body.support_thread_id as string | undefined;
    if (id === undefined) return this.problem(msg, 'e.p.msg.invalid');
    const existing = this.supportThreads.get(id);
    if (existing && existing.device !== msg.from) return this.problem(msg, 'e.p.req.unknown-thread');
    if (!existing) this.supportThreads.set(id, { id, device: msg.from as string, thid: msg.id, subject: msg.body.subject as string, messages: [] });
    if (msg.body.text !== undefined) this.supportThreads.get(id)?.messages.push({ from: 'owner', text: msg.body.text as string });
    return buildThreadOpened({ from: this.did, to: [msg.from as string], thid: msg.thid ?? msg.id, supportThreadId: id });
  }

  /** A support thread of `device` (a thread id of another device is nobody's). */
  private thread(id: string, device: string): ManufacturerSupportThread | undefined {
    const t = this.supportThreads.get(id);
    return t && t.device === device ? t : undefined;
  }

  /** Writes into a support thread: sent to the device, which relays it to its owner. */
  async reply(supportThreadId: string, text: string): Promise<void> {
    const t = this.supportThreads.get(supportThreadId);
    if (!t) throw new SsiotError('manufacturer.unknown_thread', `no support thread ${supportThreadId}`);
    const m = buildSupportMessage({ from: this.did, to: [t.device], thid: t.thid, supportThreadId, fromParty: 'manufacturer', text });
    t.messages.push({ from: 'manufacturer', text });
    const out = await packEncrypted(m, { to: t.device, from: this.did, resolver: this.o.resolver, secrets: this.secrets });
    const endpoint = out.serviceMetadata?.serviceEndpoint;
    if (!endpoint) throw new SsiotError('manufacturer.no_endpoint', 'the device DID has no DIDComm endpoint');
    await this.o.send(endpoint, out.packed);
  }

  /**
   * Sends a firmware release to a device (its link DID): the SUIT envelope
   * (base64url) and the did:webvh entries after the device's anchor.
   * Resolves to the device's authenticated answer (progress or problem report) when the transport
   * replies at once; over MQTT the progress arrives as a message (`firmwareProgress`).
   */
  async announceFirmware(device: string, release: { envelope: string; log: unknown[] }): Promise<PlaintextMessage | undefined> {
    const m = buildFirmwareAnnounce({ from: this.did, to: [device], envelope: release.envelope, log: release.log, createdTime: Math.floor(this.now() / 1000) });
    const out = await packEncrypted(m, { to: device, from: this.did, resolver: this.o.resolver, secrets: this.secrets });
    const endpoint = out.serviceMetadata?.serviceEndpoint;
    if (!endpoint) throw new SsiotError('manufacturer.no_endpoint', 'the device DID has no DIDComm endpoint');
    const raw = await this.o.send(endpoint, out.packed);
    if (raw === undefined) return undefined;
    const r = await unpack(raw, { resolver: this.o.resolver, secrets: this.secrets, replayGuard: this.replay, now: Math.floor(this.now() / 1000) });
    if (!r.metadata.authenticated || r.message.from !== device) throw new SsiotError('manufacturer.not_authcrypt', 'the answer is not from the device');
    return r.message;
  }

  private problem(msg: PlaintextMessage, code: string): PlaintextMessage {
    const p = createProblemReport({ code, pthid: msg.thid ?? msg.id, ack: msg.id, from: this.did, to: msg.from ? [msg.from] : undefined });
    return { ...p, thid: msg.thid ?? msg.id };
  }
}
