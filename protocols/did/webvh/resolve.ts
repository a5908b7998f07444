/**
 * did:webvh resolution (spec §Read (Resolve), §DID URL Resolution): get the
 * log (from the caller, or through the host's `fetch` at the DID-to-HTTPS
 * URL), verify it, pick the version the DID URL asks for, and return the
 * document with the DID Resolution metadata the spec lists.
 *
 * Neutral code has no network: the host passes `fetch(url) => text`. A host
 * signals a missing log by throwing a DidError `did.not_found`; anything
 * else it throws becomes `did.webvh_fetch_failed`.
 *
 * Choices:
 *  - Versions before an invalid entry stay resolvable by `versionId`,
 *    `versionNumber` or `versionTime` (spec step 11.2); the bare DID resolves
 *    only when the whole log is valid.
 *  - A deactivated DID: `resolveWebvh` returns the last document with
 *    `deactivated: true` in the metadata (what every implementation's test
 *    vectors record); `webvhResolver` (the registry's DID -> document
 *    function, which has no metadata to carry the flag) refuses it with
 *    `did.webvh_deactivated`, as the spec's "MUST NOT return the DIDDoc" intends.
 *  - The implicit `#files` and `#whois` services are added (relative ids, as
 *    in the spec's examples) unless the document defines them.
 *  - Metadata `updated` is the last valid entry's time, also when an earlier
 *    version is asked for (spec: "the DID's last valid log entry").
 *  - Metadata `witness` is the rule the last valid entry was witnessed under
 *    ("active in the last valid DID log entry"): a replacement rule declared
 *    by that entry shows only once a later entry is under it.
 */
import { isSsiotError, DidError } from '../../errors.ts';
import { parseDateTimeStamp } from '../../vc/datetime.ts';
import type { ResolveFn } from '../resolver.ts';
import type { DidDocument, Service } from '../types.ts';
import { webvhError, WEBVH_ERRORS } from './codes.ts';
import { didBaseUrl, didToHttpsUrl, didToWitnessUrl, parseWebvhDid, webvhDidOfUrl } from './did.ts';
import { parseLogPrefix } from './log.ts';
import type { LogEntry, VerifyLogOptions, WebvhState, WitnessProofFile } from './types.ts';
import { checkDidMatch, needsWitnesses, verifyEntries, witnessPrefix, type VerifiedStep } from './verify.ts';

/** The host's HTTP GET: resolves to the body text; throws DidError `did.not_found` for a 404. */
export type WebvhFetch = (url: string) => Promise<string>;

export interface ResolveWebvhOptions {
  fetch?: WebvhFetch;
  /** The log itself (`did.jsonl` text or parsed entries); when given, nothing is fetched for it. */
  log?: string | readonly LogEntry[];
  /** `did-witness.json`; fetched beside the log when needed and not given. */
  witnessProofs?: string | WitnessProofFile;
  now?: VerifyLogOptions['now'];
  maxClockSkewSeconds?: number;
}

export interface WebvhWitnessMetadata {
  /** A string, as DID Resolution metadata carries no integers (spec §Read). */
  threshold: string;
  witnesses: { id: string }[];
}

export interface WebvhDocumentMetadata {
  versionId: string;
  versionTime: string;
  versionNumber: number;
  created: string;
  updated: string;
  scid: string;
  portable: boolean;
  deactivated: boolean;
  ttl: string;
  witness: WebvhWitnessMetadata | Record<string, never>;
  watchers: string[];
}

export interface WebvhResolution {
  didDocument: DidDocument;
  didDocumentMetadata: WebvhDocumentMetadata;
  didResolutionMetadata: { contentType: 'application/did+ld+json' };
  /** The verified state at the resolved version. */
  state: WebvhState;
}

const LINKED_VP_CONTEXT = 'https://identity.foundation/linked-vp/contexts/v1';

function notFound(message: string): DidError {
  return new DidError('did.not_found', message);
}

async function fetchText(get: WebvhFetch | undefined, url: string, what: string): Promise<string> {
  if (typeof get !== 'function') throw webvhError(WEBVH_ERRORS.fetchFailed, `no ${what}: pass it, or a fetch function`);
  let text: unknown;
  try {
    text = await get(url);
  } catch (e) {
    if (isSsiotError(e)) throw e;
    throw webvhError(WEBVH_ERRORS.fetchFailed, `fetching ${url} failed`, e);
  }
  if (typeof text !== 'string') throw webvhError(WEBVH_ERRORS.fetchFailed, `fetch of ${url} did not return text`);
  return text;
}

function serviceId(docId: string, s: unknown): string | undefined {
  const id = typeof s === 'object' && s !== null ? (s as { id?: unknown }).id : undefined;
  if (typeof id !== 'string') return undefined;
  return id.startsWith('#') ? docId + id : id;
}

/** The document with the implicit `#files` (relativeRef) and `#whois` (LinkedVP) services added when absent. */
export function withImplicitServices(document: DidDocument): DidDocument {
  const doc = JSON.parse(JSON.stringify(document)) as DidDocument;
  if (doc.service !== undefined && !Array.isArray(doc.service)) return doc;
  const services: Service[] = doc.service ?? [];
  const ids = services.map((s) => serviceId(doc.id, s));
  const base = didBaseUrl(doc.id);
  if (!ids.includes(`${doc.id}#files`)) services.push({ id: '#files', type: 'relativeRef', serviceEndpoint: base });
  if (!ids.includes(`${doc.id}#whois`)) {
    services.push({ '@context': LINKED_VP_CONTEXT, id: '#whois', type: 'LinkedVerifiablePresentation', serviceEndpoint: `${base}whois.vp` });
  }
  doc.service = services;
  return doc;
}

/** `a=b&c=d` into a map (last value wins); malformed percent-encoding is notFound-worthy, so kept raw. */
function parseQuery(query: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!query) return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const decode = (s: string): string => {
      try {
        return decodeURIComponent(s.split('+').join(' '));
      } catch {
        return s;
      }
    };
    out.set(decode(eq < 0 ? part : part.slice(0, eq)), decode(eq < 0 ? '' : part.slice(eq + 1)));
  }
  return out;
}

/** The step a DID URL's version query selects, among the valid `steps` (with `tail` the error after them). */
function selectVersion(steps: readonly VerifiedStep[], tail: DidError | undefined, query: Map<string, string>): VerifiedStep {
  const versionId = query.get('versionId');
  const versionNumber = query.get('versionNumber');
  const versionTime = query.get('versionTime');
  const beyond = (what: string): never => {
    throw tail ?? notFound(`no version ${what} in the log`);
  };
  let chosen: VerifiedStep | undefined;
  if (versionNumber !== undefined) {
    const n = /^[0-9]{1,15}$/.test(versionNumber) ? Number(versionNumber) : 0;
    if (n < 1) throw notFound(`versionNumber ${versionNumber.slice(0, 20)} does not exist`);
    chosen = steps[n - 1] ?? beyond(`number ${n}`);
  }
  if (versionId !== undefined) {
    const byId = steps.find((s) => s.state.versionId === versionId) ?? beyond(`id ${versionId.slice(0, 60)}`);
    if (chosen && chosen !== byId) throw notFound('versionId and versionNumber name different versions');
    chosen = byId;
  }
  if (versionTime !== undefined) {
    const t = parseDateTimeStamp(versionTime);
    if (t === undefined) throw notFound('versionTime is not an ISO 8601 date-time');
    let active: VerifiedStep | undefined;
    for (const s of steps) if ((parseDateTimeStamp(s.state.versionTime) as number) <= t) active = s;
    if (!active) throw notFound(`the DID did not exist at ${versionTime}`);
    if (tail && active === steps[steps.length - 1]) throw tail;
    if (chosen && chosen !== active) throw notFound('versionTime names another version than versionId/versionNumber');
    chosen = active;
  }
  if (chosen) return chosen;
  if (tail) throw tail;
  return steps[steps.length - 1];
}

function metadataOf(resolved: WebvhState, lastStep: VerifiedStep): WebvhDocumentMetadata {
  const last = lastStep.state;
  const rule = lastStep.witnessRule;
  return {
    versionId: resolved.versionId,
    versionTime: resolved.versionTime,
    versionNumber: resolved.versionNumber,
    created: resolved.created,
    updated: last.versionTime,
    scid: last.scid,
    portable: last.parameters.portable,
    deactivated: last.parameters.deactivated,
    ttl: String(last.parameters.ttl),
    witness: rule ? { threshold: String(rule.threshold), witnesses: rule.witnesses.map((w) => ({ id: w.id })) } : {},
    watchers: [...last.parameters.watchers],
  };
}

/**
 * Resolve a did:webvh DID or DID URL (`?versionId=`, `?versionNumber=`,
 * `?versionTime=`; a fragment is ignored, a path refused). Throws DidError:
 * `did.webvh_*` for an invalid DID or log, `did.not_found` for a version or
 * log that does not exist, `did.webvh_fetch_failed`. `resolutionError(code)`
 * gives the DID Resolution error value.
 */
export async function resolveWebvh(didUrl: string, options: ResolveWebvhOptions = {}): Promise<WebvhResolution> {
  const { did, query } = webvhDidOfUrl(didUrl);
  let entries: readonly unknown[];
  let parseError: DidError | undefined;
  if (options.log !== undefined && typeof options.log !== 'string') {
    entries = options.log;
  } else {
    const text = typeof options.log === 'string' ? options.log : await fetchText(options.fetch, didToHttpsUrl(did), 'DID log');
    ({ entries, error: parseError } = parseLogPrefix(text));
  }
  const verifyOptions: VerifyLogOptions = { now: options.now, maxClockSkewSeconds: options.maxClockSkewSeconds };
  const verified = verifyEntries(entries, undefined, verifyOptions);
  let witnessProofs = options.witnessProofs;
  if (witnessProofs === undefined && needsWitnesses(verified.steps) && typeof options.fetch === 'function') {
    try {
      witnessProofs = await fetchText(options.fetch, didToWitnessUrl(did), 'did-witness.json');
    } catch {
      // no witness file: the witness check below reports the entries it leaves unwitnessed
    }
  }
  const { steps, error } = witnessPrefix(verified.steps, verified.error ?? parseError, witnessProofs);
  if (steps.length === 0) throw error ?? webvhError(WEBVH_ERRORS.invalidEntry, 'the DID log is empty');
  if (steps[0].state.scid !== parseWebvhDid(did).scid) {
    throw webvhError(WEBVH_ERRORS.didMismatch, 'the log is for another SCID');
  }
  try {
    checkDidMatch(steps, did);
  } catch (e) {
    throw error ?? e;
  }
  const chosen = selectVersion(steps, error, parseQuery(query));
  return {
    didDocument: withImplicitServices(chosen.state.document),
    didDocumentMetadata: metadataOf(chosen.state, steps[steps.length - 1]),
    didResolutionMetadata: { contentType: 'application/did+ld+json' },
    state: JSON.parse(JSON.stringify(chosen.state)) as WebvhState,
  };
}

export interface WebvhResolverOptions {
  fetch: WebvhFetch;
  now?: VerifyLogOptions['now'];
  maxClockSkewSeconds?: number;
}

/**
 * A DidResolverRegistry method resolver: `registry.register('webvh', webvhResolver({ fetch }))`.
 * Deactivated DIDs are refused (`did.webvh_deactivated`): a caller that only
 * gets a document could not tell it is no longer in force.
 */
export function webvhResolver(options: WebvhResolverOptions): ResolveFn {
  if (!options || typeof options.fetch !== 'function') throw webvhError(WEBVH_ERRORS.fetchFailed, 'webvhResolver needs a fetch function');
  return async (did: string): Promise<DidDocument> => {
    const r = await resolveWebvh(did, options);
    if (r.didDocumentMetadata.deactivated) throw webvhError(WEBVH_ERRORS.deactivated, `${did} is deactivated`);
    return r.didDocument;
  };
}
