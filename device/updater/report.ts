/**
 * The device's signed firmware status report (issue step 6): installed,
 * failed with a reason, or reverted.
 *
 * Form: the report is a DIDComm v2 *plaintext* message object (id, type,
 * from, to, created_time, body), signed as a JWS in compact serialization
 * with EdDSA by the device key (header `{alg, kid, cty}`, `cty` =
 * `application/didcomm-plain+json`). Compact because it fits one MQTT
 * payload or one log line and needs no DIDComm envelope code on the
 * device; a DIDComm stack can carry the same plaintext in a signed or
 * encrypted envelope later without changing the body.
 *
 * The id is derived from (status, sequence, digest): queuing the same
 * outcome twice (a power cut between queuing and clearing) yields the same
 * report, which the manufacturer can de-duplicate.
 */
import { getCrypto } from '../../protocols/crypto/index.ts';
import type { PublicKey } from '../../protocols/did/keys.ts';
import { base64urlDecode, base64urlEncode } from '../../protocols/encoding/base64url.ts';
import { bytesToHex, utf8Decode, utf8Encode } from '../../protocols/encoding/bytes.ts';
import { FirmwareError } from '../../protocols/errors.ts';
import type { Signer } from '../../protocols/vc/signer.ts';

export const STATUS_REPORT_TYPE = 'https://ssiot.dev/protocols/firmware/1.0/status';
export const STATUS_REPORT_CTY = 'application/didcomm-plain+json';

export type UpdateStatus = 'installed' | 'failed' | 'reverted';

export interface StatusReportBody {
  status: UpdateStatus;
  /** Sequence number of the release the report is about. */
  sequence: number;
  /** Lowercase hex SHA-256 of that release's image. */
  digest: string;
  /** Stable error code for failed/reverted (`firmware.digest_mismatch`, `self_test_failed`, …). */
  reason?: string;
  /** What the device runs after the event. */
  running: { slot: string; sequence?: number };
}

export interface StatusReportMessage {
  id: string;
  type: typeof STATUS_REPORT_TYPE;
  from: string;
  to: string[];
  created_time: number;
  body: StatusReportBody;
}

/** Deterministic message id for an outcome (see the module comment). */
export function statusReportId(body: Pick<StatusReportBody, 'status' | 'sequence' | 'digest'>): string {
  const h = getCrypto().sha256(utf8Encode(`${body.status}\n${body.sequence}\n${body.digest}`));
  return `fw-${bytesToHex(h.subarray(0, 16))}`;
}

/** The DID part of a DID URL (`did:key:z…#z…` -> `did:key:z…`). */
function didOf(didUrl: string): string {
  const i = didUrl.indexOf('#');
  return i < 0 ? didUrl : didUrl.slice(0, i);
}

/**
 * Signs a status report as a compact JWS (EdDSA) with `signer`, the device
 * key (its verificationMethod becomes `kid`, its DID the `from`).
 */
export async function signStatusReport(body: StatusReportBody, options: { signer: Signer; to: string; now: number }): Promise<string> {
  const { signer } = options;
  if (!signer || signer.algorithm !== 'Ed25519' || typeof signer.sign !== 'function') {
    throw new FirmwareError('firmware.invalid_key', 'status reports are signed with an Ed25519 Signer');
  }
  const message: StatusReportMessage = {
    id: statusReportId(body),
    type: STATUS_REPORT_TYPE,
    from: didOf(signer.verificationMethod),
    to: [options.to],
    created_time: Math.floor(options.now / 1000),
    body,
  };
  const header = { alg: 'EdDSA', kid: signer.verificationMethod, cty: STATUS_REPORT_CTY };
  const signingInput = `${base64urlEncode(utf8Encode(JSON.stringify(header)))}.${base64urlEncode(utf8Encode(JSON.stringify(message)))}`;
  const signature = await signer.sign(utf8Encode(signingInput));
  return `${signingInput}.${base64urlEncode(signature)}`;
}

function bad(message: string): FirmwareError {
  return new FirmwareError('firmware.invalid_report', message);
}

function jsonPart(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(utf8Decode(base64urlDecode(part)));
  } catch {
    throw bad(`report ${what} is not base64url JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`report ${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * Verifies a report (the manufacturer's side): EdDSA only, the key from
 * `publicKeyFor(kid)` (which decides whether `kid` is the device's key),
 * `from` must be the kid's DID. Returns the message.
 * Errors: `firmware.invalid_report`, `firmware.bad_signature`, `firmware.unknown_key`.
 */
export async function verifyStatusReport(
  jws: string,
  publicKeyFor: (kid: string) => PublicKey | undefined | Promise<PublicKey | undefined>,
): Promise<StatusReportMessage> {
  if (typeof jws !== 'string' || jws.length > 16384) throw bad('a report is a compact JWS of at most 16 KiB');
  const parts = jws.split('.');
  if (parts.length !== 3) throw bad('a compact JWS has three parts');
  const header = jsonPart(parts[0], 'header');
  if (header.alg !== 'EdDSA') throw bad('report must be signed with EdDSA');
  if (typeof header.kid !== 'string') throw bad('report header has no kid');
  const message = jsonPart(parts[1], 'payload');
  let signature: Uint8Array;
  try {
    signature = base64urlDecode(parts[2]);
  } catch {
    throw bad('report signature is not base64url');
  }
  const key = await publicKeyFor(header.kid);
  if (!key) throw new FirmwareError('firmware.unknown_key', `unknown report key ${header.kid}`);
  if (key.kind !== 'Ed25519') throw new FirmwareError('firmware.key_mismatch', 'EdDSA reports need an Ed25519 key');
  if (!getCrypto().ed25519Verify(signature, utf8Encode(`${parts[0]}.${parts[1]}`), key.bytes)) {
    throw new FirmwareError('firmware.bad_signature', 'status report signature does not verify');
  }
  if (message.type !== STATUS_REPORT_TYPE) throw bad('not a firmware status report');
  if (message.from !== didOf(header.kid)) throw bad('report from is not the signing key DID');
  const body = message.body as Record<string, unknown> | undefined;
  if (!body || !['installed', 'failed', 'reverted'].includes(body.status as string) || typeof body.sequence !== 'number') throw bad('report body');
  return message as unknown as StatusReportMessage;
}
