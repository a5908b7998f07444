/**
 * The verifier's side of a proof of ownership (present-proof 3.0): any
 * verifier that trusts one manufacturer DID checks a presented VP and says
 * what it checked, in order:
 *
 *   presentation  the VP's authentication proof verifies with this
 *                 verifier's challenge and domain, and its holder controls
 *                 the proof key (verifyPresentation; the imprint is a bound
 *                 credential, so it must be about the holder)
 *   chain         imprint -> device certificate -> manufacturer DID
 *                 (verifyImprintChain, status included when configured)
 *   binding       the imprint's subject (the owner) is the VP's holder
 *
 * Never throws: codes of the failed checks go into `errors` (the VC codes,
 * e.g. vc.holder_mismatch, vc.imprint_revoked, vc.untrusted_manufacturer).
 * Platform-neutral.
 */
import type { DidResolver } from '../protocols/did/types.ts';
import { isSsiotError } from '../protocols/errors.ts';
import { isJsonObject } from '../protocols/vc/credential.ts';
import { DEVICE_CERTIFICATE_TYPE, OWNER_IMPRINT_TYPE, verifyImprintChain } from '../protocols/vc/device-credentials.ts';
import { verifyPresentation } from '../protocols/vc/presentation.ts';
import type { StatusCheckSettings } from '../protocols/vc/status-list.ts';

export interface OwnershipCheckOptions {
  resolver: DidResolver;
  /** The one manufacturer DID this verifier trusts. */
  manufacturerDid: string;
  challenge: string;
  domain: string;
  now?: Date;
  checkStatus?: StatusCheckSettings;
}

export interface OwnershipCheckResult {
  verified: boolean;
  /** The checks made, in order (what the ack reports). */
  checks: string[];
  /** Codes of the failed checks, without duplicates. */
  errors: string[];
  owner?: string;
  device?: string;
  serial?: string;
}

function ofType(list: unknown[], type: string): unknown {
  return list.find((c) => isJsonObject(c) && (Array.isArray(c.type) ? c.type.includes(type) : c.type === type));
}

/** Checks a proof-of-ownership VP; see the module comment. */
export async function checkOwnershipPresentation(vp: unknown, o: OwnershipCheckOptions): Promise<OwnershipCheckResult> {
  const errors: string[] = [];
  const fail = (code: string): void => {
    if (!errors.includes(code)) errors.push(code);
  };
  const checks = ['presentation', 'chain', 'binding'];
  const result: OwnershipCheckResult = { verified: false, checks, errors };
  const p = await verifyPresentation(vp, {
    resolver: o.resolver,
    challenge: o.challenge,
    domain: o.domain,
    now: o.now,
    boundSubjectTypes: [OWNER_IMPRINT_TYPE],
    checkStatus: o.checkStatus,
  });
  for (const e of p.errors) fail(e.code);
  const list = isJsonObject(vp) && Array.isArray(vp.verifiableCredential) ? (vp.verifiableCredential as unknown[]) : [];
  const imprint = ofType(list, OWNER_IMPRINT_TYPE);
  const certificate = ofType(list, DEVICE_CERTIFICATE_TYPE);
  if (!imprint || !certificate) {
    fail('vc.missing_credential');
    return result;
  }
  try {
    const chain = await verifyImprintChain(imprint, certificate, { resolver: o.resolver, manufacturerDid: o.manufacturerDid, now: o.now, checkStatus: o.checkStatus });
    result.owner = chain.owner;
    result.device = chain.device.did;
    result.serial = chain.device.serial;
    if (p.holder === undefined || chain.owner !== p.holder) fail('vc.holder_mismatch');
  } catch (e) {
    fail(isSsiotError(e) ? e.code : 'vc.verification_failed');
  }
  result.verified = errors.length === 0;
  return result;
}
