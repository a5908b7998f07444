/**
 * The owner's side of what runs through a paired device (reached as
 * `OwnerAgent.conduit`): the introduction to the device's manufacturer
 * (introduce, device/introduce.ts), the direct relationship it yields
 * (trust-ping on the invitation's thread), the proof of ownership to a
 * verifier over that relationship (present-proof 3.0), and support threads
 * relayed by the device (device/support.ts). Platform-neutral.
 */
import { parseSecret } from '../protocols/did/keys.ts';
import type { JwkSecret } from '../protocols/did/types.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createReplayGuard } from '../protocols/didcomm/replay.ts';
import { createSecretsResolver, type SecretsResolver } from '../protocols/didcomm/secrets.ts';
import { unpack } from '../protocols/didcomm/unpack.ts';
import { isSsiotError } from '../protocols/errors.ts';
import {
  buildIntroduceRequest,
  buildResponse,
  carriedInvitation,
  INTRODUCE_INVITATION_TYPE,
  INTRODUCE_PROPOSAL_TYPE,
  INTRODUCTION_DECLINED,
  validateInvitationDelivery,
  validateProposal,
  type IntroduceeDescriptor,
} from '../protocols/messages/introduce.ts';
import {
  buildPresentation,
  buildProposePresentation,
  OWNERSHIP_GOAL_CODE,
  PRESENTATION_ACK_TYPE,
  presentationRequest,
  REQUEST_PRESENTATION_TYPE,
  validatePresentationAck,
  validateRequestPresentation,
} from '../protocols/messages/present-proof.ts';
import {
  buildOpenThread,
  buildSupportClose,
  buildSupportMessage,
  SUPPORT_CLOSE_TYPE,
  SUPPORT_MESSAGE_TYPE,
  THREAD_OPENED_TYPE,
  validateSupportClose,
  validateSupportMessage,
  validateThreadOpened,
  type Party,
} from '../protocols/messages/support.ts';
import { createPing, PING_RESPONSE_TYPE } from '../protocols/messages/trust-ping.ts';
import { buildGrant, buildRevoke, SERVICE_AUTH_ACK_TYPE, validateServiceAuthAck } from '../protocols/messages/service-auth.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import { createPresentation, type VerifiablePresentation } from '../protocols/vc/presentation.ts';
import { ed25519Signer } from '../protocols/vc/signer.ts';
import { generateOwnerDid, OwnerError, type OwnerAgentOptions, type PairedDevice } from './agent.ts';

/** OwnerAgent's request/reply helper (a problem report becomes OwnerError `owner.pairing_refused` with `problem`). */
export type Exchange = (msg: PlaintextMessage, to: string, secrets: SecretsResolver, expect: string, senders?: readonly string[]) => Promise<PlaintextMessage>;

/** A direct relationship with a manufacturer, formed from an introduction's invitation. */
export interface ManufacturerRelationship {
  /** The manufacturer agent's DID. */
  theirDid: string;
  /** The owner's DID for it (new, pairwise). */
  myDid: string;
  mySecrets: JwkSecret[];
  /** Who the device said it is. */
  manufacturer: IntroduceeDescriptor;
}

export type IntroductionOutcome =
  | { status: 'connected'; relationship: ManufacturerRelationship }
  | { status: 'declined'; by: 'owner' | 'manufacturer'; problem: string };

/** The verifier's answer to a proof of ownership. */
export interface OwnershipAck {
  verified: boolean;
  checks: string[];
  errors: string[];
}

/** A support thread as the owner names it: the device's id and the owner leg's DIDComm thread. */
export interface SupportHandle {
  supportThreadId: string;
  thid: string;
}

/** A support message the device relayed to the owner. */
export interface RelayedSupport {
  supportThreadId: string;
  from: Party | 'closed';
  text: string;
}

function problemOf(e: unknown): string | undefined {
  return e instanceof OwnerError ? e.problem : undefined;
}

export class OwnerConduit {
  /** Support messages received from devices, oldest first. */
  readonly inbox: RelayedSupport[] = [];
  private readonly replay = createReplayGuard({ maxEntries: 256 });

  constructor(
    private readonly o: OwnerAgentOptions,
    private readonly exchange: Exchange,
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private secretsOf(paired: PairedDevice): SecretsResolver {
    return createSecretsResolver(paired.ownerSecrets.map((s) => parseSecret(s)));
  }

  /**
   * Asks `paired` to introduce its owner to the manufacturer; `approve`
   * decides on the device's proposal. On both approvals, uses the
   * invitation at once (trust-ping) and resolves to the new relationship.
   */
  async introduceManufacturer(paired: PairedDevice, approve: (proposal: IntroduceeDescriptor) => boolean = () => true): Promise<IntroductionOutcome> {
    const secrets = this.secretsOf(paired);
    const request = buildIntroduceRequest({ from: paired.ownerDid, to: [paired.deviceDid], introduceTo: { name: 'manufacturer', role: 'ssiot.manufacturer' }, createdTime: this.seconds() });
    let proposal: PlaintextMessage;
    try {
      proposal = await this.exchange(request, paired.deviceDid, secrets, INTRODUCE_PROPOSAL_TYPE, [paired.deviceDid]);
    } catch (e) {
      const problem = problemOf(e);
      if (problem === INTRODUCTION_DECLINED) return { status: 'declined', by: 'manufacturer', problem };
      throw e;
    }
    let manufacturer: IntroduceeDescriptor;
    try {
      manufacturer = validateProposal(proposal).body.to;
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the proposal is malformed', { cause: e });
    }
    const yes = approve(manufacturer);
    const response = buildResponse({ from: paired.ownerDid, to: [paired.deviceDid], thid: request.id, approve: yes });
    let delivery: PlaintextMessage;
    try {
      delivery = await this.exchange(response, paired.deviceDid, secrets, INTRODUCE_INVITATION_TYPE, [paired.deviceDid]);
    } catch (e) {
      const problem = problemOf(e);
      if (problem === INTRODUCTION_DECLINED) return { status: 'declined', by: yes ? 'manufacturer' : 'owner', problem };
      throw e;
    }
    let invitation: PlaintextMessage;
    try {
      validateInvitationDelivery(delivery);
      invitation = carriedInvitation(delivery) as PlaintextMessage;
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the invitation delivery is malformed', { cause: e });
    }
    return { status: 'connected', relationship: await this.connect(invitation, manufacturer) };
  }

  /** Uses an OOB invitation: a new pairwise DID, a trust-ping on the invitation's thread (pthid), the ping-response proves the channel. */
  async connect(invitation: PlaintextMessage, manufacturer: IntroduceeDescriptor): Promise<ManufacturerRelationship> {
    const me = generateOwnerDid();
    const theirs = invitation.from as string;
    const ping = { ...createPing({ from: me.did, to: [theirs], createdTime: this.seconds() }), pthid: invitation.id };
    await this.exchange(ping, theirs, createSecretsResolver(me.secrets.map((s) => parseSecret(s))), PING_RESPONSE_TYPE, [theirs]);
    return { theirDid: theirs, myDid: me.did, mySecrets: me.secrets, manufacturer };
  }

  /** A trust-ping over an existing relationship; resolves when the ping-response arrives. */
  async ping(rel: ManufacturerRelationship): Promise<void> {
    const ping = createPing({ from: rel.myDid, to: [rel.theirDid], createdTime: this.seconds() });
    await this.exchange(ping, rel.theirDid, this.relSecrets(rel), PING_RESPONSE_TYPE, [rel.theirDid]);
  }

  private relSecrets(rel: ManufacturerRelationship): SecretsResolver {
    return createSecretsResolver(rel.mySecrets.map((s) => parseSecret(s)));
  }

  /**
   * Proves ownership of `paired` to the verifier at the other end of `rel`
   * (present-proof 3.0, prover first): propose-presentation,
   * request-presentation{challenge, domain}, presentation (VP: imprint +
   * device certificate, holder = the owner's DID the imprint names), ack.
   */
  async proveOwnership(paired: PairedDevice, rel: ManufacturerRelationship): Promise<OwnershipAck> {
    const secrets = this.relSecrets(rel);
    const propose = buildProposePresentation({ from: rel.myDid, to: [rel.theirDid], goalCode: OWNERSHIP_GOAL_CODE, createdTime: this.seconds() });
    const request = await this.exchange(propose, rel.theirDid, secrets, REQUEST_PRESENTATION_TYPE, [rel.theirDid]);
    let options;
    try {
      validateRequestPresentation(request);
      options = presentationRequest(request).options;
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the presentation request is malformed', { cause: e });
    }
    const vp = await ownershipPresentation(paired, options.challenge, options.domain, new Date(this.now()));
    const presentation = buildPresentation({ from: rel.myDid, to: [rel.theirDid], thid: propose.id, presentation: vp as unknown as Record<string, unknown> });
    const ack = await this.exchange(presentation, rel.theirDid, secrets, PRESENTATION_ACK_TYPE, [rel.theirDid]);
    try {
      const b = validatePresentationAck(ack).body;
      return { verified: b.verified, checks: b.checks, errors: b.errors ?? [] };
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the presentation ack is malformed', { cause: e });
    }
  }

  /**
   * Hands the manufacturer the ServiceAuthorization this owner issued to it
   * (grant over the relationship; the device got the same VC with
   * OwnerAgent.grantServiceAuthorization): the manufacturer presents it with
   * its diagnostics requests.
   */
  async shareServiceAuthorization(rel: ManufacturerRelationship, credential: VerifiableCredential): Promise<void> {
    const id = String(credential.id);
    const msg = buildGrant({ from: rel.myDid, to: [rel.theirDid], credential: credential as unknown as Record<string, unknown>, createdTime: this.seconds() });
    const ack = await this.exchange(msg, rel.theirDid, this.relSecrets(rel), SERVICE_AUTH_ACK_TYPE, [rel.theirDid]);
    this.checkAck(ack, id, 'active');
  }

  /** Tells the manufacturer an authorization is withdrawn (the device itself is told by OwnerAgent.revokeServiceAuthorization). */
  async withdrawServiceAuthorization(rel: ManufacturerRelationship, credentialId: string): Promise<void> {
    const msg = buildRevoke({ from: rel.myDid, to: [rel.theirDid], credentialId, createdTime: this.seconds() });
    const ack = await this.exchange(msg, rel.theirDid, this.relSecrets(rel), SERVICE_AUTH_ACK_TYPE, [rel.theirDid]);
    this.checkAck(ack, credentialId, 'revoked');
  }

  private checkAck(ack: PlaintextMessage, id: string, state: 'active' | 'revoked'): void {
    let body;
    try {
      body = validateServiceAuthAck(ack).body;
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the service-auth ack is malformed', { cause: e });
    }
    if (body.credential_id !== id || body.state !== state) throw new OwnerError('owner.invalid_response', 'the manufacturer acknowledged another authorization');
  }

  /** Opens a support thread through the device; resolves to its support_thread_id and the owner leg's thread id. */
  async openSupport(paired: PairedDevice, subject: string, text?: string): Promise<SupportHandle> {
    const open = buildOpenThread({ from: paired.ownerDid, to: [paired.deviceDid], subject, text, createdTime: this.seconds() });
    const opened = await this.exchange(open, paired.deviceDid, this.secretsOf(paired), THREAD_OPENED_TYPE, [paired.deviceDid]);
    try {
      return { supportThreadId: validateThreadOpened(opened).body.support_thread_id, thid: open.id };
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the thread-opened is malformed', { cause: e });
    }
  }

  /** Writes into a support thread (the device relays it; no reply but a problem report). */
  async sendSupport(paired: PairedDevice, thread: SupportHandle, text: string): Promise<void> {
    await this.post(paired, buildSupportMessage({ from: paired.ownerDid, to: [paired.deviceDid], thid: thread.thid, supportThreadId: thread.supportThreadId, fromParty: 'owner', text }));
  }

  /** Closes a support thread. */
  async closeSupport(paired: PairedDevice, thread: SupportHandle, reason?: string): Promise<void> {
    await this.post(paired, buildSupportClose({ from: paired.ownerDid, to: [paired.deviceDid], thid: thread.thid, supportThreadId: thread.supportThreadId, reason }));
  }

  /** Sends to the device; a problem-report reply becomes OwnerError `owner.refused`. */
  private async post(paired: PairedDevice, msg: PlaintextMessage): Promise<void> {
    const secrets = this.secretsOf(paired);
    const packed = await packEncrypted(msg, { to: paired.deviceDid, from: paired.ownerDid, resolver: this.o.resolver, secrets });
    const endpoint = packed.serviceMetadata?.serviceEndpoint;
    if (!endpoint) throw new OwnerError('owner.no_endpoint', 'the device DID has no DIDComm endpoint');
    const raw = await this.o.transport.send(endpoint, packed.packed);
    if (raw === undefined) return;
    const r = await unpack(raw, { resolver: this.o.resolver, secrets, replayGuard: this.replay, now: this.seconds() }).catch(() => undefined);
    const code = r && r.message.from === paired.deviceDid ? (r.message.body as Record<string, unknown>).code : undefined;
    throw new OwnerError('owner.refused', `the device refused${typeof code === 'string' ? `: ${code}` : ''}`, { problem: typeof code === 'string' ? code : undefined });
  }

  /** An envelope the device pushed (relayed support message or close); kept in `inbox`. */
  async receive(paired: PairedDevice, packed: string): Promise<RelayedSupport> {
    return this.relayed(await this.unpackPush(paired, packed));
  }

  /** Unpacks an envelope the device pushed: authcrypt from the device's pairwise DID, not seen before. */
  async unpackPush(paired: PairedDevice, packed: string): Promise<PlaintextMessage> {
    let msg: PlaintextMessage;
    try {
      const r = await unpack(packed, { resolver: this.o.resolver, secrets: this.secretsOf(paired), replayGuard: this.replay, now: this.seconds() });
      if (!r.metadata.authenticated || r.message.from !== paired.deviceDid) throw new OwnerError('owner.unauthenticated_reply', 'not from the device');
      msg = r.message;
    } catch (e) {
      if (e instanceof OwnerError) throw e;
      throw new OwnerError('owner.unreadable_reply', `the device message does not unpack${isSsiotError(e) ? ` (${e.code})` : ''}`, { cause: e });
    }
    return msg;
  }

  /** A relayed support message or close (already unpacked); kept in `inbox`. */
  relayed(msg: PlaintextMessage): RelayedSupport {
    let relayed: RelayedSupport;
    try {
      if (msg.type === SUPPORT_MESSAGE_TYPE) {
        const b = validateSupportMessage(msg).body;
        relayed = { supportThreadId: b.support_thread_id, from: b.from_party, text: b.text };
      } else if (msg.type === SUPPORT_CLOSE_TYPE) {
        const b = validateSupportClose(msg).body;
        relayed = { supportThreadId: b.support_thread_id, from: 'closed', text: b.reason ?? '' };
      } else throw new OwnerError('owner.unexpected_reply', `unexpected ${msg.type}`);
    } catch (e) {
      if (e instanceof OwnerError) throw e;
      throw new OwnerError('owner.invalid_response', 'the relayed support message is malformed', { cause: e });
    }
    this.inbox.push(relayed);
    return relayed;
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

/** The proof-of-ownership VP: the imprint and the device certificate, signed by the owner's DID (`#key-1`, authentication). */
export async function ownershipPresentation(paired: PairedDevice, challenge: string, domain: string, now?: Date): Promise<VerifiablePresentation> {
  const kid = `${paired.ownerDid}#key-1`;
  const secret = paired.ownerSecrets.find((s) => s.id === kid);
  if (!secret) throw new OwnerError('owner.no_key', 'the owner DID has no authentication key');
  return createPresentation({
    holder: paired.ownerDid,
    credentials: [paired.imprint as unknown as Record<string, unknown>, paired.certificate as unknown as Record<string, unknown>],
    signer: ed25519Signer(kid, parseSecret(secret).privateKey.bytes),
    challenge,
    domain,
    now,
  });
}
