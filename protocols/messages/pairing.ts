/**
 * ssiot pairing 1.0 (`https://ssiot.dev/protocols/pairing/1.0`): a phone
 * becomes a device's owner.
 *
 * By QR code (the label holds an OOB 2.0 invitation with the one-time
 * pairing secret):
 *   phone  -- pair-request{invitation_id, device, nonce, proof} -->  device   pthid = invitation id
 *   phone  <-- pair-response{status, device, owner} + device certificate VC
 *              or problem-report
 *   phone  -- request-credential{goal_code: ssiot.owner-imprint} -->  device   pthid = pairing thread
 *   phone  <-- issue-credential (the owner imprint, from the device's new pairwise DID)
 * pair-response is an attestation only; the device commits the owner when
 * the phone, having checked it, confirms with the imprint request.
 * `proof` = HMAC-SHA256(pairing secret, transcript): the phone shows it
 * knows the secret without ever sending it, and the MAC binds the
 * invitation, both DIDs and a fresh nonce, so a recorded request is useless
 * to anyone else, for another invitation or another device. The transcript
 * is the UTF-8 JCS (RFC 8785) serialization of
 *   {"ctx":"ssiot-pairing/1.0","device":<device DID>,"invitation_id":<id>,
 *    "nonce":<base64url nonce>,"owner":<phone's DID = the message's from>}
 *
 * By manual setup code (SPAKE2+, RFC 9383, P-256, see protocols/pake):
 *   phone  -- spake2plus-params-request -->  device
 *   phone  <-- spake2plus-params{suite, pbkdf, salt, id_prover, id_verifier}
 *   phone  -- spake2plus-start{share_p} -->  device
 *   phone  <-- spake2plus-response{share_v, confirm_v}
 *   phone  -- spake2plus-confirm{confirm_p} -->  device
 *   phone  <-- pair-response (or problem-report)
 * Shares are uncompressed SEC1 points (65 bytes on P-256), confirmations
 * HMAC-SHA256 tags (32 bytes), all base64url without padding. The exchange
 * context is `ssiot-pairing/1.0`, idProver the phone's DID and idVerifier
 * the device's DID (UTF-8). Choice: the params round trip is ours (RFC 9383
 * leaves how the prover learns salt and cost to the application; Matter
 * has the same PBKDFParamRequest step).
 *
 * Ownership transfer windows (owner -> device, then device -> owner):
 *   owner  -- transfer-open{window_seconds} -->  device
 *   owner  <-- transfer-opened{expires_time} + OOB invitation with a fresh pairing secret
 *   owner  <-- transfer-closed{reason}  (completed, expired) — or owner -> device (cancelled)
 * Choice: `transfer-opened` is ours too: the window's invitation must reach
 * the owner (a grinder has no screen for a new QR code).
 */
import { getCrypto } from '../crypto/index.ts';
import type { PlaintextMessage } from '../didcomm/message.ts';
import { isJsonObject } from '../didcomm/message.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { equalBytes, utf8Encode } from '../encoding/bytes.ts';
import { canonicalize } from '../encoding/jcs.ts';
import { ProtocolError } from '../errors.ts';
import type { Body, Headers } from './fields.ts';
import { attachJson, b64, checkCredentialLike, did, int, invalid, isDid, jsonAttachment, message, obj, ofType, oneOf, requirePthid, requireThid, str } from './fields.ts';
import { VC_FORMAT, VC_MEDIA_TYPE } from './issue-credential.ts';
import { OOB_INVITATION_FORMAT, carriedInvitation } from './introduce.ts';
import { defineMachine } from './state-machine.ts';

export const PAIRING_PIURI = 'https://ssiot.dev/protocols/pairing/1.0';
export const PAIR_REQUEST_TYPE = `${PAIRING_PIURI}/pair-request`;
export const PAIR_RESPONSE_TYPE = `${PAIRING_PIURI}/pair-response`;
export const SPAKE2PLUS_PARAMS_REQUEST_TYPE = `${PAIRING_PIURI}/spake2plus-params-request`;
export const SPAKE2PLUS_PARAMS_TYPE = `${PAIRING_PIURI}/spake2plus-params`;
export const SPAKE2PLUS_START_TYPE = `${PAIRING_PIURI}/spake2plus-start`;
export const SPAKE2PLUS_RESPONSE_TYPE = `${PAIRING_PIURI}/spake2plus-response`;
export const SPAKE2PLUS_CONFIRM_TYPE = `${PAIRING_PIURI}/spake2plus-confirm`;
export const TRANSFER_OPEN_TYPE = `${PAIRING_PIURI}/transfer-open`;
export const TRANSFER_OPENED_TYPE = `${PAIRING_PIURI}/transfer-opened`;
export const TRANSFER_CLOSED_TYPE = `${PAIRING_PIURI}/transfer-closed`;

/** Transcript context string; also the SPAKE2+ context. */
export const PAIRING_CONTEXT = 'ssiot-pairing/1.0';
export const PAIRING_NONCE_BYTES = 32;
export const PAIRING_PROOF_BYTES = 32;
/** P-256 uncompressed point; HMAC-SHA256 tag. */
export const SPAKE2PLUS_SHARE_BYTES = 65;
export const SPAKE2PLUS_CONFIRM_BYTES = 32;
/** Longest transfer window an owner may open (one day). */
export const MAX_TRANSFER_WINDOW_SECONDS = 86400;

/** Problem codes of the pairing flow (problem-report `body.code`). */
export const PAIRING_PROBLEM = {
  /** Wrong proof or failed SPAKE2+ confirmation: one code, so a guesser learns only "no". */
  badProof: 'e.p.trust.pairing',
  /** No pairing window open (owned device without a transfer window, or timed out). */
  windowClosed: 'e.p.req.pairing-window-closed',
  /** The window's attempt budget (20) is spent. */
  tooManyAttempts: 'e.p.req.max-attempts',
  /** The invitation named is not this device's current one (or already used). */
  unknownInvitation: 'e.p.req.unknown-invitation',
} as const;

export interface PairingTranscript {
  invitationId: string;
  deviceDid: string;
  ownerDid: string;
  nonce: Uint8Array;
}

/** The bytes the pairing proof MACs (see the module comment). */
export function pairingTranscript(t: PairingTranscript): Uint8Array {
  if (typeof t.invitationId !== 'string' || t.invitationId.length === 0) throw new ProtocolError('protocol.invalid_argument', 'invitationId is required');
  if (!isDid(t.deviceDid) || !isDid(t.ownerDid)) throw new ProtocolError('protocol.invalid_argument', 'deviceDid and ownerDid must be DIDs');
  if (!(t.nonce instanceof Uint8Array) || t.nonce.length !== PAIRING_NONCE_BYTES) throw new ProtocolError('protocol.invalid_argument', `nonce must be ${PAIRING_NONCE_BYTES} bytes`);
  return utf8Encode(canonicalize({ ctx: PAIRING_CONTEXT, device: t.deviceDid, invitation_id: t.invitationId, nonce: base64urlEncode(t.nonce), owner: t.ownerDid }));
}

/** HMAC-SHA256(secret, transcript). The secret never leaves this function. */
export function pairingProof(secret: Uint8Array, t: PairingTranscript): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length < 16) throw new ProtocolError('protocol.invalid_argument', 'the pairing secret must be at least 16 bytes');
  return getCrypto().hmac('sha256', secret, pairingTranscript(t));
}

/** Constant-time check of a received proof. */
export function checkPairingProof(secret: Uint8Array, t: PairingTranscript, proof: Uint8Array): boolean {
  return equalBytes(pairingProof(secret, t), proof);
}

export interface PairRequestOptions extends Headers {
  /** The phone's (new, pairwise) DID: `from`, and the transcript's owner. */
  from: string;
  /** The OOB invitation id: `pthid` and `body.invitation_id`. */
  invitationId: string;
  deviceDid: string;
  secret: Uint8Array;
  /** Default: 32 fresh random bytes. */
  nonce?: Uint8Array;
}

/** pair-request with its proof computed here (the caller hands the secret in, the message never holds it). */
export function buildPairRequest(o: PairRequestOptions): PlaintextMessage {
  const nonce = o.nonce ?? getCrypto().randomBytes(PAIRING_NONCE_BYTES);
  const t: PairingTranscript = { invitationId: o.invitationId, deviceDid: o.deviceDid, ownerDid: o.from, nonce };
  const body = { invitation_id: o.invitationId, device: o.deviceDid, nonce: base64urlEncode(nonce), proof: base64urlEncode(pairingProof(o.secret, t)) };
  return validatePairRequest(message(PAIR_REQUEST_TYPE, body, { ...o, pthid: o.invitationId }));
}

export interface PairRequest {
  message: PlaintextMessage;
  transcript: PairingTranscript;
  proof: Uint8Array;
}

/** pair-request: `from` required, `pthid` = body.invitation_id, 32-byte nonce and proof. */
export function validatePairRequest(m: unknown): PlaintextMessage {
  return parsePairRequest(m).message;
}

/** Validate and return the transcript the device recomputes the proof over. */
export function parsePairRequest(m: unknown): PairRequest {
  const msg = ofType(m, PAIR_REQUEST_TYPE);
  if (!isDid(msg.from)) throw invalid('from', 'is required (the owner DID is part of the transcript)');
  const pthid = requirePthid(msg);
  const invitationId = str(msg.body, 'invitation_id', 256);
  if (invitationId !== pthid) throw invalid('body.invitation_id', 'must equal pthid');
  const deviceDid = did(msg.body, 'device');
  const nonce = b64(msg.body, 'nonce', PAIRING_NONCE_BYTES);
  const proof = b64(msg.body, 'proof', PAIRING_PROOF_BYTES);
  return { message: msg, transcript: { invitationId, deviceDid, ownerDid: msg.from, nonce }, proof };
}

export interface PairResponseOptions extends Headers {
  thid: string;
  /** The device's long-term DID (the certificate's subject). */
  deviceDid: string;
  /** The owner DID the device recorded. */
  ownerDid: string;
  deviceCertificate: Record<string, unknown>;
}

/** pair-response: accepted, with the device certificate VC (format w3c/vc, id device-certificate). */
export function buildPairResponse(o: PairResponseOptions): PlaintextMessage {
  const att = [attachJson('device-certificate', VC_FORMAT, o.deviceCertificate, VC_MEDIA_TYPE)];
  return validatePairResponse(message(PAIR_RESPONSE_TYPE, { status: 'accepted', device: o.deviceDid, owner: o.ownerDid }, o, att));
}

export function validatePairResponse(m: unknown): PlaintextMessage & { body: { status: 'accepted'; device: string; owner: string } } {
  const msg = ofType(m, PAIR_RESPONSE_TYPE);
  requireThid(msg);
  oneOf(msg.body, 'status', ['accepted'] as const);
  did(msg.body, 'device');
  did(msg.body, 'owner');
  checkCredentialLike(deviceCertificateOf(msg), 'attachments', 'DeviceCertificate');
  return msg as PlaintextMessage & { body: { status: 'accepted'; device: string; owner: string } };
}

/** The device certificate of a pair-response. */
export function deviceCertificateOf(m: PlaintextMessage): Body {
  return jsonAttachment(m, VC_FORMAT, 'device certificate');
}

// ---------------------------------------------------------------- SPAKE2+

export function buildSpake2PlusParamsRequest(o: Headers): PlaintextMessage {
  return validateSpake2PlusParamsRequest(message(SPAKE2PLUS_PARAMS_REQUEST_TYPE, {}, o));
}

export function validateSpake2PlusParamsRequest(m: unknown): PlaintextMessage {
  const msg = ofType(m, SPAKE2PLUS_PARAMS_REQUEST_TYPE);
  if (!isDid(msg.from)) throw invalid('from', 'is required (it is idProver)');
  return msg;
}

export interface Spake2PlusParams {
  suite: string;
  pbkdf: { alg: 'scrypt'; N: number; r: number; p: number };
  salt: Uint8Array;
  idProver: Uint8Array;
  idVerifier: Uint8Array;
}

export interface Spake2PlusParamsOptions extends Headers, Spake2PlusParams {
  thid: string;
}

/** spake2plus-params: the public registration data (protocols/pake Registration), bytes as base64url. */
export function buildSpake2PlusParams(o: Spake2PlusParamsOptions): PlaintextMessage {
  const body = {
    suite: o.suite,
    pbkdf: { alg: o.pbkdf.alg, N: o.pbkdf.N, r: o.pbkdf.r, p: o.pbkdf.p },
    salt: base64urlEncode(o.salt),
    id_prover: base64urlEncode(o.idProver),
    id_verifier: base64urlEncode(o.idVerifier),
  };
  return validateSpake2PlusParams(message(SPAKE2PLUS_PARAMS_TYPE, body, o)).message;
}

/**
 * Shape only: types, salt 16..64 bytes, identities at most 256 bytes. The
 * cost bounds (memory a hostile device could make the phone spend) are
 * protocols/pake's to check before deriving.
 */
export function validateSpake2PlusParams(m: unknown): { message: PlaintextMessage; params: Spake2PlusParams } {
  const msg = ofType(m, SPAKE2PLUS_PARAMS_TYPE);
  requireThid(msg);
  const suite = str(msg.body, 'suite', 128);
  const p = obj(msg.body, 'pbkdf');
  if (p.alg !== 'scrypt') throw invalid('body.pbkdf.alg', 'must be scrypt');
  for (const k of ['N', 'r', 'p']) {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw invalid(`body.pbkdf.${k}`, 'must be a positive integer');
  }
  const salt = b64(msg.body, 'salt', 16, 64);
  const idProver = b64(msg.body, 'id_prover', 0, 256);
  const idVerifier = b64(msg.body, 'id_verifier', 0, 256);
  return { message: msg, params: { suite, pbkdf: { alg: 'scrypt', N: p.N as number, r: p.r as number, p: p.p as number }, salt, idProver, idVerifier } };
}

export interface Spake2PlusStartOptions extends Headers {
  shareP: Uint8Array;
}

export function buildSpake2PlusStart(o: Spake2PlusStartOptions): PlaintextMessage {
  return validateSpake2PlusStart(message(SPAKE2PLUS_START_TYPE, { share_p: base64urlEncode(o.shareP) }, o));
}

/** spake2plus-start: `from` (idProver) and a 65-byte share_p; the point itself is checked by the PAKE. */
export function validateSpake2PlusStart(m: unknown): PlaintextMessage {
  const msg = ofType(m, SPAKE2PLUS_START_TYPE);
  if (!isDid(msg.from)) throw invalid('from', 'is required (it is idProver)');
  b64(msg.body, 'share_p', SPAKE2PLUS_SHARE_BYTES);
  return msg;
}

export interface Spake2PlusResponseOptions extends Headers {
  thid: string;
  shareV: Uint8Array;
  confirmV: Uint8Array;
}

export function buildSpake2PlusResponse(o: Spake2PlusResponseOptions): PlaintextMessage {
  return validateSpake2PlusResponse(message(SPAKE2PLUS_RESPONSE_TYPE, { share_v: base64urlEncode(o.shareV), confirm_v: base64urlEncode(o.confirmV) }, o));
}

export function validateSpake2PlusResponse(m: unknown): PlaintextMessage {
  const msg = ofType(m, SPAKE2PLUS_RESPONSE_TYPE);
  requireThid(msg);
  b64(msg.body, 'share_v', SPAKE2PLUS_SHARE_BYTES);
  b64(msg.body, 'confirm_v', SPAKE2PLUS_CONFIRM_BYTES);
  return msg;
}

export interface Spake2PlusConfirmOptions extends Headers {
  thid: string;
  confirmP: Uint8Array;
}

export function buildSpake2PlusConfirm(o: Spake2PlusConfirmOptions): PlaintextMessage {
  return validateSpake2PlusConfirm(message(SPAKE2PLUS_CONFIRM_TYPE, { confirm_p: base64urlEncode(o.confirmP) }, o));
}

export function validateSpake2PlusConfirm(m: unknown): PlaintextMessage {
  const msg = ofType(m, SPAKE2PLUS_CONFIRM_TYPE);
  requireThid(msg);
  b64(msg.body, 'confirm_p', SPAKE2PLUS_CONFIRM_BYTES);
  return msg;
}

/** The bytes of a base64url body field of a validated message (share_p, share_v, confirm_v, confirm_p, nonce, proof). */
export function bytesField(m: PlaintextMessage, name: string): Uint8Array {
  if (!isJsonObject(m.body)) throw invalid('body', 'must be an object');
  return b64(m.body, name, 0, 4096);
}

// ---------------------------------------------------------------- transfer

export interface TransferOpenOptions extends Headers {
  windowSeconds: number;
}

export function buildTransferOpen(o: TransferOpenOptions): PlaintextMessage {
  return validateTransferOpen(message(TRANSFER_OPEN_TYPE, { window_seconds: o.windowSeconds }, o));
}

export function validateTransferOpen(m: unknown): PlaintextMessage & { body: { window_seconds: number } } {
  const msg = ofType(m, TRANSFER_OPEN_TYPE);
  int(msg.body, 'window_seconds', 1, MAX_TRANSFER_WINDOW_SECONDS);
  return msg as PlaintextMessage & { body: { window_seconds: number } };
}

export interface TransferOpenedOptions extends Headers {
  thid: string;
  /** UTC epoch seconds when the window closes. */
  windowExpires: number;
  /** The one-time OOB invitation (with its pairing secret) for the new owner. */
  invitation: PlaintextMessage;
}

export function buildTransferOpened(o: TransferOpenedOptions): PlaintextMessage {
  const att = [attachJson('invitation', OOB_INVITATION_FORMAT, o.invitation)];
  return validateTransferOpened(message(TRANSFER_OPENED_TYPE, { window_expires: o.windowExpires }, o, att));
}

export function validateTransferOpened(m: unknown): PlaintextMessage & { body: { window_expires: number } } {
  const msg = ofType(m, TRANSFER_OPENED_TYPE);
  requireThid(msg);
  int(msg.body, 'window_expires');
  if (carriedInvitation(msg) === undefined) throw invalid('attachments', 'must carry the transfer invitation');
  return msg as PlaintextMessage & { body: { window_expires: number } };
}

export const TRANSFER_CLOSE_REASONS = ['completed', 'expired', 'cancelled'] as const;
export type TransferCloseReason = (typeof TRANSFER_CLOSE_REASONS)[number];

export interface TransferClosedOptions extends Headers {
  thid: string;
  reason: TransferCloseReason;
}

/** transfer-closed: the device reports completed/expired; the owner sends cancelled. */
export function buildTransferClosed(o: TransferClosedOptions): PlaintextMessage {
  return validateTransferClosed(message(TRANSFER_CLOSED_TYPE, { reason: o.reason }, o));
}

export function validateTransferClosed(m: unknown): PlaintextMessage & { body: { reason: TransferCloseReason } } {
  const msg = ofType(m, TRANSFER_CLOSED_TYPE);
  requireThid(msg);
  oneOf(msg.body, 'reason', TRANSFER_CLOSE_REASONS);
  return msg as PlaintextMessage & { body: { reason: TransferCloseReason } };
}

// ---------------------------------------------------------------- machines

/**
 * The device during pairing (QR or manual code). A problem report ends the attempt (`refused`).
 * pair-response is the device's attestation (`attested`: nothing recorded yet); the phone's
 * request-credential for the owner imprint, on the pairing thread (pthid), confirms it.
 */
export const PAIRING_DEVICE = defineMachine(PAIRING_PIURI, 'device', ['paired', 'refused'], [
  ['start', 'receive:pair-request', 'request-received'],
  ['request-received', 'send:pair-response', 'attested'],
  ['attested', 'receive:request-credential', 'confirmed'],
  ['confirmed', 'send:issue-credential', 'paired'],
  ['confirmed', 'send:problem-report', 'refused'],
  ['request-received', 'send:problem-report', 'refused'],
  ['start', 'receive:spake2plus-params-request', 'params-requested'],
  ['params-requested', 'send:spake2plus-params', 'params-sent'],
  ['params-requested', 'send:problem-report', 'refused'],
  ['params-sent', 'receive:spake2plus-start', 'pake-started'],
  ['pake-started', 'send:spake2plus-response', 'pake-responded'],
  ['pake-started', 'send:problem-report', 'refused'],
  ['pake-responded', 'receive:spake2plus-confirm', 'pake-confirmed'],
  ['pake-confirmed', 'send:pair-response', 'attested'],
  ['pake-confirmed', 'send:problem-report', 'refused'],
]);

/** The phone during pairing. From `attested` a phone whose attestation checks fail just stops (sends nothing). */
export const PAIRING_PHONE = defineMachine(PAIRING_PIURI, 'phone', ['paired', 'refused'], [
  ['start', 'send:pair-request', 'request-sent'],
  ['request-sent', 'receive:pair-response', 'attested'],
  ['attested', 'send:request-credential', 'confirming'],
  ['confirming', 'receive:issue-credential', 'paired'],
  ['confirming', 'receive:problem-report', 'refused'],
  ['request-sent', 'receive:problem-report', 'refused'],
  ['start', 'send:spake2plus-params-request', 'params-requested'],
  ['params-requested', 'receive:spake2plus-params', 'params-received'],
  ['params-requested', 'receive:problem-report', 'refused'],
  ['params-received', 'send:spake2plus-start', 'pake-started'],
  ['pake-started', 'receive:spake2plus-response', 'pake-responded'],
  ['pake-started', 'receive:problem-report', 'refused'],
  ['pake-responded', 'send:spake2plus-confirm', 'pake-confirmed'],
  ['pake-responded', 'send:problem-report', 'refused'],
  ['pake-confirmed', 'receive:pair-response', 'attested'],
  ['pake-confirmed', 'receive:problem-report', 'refused'],
]);

/** The device's side of a transfer window (thread started by transfer-open). */
export const TRANSFER_DEVICE = defineMachine(PAIRING_PIURI, 'transfer-device', ['closed', 'refused'], [
  ['start', 'receive:transfer-open', 'open-requested'],
  ['open-requested', 'send:transfer-opened', 'open'],
  ['open-requested', 'send:problem-report', 'refused'],
  ['open', 'send:transfer-closed', 'closed'],
  ['open', 'receive:transfer-closed', 'closed'],
]);

/** The owner's side of a transfer window. */
export const TRANSFER_OWNER = defineMachine(PAIRING_PIURI, 'transfer-owner', ['closed', 'refused'], [
  ['start', 'send:transfer-open', 'open-requested'],
  ['open-requested', 'receive:transfer-opened', 'open'],
  ['open-requested', 'receive:problem-report', 'refused'],
  ['open', 'receive:transfer-closed', 'closed'],
  ['open', 'send:transfer-closed', 'closed'],
]);
