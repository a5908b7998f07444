/**
 * ssiot firmware 1.0 (`https://ssiot.dev/protocols/firmware/1.0`): a
 * release reaches the device as a DIDComm message, the owner approves it
 * when the policy says `ask`, and the device sends its signed status
 * report back to the manufacturer (docs/protocols.md §firmware).
 *
 *   manufacturer -- announce{envelope, log} -->  device
 *   manufacturer <-- progress{sequence, status} | problem-report e.p.firmware.refused
 *   owner        -- approve{sequence} -->  device            (policy `ask`)
 *   owner        <-- progress{sequence, status} | problem-report
 *   device       -- status{report} -->  manufacturer         (after the reboot into the new image)
 *
 * Trust does not come from the DIDComm sender: the SUIT envelope must be
 * signed by an assertionMethod key of the manufacturer's did:webvh as the
 * device verifies it forward from the anchor pinned at manufacture (the log
 * entries travel with the announcement). The status report is a compact JWS
 * signed by the device key (device/updater/report.ts), so it stays
 * verifiable wherever it is stored or forwarded; the DIDComm `status`
 * message only carries it. Choice: the carrier reuses the type URI of the
 * signed payload (`…/status`), whose body inside the JWS is the report
 * itself (status, sequence, digest, reason, running).
 */
import type { PlaintextMessage } from '../didcomm/message.ts';
import { isJsonObject } from '../didcomm/message.ts';
import type { Headers } from './fields.ts';
import { defined, int, invalid, message, ofType, oneOf, optInt, requireThid, str } from './fields.ts';
import { defineMachine } from './state-machine.ts';

export const FIRMWARE_PIURI = 'https://ssiot.dev/protocols/firmware/1.0';
export const FIRMWARE_ANNOUNCE_TYPE = `${FIRMWARE_PIURI}/announce`;
export const FIRMWARE_APPROVE_TYPE = `${FIRMWARE_PIURI}/approve`;
export const FIRMWARE_PROGRESS_TYPE = `${FIRMWARE_PIURI}/progress`;
export const FIRMWARE_STATUS_TYPE = `${FIRMWARE_PIURI}/status`;

/** Problem-report code of a refused announcement or approval (the comment carries the device's error code). */
export const FIRMWARE_REFUSED = 'e.p.firmware.refused';

/** Log entries one announcement may carry (same bound as device/updater/announcement.ts). */
export const MAX_ANNOUNCED_LOG_ENTRIES = 64;
/** Longest base64url envelope accepted (64 KiB of SUIT envelope). */
const MAX_ENVELOPE_CHARS = Math.ceil((64 * 1024 * 4) / 3) + 4;
/** Longest compact JWS report (device/updater/report.ts refuses more than 16 KiB). */
const MAX_REPORT_CHARS = 16384;

export const PROGRESS_STATUSES = ['awaiting_approval', 'interrupted', 'rebooting'] as const;
export type ProgressStatus = (typeof PROGRESS_STATUSES)[number];

export interface AnnounceOptions extends Headers {
  /** SUIT_Envelope_Tagged, base64url. */
  envelope: string;
  /** did:webvh log entries (did.jsonl lines as objects) after the device's anchor; may overlap it. */
  log: unknown[];
}

export type AnnounceMessage = PlaintextMessage & { body: { envelope: string; log: Record<string, unknown>[] } };

export function buildFirmwareAnnounce(o: AnnounceOptions): AnnounceMessage {
  return validateFirmwareAnnounce(message(FIRMWARE_ANNOUNCE_TYPE, { envelope: o.envelope, log: o.log }, o));
}

/** Shape and size only: the envelope's signature and the log are the updater's to verify. */
export function validateFirmwareAnnounce(m: unknown): AnnounceMessage {
  const msg = ofType(m, FIRMWARE_ANNOUNCE_TYPE);
  const env = str(msg.body, 'envelope', MAX_ENVELOPE_CHARS);
  if (!/^[A-Za-z0-9_-]+$/.test(env)) throw invalid('body.envelope', 'must be base64url without padding');
  const log = msg.body.log;
  if (!Array.isArray(log) || log.length > MAX_ANNOUNCED_LOG_ENTRIES || !log.every((e) => isJsonObject(e))) {
    throw invalid('body.log', `must be an array of at most ${MAX_ANNOUNCED_LOG_ENTRIES} log entry objects`);
  }
  return msg as AnnounceMessage;
}

export interface ApproveOptions extends Headers {
  sequence: number;
}

export type ApproveMessage = PlaintextMessage & { body: { sequence: number } };

export function buildFirmwareApprove(o: ApproveOptions): ApproveMessage {
  return validateFirmwareApprove(message(FIRMWARE_APPROVE_TYPE, { sequence: o.sequence }, o));
}

export function validateFirmwareApprove(m: unknown): ApproveMessage {
  const msg = ofType(m, FIRMWARE_APPROVE_TYPE);
  int(msg.body, 'sequence');
  return msg as ApproveMessage;
}

export interface ProgressOptions extends Headers {
  thid: string;
  sequence: number;
  status: ProgressStatus;
  /** Bytes written so far (status `interrupted`). */
  offset?: number;
}

export type ProgressMessage = PlaintextMessage & { body: { sequence: number; status: ProgressStatus; offset?: number } };

export function buildFirmwareProgress(o: ProgressOptions): ProgressMessage {
  return validateFirmwareProgress(message(FIRMWARE_PROGRESS_TYPE, defined({ sequence: o.sequence, status: o.status, offset: o.offset }), o));
}

export function validateFirmwareProgress(m: unknown): ProgressMessage {
  const msg = ofType(m, FIRMWARE_PROGRESS_TYPE);
  requireThid(msg);
  int(msg.body, 'sequence');
  oneOf(msg.body, 'status', PROGRESS_STATUSES);
  optInt(msg.body, 'offset');
  return msg as ProgressMessage;
}

export interface StatusOptions extends Headers {
  /** The signed status report (compact JWS, device/updater/report.ts). */
  report: string;
}

export type StatusMessage = PlaintextMessage & { body: { report: string } };

export function buildFirmwareStatus(o: StatusOptions): StatusMessage {
  return validateFirmwareStatus(message(FIRMWARE_STATUS_TYPE, { report: o.report }, o));
}

export function validateFirmwareStatus(m: unknown): StatusMessage {
  const msg = ofType(m, FIRMWARE_STATUS_TYPE);
  const report = str(msg.body, 'report', MAX_REPORT_CHARS);
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(report)) throw invalid('body.report', 'must be a compact JWS');
  return msg as StatusMessage;
}

/** The device's side of one release. */
export const FIRMWARE_DEVICE = defineMachine(FIRMWARE_PIURI, 'device', ['installed', 'refused'], [
  ['start', 'receive:announce', 'announced'],
  ['announced', 'send:problem-report', 'refused'],
  ['announced', 'send:progress', 'installing'],
  ['installing', 'receive:approve', 'installing'],
  ['installing', 'send:progress', 'installing'],
  ['installing', 'send:problem-report', 'refused'],
  ['installing', 'send:status', 'installed'],
]);
