/**
 * The device-label invitation must fit a QR code: did:peer:2 with one
 * Ed25519 and one X25519 key and a local HTTP endpoint, goal_code
 * pair-device, a 32-byte one-time secret attachment, compact JSON and no
 * optional fields. Every part has a fixed length (multikeys, UUID id,
 * base64url of 32 bytes), so the URL length and the QR version are exact.
 */
import { describe, expect, it } from 'vitest';
import { getCrypto } from '../../protocols/crypto/index.ts';
import { publicKeyFromPrivateKey, publicKeyToMultikey } from '../../protocols/did/keys.ts';
import { createDidPeer2 } from '../../protocols/did/peer2.ts';
import { PAIR_DEVICE_GOAL_CODE, attachmentBytes, bytesAttachment, createInvitation, encodeOobUrl, parseOobUrl } from '../../protocols/messages/out-of-band.ts';
import { qrInfo, qrSvg, qrTerminal } from './qr.ts';

function deviceDid(): string {
  const c = getCrypto();
  const key = (kind: 'Ed25519' | 'X25519') => publicKeyToMultikey(publicKeyFromPrivateKey({ kind, bytes: c.randomBytes(32) }));
  return createDidPeer2({
    keys: [
      { purpose: 'verification', publicKeyMultibase: key('Ed25519') },
      { purpose: 'encryption', publicKeyMultibase: key('X25519') },
    ],
    // no `accept`: optional, and absent means the sender's preferred profile (didcomm/v2 here)
    services: [{ type: 'DIDCommMessaging', serviceEndpoint: { uri: 'http://192.168.1.23:8080/didcomm' } }],
  });
}

function labelUrl(attachments: number): { url: string; secrets: Uint8Array[] } {
  const secrets = Array.from({ length: attachments }, () => getCrypto().randomBytes(32));
  const inv = createInvitation({ from: deviceDid(), goalCode: PAIR_DEVICE_GOAL_CODE, attachments: secrets.map((s, i) => bytesAttachment(String(i), s)) });
  return { url: encodeOobUrl(inv, 'https://ssiot.example/p'), secrets };
}

describe('device pairing invitation as a QR code', () => {
  it('fits QR version 19 at error correction M (596-byte URL)', () => {
    const { url, secrets } = labelUrl(1);
    const info = qrInfo(url, 'M');
    console.log(`pairing invitation: ${url.length}-byte URL -> QR version ${info.version} (${info.modules}x${info.modules}) at EC level M; L: version ${qrInfo(url, 'L').version}`);
    expect(url.length).toBe(596);
    expect(info).toEqual({ version: 19, modules: 93, errorCorrection: 'M', bytes: 596 });
    const back = parseOobUrl(url);
    expect(back.kind === 'invitation' && attachmentBytes(back.invitation, '0')).toEqual(secrets[0]);
  });

  it('with a second 32-byte attachment (secret + key commitment) it is version 21 at M', () => {
    const { url } = labelUrl(2);
    expect(url.length).toBe(696);
    expect(qrInfo(url, 'M').version).toBe(21);
  });

  it('renders SVG and terminal forms; text beyond version 40 is refused', async () => {
    const { url } = labelUrl(1);
    expect(await qrSvg(url)).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect((await qrTerminal(url)).split('\n').length).toBeGreaterThan(40);
    expect(() => qrInfo('x'.repeat(3000), 'M')).toThrow();
  });
});
