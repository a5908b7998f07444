/**
 * The owner imprint and the device's revocation list.
 *
 * The device is the issuer of its owners' imprints, so it keeps the
 * Bitstring Status List they point to. Stored compactly (the list is
 * 131,072 bits = 16 KiB, too big to rewrite on every change on a small
 * device): the indexes taken and the indexes revoked, one wallet record;
 * the signed BitstringStatusListCredential is built when someone asks for it.
 *
 * Choice (issue 6 says a factory reset wipes "issued-credential state"):
 * the reset forgets which credential was issued to whom, but keeps the
 * revocation list itself and the taken indexes — otherwise the old imprint
 * could not read as revoked and an index could be reused.
 */
import { formatDateTimeStamp } from '../protocols/vc/datetime.ts';
import { issueCredential } from '../protocols/vc/issue.ts';
import { createStatusList, randomStatusIndex, setStatus, statusListCredential, statusListEntry } from '../protocols/vc/status-list.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import { OWNER_IMPRINT_TYPE, type DeviceDescription } from '../protocols/vc/device-credentials.ts';
import { deviceSigner, RECORD } from './manufacture.ts';
import { getRecord, putRecord } from './store.ts';

interface StatusRecord {
  taken: number[];
  revoked: number[];
}

/** The status list credential's id: a DID URL path under the device's DID (served over DIDComm or stapled). */
export function statusListId(deviceDid: string): string {
  return `${deviceDid}/status/1`;
}

async function loadStatus(wallet: Wallet): Promise<StatusRecord> {
  return (await getRecord<StatusRecord>(wallet, RECORD, 'status')) ?? { taken: [], revoked: [] };
}

/** Reserves a fresh random index (one write) for a credential about to be issued. */
export async function reserveStatusIndex(wallet: Wallet): Promise<number> {
  const s = await loadStatus(wallet);
  const taken = new Set(s.taken);
  const index = randomStatusIndex(createStatusList(), (i) => taken.has(i));
  s.taken.push(index);
  await putRecord(wallet, RECORD, 'status', s);
  return index;
}

/** Sets the revocation bit of `index` (one write; idempotent). */
export async function revokeStatusIndex(wallet: Wallet, index: number): Promise<void> {
  const s = await loadStatus(wallet);
  if (s.revoked.includes(index)) return;
  s.revoked.push(index);
  await putRecord(wallet, RECORD, 'status', s);
}

export async function isRevoked(wallet: Wallet, index: number): Promise<boolean> {
  return (await loadStatus(wallet)).revoked.includes(index);
}

/** The owner-imprint VC: issuer the device did:key, subject the owner's DID (serial, model, since). */
export async function issueOwnerImprint(
  wallet: Wallet,
  device: DeviceDescription,
  o: { owner: string; since: Date; statusIndex: number },
): Promise<VerifiableCredential> {
  const since = formatDateTimeStamp(o.since);
  const credential = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential', OWNER_IMPRINT_TYPE],
    issuer: device.did,
    validFrom: since,
    credentialSubject: { id: o.owner, serial: device.serial, model: device.model, since },
    credentialStatus: statusListEntry({ statusListCredential: statusListId(device.did), statusListIndex: o.statusIndex, statusPurpose: 'revocation' }),
  };
  return issueCredential(credential, { signer: deviceSigner(wallet, device.did), now: o.since });
}

/** The signed BitstringStatusListCredential of the device's imprints, as of `now`. */
export async function buildStatusListCredential(wallet: Wallet, deviceDid: string, now: Date): Promise<VerifiableCredential> {
  const s = await loadStatus(wallet);
  const list = createStatusList();
  for (const i of s.revoked) setStatus(list, i, true);
  const vc = statusListCredential({ id: statusListId(deviceDid), issuer: deviceDid, purpose: 'revocation', list, validFrom: now });
  return issueCredential(vc, { signer: deviceSigner(wallet, deviceDid), now });
}
