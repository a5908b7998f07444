/**
 * DID resolution across methods, and dereferencing a key's DID URL to the
 * verification method a signature or encryption must use.
 *
 * DidResolverRegistry dispatches on the method name, so did:webvh (which
 * fetches and verifies a log) plugs in later with `register('webvh', fn)`
 * without this module knowing about it. Documents given explicitly (the
 * CLI's `--dids D.json`, the DIDComm test vectors' did:example documents)
 * are served first, as the caller's own statement of what a DID is.
 *
 * Every document a registry returns has `id` equal to the DID asked for
 * (`did.invalid_document` otherwise): a method resolver that answered for
 * another DID would let one DID's keys stand in for another's.
 */
import { isRecord } from '../encoding/json.ts';
import { DidError } from '../errors.ts';
import { absoluteDidUrl, parseDid, parseDidUrl } from './did-url.ts';
import { resolveDidKey } from './key.ts';
import type { ShortFormOptions } from './peer-short.ts';
import { PeerDidStore, peerShortForm } from './peer-store.ts';
import { resolveDidPeer2, resolveDidPeer3 } from './peer2.ts';
import { resolveDidPeer4 } from './peer4.ts';
import type { DidDocument, DidResolver, VerificationMethod, VerificationRelationship } from './types.ts';
import { VERIFICATION_RELATIONSHIPS } from './types.ts';

/** A method's resolver; receives a syntactically valid DID of that method. */
export type ResolveFn = (did: string) => DidDocument | Promise<DidDocument>;

/** Deep copy of plain JSON data (structuredClone is not in every engine ssiot runs on). */
function cloneJson<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** Check the minimum a DID document must have to be served: an object whose `id` is a DID. */
function checkDocument(doc: unknown): DidDocument {
  if (!isRecord(doc) || typeof doc.id !== 'string') {
    throw new DidError('did.invalid_document', 'DID document must be an object with an id');
  }
  try {
    parseDid(doc.id);
  } catch (e) {
    throw new DidError('did.invalid_document', 'DID document id is not a DID', { cause: e });
  }
  for (const rel of ['verificationMethod', 'service', ...VERIFICATION_RELATIONSHIPS]) {
    if (doc[rel] !== undefined && !Array.isArray(doc[rel])) {
      throw new DidError('did.invalid_document', `DID document ${rel} must be an array`);
    }
  }
  return doc as DidDocument;
}

export class DidResolverRegistry implements DidResolver {
  private readonly methods = new Map<string, ResolveFn>();
  private readonly documents = new Map<string, DidDocument>();

  /** Route DIDs of `method` (e.g. 'key', 'peer', 'webvh') to `resolve`; replaces an earlier one. */
  register(method: string, resolve: ResolveFn): this {
    if (!/^[a-z0-9]+$/.test(method)) throw new DidError('did.invalid', `not a DID method name: ${method}`);
    if (typeof resolve !== 'function') throw new DidError('did.invalid', 'resolver must be a function');
    this.methods.set(method, resolve);
    return this;
  }

  /** Serve these documents as given (deep-copied); a DID listed twice is `did.invalid_document`. */
  addDocuments(docs: readonly DidDocument[]): this {
    if (!Array.isArray(docs)) throw new DidError('did.invalid_document', 'DID documents must be an array');
    const seen = new Set<string>();
    for (const d of docs) {
      const doc = checkDocument(d);
      if (seen.has(doc.id) || this.documents.has(doc.id)) {
        throw new DidError('did.invalid_document', `DID document listed twice: ${doc.id}`);
      }
      seen.add(doc.id);
    }
    for (const d of docs) this.documents.set(d.id, cloneJson(d));
    return this;
  }

  /** True when `method` has a registered resolver. */
  supports(method: string): boolean {
    return this.methods.has(method);
  }

  async resolve(did: string): Promise<DidDocument> {
    const { method } = parseDid(did);
    const listed = this.documents.get(did);
    if (listed) return cloneJson(listed);
    const fn = this.methods.get(method);
    if (!fn) {
      for (const id of this.documents.keys()) {
        if (id.startsWith(`did:${method}:`)) throw new DidError('did.not_found', `no DID document for ${did}`);
      }
      throw new DidError('did.unsupported_method', `DID method ${method} is not supported`);
    }
    const doc = checkDocument(await fn(did));
    if (doc.id !== did) throw new DidError('did.invalid_document', `resolver for ${method} returned a document for another DID`);
    return doc;
  }
}

/**
 * did:peer dispatch by numalgo: 2 and long-form 4 resolve by themselves;
 * 3 and short-form 4 only through their long form (`options`, else
 * `did.not_found`); 0 and 1 are not supported (`did.unsupported_method`).
 */
export function resolveDidPeer(did: string, options: ShortFormOptions = {}): DidDocument {
  const { id } = parseDid(did);
  if (id.startsWith('2.')) return resolveDidPeer2(did);
  if (id[0] === '3') return resolveDidPeer3(did, options);
  if (id[0] === '4') return resolveDidPeer4(did, options);
  throw new DidError('did.unsupported_method', `did:peer numalgo ${id[0]} is not supported`);
}

export interface DefaultResolverOptions {
  /** Documents to serve as given, e.g. from the CLI's `--dids D.json`. */
  documents?: readonly DidDocument[];
  /**
   * Long-form peer DIDs seen so far; every did:peer:2 and long did:peer:4 the
   * resolver resolves is added, so their short forms resolve afterwards.
   * Default: a fresh store per resolver.
   */
  peerDids?: PeerDidStore;
}

/**
 * A registry with did:key (default Multikey format) and did:peer (2, 3, 4),
 * plus any listed documents.
 */
export function createDefaultResolver(options: DefaultResolverOptions = {}): DidResolverRegistry {
  const r = new DidResolverRegistry();
  const store = options.peerDids ?? new PeerDidStore();
  r.register('key', (did) => resolveDidKey(did));
  r.register('peer', (did) => {
    const doc = resolveDidPeer(did, { store });
    if (peerShortForm(did) !== undefined) store.remember(did);
    return doc;
  });
  if (options.documents) r.addDocuments(options.documents);
  return r;
}

/** A resolver that knows exactly these documents and nothing else (`did.not_found` otherwise). */
export function createStaticResolver(documents: readonly DidDocument[]): DidResolver {
  const r = new DidResolverRegistry().addDocuments(documents);
  return {
    async resolve(did: string): Promise<DidDocument> {
      parseDid(did);
      try {
        return await r.resolve(did);
      } catch (e) {
        if ((e as { code?: string }).code === 'did.unsupported_method') {
          throw new DidError('did.not_found', `no DID document for ${did}`);
        }
        throw e;
      }
    },
  };
}

/** All verification methods of a document: the `verificationMethod` list and those embedded in relationships. */
function allMethods(doc: DidDocument): VerificationMethod[] {
  const out: VerificationMethod[] = [];
  for (const vm of list(doc.verificationMethod)) if (isRecord(vm)) out.push(vm as VerificationMethod);
  for (const rel of VERIFICATION_RELATIONSHIPS) {
    for (const entry of list(doc[rel])) if (isRecord(entry)) out.push(entry as VerificationMethod);
  }
  return out;
}

/** A document member as an array (a resolver outside this module may hand us anything). */
function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

/** Absolute form of a reference, or undefined when it is not a usable DID URL. */
function absolute(did: string, ref: unknown): string | undefined {
  if (typeof ref !== 'string') return undefined;
  try {
    return absoluteDidUrl(did, ref);
  } catch {
    return undefined;
  }
}

/**
 * Dereference a key's DID URL (`did:...#frag`) to its verification method,
 * matching absolute and relative (`#key-1`) ids, and, when `relationship` is
 * given, check the document lists that method under it (by reference or
 * embedded). Returns a copy whose `id` is absolute.
 *
 * Errors: `did.invalid` (not a DID URL with a fragment), resolution errors,
 * `did.not_found` (no such method), `did.not_authorized` (method exists but
 * is not authorized for `relationship`).
 */
export async function resolveVerificationMethod(
  resolver: DidResolver,
  didUrl: string,
  relationship?: VerificationRelationship,
): Promise<VerificationMethod> {
  const parsed = parseDidUrl(didUrl);
  if (parsed.fragment === undefined || parsed.fragment === '' || parsed.path !== '' || parsed.query !== undefined) {
    throw new DidError('did.invalid', 'a verification method is named by did#fragment');
  }
  if (relationship !== undefined && !VERIFICATION_RELATIONSHIPS.includes(relationship)) {
    throw new DidError('did.invalid', `unknown verification relationship ${String(relationship)}`);
  }
  const target = `${parsed.did}#${parsed.fragment}`;
  const doc = await resolver.resolve(parsed.did);
  if (!isRecord(doc) || typeof doc.id !== 'string') throw new DidError('did.invalid_document', 'resolver returned no DID document');
  const vm = allMethods(doc).find((m) => absolute(doc.id, m.id) === target);
  if (!vm) throw new DidError('did.not_found', `no verification method ${target}`);
  if (relationship !== undefined) {
    const listed = list(doc[relationship]).some((e) => absolute(doc.id, isRecord(e) ? e.id : e) === target);
    if (!listed) throw new DidError('did.not_authorized', `${target} is not authorized for ${relationship}`);
  }
  return { ...cloneJson(vm), id: target };
}
