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
import {
  authorizationOf,
  buildDiagnosticsRequest,
  buildServiceAuthAck,
  DIAGNOSTICS_RESPONSE_TYPE,
  GRANT_TYPE,
  REVOKE_TYPE,
  SERVICE_AUTH_PROBLEM,
  validateDiagnosticsResponse,
  validateGrant,
  validateRevoke,
  type ServiceScope,
} from '../protocols/messages/service-auth.ts';
import { verifyCredential } from '../protocols/vc/verify.ts';
import type { JwkSecret } from '../protocols/did/types.ts';

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
  /** The agent's DIDComm DID and its secrets, kept by a service across restarts (default: a new did:peer:2 on `endpoint`). */
  identity?: AgentIdentity;
  /**
   * A second DID for owners (invitations handed out through introductions,
   * proofs of ownership, pings), e.g. on an HTTP endpoint while devices use
   * the broker. Default: the same DID as `identity`.
   */
  ownerIdentity?: AgentIdentity;
  /** Called after every change of the agent's state (`snapshot()` to persist it). */
  onChange?(): void | Promise<void>;
  /** Called with every proof of ownership checked (warranty registration keeps the verified ones). */
  onOwnershipProof?(result: OwnershipCheckResult): void | Promise<void>;
  /** Called with every verified firmware status report (the release service records it). */
  onFirmwareStatus?(device: string, report: StatusReportMessage, jws: string): void | Promise<void>;
}

/** A DIDComm identity of the agent: its DID and the DID's secrets (JWK). */
export interface AgentIdentity {
  did: string;
  secrets: JwkSecret[];
}

/** A service authorization an owner handed to the manufacturer (the VC it presents to the device). */
export interface HeldAuthorization {
  id: string;
  /** The device's did:key (credentialSubject.device). */
  device: string;
  /** The VC's issuer: the owner's pairwise DID with the device. */
  owner: string;
  /** The agent DID the VC names as its subject (diagnostics requests come from it). */
  holder: string;
  /** Who handed it over (the owner's DID in its relationship with the manufacturer). */
  grantedBy: string;
  scope: ServiceScope[];
  validUntil: string;
  credential: Record<string, unknown>;
  /** The owner withdrew it (the device is told by the owner directly; this only stops its use). */
  revoked: boolean;
}

/** What `snapshot()` returns and `restore()` takes: the agent's relationships and threads (JSON-safe). */
export interface ManufacturerAgentState {
  introductions: IntroductionRecord[];
  relationships: [string, string][];
  challenges: [string, string][];
  supportThreads: ManufacturerSupportThread[];
  authorizations?: HeldAuthorization[];
}

/** What the agent keeps of its observation lists (reports, answers, proofs): the newest ones, so a long-running service stays bounded. */
export const KEPT_OBSERVATIONS = 1000;

function keepLast<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEPT_OBSERVATIONS) list.splice(0, list.length - KEPT_OBSERVATIONS);
}

/** A new agent identity: a did:peer:2 whose DIDComm service is `endpoint`. */
export function generateAgentIdentity(endpoint: string): AgentIdentity {
  const me = generateDidPeer2({ serviceUri: endpoint });
  return { did: me.did, secrets: me.secrets as JwkSecret[] };
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
  /** The manufacturer's DIDComm DID (did:peer:2 with its endpoint): devices talk to it. */
  readonly did: string;
  /** The DID owners talk to (= did unless ownerIdentity was given). */
  readonly ownerDid: string;
  readonly identity: AgentIdentity;
  readonly ownerIdentity: AgentIdentity;
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
  /** Service authorizations owners handed over, by credential id. */
  readonly authorizations = new Map<string, HeldAuthorization>();
  /** Problem reports devices sent on threads the agent started (diagnostics refused, ...), newest last. */
  readonly problems: { device: string; thid?: string; code: string }[] = [];
  /** Diagnostics answers that arrived as messages (transports without an immediate reply), newest last. */
  readonly diagnostics: { device: string; thid?: string; body: Record<string, unknown> }[] = [];
  /** Why the last inbound message was refused, by code. */
  lastRefusal: string | undefined;

  constructor(private readonly o: ManufacturerAgentOptions) {
    this.identity = o.identity ?? generateAgentIdentity(o.endpoint);
    this.ownerIdentity = o.ownerIdentity ?? this.identity;
    this.did = this.identity.did;
    this.ownerDid = this.ownerIdentity.did;
    const all = this.ownerDid === this.did ? this.identity.secrets : [...this.identity.secrets, ...this.ownerIdentity.secrets];
    this.secrets = createSecretsResolver(all.map((s) => parseSecret(s)));
  }

  /** The agent's relationships and threads, to persist (proofs and firmware lists are not part of it). */
  snapshot(): ManufacturerAgentState {
    return {
      introductions: [...this.introductions.values()],
      relationships: [...this.relationships],
      challenges: [...this.challenges],
      supportThreads: [...this.supportThreads.values()],
      authorizations: [...this.authorizations.values()],
    };
  }

  /** Takes back a snapshot (at start, before any message is handled). */
  restore(state: ManufacturerAgentState): void {
    for (const r of state.introductions) this.introductions.set(r.thid, r);
    for (const [k, v] of state.relationships) this.relationships.set(k, v);
    for (const [k, v] of state.challenges) this.challenges.set(k, v);
    for (const t of state.supportThreads) this.supportThreads.set(t.id, t);
    for (const a of state.authorizations ?? []) this.authorizations.set(a.id, a);
  }

  private async changed(): Promise<void> {
    await this.o.onChange?.();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Handles one inbound envelope (authcrypt only); resolves to the packed reply, if any. */
  async receive(packed: string): Promise<string | undefined> {
    let msg: PlaintextMessage;
    let me: string;
    try {
      const r = await unpack(packed, { resolver: this.o.resolver, secrets: this.secrets, replayGuard: this.replay, now: Math.floor(this.now() / 1000) });
      if (!r.metadata.authenticated || !r.message.from) {
        this.lastRefusal = 'manufacturer.not_authcrypt';
        return undefined;
      }
      msg = r.message;
      // which of the agent's DIDs the sender wrote to: the reply comes from it
      const to = (r.metadata.encrypted_to_kids ?? [])[0]?.split('#')[0];
      me = to === this.ownerDid ? this.ownerDid : this.did;
    } catch (e) {
      this.lastRefusal = isSsiotError(e) ? e.code : 'manufacturer.unreadable';
      return undefined;
    }
    let reply: PlaintextMessage | undefined;
    try {
      reply = await this.handle(msg, me);
    } catch (e) {
      // a message that does not validate gets a problem report (the sender is authenticated)
      this.lastRefusal = isSsiotError(e) ? e.code : 'manufacturer.failed';
      reply = this.problem(msg, 'e.p.msg.invalid', me);
    }
    await this.changed();
    if (!reply) return undefined;
    return (await packEncrypted(reply, { to: msg.from as string, from: me, resolver: this.o.resolver, secrets: this.secrets })).packed;
  }

  private async handle(msg: PlaintextMessage, me: string): Promise<PlaintextMessage | undefined> {
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
        const code = parseProblemReport(msg).code;
        const rec = this.introductions.get(msg.pthid ?? msg.thid ?? '');
        if (rec && rec.device === from && code === INTRODUCTION_DECLINED) rec.status = 'declined-by-other';
        else keepLast(this.problems, { device: from, thid: msg.thid ?? msg.pthid, code });
        return undefined;
      }
      case GRANT_TYPE:
        return this.onGrant(msg, me);
      case REVOKE_TYPE: {
        const id = validateRevoke(msg).body.credential_id;
        const held = this.authorizations.get(id);
        if (held && held.grantedBy !== from && held.owner !== from) return this.problem(msg, 'e.p.trust.not-owner', me);
        if (held) held.revoked = true;
        return buildServiceAuthAck({ from: me, to: [from], thid: msg.thid ?? msg.id, ack: msg.id, credentialId: id, state: 'revoked' });
      }
      case PING_TYPE:
        return this.onPing(msg, me);
      case PROPOSE_PRESENTATION_TYPE: {
        validateProposePresentation(msg);
        if (msg.body.goal_code !== OWNERSHIP_GOAL_CODE) return this.problem(msg, 'e.p.msg.unsupported-goal', me);
        const challenge = base64urlEncode(getCrypto().randomBytes(18));
        const thid = msg.thid ?? msg.id;
        this.challenges.set(thid, challenge);
        return buildRequestPresentation({ from: me, to: [from], thid, challenge, domain: me, goalCode: OWNERSHIP_GOAL_CODE });
      }
      case PRESENTATION_TYPE:
        return this.onPresentation(msg, me);
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
        keepLast(this.firmwareProgress, { device: from, sequence, status });
        return undefined;
      }
      case FIRMWARE_STATUS_TYPE: {
        // the report is signed by the device's did:key (the certificate subject); the DIDComm sender is its link DID
        const jws = validateFirmwareStatus(msg).body.report;
        const report = await verifyStatusReport(jws, (kid) => publicKeyFromDidKey(kid.split('#')[0]));
        keepLast(this.firmwareReports, { device: from, report });
        await this.o.onFirmwareStatus?.(from, report, jws);
        return undefined;
      }
      case DIAGNOSTICS_RESPONSE_TYPE:
        // over a broker the device's answer to requestDiagnostics arrives as a message of its own
        keepLast(this.diagnostics, { device: from, thid: msg.thid, body: validateDiagnosticsResponse(msg).body as Record<string, unknown> });
        return undefined;
      default:
        return this.problem(msg, 'e.p.msg.unsupported', me);
    }
  }

  /**
   * An owner hands over the ServiceAuthorization it issued to this agent
   * (`grant`, owner → manufacturer; the device got the same VC from the
   * owner). Kept when its proof verifies and its subject is one of this
   * agent's DIDs; whether its issuer is the device's current owner only the
   * device can tell, and it checks that on every diagnostics request.
   */
  private async onGrant(msg: PlaintextMessage, me: string): Promise<PlaintextMessage> {
    validateGrant(msg);
    const { credential, terms } = authorizationOf(msg);
    const checked = await verifyCredential(credential, { resolver: this.o.resolver, now: new Date(this.now()) });
    if (!checked.verified) return this.problem(msg, SERVICE_AUTH_PROBLEM.invalid, me);
    if (terms.manufacturer !== this.did && terms.manufacturer !== this.ownerDid) return this.problem(msg, SERVICE_AUTH_PROBLEM.wrongHolder, me);
    const existing = this.authorizations.get(terms.id);
    if (existing?.revoked) return this.problem(msg, SERVICE_AUTH_PROBLEM.revoked, me);
    this.authorizations.set(terms.id, {
      id: terms.id,
      device: terms.device,
      owner: terms.owner,
      holder: terms.manufacturer,
      scope: terms.scope,
      validUntil: terms.validUntil,
      credential,
      grantedBy: msg.from as string,
      revoked: false,
    });
    return buildServiceAuthAck({ from: me, to: [msg.from as string], thid: msg.thid ?? msg.id, ack: msg.id, credentialId: terms.id, state: 'active' });
  }

  private async onProposal(msg: PlaintextMessage): Promise<PlaintextMessage> {
    validateProposal(msg);
    const approve = await (this.o.approveIntroduction ?? (() => true))(msg);
    const rec: IntroductionRecord = { thid: msg.thid ?? msg.id, device: msg.from as string, status: approve ? 'approved' : 'declined' };
    let invitation: PlaintextMessage | undefined;
    // only the party asked to be the inviter puts an invitation in its approval
    if (approve && msg.body.inviter === true) {
      invitation = createInvitation({ from: this.ownerDid, goalCode: OWNER_RELATIONSHIP_GOAL_CODE, accept: ['didcomm/v2'] });
      rec.invitationId = invitation.id;
    }
    this.introductions.set(rec.thid, rec);
    return buildResponse({ from: this.did, to: [rec.device], thid: rec.thid, approve, invitation });
  }

  /** A trust-ping on an invitation's thread (pthid) from an introduction that went through forms the relationship. */
  private onPing(msg: PlaintextMessage, me: string): PlaintextMessage | undefined {
    const from = msg.from as string;
    if (msg.pthid !== undefined) {
      const intro = [...this.introductions.values()].find((r) => r.invitationId === msg.pthid);
      if (!intro || intro.status !== 'done') return this.problem(msg, 'e.p.trust.unknown-invitation', me);
      this.relationships.set(from, msg.pthid);
    }
    if (!responseRequested(msg)) return undefined;
    return { id: newMessageId(), type: PING_RESPONSE_TYPE, from: me, to: [from], thid: msg.id, body: {} };
  }

  private async onPresentation(msg: PlaintextMessage, me: string): Promise<PlaintextMessage> {
    validatePresentation(msg);
    const thid = msg.thid as string;
    const challenge = this.challenges.get(thid);
    if (challenge === undefined) return this.problem(msg, 'e.p.req.unknown-thread', me);
    this.challenges.delete(thid);
    const result = await checkOwnershipPresentation(presentedVp(msg), {
      resolver: this.o.resolver,
      manufacturerDid: this.o.manufacturerDid,
      challenge,
      domain: me,
      now: new Date(this.now()),
      checkStatus: this.o.checkStatus,
    });
    keepLast(this.proofs, result);
    await this.o.onOwnershipProof?.(result);
    return buildPresentationAck({ from: me, to: [msg.from as string], thid, ack: msg.id, verified: result.verified, checks: result.checks, errors: result.errors });
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
    return this.sendToDevice(device, m);
  }

  /**
   * Remote diagnostics under a service authorization the owner issued to
   * this agent's DID (`credential`, the ServiceAuthorization VC): sent to the
   * device's link DID. Resolves to the device's authenticated answer
   * (diagnostics-response or problem report) when the transport replies at
   * once; over a broker it arrives later in `diagnostics` (or as a problem report).
   */
  async requestDiagnostics(device: string, scope: ServiceScope[], credential: Record<string, unknown>): Promise<PlaintextMessage | undefined> {
    return (await this.sendDiagnosticsRequest(device, scope, credential)).reply;
  }

  /**
   * As requestDiagnostics, with the request's thread id (an answer that
   * arrives later lands in `diagnostics` or `problems` with it). The request
   * comes from the agent DID the VC names as its subject (the device checks
   * the requester is the holder).
   */
  async sendDiagnosticsRequest(device: string, scope: ServiceScope[], credential: Record<string, unknown>): Promise<{ thid: string; reply?: PlaintextMessage }> {
    const subject = (credential.credentialSubject as { id?: unknown } | undefined)?.id;
    const from = subject === this.ownerDid ? this.ownerDid : this.did;
    const m = buildDiagnosticsRequest({ from, to: [device], scope, credential, createdTime: Math.floor(this.now() / 1000) });
    return { thid: m.id, reply: await this.sendToDevice(device, m, from) };
  }

  /** Packs `m` to a device DID, sends it, and unpacks the immediate answer if the transport gives one. */
  private async sendToDevice(device: string, m: PlaintextMessage, from: string = this.did): Promise<PlaintextMessage | undefined> {
    const out = await packEncrypted(m, { to: device, from, resolver: this.o.resolver, secrets: this.secrets });
    const endpoint = out.serviceMetadata?.serviceEndpoint;
    if (!endpoint) throw new SsiotError('manufacturer.no_endpoint', 'the device DID has no DIDComm endpoint');
    const raw = await this.o.send(endpoint, out.packed);
    if (raw === undefined) return undefined;
    const r = await unpack(raw, { resolver: this.o.resolver, secrets: this.secrets, replayGuard: this.replay, now: Math.floor(this.now() / 1000) });
    if (!r.metadata.authenticated || r.message.from !== device) throw new SsiotError('manufacturer.not_authcrypt', 'the answer is not from the device');
    return r.message;
  }

  private problem(msg: PlaintextMessage, code: string, me: string = this.did): PlaintextMessage {
    const p = createProblemReport({ code, pthid: msg.thid ?? msg.id, ack: msg.id, from: me, to: msg.from ? [msg.from] : undefined });
    return { ...p, thid: msg.thid ?? msg.id };
  }
}
