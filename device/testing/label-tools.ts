/** Test helpers that forge labels (attack tests): decode an OOB URL, change the pairing attachment, re-encode. */
import { base64urlEncode } from '../../protocols/encoding/base64url.ts';
import { encodeOobUrl, parseOobUrl } from '../../protocols/messages/out-of-band.ts';
import type { PlaintextMessage } from '../../protocols/didcomm/message.ts';
import { PAIRING_ATTACHMENT } from '../../protocols/messages/pairing-attestation.ts';

export interface LabelTools {
  invitation: PlaintextMessage;
  commitment: string;
  withSecret(secret: Uint8Array): string;
  withCommitment(commitment: string): string;
}

export function decodeOobUrlInvitation(url: string): LabelTools {
  const parsed = parseOobUrl(url);
  if (parsed.kind !== 'invitation') throw new Error('not an invitation URL');
  const inv = parsed.invitation;
  const pairing = () => (inv.attachments ?? []).find((a) => a.id === PAIRING_ATTACHMENT)!.data.json as Record<string, string>;
  const withPairing = (change: Record<string, string>): string => {
    const copy = JSON.parse(JSON.stringify(inv)) as PlaintextMessage;
    const att = (copy.attachments ?? []).find((a) => a.id === PAIRING_ATTACHMENT)!;
    att.data.json = { ...(att.data.json as Record<string, string>), ...change };
    return encodeOobUrl(copy, 'https://ssiot.dev/pair');
  };
  return {
    invitation: inv,
    commitment: pairing().commitment,
    withSecret: (secret) => withPairing({ secret: base64urlEncode(secret) }),
    withCommitment: (commitment) => withPairing({ commitment }),
  };
}
