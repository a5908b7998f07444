/**
 * Verifying a downstream-DID chain, step by step (Trustchain's procedure):
 *  1. resolve the DID in question; read its attestation (attestation.ts)
 *     and move to the upstream it names; repeat until a DID without an
 *     attestation (or the pinned root DID) is reached;
 *  2. check that root against the pin: DID (if pinned), publication date
 *     (if the source reports one) and confirmation code (root.ts);
 *  3. from the root down, check each link: the attestation names this DID,
 *     its digest is this document's, the signature is by an assertion key
 *     of the upstream DID as resolved now;
 *  4. enforce every link's constraints: no more links below a DID than its
 *     `maxPathLength`; the credential type being checked is allowed by
 *     every link that lists `credentialTypes` (so constraints narrow down
 *     the chain and never widen).
 * Every check becomes a step with a reason; the chain is valid when no step
 * failed. Never throws for bad input.
 */
import { parseDid } from '../did/did-url.ts';
import type { DidDocument, DidResolver } from '../did/types.ts';
import { resolveWebvh, type WebvhFetch } from '../did/webvh/resolve.ts';
import { DidError, isSsiotError } from '../errors.ts';
import { isRecord } from '../encoding/json.ts';
import { verifyProof } from '../vc/data-integrity.ts';
import { attestationProblems, documentDigest, findAttestation, type DownstreamAttestation } from './attestation.ts';
import type { TrustProblem } from './codes.ts';
import { confirmationCode, rootPinProblems, utcDateOf, type RootPin } from './root.ts';

/** A resolved DID: its document and, when the method has it, resolution metadata. */
export interface ChainEntry {
  document: DidDocument;
  metadata?: { created?: string; proof?: unknown; [extra: string]: unknown };
}

/** Where the chain's documents come from: a resolver online, a bundle offline. */
export type ChainSource = (did: string) => Promise<ChainEntry>;

/** A source over documents (or entries) carried with a presentation: offline verification. */
export function staticChainSource(entries: readonly (ChainEntry | DidDocument)[]): ChainSource {
  const map = new Map<string, ChainEntry>();
  for (const e of entries) {
    const entry: ChainEntry = isRecord((e as { document?: unknown }).document) ? (e as ChainEntry) : { document: e as DidDocument };
    if (isRecord(entry.document) && typeof entry.document.id === 'string') map.set(entry.document.id, JSON.parse(JSON.stringify(entry)) as ChainEntry);
  }
  return async (did) => {
    const e = map.get(did);
    if (!e) throw new DidError('did.not_found', `no document for ${did} in the chain bundle`);
    return JSON.parse(JSON.stringify(e)) as ChainEntry;
  };
}

export interface ResolverSourceOptions {
  /** did:webvh DIDs are resolved with their log (metadata `created`) through this fetch. */
  webvhFetch?: WebvhFetch;
  now?: Date;
}

/** A source over a DidResolver; did:webvh through resolveWebvh when `webvhFetch` is given. */
export function resolverChainSource(resolver: DidResolver, options: ResolverSourceOptions = {}): ChainSource {
  return async (did) => {
    if (options.webvhFetch && parseDid(did).method === 'webvh') {
      const r = await resolveWebvh(did, { fetch: options.webvhFetch, now: options.now });
      return { document: r.didDocument, metadata: { created: r.didDocumentMetadata.created } };
    }
    return { document: await resolver.resolve(did) };
  };
}

export type ChainCheck = 'resolve' | 'attestation' | 'subject' | 'digest' | 'signature' | 'constraints' | 'root';

export interface ChainStep {
  /** 0 = root, increasing downwards; the DID in question has the highest level. */
  level: number;
  did: string;
  check: ChainCheck;
  ok: boolean;
  message: string;
  code?: string;
}

export interface ChainVerification {
  valid: boolean;
  /** The DID whose chain was checked. */
  did: string;
  /** The DID the chain ended at (the root, when it was reached). */
  root?: string;
  /** DIDs from the root down to `did`, as far as they were followed. */
  chain: string[];
  steps: ChainStep[];
  problems: TrustProblem[];
  /** Credential types the chain allows `did` to issue (absent: no link restricts them). */
  allowedCredentialTypes?: string[];
}

export interface VerifyChainOptions {
  root: RootPin;
  source: ChainSource;
  /** The type(s) of the credential `did` issued (`VerifiableCredential` is ignored). */
  credentialType?: string | readonly string[];
  /** Most links followed before giving up (default 8). */
  maxLength?: number;
  now?: Date;
}

interface Link {
  did: string;
  entry: ChainEntry;
  attestation?: DownstreamAttestation;
}

const SIGNATURE_CODES: Record<string, string> = {
  'vc.proof_expired': 'trust.attestation_expired',
  'vc.proof_created_in_future': 'trust.attestation_expired',
  'vc.verification_method_not_found': 'trust.upstream_key_unknown',
  'vc.unauthorized_key': 'trust.upstream_key_unknown',
};

export async function verifyChain(did: string, options: VerifyChainOptions): Promise<ChainVerification> {
  const raw: (Omit<ChainStep, 'level'> & { depth: number })[] = [];
  const problems: TrustProblem[] = [];
  /** depth counts from the DID in question (0) upwards. */
  const step = (depth: number, d: string, check: ChainCheck, ok: boolean, message: string, code?: string): void => {
    raw.push(code ? { depth, did: d, check, ok, message, code } : { depth, did: d, check, ok, message });
    if (!ok) problems.push({ code: code ?? 'trust.invalid_record', message });
  };
  const pinProblems = rootPinProblems(options?.root);
  if (pinProblems.length || typeof options?.source !== 'function') {
    step(0, String(did), 'root', false, pinProblems.length ? pinProblems.join('; ') : 'a chain source is required', 'trust.invalid_argument');
    return finish(did, raw, problems, [], undefined, undefined);
  }
  const pin = options.root;
  const maxLength = options.maxLength ?? 8;

  // 1. walk up
  const links: Link[] = [];
  const seen = new Set<string>();
  let current = did;
  let rootReached = false;
  for (;;) {
    const depth = links.length;
    if (seen.has(current)) {
      step(depth, current, 'attestation', false, `the chain returns to ${current}`, 'trust.chain_cycle');
      break;
    }
    if (depth > maxLength) {
      step(depth, current, 'attestation', false, `more than ${maxLength} links without reaching a root`, 'trust.chain_too_long');
      break;
    }
    seen.add(current);
    let entry: ChainEntry;
    try {
      entry = await options.source(current);
      if (!isRecord(entry) || !isRecord(entry.document) || entry.document.id !== current) {
        throw new DidError('did.invalid_document', 'the source returned no document for this DID');
      }
    } catch (e) {
      step(depth, current, 'resolve', false, `cannot resolve ${current} (${isSsiotError(e) ? e.code : 'error'})`, 'trust.resolution_failed');
      break;
    }
    step(depth, current, 'resolve', true, `resolved ${current}`);
    const isPinnedRoot = pin.did !== undefined && current === pin.did;
    const found = isPinnedRoot ? {} : findAttestation(entry.document, entry.metadata);
    if (found.multiple) {
      step(depth, current, 'attestation', false, `${current} carries more than one attestation service`, 'trust.multiple_attestations');
      links.push({ did: current, entry });
      break;
    }
    if (found.attestation === undefined) {
      links.push({ did: current, entry });
      rootReached = true;
      break;
    }
    const shape = attestationProblems(found.attestation);
    if (shape.length) {
      step(depth, current, 'attestation', false, `malformed attestation on ${current}: ${shape.join('; ')}`, 'trust.invalid_record');
      links.push({ did: current, entry });
      break;
    }
    const att = found.attestation as DownstreamAttestation;
    step(depth, current, 'attestation', true, `${current} is attested by ${att.upstream}`);
    links.push({ did: current, entry, attestation: att });
    current = att.upstream;
  }

  // 2. the root
  const top = links[links.length - 1];
  let rootDid: string | undefined;
  if (rootReached && top) {
    const depth = links.length - 1;
    rootDid = top.did;
    const created = utcDateOf(top.entry.metadata?.created);
    if (pin.did !== undefined && top.did !== pin.did) {
      const code = depth === 0 ? 'trust.no_attestation' : 'trust.root_mismatch';
      const what = depth === 0 ? `${top.did} carries no attestation and is not the pinned root ${pin.did}` : `the chain ends at ${top.did}, not at the pinned root ${pin.did}`;
      step(depth, top.did, 'root', false, what, code);
    } else if (created !== undefined && created !== pin.date) {
      step(depth, top.did, 'root', false, `the root was published on ${created}, the pin says ${pin.date}`, 'trust.root_date_mismatch');
    } else {
      let code: string | undefined;
      try {
        code = confirmationCode(top.entry.document, pin.date, pin.code.length);
      } catch (e) {
        step(depth, top.did, 'root', false, `cannot hash the root document (${isSsiotError(e) ? e.code : 'error'})`, 'trust.invalid_record');
      }
      if (code !== undefined && code === pin.code.toLowerCase()) {
        const dated = created === undefined ? ' (the source reports no publication date; the code covers the pinned date)' : '';
        step(depth, top.did, 'root', true, `root ${top.did} matches the pin: ${pin.date}, code ${code}${dated}`);
      } else if (code !== undefined) {
        const why = depth === 0 && pin.did === undefined ? `${top.did} carries no attestation and its confirmation code is not the pinned one` : `the root's confirmation code for ${pin.date} is ${code}, the pin says ${pin.code}`;
        step(depth, top.did, 'root', false, why, depth === 0 && pin.did === undefined ? 'trust.no_attestation' : 'trust.root_code_mismatch');
      }
    }
  }

  // 3. links, from the root down (only once the whole chain was followed)
  const docs = new Map(links.map((l) => [l.did, l.entry.document]));
  const resolver: DidResolver = {
    async resolve(d: string): Promise<DidDocument> {
      const doc = docs.get(d);
      if (!doc) throw new DidError('did.not_found', `${d} is not in the chain`);
      return JSON.parse(JSON.stringify(doc)) as DidDocument;
    },
  };
  let allowed: string[] | undefined;
  for (let depth = links.length - 1; depth >= 0; depth--) {
    const link = links[depth];
    const att = link.attestation;
    if (!att || !docs.has(att.upstream)) continue;
    if (att.downstream !== link.did) {
      step(depth, link.did, 'subject', false, `the attestation is for ${att.downstream}, not ${link.did}`, 'trust.subject_mismatch');
    }
    let digest: string | undefined;
    try {
      digest = documentDigest(link.entry.document);
    } catch (e) {
      step(depth, link.did, 'digest', false, `cannot hash ${link.did}'s document (${isSsiotError(e) ? e.code : 'error'})`, 'trust.invalid_record');
    }
    if (digest !== undefined && digest === att.documentDigest) step(depth, link.did, 'digest', true, `the attested digest is ${link.did}'s current document`);
    else if (digest !== undefined) {
      step(depth, link.did, 'digest', false, `${link.did}'s document changed since ${att.upstream} attested it (keys rotated?); it needs re-attesting`, 'trust.document_mismatch');
    }
    const pr = await verifyProof(att, { resolver, now: options.now });
    if (!pr.verified) {
      const first = pr.errors[0];
      const code = SIGNATURE_CODES[first?.code ?? ''] ?? 'trust.invalid_signature';
      step(depth, link.did, 'signature', false, `${att.upstream}'s signature on ${link.did}: ${pr.errors.map((e) => e.code).join(', ')}`, code);
    } else if (pr.proofs[0]?.controller !== att.upstream) {
      step(depth, link.did, 'signature', false, `signed by ${String(pr.proofs[0]?.controller)}, not by the named upstream ${att.upstream}`, 'trust.upstream_mismatch');
    } else {
      step(depth, link.did, 'signature', true, `signed by ${att.upstream} (${String(pr.proofs[0]?.verificationMethod?.id)})`);
    }
    const c = att.constraints;
    if (c?.maxPathLength !== undefined) {
      if (depth > c.maxPathLength) {
        step(depth, link.did, 'constraints', false, `${att.upstream} allows ${c.maxPathLength} link(s) below ${link.did}, the chain has ${depth}`, 'trust.path_length_exceeded');
      } else {
        step(depth, link.did, 'constraints', true, `${depth} link(s) below ${link.did}, at most ${c.maxPathLength} allowed`);
      }
    }
    if (c?.credentialTypes) allowed = allowed === undefined ? [...c.credentialTypes] : allowed.filter((t) => c.credentialTypes!.includes(t));
  }

  // 4. the credential type against the narrowed list
  const types = (options.credentialType === undefined ? [] : typeof options.credentialType === 'string' ? [options.credentialType] : [...options.credentialType]).filter(
    (t) => t !== 'VerifiableCredential',
  );
  if (allowed !== undefined && types.length > 0 && links.length > 0) {
    const refused = types.filter((t) => !allowed!.includes(t));
    if (refused.length) {
      step(0, did, 'constraints', false, `the chain allows ${did} to issue ${allowed.join(', ') || 'nothing'}, not ${refused.join(', ')}`, 'trust.credential_type_not_allowed');
    } else {
      step(0, did, 'constraints', true, `${types.join(', ')} allowed by every link`);
    }
  }
  return finish(did, raw, problems, links.map((l) => l.did).reverse(), rootDid, allowed);
}

function finish(
  did: string,
  raw: (Omit<ChainStep, 'level'> & { depth: number })[],
  problems: TrustProblem[],
  chain: string[],
  root: string | undefined,
  allowed: string[] | undefined,
): ChainVerification {
  const top = Math.max(0, chain.length - 1);
  const steps = raw
    .map(({ depth, ...s }) => ({ level: top - depth, ...s }))
    .sort((a, b) => a.level - b.level);
  const out: ChainVerification = { valid: problems.length === 0, did, chain, steps, problems };
  if (root !== undefined) out.root = root;
  if (allowed !== undefined) out.allowedCredentialTypes = allowed;
  return out;
}
