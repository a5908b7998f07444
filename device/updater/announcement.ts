/**
 * A release announcement (issue step 1): the signed SUIT envelope and the
 * manufacturer's did:webvh log entries newer than the device's anchor.
 * Over the wire (MQTT, DIDComm body) it is JSON: the envelope in base64url,
 * the entries as JSON objects (the lines of did.jsonl).
 *
 * Bounds keep a hostile announcement cheap to refuse: at most
 * MAX_LOG_ENTRIES entries (each costs a signature check) and an envelope of
 * at most the SUIT envelope cap.
 */
import { base64urlDecode, base64urlEncode } from '../../protocols/encoding/base64url.ts';
import { FirmwareError } from '../../protocols/errors.ts';
import { ENVELOPE_DEFAULT_MAX_BYTES } from '../../protocols/firmware/envelope.ts';

export const RELEASE_ANNOUNCEMENT_TYPE = 'https://ssiot.dev/protocols/firmware/1.0/release';
/** Entries one announcement may carry (a device that fell further behind fetches the log in steps). */
export const MAX_LOG_ENTRIES = 64;

export interface ReleaseAnnouncement {
  /** SUIT_Envelope_Tagged bytes. */
  envelope: Uint8Array;
  /** did:webvh log entries (parsed did.jsonl lines) after the device's anchor; may overlap it. */
  log: unknown[];
}

export interface ReleaseAnnouncementJson {
  type: typeof RELEASE_ANNOUNCEMENT_TYPE;
  envelope: string;
  log: unknown[];
}

export function announcementToJson(a: ReleaseAnnouncement): ReleaseAnnouncementJson {
  return { type: RELEASE_ANNOUNCEMENT_TYPE, envelope: base64urlEncode(a.envelope), log: a.log };
}

function bad(message: string): FirmwareError {
  return new FirmwareError('firmware.malformed', `release announcement: ${message}`);
}

/** Reads an announcement from its JSON form; wrong shapes and sizes are typed errors. */
export function parseAnnouncement(v: unknown): ReleaseAnnouncement {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('must be a JSON object');
  const o = v as Record<string, unknown>;
  if (o.type !== RELEASE_ANNOUNCEMENT_TYPE) throw bad(`type must be ${RELEASE_ANNOUNCEMENT_TYPE}`);
  if (typeof o.envelope !== 'string') throw bad('envelope must be base64url text');
  if (o.envelope.length > Math.ceil((ENVELOPE_DEFAULT_MAX_BYTES * 4) / 3) + 4) throw new FirmwareError('firmware.too_large', 'release announcement: envelope too large');
  let envelope: Uint8Array;
  try {
    envelope = base64urlDecode(o.envelope);
  } catch (e) {
    throw new FirmwareError('firmware.malformed', 'release announcement: envelope is not base64url', { cause: e });
  }
  const log = o.log === undefined ? [] : o.log;
  if (!Array.isArray(log)) throw bad('log must be an array of did:webvh entries');
  checkLogSize(log);
  return { envelope, log };
}

export function checkLogSize(log: readonly unknown[]): void {
  if (log.length > MAX_LOG_ENTRIES) throw new FirmwareError('firmware.too_large', `release announcement: more than ${MAX_LOG_ENTRIES} log entries`);
}
