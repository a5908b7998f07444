/**
 * The verifier's flow for "prove you own a Baratza grinder and get $1 off":
 * an ownership presentation holds an owner-imprint credential (issued by
 * the device's DID to its owner) and the device certificate (issued by the
 * manufacturer's DID to the device). The decision, each step explained:
 *
 *   1. imprint       the OwnerImprint credential verifies (signature, validity)
 *   2. certificate   the DeviceCertificate credential verifies
 *   3. binding       the imprint's issuer is the certificate's subject (the
 *                    certified device issued it); serials agree when both name one
 *   4. chain         the manufacturer's DID chains to the pinned root and may
 *                    issue DeviceCertificate (when a chain check is configured)
 *   5. registry      a registry answer proves a path from the verifier's
 *                    trusted issuers to the manufacturer above its threshold
 *                    (when a registry check is configured)
 *
 * Policy: `any` (default) accepts when steps 1-3 hold and at least one
 * configured manufacturer check (4 or 5) holds; `all` needs every
 * configured one. With neither configured the manufacturer is not trusted.
 * Never throws for bad input.
 */
import type { DidResolver } from '../did/types.ts';
import { isRecord } from '../encoding/json.ts';
import type { VerifiableCredential } from '../vc/credential.ts';
import { issuerId } from '../vc/credential.ts';
import { verifyCredential } from '../vc/verify.ts';
import { verifyAnswer, type VerifyAnswerOptions } from './answer.ts';
import { verifyChain, type VerifyChainOptions } from './chain.ts';
import type { TrustProblem } from './codes.ts';

export const OWNER_IMPRINT = 'OwnerImprint';
export const DEVICE_CERTIFICATE = 'DeviceCertificate';

export interface OwnershipOptions {
  /** Resolves the device's and manufacturer's DIDs for the credential signatures. */
  resolver: DidResolver;
  now?: Date;
  /** Downstream-DID chain check of the manufacturer (credential type DeviceCertificate is enforced). */
  chain?: Omit<VerifyChainOptions, 'credentialType' | 'now'>;
  /** Registry check: the answer the registry gave for the manufacturer, and the verifier's own settings. */
  registry?: Omit<VerifyAnswerOptions, 'issuer' | 'now'> & { answer: unknown };
  policy?: 'any' | 'all';
}

export type OwnershipCheck = 'presentation' | 'imprint' | 'certificate' | 'binding' | 'chain' | 'registry' | 'decision';

export interface OwnershipStep {
  check: OwnershipCheck;
  ok: boolean;
  message: string;
  code?: string;
  /** The sub-verification's own steps (chain, registry). */
  details?: unknown;
}

export interface OwnershipDecision {
  accepted: boolean;
  owner?: string;
  device?: string;
  manufacturer?: string;
  serial?: string;
  steps: OwnershipStep[];
  problems: TrustProblem[];
}

function hasType(vc: unknown, type: string): boolean {
  if (!isRecord(vc)) return false;
  const t = vc.type;
  return Array.isArray(t) ? t.includes(type) : t === type;
}

function subjectOf(vc: VerifiableCredential): Record<string, unknown> | undefined {
  const s = Array.isArray(vc.credentialSubject) ? vc.credentialSubject[0] : vc.credentialSubject;
  return isRecord(s) ? s : undefined;
}

/** The two credentials of a presentation: a VP (`verifiableCredential`) or `{imprint, certificate}`. */
function credentialsOf(p: unknown): { imprint?: unknown; certificate?: unknown } {
  if (!isRecord(p)) return {};
  if (p.imprint !== undefined || p.certificate !== undefined) return { imprint: p.imprint, certificate: p.certificate };
  const list = Array.isArray(p.verifiableCredential) ? p.verifiableCredential : p.verifiableCredential === undefined ? [] : [p.verifiableCredential];
  return { imprint: list.find((c) => hasType(c, OWNER_IMPRINT)), certificate: list.find((c) => hasType(c, DEVICE_CERTIFICATE)) };
}

export async function verifyOwnership(presentation: unknown, options: OwnershipOptions): Promise<OwnershipDecision> {
  const steps: OwnershipStep[] = [];
  const step = (check: OwnershipCheck, ok: boolean, message: string, code?: string, details?: unknown): void => {
    const s: OwnershipStep = { check, ok, message };
    if (!ok) s.code = code ?? 'trust.invalid_presentation';
    if (details !== undefined) s.details = details;
    steps.push(s);
  };
  const decide = (accepted: boolean, extra: Partial<OwnershipDecision> = {}): OwnershipDecision => {
    // Under policy `any`, a failed manufacturer check is explained in the steps but is no problem when another one held.
    const problems = steps
      .filter((s) => !s.ok && (!accepted || (s.check !== 'chain' && s.check !== 'registry')))
      .map((s) => ({ code: s.code as string, message: s.message }));
    return { accepted: accepted && problems.length === 0, ...extra, steps, problems };
  };

  const { imprint, certificate } = credentialsOf(presentation);
  if (!hasType(imprint, OWNER_IMPRINT) || !hasType(certificate, DEVICE_CERTIFICATE)) {
    step('presentation', false, `an ownership presentation holds an ${OWNER_IMPRINT} and a ${DEVICE_CERTIFICATE} credential`, 'trust.invalid_presentation');
    return decide(false);
  }
  const imp = imprint as VerifiableCredential;
  const cert = certificate as VerifiableCredential;

  const vi = await verifyCredential(imp, { resolver: options.resolver, now: options.now });
  const device = safeIssuer(imp);
  const ownerId = subjectOf(imp)?.id;
  const owner = typeof ownerId === 'string' ? ownerId : undefined;
  if (vi.verified) step('imprint', true, `owner imprint for ${String(owner)} signed by device ${String(device)}`);
  else step('imprint', false, `owner imprint does not verify: ${vi.errors.map((e) => e.code).join(', ')}`, 'trust.imprint_invalid', vi.errors);

  const vc = await verifyCredential(cert, { resolver: options.resolver, now: options.now });
  const manufacturer = safeIssuer(cert);
  const certified = subjectOf(cert)?.id;
  if (vc.verified) step('certificate', true, `device certificate for ${String(certified)} signed by manufacturer ${String(manufacturer)}`);
  else step('certificate', false, `device certificate does not verify: ${vc.errors.map((e) => e.code).join(', ')}`, 'trust.certificate_invalid', vc.errors);

  const impSerial = subjectOf(imp)?.serial;
  const certSerial = subjectOf(cert)?.serial;
  if (device === undefined || device !== certified) {
    step('binding', false, `the imprint was issued by ${String(device)}, the certificate is for ${String(certified)}`, 'trust.binding_mismatch');
  } else if (impSerial !== undefined && certSerial !== undefined && impSerial !== certSerial) {
    step('binding', false, `the imprint names serial ${String(impSerial)}, the certificate ${String(certSerial)}`, 'trust.binding_mismatch');
  } else {
    step('binding', true, `the imprint's issuer ${device} is the certified device${certSerial !== undefined ? ` (serial ${String(certSerial)})` : ''}`);
  }
  const credentialsHold = steps.every((s) => s.ok);

  const results: boolean[] = [];
  if (options.chain && manufacturer !== undefined) {
    const c = await verifyChain(manufacturer, { ...options.chain, credentialType: DEVICE_CERTIFICATE, now: options.now });
    results.push(c.valid);
    if (c.valid) step('chain', true, `${manufacturer} chains to root ${String(c.root)} (${c.chain.length - 1} link(s)) and may issue ${DEVICE_CERTIFICATE}`, undefined, c.steps);
    else step('chain', false, `chain of ${manufacturer}: ${c.problems.map((p) => p.message).join('; ')}`, c.problems[0]?.code, c.steps);
  }
  if (options.registry && manufacturer !== undefined) {
    const { answer, ...settings } = options.registry;
    const a = await verifyAnswer(answer, { ...settings, issuer: manufacturer, now: options.now });
    results.push(a.valid);
    if (a.valid) step('registry', true, `registry path ${a.path.join(' -> ')} scores ${String(a.score?.value)} (epoch ${String(a.epoch)})`, undefined, a.steps);
    else step('registry', false, `registry: ${a.problems.map((p) => p.message).join('; ')}`, a.problems[0]?.code, a.steps);
  }
  const policy = options.policy ?? 'any';
  const trusted = results.length > 0 && (policy === 'all' ? results.every(Boolean) : results.some(Boolean));
  if (results.length === 0) {
    step('decision', false, `no chain or registry check is configured: manufacturer ${String(manufacturer)} is not established`, 'trust.manufacturer_untrusted');
  } else if (!trusted) {
    step('decision', false, `manufacturer ${String(manufacturer)} is not trusted (policy ${policy})`, 'trust.manufacturer_untrusted');
  } else if (!credentialsHold) {
    step('decision', false, 'rejected: the credentials do not hold', 'trust.invalid_presentation');
  } else {
    step('decision', true, `accepted: ${String(owner)} owns device ${String(device)} made by ${String(manufacturer)}`);
  }
  const extra: Partial<OwnershipDecision> = { owner, device, manufacturer };
  if (typeof certSerial === 'string') extra.serial = certSerial;
  return decide(trusted && credentialsHold, extra);
}

function safeIssuer(vc: VerifiableCredential): string | undefined {
  try {
    return issuerId(vc);
  } catch {
    return undefined;
  }
}
