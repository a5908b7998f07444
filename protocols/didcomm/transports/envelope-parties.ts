/**
 * Who a packed DIDComm JWE is from and to, read from its cleartext headers
 * (no decryption: transports and brokers stay content-blind): routing for
 * hosts that relay envelopes (the Node device link, the Moddable link, the
 * manufacturer service's send).
 */
import { base64urlDecode } from '../../encoding/base64url.ts';
import { utf8Decode } from '../../encoding/bytes.ts';

export interface EnvelopeParties {
  /** The authcrypt sender (`skid`), a DID without fragment; undefined for anoncrypt or non-JWE input. */
  sender?: string;
  recipients: string[];
}

const didOfKid = (kid: string): string => kid.split('#')[0];

/** Never throws: input that is not a general-JSON JWE has no parties. */
export function envelopeParties(packed: string): EnvelopeParties {
  try {
    const jwe = JSON.parse(packed) as { protected?: unknown; recipients?: { header?: { kid?: unknown } }[] };
    const recipients: string[] = [];
    for (const r of Array.isArray(jwe.recipients) ? jwe.recipients : []) {
      const kid = r?.header?.kid;
      if (typeof kid === 'string' && !recipients.includes(didOfKid(kid))) recipients.push(didOfKid(kid));
    }
    let sender: string | undefined;
    if (typeof jwe.protected === 'string') {
      const header = JSON.parse(utf8Decode(base64urlDecode(jwe.protected))) as { skid?: unknown };
      if (typeof header.skid === 'string') sender = didOfKid(header.skid);
    }
    return sender === undefined ? { recipients } : { sender, recipients };
  } catch {
    return { recipients: [] };
  }
}
