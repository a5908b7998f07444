/**
 * From DIDs to the keys and endpoints an envelope needs:
 *  - recipient keys: the `keyAgreement` methods of a DID (all of them, as
 *    the spec asks for DID targets) or the one a DID URL names;
 *  - sender keys: a `skid` checked to be in the `keyAgreement` of its DID, a
 *    JWS `kid` checked to be in `authentication`;
 *  - the DIDCommMessaging service (uri, routingKeys) for forwarding.
 *
 * Every DID is resolved at most once per pack/unpack (memoResolver):
 * resolution of did:peer/did:key decodes keys, and a device should not pay
 * for it once per verification method.
 */
import type { PublicKey } from '../did/keys.ts';
import { publicKeyFromVerificationMethod } from '../did/keys.ts';
import { absoluteDidUrl } from '../did/did-url.ts';
import { resolveVerificationMethod } from '../did/resolver.ts';
import type { DidDocument, DidResolver, VerificationRelationship } from '../did/types.ts';
import { DidcommError, isSsiotError } from '../errors.ts';
import { isAgreementCurve } from './ecdh.ts';
import type { RecipientKey } from './jwe.ts';
import { didOf, isJsonObject, isKeyId } from './message.ts';

/** A resolver that resolves each DID once (per wrapper) and then answers from memory. */
export function memoResolver(resolver: DidResolver): DidResolver {
  const seen = new Map<string, Promise<DidDocument>>();
  return {
    resolve(did: string) {
      let p = seen.get(did);
      if (!p) {
        p = resolver.resolve(did);
        seen.set(did, p);
      }
      return p;
    },
  };
}

function codeOf(e: unknown): string {
  return isSsiotError(e) ? e.code : 'error';
}

/** The public key of `kid` if it is listed under `relationship` of its DID. Errors as DidcommError(`code`). */
export async function relationshipKey(
  resolver: DidResolver,
  kid: string,
  relationship: VerificationRelationship,
  code: `didcomm.${string}`,
): Promise<PublicKey> {
  try {
    return publicKeyFromVerificationMethod(await resolveVerificationMethod(resolver, kid, relationship));
  } catch (e) {
    throw new DidcommError(code, `${kid} is not a usable ${relationship} key (${codeOf(e)})`, { cause: e });
  }
}

async function resolveDoc(resolver: DidResolver, did: string, code: `didcomm.${string}`): Promise<DidDocument> {
  try {
    return await resolver.resolve(did);
  } catch (e) {
    throw new DidcommError(code, `cannot resolve ${did} (${codeOf(e)})`, { cause: e });
  }
}

/** Absolute ids of the methods listed under `relationship`, in document order (unusable entries skipped). */
export async function relationshipKids(resolver: DidResolver, did: string, relationship: VerificationRelationship, code: `didcomm.${string}`): Promise<string[]> {
  const doc = await resolveDoc(resolver, did, code);
  const entries = Array.isArray(doc[relationship]) ? (doc[relationship] as unknown[]) : [];
  const out: string[] = [];
  for (const e of entries) {
    const ref = typeof e === 'string' ? e : typeof e === 'object' && e !== null ? (e as { id?: unknown }).id : undefined;
    if (typeof ref !== 'string') continue;
    try {
      out.push(absoluteDidUrl(doc.id, ref));
    } catch {
      // a malformed entry names nothing we could use
    }
  }
  return out;
}

/**
 * Recipient keys for `target`: a DID URL gives its one key (which must be a
 * keyAgreement key on a supported curve); a DID gives all its keyAgreement
 * keys on supported curves, in document order (methods of unsupported type
 * or curve are skipped). None: `didcomm.no_compatible_keys`.
 */
export async function keyAgreementKeys(resolver: DidResolver, target: string, code: `didcomm.${string}` = 'didcomm.unknown_recipient'): Promise<RecipientKey[]> {
  const kids = isKeyId(target) ? [target] : await relationshipKids(resolver, didOf(target), 'keyAgreement', code);
  const out: RecipientKey[] = [];
  for (const kid of kids) {
    let key: PublicKey;
    try {
      key = await relationshipKey(resolver, kid, 'keyAgreement', code);
    } catch (e) {
      if (isKeyId(target)) throw e;
      continue;
    }
    if (isAgreementCurve(key.kind)) out.push({ kid, key });
    else if (isKeyId(target)) throw new DidcommError('didcomm.no_compatible_keys', `${kid} is a ${key.kind} key, not a key agreement key`);
  }
  if (out.length === 0) throw new DidcommError('didcomm.no_compatible_keys', `${target} has no key agreement key ssiot supports`);
  return out;
}

/** A DIDCommMessaging service endpoint: where to send, and through which routing keys. */
export interface MessagingService {
  /** The service's id (absolute DID URL). */
  id: string;
  uri: string;
  accept?: string[];
  routingKeys: string[];
}

function stringList(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
}

/**
 * The first DIDCommMessaging service of a document (spec §Service Endpoint:
 * an endpoint object or an array of them; the first is the owner's
 * preference). The DIDComm v2.0 form (serviceEndpoint a URI string with
 * `routingKeys`/`accept` beside it) is read too. Relative routing keys are
 * made absolute against the document.
 */
export function messagingService(doc: DidDocument): MessagingService | undefined {
  for (const s of Array.isArray(doc.service) ? doc.service : []) {
    if (!isJsonObject(s)) continue;
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.includes('DIDCommMessaging')) continue;
    const ep = Array.isArray(s.serviceEndpoint) ? s.serviceEndpoint[0] : s.serviceEndpoint;
    let uri: unknown;
    let routing: unknown;
    let accept: unknown;
    if (typeof ep === 'string') {
      uri = ep;
      routing = s.routingKeys;
      accept = s.accept;
    } else if (isJsonObject(ep)) {
      uri = ep.uri;
      routing = ep.routingKeys;
      accept = ep.accept;
    }
    if (typeof uri !== 'string') continue;
    const id = typeof s.id === 'string' ? (s.id.startsWith('#') ? doc.id + s.id : s.id) : `${doc.id}#didcomm`;
    const routingKeys = stringList(routing).map((k) => (k.startsWith('#') ? doc.id + k : k));
    const out: MessagingService = { id, uri, routingKeys };
    if (accept !== undefined) out.accept = stringList(accept);
    return out;
  }
  return undefined;
}

/**
 * The service to send to for `did`, following one level of "DID as
 * endpoint" (spec §Using a DID as an endpoint): when the uri is a mediator's
 * DID, the mediator DID is prepended to the routing keys (its keyAgreement
 * keys receive the outer forward) and the mediator's own uri is used.
 */
export async function resolveMessagingService(resolver: DidResolver, did: string): Promise<MessagingService | undefined> {
  const service = messagingService(await resolveDoc(resolver, did, 'didcomm.unknown_recipient'));
  if (!service || !service.uri.startsWith('did:')) return service;
  const mediator = didOf(service.uri);
  const outer = messagingService(await resolveDoc(resolver, mediator, 'didcomm.unknown_recipient'));
  if (!outer || outer.uri.startsWith('did:')) throw new DidcommError('didcomm.unknown_recipient', `mediator ${mediator} has no usable DIDCommMessaging endpoint`);
  return { ...service, uri: outer.uri, routingKeys: [...outer.routingKeys, mediator, ...service.routingKeys] };
}
