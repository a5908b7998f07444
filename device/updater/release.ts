/**
 * Issue steps 1 and 2 as pure checks over the trusted state: move the
 * manufacturer's DID state forward through the announced log entries,
 * authenticate the SUIT envelope with a key the *current* DID document
 * authorizes for `assertionMethod`, and check the release against the
 * device (vendor, class, anti-rollback sequence, slot size).
 *
 * Trust model (why "current"): a key rotated out of assertionMethod signs
 * nothing the device accepts any more, even manifests it signed while it
 * was valid, and a key that a later, not-yet-seen log entry will add signs
 * nothing yet. This is what makes recovery from a compromised signing key
 * work: one log entry rotating to a pre-committed key, and every manifest of
 * the old key is refused from then on.
 */
import { DidError, FirmwareError, isSsiotError } from '../../protocols/errors.ts';
import { parseDidUrl } from '../../protocols/did/did-url.ts';
import { publicKeyFromVerificationMethod, type PublicKey } from '../../protocols/did/keys.ts';
import { createStaticResolver, resolveVerificationMethod } from '../../protocols/did/resolver.ts';
import { WEBVH_ERRORS } from '../../protocols/did/webvh/codes.ts';
import type { WebvhState } from '../../protocols/did/webvh/types.ts';
import { parseVersionId, verifyLogFrom } from '../../protocols/did/webvh/verify.ts';
import { verifyEnvelope, type VerifiedEnvelope } from '../../protocols/firmware/envelope.ts';
import { firmwareTarget, type FirmwareTarget } from '../../protocols/firmware/target.ts';
import { equalBytes } from '../../protocols/encoding/bytes.ts';
import { parseDateTimeStamp } from '../../protocols/vc/datetime.ts';

/**
 * Verifies `entries` forward from `trusted` (did:webvh incremental
 * verification). The default is verifyLogFrom; tests and other DID methods
 * may supply their own. Throws DidError on any problem.
 */
export type ManufacturerLogVerifier = (trusted: WebvhState, entries: readonly unknown[], options: { now: number }) => WebvhState | Promise<WebvhState>;

export const webvhLogVerifier: ManufacturerLogVerifier = (trusted, entries, options) => verifyLogFrom(trusted, entries, { now: options.now });

/** The device's identity for SUIT conditions. */
export interface DeviceClass {
  vendorId: Uint8Array;
  classId: Uint8Array;
}

/**
 * The entries of `log` after the trusted version. An announcement may start
 * earlier than the device's anchor (the manufacturer does not know every
 * device's anchor); then it must contain the anchor entry unchanged
 * (`did.webvh_fork` otherwise) and a log that ends before the anchor is
 * `did.webvh_rollback` (truncation). Gaps and reordering are left to the
 * log verifier.
 */
export function entriesSince(trusted: WebvhState, log: readonly unknown[]): unknown[] {
  if (log.length === 0) return [];
  const first = log[0] as { versionId?: unknown } | null;
  let firstNumber: number;
  try {
    firstNumber = parseVersionId(first?.versionId).number;
  } catch {
    return [...log]; // malformed: the verifier names the problem
  }
  if (firstNumber > trusted.versionNumber) return [...log];
  const at = trusted.versionNumber - firstNumber;
  if (at >= log.length) {
    throw new DidError(WEBVH_ERRORS.rollback, `the announced log ends before the trusted version ${trusted.versionNumber}`);
  }
  if ((log[at] as { versionId?: unknown } | null)?.versionId !== trusted.versionId) {
    throw new DidError(WEBVH_ERRORS.fork, `the announced log's entry ${trusted.versionNumber} is not the trusted ${trusted.versionId}`);
  }
  return log.slice(at + 1);
}

/**
 * Step 1a: the manufacturer state after `log`. `now` is the device clock,
 * floored at the latest time already seen (a clock that was set back does
 * not make known entries "future").
 */
export async function advanceManufacturer(
  trusted: WebvhState,
  lastSeen: string,
  log: readonly unknown[],
  now: number,
  verify: ManufacturerLogVerifier = webvhLogVerifier,
): Promise<WebvhState> {
  const entries = entriesSince(trusted, log);
  if (entries.length === 0) return trusted;
  const floor = parseDateTimeStamp(lastSeen) ?? 0;
  const next = await verify(trusted, entries, { now: Math.max(now, floor) });
  if (next.scid !== trusted.scid) throw new DidError(WEBVH_ERRORS.invalidScid, 'the log verifier returned another DID');
  return next;
}

export interface AuthenticatedRelease {
  target: FirmwareTarget;
  verified: VerifiedEnvelope;
  /** DID URL of the verification method that signed. */
  kid: string;
}

/**
 * Step 1b: the envelope is signed by a verification method of the
 * manufacturer's current DID document listed under assertionMethod.
 * Blocks without a kid, or naming another DID, are skipped; if no block
 * verifies, the first reason a kid was refused is the error
 * (`firmware.key_not_authorized`, `firmware.wrong_signer`), else
 * `firmware.unknown_key`. Bad signatures by an authorized key are
 * `firmware.bad_signature`.
 */
export async function authenticateRelease(envelope: Uint8Array, manufacturer: WebvhState, options: { maxBytes?: number } = {}): Promise<AuthenticatedRelease> {
  if (manufacturer.parameters.deactivated) throw new FirmwareError('firmware.manufacturer_deactivated', `${manufacturer.did} is deactivated`);
  const resolver = createStaticResolver([manufacturer.document]);
  let refusal: FirmwareError | undefined;
  const publicKeyFor = async (kid: string | undefined): Promise<PublicKey | undefined> => {
    if (kid === undefined) return undefined;
    let did: string;
    try {
      did = parseDidUrl(kid).did;
    } catch {
      refusal ??= new FirmwareError('firmware.wrong_signer', 'COSE kid is not a DID URL');
      return undefined;
    }
    if (did !== manufacturer.did) {
      refusal ??= new FirmwareError('firmware.wrong_signer', `signed by ${did}, not the manufacturer ${manufacturer.did}`);
      return undefined;
    }
    try {
      return publicKeyFromVerificationMethod(await resolveVerificationMethod(resolver, kid, 'assertionMethod'));
    } catch (e) {
      refusal ??= new FirmwareError('firmware.key_not_authorized', `${kid} is not an assertionMethod of ${manufacturer.versionId}`, { cause: e });
      return undefined;
    }
  };
  let verified: VerifiedEnvelope;
  try {
    verified = await verifyEnvelope(envelope, { publicKeyFor, maxBytes: options.maxBytes });
  } catch (e) {
    if (isSsiotError(e) && e.code === 'firmware.unknown_key' && refusal) throw refusal;
    throw e;
  }
  return { target: firmwareTarget(verified.manifest), verified, kid: verified.signer.kid! };
}

/**
 * Step 2 (device side): vendor and class conditions, anti-rollback
 * (`firmware.rollback` below the installed sequence, `firmware.replay` at
 * it), and the slot size.
 */
export function checkRelease(target: FirmwareTarget, device: DeviceClass, installedSequence: number, slotCapacity: number): void {
  if (!equalBytes(target.vendorId, device.vendorId)) throw new FirmwareError('firmware.wrong_vendor', 'the manifest is for another vendor');
  if (!equalBytes(target.classId, device.classId)) throw new FirmwareError('firmware.wrong_class', 'the manifest is for another device class');
  if (target.sequenceNumber < installedSequence) {
    throw new FirmwareError('firmware.rollback', `sequence ${target.sequenceNumber} is below the installed ${installedSequence}`);
  }
  if (target.sequenceNumber === installedSequence) throw new FirmwareError('firmware.replay', `sequence ${target.sequenceNumber} is already installed`);
  if (target.size > slotCapacity) throw new FirmwareError('firmware.slot_too_small', `image of ${target.size} bytes does not fit the ${slotCapacity}-byte slot`);
  if (target.digest.algorithm !== 'sha-256' && target.digest.algorithm !== 'sha-512') {
    throw new FirmwareError('firmware.unsupported_algorithm', 'unsupported image digest');
  }
}
