/**
 * The device's side of QR pairing (protocols/messages/pairing.ts, plus the
 * device attestation of protocols/messages/pairing-attestation.ts) and of the owner-imprint
 * request (issue-credential 3.0, goal code `ssiot.owner-imprint`).
 *
 * Two steps, so that nothing is recorded for a phone that walked away:
 * 1. pair-request (or a SPAKE2+ confirm): the proof is checked against the
 *    label secret; a failure is counted (persisted; at most
 *    MAX_PAIRING_ATTEMPTS per window). On success the device answers
 *    pair-response with its certificate and device proof (attestation) and
 *    remembers the phone as the *pending* owner, in memory only: the window
 *    stays open and nothing is written.
 * 2. The phone checks the attestation (certificate -> manufacturer DID,
 *    label commitment, device proof) and only then asks for its imprint:
 *    request-credential (goal `ssiot.owner-imprint`) to the pairing DID,
 *    `pthid` = the pairing thread. That request is the confirmation: the
 *    device opens a pairwise relationship (its own new did:peer:2 for this
 *    owner), issues the imprint, commits `paired` (the last write) and
 *    answers issue-credential from its pairwise DID.
 * A phone that refuses the attestation (a relabelled device, a relay on the
 * local network) simply never confirms: the device stays unowned and the
 * pending entry is dropped with the window, at a reboot, or when another
 * phone with the label's secret attests. Only the phone whose DID the
 * proof named can confirm (the request is authcrypted from that DID).
 * Later request-credentials from the current owner re-send its imprint.
 */
import { base64urlEncode } from '../protocols/encoding/base64url.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import type { JwkSecret } from '../protocols/did/types.ts';
import { buildIssueCredential, IMPRINT_GOAL_CODE, REQUEST_CREDENTIAL_TYPE, validateRequestCredential } from '../protocols/messages/issue-credential.ts';
import {
  buildPairResponse,
  buildSpake2PlusParams,
  buildSpake2PlusResponse,
  bytesField,
  checkPairingProof,
  PAIR_REQUEST_TYPE,
  PAIRING_CONTEXT,
  PAIRING_PROBLEM,
  pairingTranscript,
  parsePairRequest,
  SPAKE2PLUS_CONFIRM_TYPE,
  SPAKE2PLUS_PARAMS_REQUEST_TYPE,
  SPAKE2PLUS_START_TYPE,
  TRANSFER_OPEN_TYPE,
  TRANSFER_CLOSED_TYPE,
  buildTransferClosed,
  buildTransferOpened,
  validateTransferClosed,
  validateTransferOpen,
  validateSpake2PlusConfirm,
  validateSpake2PlusParamsRequest,
  validateSpake2PlusStart,
  type PairRequest,
} from '../protocols/messages/pairing.ts';
import { Spake2PlusVerifier } from '../protocols/pake/spake2plus.ts';
import { base64urlDecode } from '../protocols/encoding/base64url.ts';
import { utf8Encode } from '../protocols/encoding/bytes.ts';
import { createProblemReport } from '../protocols/messages/report-problem.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import type { DeviceDescription } from '../protocols/vc/device-credentials.ts';
import { issueOwnerImprint, reserveStatusIndex, revokeStatusIndex } from './imprint.ts';
import { DEVICE_KEY_KID, loadPairing, pairingInvitation, RECORD, type DeviceIdentity } from './manufacture.ts';
import { getCrypto } from '../protocols/crypto/index.ts';
import { DEVICE_PROOF_FIELD, spakeTranscript } from '../protocols/messages/pairing-attestation.ts';
import { windowOpen, type DeviceStateStore, type OwnerRecord } from './state.ts';
import { audit } from './policy.ts';
import { getRecord, putRecord } from './store.ts';

/** A pairwise relationship the device holds (its DID for the owner and that DID's DIDComm secrets). */
export const RELATIONSHIP = 'device:relationship';
/** Credentials issued, by status index (wiped by a factory reset). */
export const ISSUED = 'device:issued';

export interface RelationshipRecord {
  ownerDid: string;
  deviceDid: string;
  secrets: JwkSecret[];
}

/** Problem codes the device answers with, beyond PAIRING_PROBLEM. */
export const DEVICE_PROBLEMS = {
  invalidMessage: 'e.p.msg.invalid',
  notOwner: 'e.p.trust.not-owner',
} as const;

export interface PairingContext {
  wallet: Wallet;
  state: DeviceStateStore;
  identity: DeviceIdentity;
  certificate: VerifiableCredential;
  description: DeviceDescription;
  endpoint: string;
  now(): number;
  /** Called when relationships changed (the agent closes former owners' relationships, reloads its DIDComm secrets). */
  relationshipsChanged(): Promise<void>;
  /** Pushes a message the device starts to an owner over its relationship (DeviceAgent.pushToOwner). */
  pushToOwner(owner: OwnerRecord, msg: PlaintextMessage): Promise<boolean>;
}

/** A manual-code pairing in progress (memory only: a reboot drops it; the phone starts over). */
interface PakeSession {
  thid: string;
  verifier?: Spake2PlusVerifier;
  shareP?: Uint8Array;
  shareV?: Uint8Array;
}

/** At most this many manual-code sessions at once (memory bound against strangers). */
const MAX_PAKE_SESSIONS = 4;

/** The message types this responder handles. */
export const DEVICE_PAIRING_TYPES: readonly string[] = [
  PAIR_REQUEST_TYPE,
  REQUEST_CREDENTIAL_TYPE,
  SPAKE2PLUS_PARAMS_REQUEST_TYPE,
  SPAKE2PLUS_START_TYPE,
  SPAKE2PLUS_CONFIRM_TYPE,
  TRANSFER_OPEN_TYPE,
  TRANSFER_CLOSED_TYPE,
];

/** The one-time invitation of an open transfer window (its secret is not the label's). */
interface TransferRecord {
  invitationId: string;
  secret: string;
  /** The transfer thread (the transfer-open id): transfer-closed is sent on it. */
  thid?: string;
}

/** A phone that proved the secret and got the device's attestation, not yet confirmed (memory only). */
interface PendingPairing {
  owner: string;
  /** The pairing thread: the confirming request-credential carries it as `pthid`. */
  thid: string;
}

export class PairingResponder {
  private readonly pake = new Map<string, PakeSession>();
  /** Choice: one pending pairing at a time — the latest phone that proved the secret (all of them hold the label). */
  private pending: PendingPairing | undefined;

  constructor(private readonly ctx: PairingContext) {}

  /** Forget half-done manual-code pairings (reset, new window). */
  clear(): void {
    this.pake.clear();
    this.pending = undefined;
  }

  /** Handles an authenticated (authcrypt) message; returns the reply to pack (maybe a problem report), or undefined for none. */
  async handle(msg: PlaintextMessage): Promise<PlaintextMessage | undefined> {
    if (msg.type === PAIR_REQUEST_TYPE) return this.onPairRequest(msg);
    if (msg.type === REQUEST_CREDENTIAL_TYPE) return this.onImprintRequest(msg);
    if (msg.type === SPAKE2PLUS_PARAMS_REQUEST_TYPE) return this.onParamsRequest(msg);
    if (msg.type === SPAKE2PLUS_START_TYPE) return this.onPakeStart(msg);
    if (msg.type === SPAKE2PLUS_CONFIRM_TYPE) return this.onPakeConfirm(msg);
    if (msg.type === TRANSFER_OPEN_TYPE) return this.onTransferOpen(msg);
    if (msg.type === TRANSFER_CLOSED_TYPE) return this.onTransferCancel(msg);
    return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, this.ctx.identity.pairingDid);
  }

  /** True when a pairing or transfer window is open now (an expired one is closed on the way). */
  private async windowIsOpen(): Promise<boolean> {
    const s = this.ctx.state.current;
    if (s.lifecycle === 'factory' || !s.window) return false;
    if (windowOpen(s, this.ctx.now())) return true;
    await this.ctx.state.apply({ type: 'close_window' });
    if (s.window.kind === 'transfer') await this.transferEnded('expired');
    return false;
  }

  /**
   * A transfer window ended without a new owner (expired, or the owner
   * cancelled): the window's invitation is retired, the audit log says so,
   * and on expiry the owner is told (transfer-closed on the transfer thread).
   */
  private async transferEnded(reason: 'expired' | 'cancelled'): Promise<void> {
    const owner = this.ctx.state.current.owner;
    const t = await getRecord<TransferRecord>(this.ctx.wallet, RECORD, 'transfer');
    await this.ctx.wallet.delete(RECORD, 'transfer');
    if (!owner) return;
    await audit(this.ctx.wallet, owner, this.ctx.now(), { event: 'transfer.closed', detail: reason });
    if (reason === 'expired' && t?.thid) await this.ctx.pushToOwner(owner, buildTransferClosed({ thid: t.thid, reason }));
  }

  /** transfer-closed {cancelled} from the current owner: the transfer window closes at once (no reply). */
  private async onTransferCancel(msg: PlaintextMessage): Promise<PlaintextMessage | undefined> {
    const owner = this.ctx.state.current.owner;
    const from = owner?.deviceDid ?? this.ctx.identity.pairingDid;
    let reason: string;
    try {
      reason = validateTransferClosed(msg).body.reason;
    } catch {
      return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, from);
    }
    if (!owner || msg.from !== owner.did) return this.problem(msg, DEVICE_PROBLEMS.notOwner, from);
    if (reason !== 'cancelled' || this.ctx.state.current.window?.kind !== 'transfer') return this.problem(msg, PAIRING_PROBLEM.windowClosed, from);
    this.pending = undefined;
    await this.ctx.state.apply({ type: 'close_window' });
    await this.transferEnded('cancelled');
    return undefined;
  }

  private async onPairRequest(msg: PlaintextMessage): Promise<PlaintextMessage> {
    const from = this.ctx.identity.pairingDid;
    if (!(await this.windowIsOpen())) return this.problem(msg, PAIRING_PROBLEM.windowClosed, from);
    let req: PairRequest;
    try {
      req = parsePairRequest(msg);
    } catch {
      return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, from);
    }
    const expected = await this.windowInvitation();
    if (!expected || req.transcript.invitationId !== expected.invitationId || req.transcript.deviceDid !== from) {
      return this.problem(msg, PAIRING_PROBLEM.unknownInvitation, from);
    }
    if (!checkPairingProof(expected.secret, req.transcript, req.proof)) return this.failedAttempt(msg, from);
    const thid = msg.thid ?? msg.id;
    this.pending = { owner: req.transcript.ownerDid, thid };
    const deviceProof = await this.ctx.wallet.keys.sign(DEVICE_KEY_KID, pairingTranscript(req.transcript));
    return this.pairResponse(req.transcript.ownerDid, thid, deviceProof);
  }

  /**
   * The invitation the open window accepts: the label's in a pairing window,
   * the one-time transfer invitation in a transfer window (the label secret,
   * which a former owner also knows, does not open an owned device).
   */
  private async windowInvitation(): Promise<{ invitationId: string; secret: Uint8Array } | undefined> {
    const kind = this.ctx.state.current.window?.kind;
    if (kind === 'pairing') {
      const p = await loadPairing(this.ctx.wallet);
      return p && { invitationId: p.invitationId, secret: p.secretBytes };
    }
    const t = await getRecord<TransferRecord>(this.ctx.wallet, RECORD, 'transfer');
    return t && { invitationId: t.invitationId, secret: base64urlDecode(t.secret) };
  }

  /** transfer-open from the current owner: a fresh one-time invitation and a transfer window. */
  private async onTransferOpen(msg: PlaintextMessage): Promise<PlaintextMessage> {
    const owner = this.ctx.state.current.owner;
    const from = owner?.deviceDid ?? this.ctx.identity.pairingDid;
    let seconds: number;
    try {
      seconds = validateTransferOpen(msg).body.window_seconds;
    } catch {
      return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, from);
    }
    if (!owner || msg.from !== owner.did) return this.problem(msg, DEVICE_PROBLEMS.notOwner, from);
    const secret = base64urlEncode(getCrypto().randomBytes(32));
    const invitation = pairingInvitation(this.ctx.identity, secret);
    const thid = msg.thid ?? msg.id;
    await putRecord(this.ctx.wallet, RECORD, 'transfer', { invitationId: invitation.id, secret, thid } satisfies TransferRecord);
    const expiresAt = this.ctx.now() + seconds * 1000;
    await this.ctx.state.apply({ type: 'open_transfer', expiresAt });
    await audit(this.ctx.wallet, owner, this.ctx.now(), { event: 'transfer.opened', detail: `${seconds}s` });
    return buildTransferOpened({ from, to: [owner.did], thid, windowExpires: Math.floor(expiresAt / 1000), invitation });
  }

  /** A failed proof: counted (persisted); the answer says whether the window is now closed. */
  private async failedAttempt(msg: PlaintextMessage, from: string): Promise<PlaintextMessage> {
    const s = await this.ctx.state.apply({ type: 'attempt_failed' });
    if (!s.window) this.pake.clear();
    return this.problem(msg, s.window ? PAIRING_PROBLEM.badProof : PAIRING_PROBLEM.tooManyAttempts, from);
  }

  // ------------------------------------------------ manual setup code (SPAKE2+)

  private async onParamsRequest(msg: PlaintextMessage): Promise<PlaintextMessage> {
    const from = this.ctx.identity.pairingDid;
    // the manual code is printed on the device, like the label: not accepted in a transfer window
    if (!(await this.windowIsOpen()) || this.ctx.state.current.window?.kind !== 'pairing') return this.problem(msg, PAIRING_PROBLEM.windowClosed, from);
    const pairing = await loadPairing(this.ctx.wallet);
    try {
      validateSpake2PlusParamsRequest(msg);
    } catch {
      return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, from);
    }
    if (!pairing) return this.problem(msg, PAIRING_PROBLEM.unknownInvitation, from);
    const owner = msg.from as string;
    this.pake.delete(owner);
    if (this.pake.size >= MAX_PAKE_SESSIONS) this.pake.delete(this.pake.keys().next().value as string);
    this.pake.set(owner, { thid: msg.thid ?? msg.id });
    const v = pairing.verifier;
    return buildSpake2PlusParams({
      from,
      to: [owner],
      thid: msg.thid ?? msg.id,
      suite: v.suite,
      pbkdf: { alg: 'scrypt', N: v.pbkdf.N, r: v.pbkdf.r, p: v.pbkdf.p },
      salt: base64urlDecode(v.salt),
      idProver: new Uint8Array(0),
      idVerifier: utf8Encode(from),
    });
  }

  private async onPakeStart(msg: PlaintextMessage): Promise<PlaintextMessage> {
    const from = this.ctx.identity.pairingDid;
    const session = msg.from ? this.pake.get(msg.from) : undefined;
    if (!session || msg.thid !== session.thid || session.verifier) return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, from);
    if (!(await this.windowIsOpen())) return this.problem(msg, PAIRING_PROBLEM.windowClosed, from);
    const pairing = await loadPairing(this.ctx.wallet);
    let shareP: Uint8Array;
    try {
      validateSpake2PlusStart(msg);
      shareP = bytesField(msg, 'share_p');
    } catch {
      return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, from);
    }
    if (!pairing) return this.problem(msg, PAIRING_PROBLEM.unknownInvitation, from);
    // Counted when it starts: the prover learns right/wrong from confirm_v, before it
    // would ever send confirm_p, so an attempt cannot wait to be counted at the end.
    const counted = await this.ctx.state.apply({ type: 'attempt_failed' });
    if (!counted.window) {
      this.pake.clear();
      return this.problem(msg, PAIRING_PROBLEM.tooManyAttempts, from);
    }
    const verifier = new Spake2PlusVerifier({
      suite: pairing.verifier.suite,
      w0: base64urlDecode(pairing.verifier.w0),
      L: base64urlDecode(pairing.verifier.L),
      context: PAIRING_CONTEXT,
      idProver: msg.from,
      idVerifier: from,
    });
    let response;
    try {
      response = verifier.respond(shareP);
    } catch {
      this.pake.delete(msg.from as string);
      return this.problem(msg, PAIRING_PROBLEM.badProof, from); // already counted
    }
    Object.assign(session, { verifier, shareP, shareV: response.shareV });
    return buildSpake2PlusResponse({ from, to: [msg.from as string], thid: session.thid, shareV: response.shareV, confirmV: response.confirmV });
  }

  private async onPakeConfirm(msg: PlaintextMessage): Promise<PlaintextMessage> {
    const from = this.ctx.identity.pairingDid;
    const owner = msg.from as string;
    const session = this.pake.get(owner);
    if (!session || !session.verifier || msg.thid !== session.thid) return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, from);
    this.pake.delete(owner);
    if (!(await this.windowIsOpen())) return this.problem(msg, PAIRING_PROBLEM.windowClosed, from);
    try {
      validateSpake2PlusConfirm(msg);
      session.verifier.finish(bytesField(msg, 'confirm_p'));
    } catch {
      return this.problem(msg, PAIRING_PROBLEM.badProof, from); // counted at spake2plus-start
    }
    this.pending = { owner, thid: session.thid };
    const proof = await this.ctx.wallet.keys.sign(
      DEVICE_KEY_KID,
      spakeTranscript({ deviceDid: from, ownerDid: owner, shareP: session.shareP as Uint8Array, shareV: session.shareV as Uint8Array }),
    );
    return this.pairResponse(owner, session.thid, proof);
  }

  private pairResponse(owner: string, thid: string, proof: Uint8Array): PlaintextMessage {
    const response = buildPairResponse({
      from: this.ctx.identity.pairingDid,
      to: [owner],
      thid,
      deviceDid: this.ctx.identity.did,
      ownerDid: owner,
      deviceCertificate: this.ctx.certificate as unknown as Record<string, unknown>,
      createdTime: Math.floor(this.ctx.now() / 1000),
    });
    response.body[DEVICE_PROOF_FIELD] = base64urlEncode(proof);
    return response;
  }

  /** Success: relationship, imprint, state — one write each, the state change last (the commit point). */
  private async commitPairing(ownerDid: string): Promise<void> {
    const previous = this.ctx.state.current.owner;
    const pairwise = generateDidPeer2({ serviceUri: this.ctx.endpoint });
    const relationship: RelationshipRecord = { ownerDid, deviceDid: pairwise.did, secrets: pairwise.secrets as JwkSecret[] };
    await putRecord(this.ctx.wallet, RELATIONSHIP, pairwise.did, relationship);
    const index = await reserveStatusIndex(this.ctx.wallet);
    const since = new Date(this.ctx.now());
    const imprint = await issueOwnerImprint(this.ctx.wallet, this.ctx.description, { owner: ownerDid, since, statusIndex: index });
    await putRecord(this.ctx.wallet, ISSUED, String(index), imprint);
    // transfer: the former owner's imprint is revoked before the new owner is committed
    if (previous) await revokeStatusIndex(this.ctx.wallet, previous.imprintIndex);
    const transfer = previous ? await getRecord<TransferRecord>(this.ctx.wallet, RECORD, 'transfer') : undefined;
    const owner: OwnerRecord = { did: ownerDid, deviceDid: pairwise.did, since: since.toISOString(), imprintIndex: index };
    await this.ctx.state.apply({ type: 'paired', owner });
    this.clear();
    // After the commit (a power cut here loses only the notice and the log line, never the pairing);
    // before relationshipsChanged closes the former owner's relationship, which the notice needs.
    await audit(this.ctx.wallet, owner, this.ctx.now(), { event: 'pairing.paired', party: ownerDid, detail: previous ? 'transfer' : 'new' });
    if (previous && transfer?.thid) await this.ctx.pushToOwner(previous, buildTransferClosed({ thid: transfer.thid, reason: 'completed' }));
    await this.ctx.relationshipsChanged();
  }

  /**
   * The owner asks for its imprint (issue-credential 3.0); only the current
   * owner gets it. From the pending phone, on its pairing thread, the
   * request is the pairing confirmation: the pairing is committed first.
   */
  private async onImprintRequest(msg: PlaintextMessage): Promise<PlaintextMessage> {
    try {
      validateRequestCredential(msg);
    } catch {
      return this.problem(msg, DEVICE_PROBLEMS.invalidMessage, this.ctx.state.current.owner?.deviceDid ?? this.ctx.identity.pairingDid);
    }
    const pending = this.pending;
    if (pending && msg.from === pending.owner && msg.pthid === pending.thid && msg.body.goal_code === IMPRINT_GOAL_CODE) {
      this.pending = undefined;
      if (!(await this.windowIsOpen())) return this.problem(msg, PAIRING_PROBLEM.windowClosed, this.ctx.identity.pairingDid);
      await this.commitPairing(pending.owner);
    }
    const owner = this.ctx.state.current.owner;
    const from = owner?.deviceDid ?? this.ctx.identity.pairingDid;
    if (!owner || msg.from !== owner.did || msg.body.goal_code !== IMPRINT_GOAL_CODE) return this.problem(msg, DEVICE_PROBLEMS.notOwner, from);
    const imprint = await getRecord<Record<string, unknown>>(this.ctx.wallet, ISSUED, String(owner.imprintIndex));
    if (!imprint) return this.problem(msg, DEVICE_PROBLEMS.notOwner, from);
    return buildIssueCredential({
      from,
      to: [owner.did],
      thid: msg.thid ?? msg.id,
      credential: imprint,
      goalCode: IMPRINT_GOAL_CODE,
      pleaseAck: false,
      createdTime: Math.floor(this.ctx.now() / 1000),
    });
  }

  private problem(msg: PlaintextMessage, code: string, from: string): PlaintextMessage {
    const p = createProblemReport({ code, pthid: msg.thid ?? msg.id, ack: msg.id, from, to: msg.from ? [msg.from] : undefined });
    return { ...p, thid: msg.thid ?? msg.id };
  }
}
