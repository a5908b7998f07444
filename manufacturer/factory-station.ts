/**
 * The factory station: the manufacturer's side of manufacture, as a plain
 * function (the manufacturer service will host it). It issues the *device
 * certificate*: a VC from the manufacturer's did:webvh to the device's own
 * did:key, stating what the manufacturer vouches for (model, serial,
 * vendor id, class id, hardware revision). The device generated its key
 * itself; the station only ever sees the public DID.
 *
 * Neutral on purpose (no Node built-ins): it only needs the manufacturer's
 * Signer and its verified did:webvh log.
 */
import { resolveDidKey } from '../protocols/did/key.ts';
import { verifyLog } from '../protocols/did/webvh/verify.ts';
import type { LogEntry } from '../protocols/did/webvh/types.ts';
import { VcError } from '../protocols/errors.ts';
import { formatDateTimeStamp } from '../protocols/vc/datetime.ts';
import { issueCredential } from '../protocols/vc/issue.ts';
import type { Signer } from '../protocols/vc/signer.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import { DEVICE_CERTIFICATE_TYPE, type DeviceDescription } from '../protocols/vc/device-credentials.ts';

export interface FactoryStationOptions {
  /** Signs as a verification method of the manufacturer's DID (listed in assertionMethod of its latest document). */
  signer: Signer;
  /** The manufacturer's did:webvh log (verified here so a station with a stale or wrong key fails at the factory). */
  log: readonly LogEntry[];
  now?: Date;
}

/**
 * Issues the device certificate for `device` (its did:key and description).
 * Errors: `vc.invalid_subject` (not a did:key), the did:webvh log errors,
 * `vc.invalid_signer` (the signer's key is not an assertion key of the
 * manufacturer's current document).
 */
export async function issueDeviceCertificate(device: DeviceDescription, o: FactoryStationOptions): Promise<VerifiableCredential> {
  if (typeof device.did !== 'string' || !device.did.startsWith('did:key:')) throw new VcError('vc.invalid_subject', 'the device subject must be a did:key');
  resolveDidKey(device.did); // refuses a malformed did:key
  const now = o.now ?? new Date();
  const state = verifyLog(o.log, { now });
  const assertion = (state.document.assertionMethod ?? []).map((r) => (typeof r === 'string' ? r : r.id));
  const vm = o.signer.verificationMethod;
  if (!assertion.some((id) => id === vm || state.document.id + id === vm)) {
    throw new VcError('vc.invalid_signer', 'the station signer is not an assertion key of the manufacturer DID');
  }
  const credential = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential', DEVICE_CERTIFICATE_TYPE],
    issuer: state.did,
    validFrom: formatDateTimeStamp(now),
    credentialSubject: {
      id: device.did,
      model: device.model,
      serial: device.serial,
      vendorId: device.vendorId,
      classId: device.classId,
      hardwareRevision: device.hardwareRevision,
    },
  };
  return issueCredential(credential, { signer: o.signer, now });
}
