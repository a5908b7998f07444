/**
 * The owner's agent (the phone app's core), platform-neutral so it can run
 * in a browser: scans a device label, checks the device's certificate back
 * to a manufacturer DID it trusts (device attestation), proves knowledge of
 * the label's pairing secret over authcrypt DIDComm without sending it, and
 * keeps the resulting pairwise relationship and owner imprint.
 *
 * What "device attestation" checks here, in order: the certificate verifies
 * (eddsa-jcs-2022, key of the issuer's did:webvh document as resolved by the
 * caller's resolver), its issuer is a trusted manufacturer, its subject is
 * a did:key whose key hashes to the label's commitment (a relay or another
 * genuine device is refused here: `owner.commitment_mismatch`), and that
 * key signed this exchange's transcript (the device holds the key now).
 *
 * Wire format: protocols/messages/pairing.ts and issue-credential.ts; the
 * label attachment and the device proof: protocols/messages/pairing-attestation.ts.
 */
import { getCrypto } from '../protocols/crypto/index.ts';
import { publicKeyFromDidKey } from '../protocols/did/key.ts';
import { jwkSecret, parseSecret, publicKeyFromPrivateKey, publicKeyToMultikey, type PrivateKey } from '../protocols/did/keys.ts';
import { createDidPeer2 } from '../protocols/did/peer2.ts';
import type { DidResolver, JwkSecret } from '../protocols/did/types.ts';
import { newMessageId, type PlaintextMessage } from '../protocols/didcomm/message.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createReplayGuard } from '../protocols/didcomm/replay.ts';
import { createSecretsResolver, type SecretsResolver } from '../protocols/didcomm/secrets.ts';
import { unpack } from '../protocols/didcomm/unpack.ts';
import { base64urlDecode, base64urlEncode } from '../protocols/encoding/base64url.ts';
import { SsiotError, isSsiotError } from '../protocols/errors.ts';
import { encodeOobUrl, parseOobUrl, PAIR_DEVICE_GOAL_CODE } from '../protocols/messages/out-of-band.ts';
import { parseProblemReport, PROBLEM_REPORT_TYPE } from '../protocols/messages/report-problem.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import { verifyDeviceCertificate, verifyImprintChain, type DeviceDescription } from '../protocols/vc/device-credentials.ts';
import { DEVICE_PROOF_FIELD, keyCommitment, PAIRING_ATTACHMENT, spakeTranscript } from '../protocols/messages/pairing-attestation.ts';
import { buildRequestCredential, IMPRINT_GOAL_CODE, ISSUE_CREDENTIAL_TYPE, issuedCredential, validateIssueCredential } from '../protocols/messages/issue-credential.ts';
import {
  buildPairRequest,
  buildSpake2PlusConfirm,
  buildSpake2PlusParamsRequest,
  buildSpake2PlusStart,
  bytesField,
  deviceCertificateOf,
  PAIR_RESPONSE_TYPE,
  PAIRING_CONTEXT,
  pairingTranscript,
  parsePairRequest,
  SPAKE2PLUS_PARAMS_TYPE,
  SPAKE2PLUS_RESPONSE_TYPE,
  validatePairResponse,
  validateSpake2PlusParams,
  validateSpake2PlusResponse,
  buildTransferClosed,
  buildTransferOpen,
  TRANSFER_CLOSED_TYPE,
  TRANSFER_OPENED_TYPE,
  validateTransferClosed,
  validateTransferOpened,
} from '../protocols/messages/pairing.ts';
import { carriedInvitation } from '../protocols/messages/introduce.ts';
import { deriveProverSecrets } from '../protocols/pake/registration.ts';
import { Spake2PlusProver } from '../protocols/pake/spake2plus.ts';
import {
  AUDIT_LOG_TYPE,
  buildGetAuditLog,
  buildGetPolicy,
  buildSetPolicy,
  POLICY_STATE_TYPE,
  validateAuditLog,
  validatePolicyState,
  type AuditEntry,
  type Policy,
  type PolicyUpdate,
} from '../protocols/messages/policy.ts';
import {
  buildGrant,
  buildRevoke,
  SERVICE_AUTH_ACK_TYPE,
  serviceAuthorizationCredential,
  validateServiceAuthAck,
  type ServiceScope,
} from '../protocols/messages/service-auth.ts';
import { issueCredential } from '../protocols/vc/issue.ts';
import { ed25519Signer } from '../protocols/vc/signer.ts';
import { OwnerConduit, type RelayedSupport } from './conduit.ts';
import { buildFirmwareApprove, FIRMWARE_PROGRESS_TYPE, validateFirmwareProgress } from '../protocols/messages/firmware.ts';

/** Owner-side failures (`owner.<reason>`); `owner.pairing_refused` carries the device's problem code in `problem`. */
export class OwnerError extends SsiotError {
  readonly problem?: string;
  constructor(code: `owner.${string}`, message: string, options?: { cause?: unknown; problem?: string }) {
    super(code, message, options);
    this.name = 'OwnerError';
    this.problem = options?.problem;
  }
}

/** How the owner reaches a device: send an envelope to an endpoint, get the reply (local HTTP, or in-process). */
export interface OwnerTransport {
  send(endpoint: string, packed: string): Promise<string | undefined>;
}

export interface OwnerAgentOptions {
  transport: OwnerTransport;
  /** Resolves did:key, did:peer and the trusted manufacturers' did:webvh DIDs. */
  resolver: DidResolver;
  /** Manufacturer DIDs whose device certificates this owner accepts. */
  trustedManufacturers: readonly string[];
  /** Wall clock, ms (default Date.now). */
  now?: () => number;
}

/** A device this owner paired with. */
export interface PairedDevice {
  device: DeviceDescription;
  manufacturer: string;
  certificate: VerifiableCredential;
  imprint: VerifiableCredential;
  /** The owner's pairwise DID with this device (the imprint's subject). */
  ownerDid: string;
  ownerSecrets: JwkSecret[];
  /** The device's pairwise DID for this owner. */
  deviceDid: string;
  /** The transfer window this owner opened, while it is open (its thread, for cancel and the device's transfer-closed). */
  transfer?: { thid: string; expires: number };
}

/** What a device pushed to its owner. */
export type DevicePush =
  | { kind: 'support'; relayed: RelayedSupport }
  /** The transfer window ended: `completed` (the device has a new owner; it is gone from `devices`) or `expired`. */
  | { kind: 'transfer-closed'; reason: 'completed' | 'expired' };

interface LabelContent {
  invitationId: string;
  pairingDid: string;
  commitment: string;
  secret: Uint8Array;
}

/** The device's invitation (pairing DID, invitation id) from an OOB URL; the pairing attachment is not needed. */
export function readInvitation(url: string): { invitationId: string; pairingDid: string } {
  const parsed = parseOobUrl(url);
  if (parsed.kind !== 'invitation') throw new OwnerError('owner.invalid_label', 'the URL must carry the invitation itself');
  const inv = parsed.invitation;
  if ((inv.body as Record<string, unknown>).goal_code !== PAIR_DEVICE_GOAL_CODE) throw new OwnerError('owner.invalid_label', 'not a device pairing invitation');
  return { invitationId: inv.id, pairingDid: inv.from as string };
}

/** Reads a scanned label URL (OOB invitation with goal_code pair-device and the pairing attachment). */
export function readLabel(url: string): LabelContent {
  const parsed = parseOobUrl(url);
  if (parsed.kind !== 'invitation') throw new OwnerError('owner.invalid_label', 'the label must carry the invitation itself');
  const inv = parsed.invitation;
  const body = inv.body as Record<string, unknown>;
  if (body.goal_code !== PAIR_DEVICE_GOAL_CODE) throw new OwnerError('owner.invalid_label', 'not a device pairing invitation');
  const att = (inv.attachments ?? []).find((a) => a.id === PAIRING_ATTACHMENT);
  const json = att?.data?.json as Record<string, unknown> | undefined;
  if (!json || typeof json.commitment !== 'string' || typeof json.secret !== 'string') throw new OwnerError('owner.invalid_label', 'the label lacks the pairing commitment or secret');
  let secret: Uint8Array;
  try {
    secret = base64urlDecode(json.secret);
  } catch (e) {
    throw new OwnerError('owner.invalid_label', 'the pairing secret is not base64url', { cause: e });
  }
  if (secret.length !== 32) throw new OwnerError('owner.invalid_label', 'the pairing secret must be 32 bytes');
  return { invitationId: inv.id, pairingDid: inv.from as string, commitment: json.commitment, secret };
}

/**
 * The owner's pairwise did:peer:2 for one device: its Ed25519 key is both
 * the authentication (V, `#key-1`) and the assertion key (A, `#key-2`), so
 * the owner can issue credentials as this DID (the ServiceAuthorization VC's
 * issuer must be the DID the device knows as its owner); X25519 (E, `#key-3`).
 */
export function generateOwnerDid(): { did: string; secrets: JwkSecret[] } {
  const c = getCrypto();
  const ed: PrivateKey = { kind: 'Ed25519', bytes: c.randomBytes(32) };
  const x: PrivateKey = { kind: 'X25519', bytes: c.randomBytes(32) };
  const edKey = publicKeyToMultikey(publicKeyFromPrivateKey(ed));
  const did = createDidPeer2({
    keys: [
      { purpose: 'verification', publicKeyMultibase: edKey },
      { purpose: 'assertion', publicKeyMultibase: edKey },
      { purpose: 'encryption', publicKeyMultibase: publicKeyToMultikey(publicKeyFromPrivateKey(x)) },
    ],
  });
  return { did, secrets: [jwkSecret(`${did}#key-1`, ed), jwkSecret(`${did}#key-2`, ed), jwkSecret(`${did}#key-3`, x)] };
}

/** What the owner authorizes the manufacturer to do (ServiceAuthorization terms the owner chooses). */
export interface ServiceAuthorizationRequest {
  /** The manufacturer's DID (the credential subject). */
  manufacturer: string;
  scope: ServiceScope[];
  /** ISO 8601 end of validity (required: authorizations are time-limited). */
  validUntil: string;
  validFrom?: string;
  /** Credential id (default a fresh urn:uuid). */
  id?: string;
}

export class OwnerAgent {
  readonly devices: PairedDevice[] = [];
  private readonly replay = createReplayGuard({ maxEntries: 256 });

  constructor(private readonly o: OwnerAgentOptions) {}

  private conduitInstance: OwnerConduit | undefined;

  /** Introduction, manufacturer relationship, proof of ownership and support through a device (owner/conduit.ts). */
  get conduit(): OwnerConduit {
    this.conduitInstance ??= new OwnerConduit(this.o, (msg, to, secrets, expect, senders) => this.exchange(msg, to, secrets, expect, senders));
    return this.conduitInstance;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /**
   * Pairs with the device whose label is `url` (pair-request / pair-response
   * of protocols/messages/pairing.ts), then asks for the owner imprint
   * (issue-credential 3.0 request-credential / issue-credential) and checks
   * it back to the manufacturer.
   */
  async pair(url: string): Promise<PairedDevice> {
    const label = readLabel(url);
    const me = generateOwnerDid();
    const secrets = createSecretsResolver(me.secrets.map((s) => parseSecret(s)));
    const request = buildPairRequest({
      from: me.did,
      to: [label.pairingDid],
      invitationId: label.invitationId,
      deviceDid: label.pairingDid,
      secret: label.secret,
      createdTime: Math.floor(this.now() / 1000),
    });
    const sent = parsePairRequest(request);
    const response = await this.exchange(request, label.pairingDid, secrets, PAIR_RESPONSE_TYPE, [label.pairingDid]);
    return this.completePairing(response, pairingTranscript(sent.transcript), me, secrets, label);
  }

  /**
   * Pairs with a device by its manual setup code (SPAKE2+, RFC 9383): `url`
   * is the device's invitation as discovered on the local network (its
   * pairing DID and endpoint; no secret needed), `code` what the owner typed.
   */
  async pairWithCode(url: string, code: string): Promise<PairedDevice> {
    const invitation = readInvitation(url);
    const me = generateOwnerDid();
    const secrets = createSecretsResolver(me.secrets.map((s) => parseSecret(s)));
    const device = invitation.pairingDid;
    const ask = buildSpake2PlusParamsRequest({ from: me.did, to: [device], pthid: invitation.invitationId });
    const paramsMsg = await this.exchange(ask, device, secrets, SPAKE2PLUS_PARAMS_TYPE, [device]);
    let prover: Spake2PlusProver;
    try {
      const { params } = validateSpake2PlusParams(paramsMsg);
      // deriveProverSecrets checks the scrypt cost bounds a hostile device could otherwise inflate
      const { w0, w1 } = deriveProverSecrets(code, { suite: params.suite, pbkdf: params.pbkdf, salt: params.salt, idProver: params.idProver, idVerifier: params.idVerifier });
      prover = new Spake2PlusProver({ suite: params.suite, w0, w1, context: PAIRING_CONTEXT, idProver: me.did, idVerifier: device });
      w1.fill(0);
    } catch (e) {
      if (isSsiotError(e) && e.code === 'pake.invalid_code') throw e;
      throw new OwnerError('owner.invalid_response', 'the SPAKE2+ parameters are unusable', { cause: e });
    }
    const shareP = prover.start();
    const start = buildSpake2PlusStart({ from: me.did, to: [device], thid: ask.id, shareP });
    const reply = await this.exchange(start, device, secrets, SPAKE2PLUS_RESPONSE_TYPE, [device]);
    let confirmP: Uint8Array;
    let shareV: Uint8Array;
    try {
      validateSpake2PlusResponse(reply);
      shareV = bytesField(reply, 'share_v');
      confirmP = prover.finish(shareV, bytesField(reply, 'confirm_v'));
    } catch (e) {
      throw new OwnerError('owner.bad_device_confirmation', 'the device does not know this setup code', { cause: e });
    }
    const confirm = buildSpake2PlusConfirm({ from: me.did, to: [device], thid: ask.id, confirmP });
    const response = await this.exchange(confirm, device, secrets, PAIR_RESPONSE_TYPE, [device]);
    return this.completePairing(response, spakeTranscript({ deviceDid: device, ownerDid: me.did, shareP, shareV }), me, secrets);
  }

  /** Device attestation on a pair-response, then the imprint (issue-credential 3.0). */
  private async completePairing(
    response: PlaintextMessage,
    signed: Uint8Array,
    me: { did: string; secrets: JwkSecret[] },
    secrets: SecretsResolver,
    label?: LabelContent,
  ): Promise<PairedDevice> {
    const pairingDid = response.from as string;
    let certificate: VerifiableCredential;
    try {
      validatePairResponse(response);
      certificate = deviceCertificateOf(response) as unknown as VerifiableCredential;
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the pair-response is malformed', { cause: e });
    }
    const device = await this.attest(certificate, label);
    let signature: Uint8Array;
    try {
      signature = base64urlDecode(String(response.body[DEVICE_PROOF_FIELD]));
    } catch {
      signature = new Uint8Array(0);
    }
    const key = publicKeyFromDidKey(device.did);
    if (signature.length !== 64 || !getCrypto().ed25519Verify(signature, signed, key.bytes)) {
      throw new OwnerError('owner.bad_device_signature', 'the device did not prove it holds the certified key');
    }
    if (response.body.device !== device.did || response.body.owner !== me.did) throw new OwnerError('owner.invalid_response', 'the pair-response names another device or owner');
    // Attestation checked: confirm by asking for the imprint (request-credential to the pairing DID on
    // the pairing thread, pthid). Only now does the device commit; the answer comes from its new pairwise DID.
    const ask = buildRequestCredential({ from: me.did, to: [pairingDid], pthid: response.thid, goalCode: IMPRINT_GOAL_CODE, createdTime: Math.floor(this.now() / 1000) });
    const issued = await this.exchange(ask, pairingDid, secrets, ISSUE_CREDENTIAL_TYPE);
    let imprint: VerifiableCredential;
    try {
      validateIssueCredential(issued);
      imprint = issuedCredential(issued) as unknown as VerifiableCredential;
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the issue-credential is malformed', { cause: e });
    }
    const chain = await verifyImprintChain(imprint, certificate, { resolver: this.o.resolver, manufacturerDid: String(certificate.issuer), now: new Date(this.now()) });
    if (chain.owner !== me.did) throw new OwnerError('owner.invalid_response', 'the imprint names another owner');
    const paired: PairedDevice = {
      device,
      manufacturer: String(certificate.issuer),
      certificate,
      imprint,
      ownerDid: me.did,
      ownerSecrets: me.secrets,
      deviceDid: issued.from as string,
    };
    this.devices.push(paired);
    return paired;
  }

  /**
   * Opens a one-time transfer window on a device this owner holds
   * (transfer-open over the pairwise channel) and returns the invitation URL
   * for the new owner (its secret is fresh; the label's does not work then).
   */
  async openTransfer(paired: PairedDevice, windowSeconds: number): Promise<string> {
    const secrets = createSecretsResolver(paired.ownerSecrets.map((s) => parseSecret(s)));
    const open = buildTransferOpen({ from: paired.ownerDid, to: [paired.deviceDid], windowSeconds, createdTime: Math.floor(this.now() / 1000) });
    const opened = await this.exchange(open, paired.deviceDid, secrets, TRANSFER_OPENED_TYPE, [paired.deviceDid]);
    let invitation: PlaintextMessage | undefined;
    try {
      validateTransferOpened(opened);
      invitation = carriedInvitation(opened);
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the transfer-opened is malformed', { cause: e });
    }
    if (!invitation) throw new OwnerError('owner.invalid_response', 'the transfer-opened carries no invitation');
    paired.transfer = { thid: open.id, expires: Number(opened.body.window_expires) };
    return encodeOobUrl(invitation, 'https://ssiot.dev/pair');
  }

  /** Closes the transfer window this owner opened (transfer-closed {cancelled}); the invitation stops working. */
  async cancelTransfer(paired: PairedDevice): Promise<void> {
    if (!paired.transfer) throw new OwnerError('owner.no_transfer', 'no transfer window is open on this device');
    const msg = buildTransferClosed({ from: paired.ownerDid, to: [paired.deviceDid], thid: paired.transfer.thid, reason: 'cancelled', createdTime: Math.floor(this.now() / 1000) });
    const secrets = createSecretsResolver(paired.ownerSecrets.map((s) => parseSecret(s)));
    const packed = await packEncrypted(msg, { to: paired.deviceDid, from: paired.ownerDid, resolver: this.o.resolver, secrets });
    const endpoint = packed.serviceMetadata?.serviceEndpoint;
    if (!endpoint) throw new OwnerError('owner.no_endpoint', 'the device DID has no DIDComm endpoint');
    const raw = await this.o.transport.send(endpoint, packed.packed);
    // no reply is the device's acceptance; a reply is its problem report
    if (raw !== undefined) throw new OwnerError('owner.refused', 'the device refused to close the transfer window');
    delete paired.transfer;
  }

  /**
   * A message the device pushed to this owner (DeviceAgentOptions.deliverToOwner
   * or the owner DID's endpoint): relayed support traffic, or transfer-closed
   * (on `completed` the device is dropped from `devices`: its relationship is closed).
   */
  async receive(paired: PairedDevice, packed: string): Promise<DevicePush> {
    const msg = await this.conduit.unpackPush(paired, packed);
    if (msg.type !== TRANSFER_CLOSED_TYPE) return { kind: 'support', relayed: this.conduit.relayed(msg) };
    let reason: string;
    try {
      reason = validateTransferClosed(msg).body.reason;
    } catch (e) {
      throw new OwnerError('owner.invalid_response', 'the transfer-closed is malformed', { cause: e });
    }
    if (!paired.transfer || msg.thid !== paired.transfer.thid || (reason !== 'completed' && reason !== 'expired')) {
      throw new OwnerError('owner.unexpected_reply', 'a transfer-closed for no transfer this owner opened');
    }
    delete paired.transfer;
    if (reason === 'completed') {
      const i = this.devices.indexOf(paired);
      if (i >= 0) this.devices.splice(i, 1);
    }
    return { kind: 'transfer-closed', reason };
  }

  /** Changes the device's policy (partial update); resolves to the complete policy now in force. */
  async setPolicy(paired: PairedDevice, update: PolicyUpdate): Promise<Policy> {
    const msg = buildSetPolicy({ from: paired.ownerDid, to: [paired.deviceDid], policy: update, createdTime: Math.floor(this.now() / 1000) });
    return this.parseReply(await this.ask(paired, msg, POLICY_STATE_TYPE), validatePolicyState).body.policy;
  }

  /** The device's policy in force. */
  async getPolicy(paired: PairedDevice): Promise<Policy> {
    const msg = buildGetPolicy({ from: paired.ownerDid, to: [paired.deviceDid], createdTime: Math.floor(this.now() / 1000) });
    return this.parseReply(await this.ask(paired, msg, POLICY_STATE_TYPE), validatePolicyState).body.policy;
  }

  /** One page of the device's audit log (entries with seq >= since); `next` when more remain. */
  async readAuditLog(paired: PairedDevice, options: { since?: number; limit?: number } = {}): Promise<{ entries: AuditEntry[]; next?: number }> {
    const msg = buildGetAuditLog({ from: paired.ownerDid, to: [paired.deviceDid], ...options, createdTime: Math.floor(this.now() / 1000) });
    const { entries, next } = this.parseReply(await this.ask(paired, msg, AUDIT_LOG_TYPE), validateAuditLog).body;
    return next === undefined ? { entries } : { entries, next };
  }

  /**
   * Issues a ServiceAuthorization VC (signed by this owner's pairwise DID,
   * the one the device knows) for the manufacturer and grants it to the
   * device; resolves to the VC, which the owner hands to the manufacturer.
   */
  async grantServiceAuthorization(paired: PairedDevice, request: ServiceAuthorizationRequest): Promise<VerifiableCredential> {
    const id = request.id ?? `urn:uuid:${newMessageId()}`;
    const unsigned = serviceAuthorizationCredential({ id, owner: paired.ownerDid, manufacturer: request.manufacturer, device: paired.device.did, scope: request.scope, validFrom: request.validFrom, validUntil: request.validUntil });
    const seed = parseSecret(paired.ownerSecrets.find((s) => s.id === `${paired.ownerDid}#key-2`)).privateKey.bytes;
    const credential = await issueCredential(unsigned, { signer: ed25519Signer(`${paired.ownerDid}#key-2`, seed), now: new Date(this.now()) });
    const msg = buildGrant({ from: paired.ownerDid, to: [paired.deviceDid], credential: credential as unknown as Record<string, unknown>, createdTime: Math.floor(this.now() / 1000) });
    const ack = this.parseReply(await this.ask(paired, msg, SERVICE_AUTH_ACK_TYPE), validateServiceAuthAck);
    if (ack.body.credential_id !== id || ack.body.state !== 'active') throw new OwnerError('owner.invalid_response', 'the device acknowledged another authorization');
    return credential;
  }

  /** Revokes a service authorization on the device directly (works with the manufacturer offline). */
  async revokeServiceAuthorization(paired: PairedDevice, credentialId: string): Promise<void> {
    const msg = buildRevoke({ from: paired.ownerDid, to: [paired.deviceDid], credentialId, createdTime: Math.floor(this.now() / 1000) });
    const ack = this.parseReply(await this.ask(paired, msg, SERVICE_AUTH_ACK_TYPE), validateServiceAuthAck);
    if (ack.body.credential_id !== credentialId || ack.body.state !== 'revoked') throw new OwnerError('owner.invalid_response', 'the device acknowledged another revocation');
  }

  /** Approves a release the device holds under the `ask` policy (its sequence is in the audit log); resolves to the device's progress. */
  async approveFirmware(paired: PairedDevice, sequence: number): Promise<{ sequence: number; status: string }> {
    const msg = buildFirmwareApprove({ from: paired.ownerDid, to: [paired.deviceDid], sequence, createdTime: Math.floor(this.now() / 1000) });
    const { body } = this.parseReply(await this.ask(paired, msg, FIRMWARE_PROGRESS_TYPE), validateFirmwareProgress);
    return { sequence: body.sequence, status: body.status };
  }

  /** A request to the device over the pairwise relationship; the reply must come from the device's pairwise DID. */
  private ask(paired: PairedDevice, msg: PlaintextMessage, expect: string): Promise<PlaintextMessage> {
    const secrets = createSecretsResolver(paired.ownerSecrets.map((s) => parseSecret(s)));
    return this.exchange(msg, paired.deviceDid, secrets, expect, [paired.deviceDid]);
  }

  private parseReply<T>(reply: PlaintextMessage, validate: (m: unknown) => T): T {
    try {
      return validate(reply);
    } catch (e) {
      throw new OwnerError('owner.invalid_response', `the device's ${reply.type.split('/').pop()} is malformed`, { cause: e });
    }
  }

  /** Device attestation (see the module comment). */
  private async attest(certificate: VerifiableCredential, label: LabelContent | undefined): Promise<DeviceDescription> {
    const issuer = certificate && (typeof certificate.issuer === 'string' ? certificate.issuer : undefined);
    if (!issuer || !this.o.trustedManufacturers.includes(issuer)) throw new OwnerError('owner.untrusted_manufacturer', 'the device certificate is not from a trusted manufacturer');
    let device: DeviceDescription;
    try {
      device = await verifyDeviceCertificate(certificate, { resolver: this.o.resolver, manufacturerDid: issuer, now: new Date(this.now()) });
    } catch (e) {
      throw new OwnerError('owner.invalid_certificate', 'the device certificate does not verify', { cause: e });
    }
    // the QR label commits to the device key; the manual code path has no label (SPAKE2+ authenticated the device instead)
    if (label && keyCommitment(publicKeyFromDidKey(device.did).bytes) !== label.commitment) {
      throw new OwnerError('owner.commitment_mismatch', 'the certified device key is not the one on the label');
    }
    return device;
  }

  /** Sends `msg` authcrypted, returns the reply of type `expect` (a problem report becomes owner.pairing_refused). */
  private async exchange(msg: PlaintextMessage, to: string, secrets: SecretsResolver, expect: string, senders?: readonly string[]): Promise<PlaintextMessage> {
    const packed = await packEncrypted(msg, { to, from: msg.from, resolver: this.o.resolver, secrets });
    const endpoint = packed.serviceMetadata?.serviceEndpoint;
    if (!endpoint) throw new OwnerError('owner.no_endpoint', 'the device DID has no DIDComm endpoint');
    const raw = await this.o.transport.send(endpoint, packed.packed);
    if (raw === undefined) throw new OwnerError('owner.no_reply', 'the device did not answer');
    let reply: PlaintextMessage;
    try {
      const r = await unpack(raw, { resolver: this.o.resolver, secrets, replayGuard: this.replay, now: Math.floor(this.now() / 1000) });
      // Any authenticated sender is accepted where `senders` is not given: the reply is
      // encrypted to our fresh pairwise DID, which only the device has learnt.
      if (!r.metadata.authenticated || !r.message.from || (senders && !senders.includes(r.message.from))) {
        throw new OwnerError('owner.unauthenticated_reply', 'the reply is not from the device');
      }
      reply = r.message;
    } catch (e) {
      if (e instanceof OwnerError) throw e;
      throw new OwnerError('owner.unreadable_reply', `the device reply does not unpack${isSsiotError(e) ? ` (${e.code})` : ''}`, { cause: e });
    }
    if (reply.type === PROBLEM_REPORT_TYPE) {
      const p = parseProblemReport(reply);
      throw new OwnerError('owner.pairing_refused', `the device refused: ${p.code}`, { problem: p.code });
    }
    if (reply.type !== expect || (reply.thid ?? reply.id) !== (msg.thid ?? msg.id)) throw new OwnerError('owner.unexpected_reply', `expected ${expect}`);
    return reply;
  }
}

