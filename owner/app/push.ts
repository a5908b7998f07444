/**
 * Which paired device a pushed envelope belongs to: the one whose pairwise
 * owner DID the JWE is encrypted to (its cleartext `recipients[].header.kid`).
 * Reading the routing header only, before any decryption, so a push for one
 * device is never tried against another device's keys (and replay state).
 */
import { EncodingError } from '../../protocols/errors.ts';
import type { PairedDevice } from '../agent.ts';

/** The DIDs a general-JSON JWE names as recipients (kid without fragment); `encoding.invalid_json` for anything else. */
export function envelopeRecipients(packed: string): string[] {
  let jwe: unknown;
  try {
    jwe = JSON.parse(packed);
  } catch (e) {
    throw new EncodingError('encoding.invalid_json', 'the pushed envelope is not JSON', { cause: e });
  }
  const recipients = (jwe as { recipients?: unknown }).recipients;
  if (!Array.isArray(recipients)) throw new EncodingError('encoding.invalid_json', 'the pushed envelope is not a general-JSON JWE');
  const out: string[] = [];
  for (const r of recipients) {
    const kid = (r as { header?: { kid?: unknown } } | null)?.header?.kid;
    if (typeof kid === 'string') out.push(kid.split('#')[0]);
  }
  return out;
}

/** The paired device the envelope is addressed to (through its owner DID), or undefined. */
export function routePush(devices: readonly PairedDevice[], packed: string): PairedDevice | undefined {
  const to = new Set(envelopeRecipients(packed));
  return devices.find((d) => to.has(d.ownerDid));
}
