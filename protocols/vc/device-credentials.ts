/**
 * The two credentials of the device story and their checks:
 *  - the device certificate (issuer: manufacturer did:webvh, subject: the
 *    device did:key; model, serial, vendor id, class id, hardware revision);
 *  - the owner imprint (issuer: the device did:key, subject: the owner's
 *    DID; serial, model, since), revocable through the device's Bitstring
 *    Status List.
 * A verifier that trusts only the manufacturer DID checks the chain
 * imprint → device certificate → manufacturer DID with verifyImprintChain.
 *
 * The checks are used by the device, the owner agent, the factory station
 * and any verifier, so they live in protocols/ (nothing imports device/).
 */
import type { DidResolver } from '../did/types.ts';
import { publicKeyFromDidKey } from '../did/key.ts';
import { VcError } from '../errors.ts';
import { isJsonObject, type VerifiableCredential } from './credential.ts';
import { verifyCredential } from './verify.ts';
import type { StatusCheckSettings } from './status-list.ts';

export const DEVICE_CERTIFICATE_TYPE = 'DeviceCertificate';
export const OWNER_IMPRINT_TYPE = 'OwnerImprint';

/** What the factory station certifies about a device. */
export interface DeviceDescription {
  /** The device's did:key (Ed25519, generated on the device). */
  did: string;
  model: string;
  serial: string;
  vendorId: string;
  classId: string;
  hardwareRevision: string;
}

function typesOf(vc: VerifiableCredential): string[] {
  return Array.isArray(vc.type) ? (vc.type as string[]) : [vc.type as unknown as string];
}

function subjectOf(vc: VerifiableCredential): Record<string, unknown> {
  const s = vc.credentialSubject as unknown;
  const one = Array.isArray(s) ? s[0] : s;
  if (!isJsonObject(one)) throw new VcError('vc.invalid_device_certificate', 'credential has no subject');
  return one;
}

/**
 * Checks a device certificate: signature and validity (verifyCredential),
 * type, issuer = `manufacturerDid`, subject a did:key with the description
 * fields. Returns the description. `device.invalid_certificate` with the
 * VC problem codes in the message when it fails.
 */
export async function verifyDeviceCertificate(
  certificate: unknown,
  o: { resolver: DidResolver; manufacturerDid: string; now?: Date },
): Promise<DeviceDescription> {
  const r = await verifyCredential(certificate, { resolver: o.resolver, now: o.now });
  if (!r.verified) throw new VcError('vc.invalid_device_certificate', `device certificate does not verify (${r.errors.map((e) => e.code).join(', ')})`);
  const vc = certificate as VerifiableCredential;
  if (!typesOf(vc).includes(DEVICE_CERTIFICATE_TYPE)) throw new VcError('vc.invalid_device_certificate', 'not a device certificate');
  const issuer = typeof vc.issuer === 'string' ? vc.issuer : (vc.issuer as { id: string }).id;
  if (issuer !== o.manufacturerDid) throw new VcError('vc.untrusted_manufacturer', 'device certificate is not from the trusted manufacturer');
  const s = subjectOf(vc);
  const fields = ['id', 'model', 'serial', 'vendorId', 'classId', 'hardwareRevision'];
  for (const f of fields) if (typeof s[f] !== 'string') throw new VcError('vc.invalid_device_certificate', `device certificate lacks ${f}`);
  if (!(s.id as string).startsWith('did:key:')) throw new VcError('vc.invalid_device_certificate', 'device certificate subject is not a did:key');
  publicKeyFromDidKey(s.id as string);
  return { did: s.id as string, model: s.model as string, serial: s.serial as string, vendorId: s.vendorId as string, classId: s.classId as string, hardwareRevision: s.hardwareRevision as string };
}

export interface ImprintChain {
  device: DeviceDescription;
  owner: string;
  since: string;
}

/**
 * Checks an owner imprint and the device certificate it rests on, back to
 * `manufacturerDid`: the certificate verifies and names the device; the
 * imprint verifies, is issued by that device's did:key, and (with
 * `checkStatus`) is not revoked in the device's status list.
 */
export async function verifyImprintChain(
  imprint: unknown,
  certificate: unknown,
  o: { resolver: DidResolver; manufacturerDid: string; now?: Date; checkStatus?: StatusCheckSettings },
): Promise<ImprintChain> {
  const device = await verifyDeviceCertificate(certificate, o);
  const r = await verifyCredential(imprint, { resolver: o.resolver, now: o.now, checkStatus: o.checkStatus });
  if (!r.verified) {
    const revoked = r.errors.some((e) => e.code === 'vc.revoked' || e.code === 'vc.status_revoked');
    throw new VcError(revoked ? 'vc.imprint_revoked' : 'vc.invalid_imprint', `owner imprint does not verify (${r.errors.map((e) => e.code).join(', ')})`);
  }
  const vc = imprint as VerifiableCredential;
  if (!typesOf(vc).includes(OWNER_IMPRINT_TYPE)) throw new VcError('vc.invalid_imprint', 'not an owner imprint');
  const issuer = typeof vc.issuer === 'string' ? vc.issuer : (vc.issuer as { id: string }).id;
  if (issuer !== device.did) throw new VcError('vc.invalid_imprint', 'the imprint is not issued by the certified device');
  const s = subjectOf(vc);
  if (typeof s.id !== 'string' || typeof s.since !== 'string') throw new VcError('vc.invalid_imprint', 'imprint subject lacks id or since');
  if (s.serial !== device.serial || s.model !== device.model) throw new VcError('vc.invalid_imprint', 'imprint names another device than its certificate');
  return { device, owner: s.id, since: s.since };
}
