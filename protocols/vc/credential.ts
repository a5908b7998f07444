/**
 * W3C Verifiable Credentials Data Model 2.0: the credential's JSON shape and
 * its validity period. Only what the data model itself requires is checked
 * here; the proof (Data Integrity) is checked in data-integrity.ts.
 *
 * Only the generic `credentialStatus` shape (VC DM 2.0 §4.10: object(s) with
 * a `type`, optional URL `id`) is checked here; Bitstring Status List entries
 * are evaluated in status-list.ts (verifyCredential's `checkStatus` option).
 */
import { VcError } from '../errors.ts';
import { parseDateTimeStamp } from './datetime.ts';
import type { VcProblem } from './problems.ts';

/** The base context; VC DM 2.0 §4.3 requires it first in `@context`. */
export const CREDENTIALS_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';

export type JsonLdContextEntry = string | Record<string, unknown>;

/** Issuer: a URL, or an object whose `id` is that URL (VC DM 2.0 §4.7). */
export interface IssuerObject {
  id: string;
  [property: string]: unknown;
}

export interface CredentialSubject {
  id?: string;
  [property: string]: unknown;
}

export interface CredentialStatus {
  id?: string;
  type: string | string[];
  [property: string]: unknown;
}

/**
 * A Data Integrity proof (VC Data Integrity 1.0 §2.1). `proofValue` is absent
 * only while the proof is being built.
 */
export interface DataIntegrityProof {
  type: string;
  cryptosuite?: string;
  id?: string;
  created?: string;
  expires?: string;
  verificationMethod: string;
  proofPurpose: string;
  domain?: string | string[];
  challenge?: string;
  nonce?: string;
  previousProof?: string | string[];
  '@context'?: JsonLdContextEntry | JsonLdContextEntry[];
  proofValue?: string;
  [property: string]: unknown;
}

/** A credential (unsecured, or secured when `proof` is present). */
export interface VerifiableCredential {
  '@context': JsonLdContextEntry | JsonLdContextEntry[];
  id?: string;
  type: string | string[];
  issuer: string | IssuerObject;
  credentialSubject: CredentialSubject | CredentialSubject[];
  validFrom?: string;
  validUntil?: string;
  credentialStatus?: CredentialStatus | CredentialStatus[];
  proof?: DataIntegrityProof | DataIntegrityProof[];
  [property: string]: unknown;
}

/** Plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A URL in the sense VC DM 2.0 uses for identifiers: an absolute URI with a
 * scheme (https:, did:, urn:, ...). We check the RFC 3986 scheme syntax and
 * the absence of whitespace, not each scheme's grammar (XS has no URL class).
 */
export function isUrl(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/.test(value);
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function problem(code: `vc.${string}`, message: string): VcProblem {
  return { code, message };
}

/**
 * Every way `value` departs from the VC DM 2.0 credential shape, in document
 * order (empty when it conforms). Codes: vc.invalid_json, vc.invalid_context,
 * vc.invalid_id, vc.invalid_type, vc.invalid_issuer, vc.invalid_subject,
 * vc.invalid_datetime, vc.invalid_validity_period, vc.invalid_status.
 */
export function credentialShapeProblems(value: unknown): VcProblem[] {
  if (!isJsonObject(value)) return [problem('vc.invalid_json', 'credential must be a JSON object')];
  const out: VcProblem[] = [];
  const c = value;

  // @context: an ordered set whose first item is the v2 URL, then URLs or objects.
  // Choice: a lone string equal to the v2 URL is accepted (JSON-LD compact form
  // of a one-item set); anything else must be an array.
  const ctx = c['@context'];
  if (ctx === undefined) {
    out.push(problem('vc.invalid_context', '@context is missing'));
  } else {
    const items = typeof ctx === 'string' ? [ctx] : Array.isArray(ctx) ? ctx : undefined;
    if (!items || items.length === 0 || items[0] !== CREDENTIALS_V2_CONTEXT) {
      out.push(problem('vc.invalid_context', `the first @context entry must be ${CREDENTIALS_V2_CONTEXT}`));
    } else if (!items.every((i) => isUrl(i) || isJsonObject(i))) {
      out.push(problem('vc.invalid_context', '@context entries must be URLs or objects'));
    }
  }

  if (c.id !== undefined && !isUrl(c.id)) out.push(problem('vc.invalid_id', 'id must be a URL'));

  const types = c.type;
  if (types === undefined) {
    out.push(problem('vc.invalid_type', 'type is missing'));
  } else {
    const list = asList(types);
    if (list.length === 0 || !list.every((t) => typeof t === 'string' && t.length > 0)) {
      out.push(problem('vc.invalid_type', 'type must be a string or an array of strings'));
    } else if (!list.includes('VerifiableCredential')) {
      out.push(problem('vc.invalid_type', 'type must include VerifiableCredential'));
    }
  }

  const issuer = c.issuer;
  if (issuer === undefined) {
    out.push(problem('vc.invalid_issuer', 'issuer is missing'));
  } else if (!(isUrl(issuer) || (isJsonObject(issuer) && isUrl(issuer.id)))) {
    out.push(problem('vc.invalid_issuer', 'issuer must be a URL or an object with a URL id'));
  }

  // credentialSubject: one object or a non-empty set of objects, each with at
  // least one property (VC DM 2.0 §4.8).
  const subject = c.credentialSubject;
  if (subject === undefined) {
    out.push(problem('vc.invalid_subject', 'credentialSubject is missing'));
  } else {
    const list = asList(subject);
    if (list.length === 0 || !list.every((s) => isJsonObject(s) && Object.keys(s).length > 0)) {
      out.push(problem('vc.invalid_subject', 'credentialSubject must be a non-empty object or a non-empty array of them'));
    } else if (!list.every((s) => (s as CredentialSubject).id === undefined || isUrl((s as CredentialSubject).id))) {
      out.push(problem('vc.invalid_subject', 'credentialSubject id must be a URL'));
    }
  }

  let from: number | undefined;
  let until: number | undefined;
  if (c.validFrom !== undefined) {
    from = parseDateTimeStamp(c.validFrom);
    if (from === undefined) out.push(problem('vc.invalid_datetime', 'validFrom must be an XML Schema dateTimeStamp with a timezone'));
  }
  if (c.validUntil !== undefined) {
    until = parseDateTimeStamp(c.validUntil);
    if (until === undefined) out.push(problem('vc.invalid_datetime', 'validUntil must be an XML Schema dateTimeStamp with a timezone'));
  }
  if (from !== undefined && until !== undefined && until < from) {
    out.push(problem('vc.invalid_validity_period', 'validUntil is before validFrom'));
  }

  if (c.credentialStatus !== undefined) {
    const list = asList(c.credentialStatus);
    const ok =
      list.length > 0 &&
      list.every((s) => {
        if (!isJsonObject(s)) return false;
        if (s.id !== undefined && !isUrl(s.id)) return false;
        const t = asList(s.type);
        return t.length > 0 && t.every((x) => typeof x === 'string' && x.length > 0);
      });
    if (!ok) out.push(problem('vc.invalid_status', 'credentialStatus must be object(s) with a type and an optional URL id'));
  }
  return out;
}

/**
 * Throws VcError (first problem's code) unless `value` has the VC DM 2.0
 * credential shape; narrows the type for the caller.
 */
export function validateCredentialShape(value: unknown): asserts value is VerifiableCredential {
  const problems = credentialShapeProblems(value);
  if (problems.length > 0) {
    const p = problems[0];
    throw new VcError(p.code as `vc.${string}`, p.message);
  }
}

/** The issuer's URL whether `issuer` is a string or an object. */
export function issuerId(credential: VerifiableCredential): string {
  const i = credential.issuer;
  return typeof i === 'string' ? i : i.id;
}

/**
 * Throws `vc.not_yet_valid` when `now` is before `validFrom` and `vc.expired`
 * when it is after `validUntil`. Choice: both bounds are inclusive (the
 * credential is valid at exactly validFrom and at exactly validUntil). The
 * clock is a parameter because device wall clocks may be wrong; the caller
 * decides which clock to trust. Malformed dates throw `vc.invalid_datetime`.
 */
export function checkValidityPeriod(credential: VerifiableCredential, now: Date): void {
  const t = now instanceof Date ? now.getTime() : NaN;
  if (!Number.isFinite(t)) throw new VcError('vc.invalid_datetime', 'the supplied clock value is not a valid date');
  if (credential.validFrom !== undefined) {
    const from = parseDateTimeStamp(credential.validFrom);
    if (from === undefined) throw new VcError('vc.invalid_datetime', 'validFrom is not a dateTimeStamp');
    if (t < from) throw new VcError('vc.not_yet_valid', `credential is not valid before ${credential.validFrom}`);
  }
  if (credential.validUntil !== undefined) {
    const until = parseDateTimeStamp(credential.validUntil);
    if (until === undefined) throw new VcError('vc.invalid_datetime', 'validUntil is not a dateTimeStamp');
    if (t > until) throw new VcError('vc.expired', `credential expired at ${credential.validUntil}`);
  }
}
