/**
 * Manufacture, on the device. First boot: the device generates its own
 * Ed25519 identity key inside the wallet (it never leaves: signing happens
 * through wallet.keys) and a did:peer:2 for pairing. At the factory station
 * it hands out its did:key, receives the device certificate, verifies it
 * against the manufacturer's did:webvh log, pins the manufacturer DID and
 * the verified log state as its trust anchor (the firmware updater's trusted
 * state), and creates its pairing material: a 32-byte one-time pairing
 * secret, a manual setup code of which only the SPAKE2+ verifier record is
 * kept, and the label (OOB invitation URL + manual code).
 *
 * Every step is idempotent and ends in one write, so a power cut anywhere
 * is repaired by running it again at the next boot.
 *
 * Choice: the pairing DID's DIDComm keys are a wallet item (encrypted at
 * rest) rather than wallet.keys, because the DIDComm packer takes a
 * SecretsResolver (private keys), not the wallet's KeyOperations yet; the
 * device identity key, which signs certificates' chain of trust, is a
 * wallet key and is only ever used by handle.
 */
import { getCrypto } from '../protocols/crypto/index.ts';
import { didKeyFromPublicKey } from '../protocols/did/key.ts';
import { parseSecret, type ParsedSecret } from '../protocols/did/keys.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import type { JwkSecret } from '../protocols/did/types.ts';
import type { LogEntry, WebvhState } from '../protocols/did/webvh/types.ts';
import { verifyLog } from '../protocols/did/webvh/verify.ts';
import { base64urlDecode, base64urlEncode } from '../protocols/encoding/base64url.ts';
import { utf8Encode } from '../protocols/encoding/bytes.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import { createInvitation, encodeOobUrl, PAIR_DEVICE_GOAL_CODE } from '../protocols/messages/out-of-band.ts';
import { createVerifierRecord, DEFAULT_PBKDF, type PbkdfParams } from '../protocols/pake/registration.ts';
import { formatSetupCode, generateSetupCode } from '../protocols/pake/setup-code.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import type { Signer } from '../protocols/vc/signer.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import { verifyDeviceCertificate, type DeviceDescription } from '../protocols/vc/device-credentials.ts';
import { DeviceError } from './errors.ts';
import type { LabelOutput } from './host.ts';
import { keyCommitment, PAIRING_ATTACHMENT } from '../protocols/messages/pairing-attestation.ts';
import { getRecord, putRecord } from './store.ts';
import { provisionUpdater } from './updater/updater.ts';
import { loadTrustedState } from './updater/trusted-state.ts';
import type { KeyValueStore } from './updater/host.ts';

/** The wallet handle of the device identity key. */
export const DEVICE_KEY_KID = 'device-key';
export const RECORD = 'device:record';

/** What the firmware knows about the hardware it runs on (flashed at the factory). */
export type HardwareInfo = Omit<DeviceDescription, 'did'>;

export interface DeviceIdentity {
  /** did:key of the identity key. */
  did: string;
  publicKey: Uint8Array;
  /** The pairing did:peer:2 (service: the local endpoint). */
  pairingDid: string;
}

interface IdentityRecord {
  did: string;
  pairingDid: string;
  pairingSecrets: JwkSecret[];
}

/** Creates (or finds) the device's keys and DIDs. Idempotent. */
export async function ensureIdentity(wallet: Wallet, endpoint: string): Promise<DeviceIdentity> {
  const existing = await getRecord<IdentityRecord>(wallet, RECORD, 'identity');
  const key = (await wallet.keys.getKey(DEVICE_KEY_KID)) ?? (await wallet.keys.create('Ed25519', { kid: DEVICE_KEY_KID }));
  const did = didKeyFromPublicKey(key.publicKey);
  if (existing && existing.did === did) return { did, publicKey: key.publicKey.bytes, pairingDid: existing.pairingDid };
  const pairing = generateDidPeer2({ serviceUri: endpoint });
  const record: IdentityRecord = { did, pairingDid: pairing.did, pairingSecrets: pairing.secrets as JwkSecret[] };
  await putRecord(wallet, RECORD, 'identity', record);
  return { did, publicKey: key.publicKey.bytes, pairingDid: pairing.did };
}

/** The DIDComm secrets of the pairing DID (read from the wallet when a message needs them). */
export async function pairingSecrets(wallet: Wallet): Promise<ParsedSecret[]> {
  const r = await getRecord<IdentityRecord>(wallet, RECORD, 'identity');
  if (!r) throw new DeviceError('device.not_manufactured', 'the device has no identity yet');
  return r.pairingSecrets.map((s) => parseSecret(s));
}

/** A Signer over the wallet-held identity key (for the VCs the device issues). */
export function deviceSigner(wallet: Wallet, did: string): Signer {
  const fragment = did.slice('did:key:'.length);
  return { verificationMethod: `${did}#${fragment}`, algorithm: 'Ed25519', sign: (data) => wallet.keys.sign(DEVICE_KEY_KID, data) };
}

/** Stored pairing material: the secret the label carries, and the verifier for the manual code. */
export interface PairingMaterial {
  /** base64url of the 32-byte one-time pairing secret. */
  secret: string;
  /** The SPAKE2+ verifier record (w0, L, registration), base64url fields; never the code or w1. */
  verifier: { w0: string; L: string; salt: string; pbkdf: PbkdfParams; suite: string };
  /** The label (URL + manual code): printed once at the factory, kept to show it again. */
  label: LabelOutput;
  invitationId: string;
}

export interface Manufactured {
  certificate: VerifiableCredential;
  manufacturer: WebvhState;
  pairing: PairingMaterial;
}

export interface InstallCertificateOptions {
  hardware: HardwareInfo;
  /** scrypt parameters for the setup-code verifier (default the RFC-recommended ones; tests pass TEST_PBKDF). */
  pbkdf?: PbkdfParams;
  now: Date;
  /** Factory image's anti-rollback sequence number (default 0). */
  installedSequence?: number;
}

/**
 * The device's half of the factory station: verifies the manufacturer's log
 * and the certificate (issuer = that DID, subject = this device with this
 * hardware), pins the anchor, stores certificate and pairing material.
 * Errors: did:webvh log codes, `vc.invalid_device_certificate`,
 * `device.certificate_mismatch`, `device.anchor_conflict`.
 */
export async function installCertificate(
  wallet: Wallet,
  kv: KeyValueStore,
  identity: DeviceIdentity,
  certificate: unknown,
  log: readonly LogEntry[],
  o: InstallCertificateOptions,
): Promise<Manufactured> {
  const manufacturer = verifyLog(log, { now: o.now });
  const resolver = createDefaultResolver({ documents: [manufacturer.document] });
  const described = await verifyDeviceCertificate(certificate, { resolver, manufacturerDid: manufacturer.did, now: o.now });
  if (described.did !== identity.did) throw new DeviceError('device.certificate_mismatch', 'the certificate is for another device key');
  for (const k of Object.keys(o.hardware) as (keyof HardwareInfo)[]) {
    if (described[k] !== o.hardware[k]) throw new DeviceError('device.certificate_mismatch', `the certificate states another ${k}`);
  }
  await putRecord(wallet, RECORD, 'certificate', certificate);
  // pin the anchor (the updater's trusted state); a re-run after a power cut finds it already there
  const pinned = await loadTrustedState(kv).catch(() => undefined);
  if (!pinned) await provisionUpdater(kv, { manufacturer, installedSequence: o.installedSequence ?? 0 });
  else if (pinned.pinnedDid !== manufacturer.did) throw new DeviceError('device.anchor_conflict', 'the device is pinned to another manufacturer');
  let pairing = await getRecord<PairingMaterial>(wallet, RECORD, 'pairing');
  if (!pairing) {
    pairing = createPairingMaterial(identity, o.pbkdf ?? DEFAULT_PBKDF);
    await putRecord(wallet, RECORD, 'pairing', pairing);
  }
  return { certificate: certificate as VerifiableCredential, manufacturer, pairing };
}

/** An OOB pairing invitation from the pairing DID carrying the key commitment and `secret` (base64url). */
export function pairingInvitation(identity: DeviceIdentity, secret: string): PlaintextMessage {
  return createInvitation({
    from: identity.pairingDid,
    goalCode: PAIR_DEVICE_GOAL_CODE,
    accept: ['didcomm/v2'],
    attachments: [
      {
        id: PAIRING_ATTACHMENT,
        media_type: 'application/json',
        data: { json: { commitment: keyCommitment(identity.publicKey), secret } },
      },
    ],
  });
}

function createPairingMaterial(identity: DeviceIdentity, pbkdf: PbkdfParams): PairingMaterial {
  const c = getCrypto();
  const secret = base64urlEncode(c.randomBytes(32));
  const code = generateSetupCode(11);
  const salt = c.randomBytes(16);
  const record = createVerifierRecord(code, salt, pbkdf, { idVerifier: utf8Encode(identity.pairingDid) });
  const invitation = pairingInvitation(identity, secret);
  return {
    secret,
    verifier: {
      w0: base64urlEncode(record.w0),
      L: base64urlEncode(record.L),
      salt: base64urlEncode(salt),
      pbkdf: record.registration.pbkdf,
      suite: record.registration.suite,
    },
    // Choice: the URL base is a fixed ssiot scheme-less https URL; the phone only reads `_oob`.
    label: { url: encodeOobUrl(invitation, 'https://ssiot.dev/pair'), manualCode: formatSetupCode(code) },
    invitationId: invitation.id,
  };
}

/** The stored pairing material, decoded secret included (device-internal). */
export async function loadPairing(wallet: Wallet): Promise<(PairingMaterial & { secretBytes: Uint8Array }) | undefined> {
  const p = await getRecord<PairingMaterial>(wallet, RECORD, 'pairing');
  return p && { ...p, secretBytes: base64urlDecode(p.secret) };
}
