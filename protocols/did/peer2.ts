/**
 * did:peer numalgo 2 (DIF Peer DID Method Specification, "Method 2: multiple
 * inception key without doc") and numalgo 3 (its SHA-256 short form).
 * Pairwise relationships use these: the DID carries its keys and DIDComm
 * service, so resolution is local and needs no registry.
 *
 *   did:peer:2 ( "." purpose-code value )+
 *   key element:     purpose A|E|V|I|D + Multikey (`z...`)
 *   service element: "S" + base64url(no padding, JSON with abbreviations)
 *
 * Resolution (as the spec and its reference implementation did-peer-2 do):
 * keys become `Multikey` methods with ids `#key-1`, `#key-2`, ... in the
 * order they appear in the DID; relationships reference them by relative
 * id; services without an `id` get `#service`, `#service-1`, `#service-2`,
 * ... in order; `alsoKnownAs` holds the did:peer:3 form.
 *
 * Choices:
 * - Service elements with base64 `=` padding (some older libraries emitted
 *   it, and the spec's old regex allowed it) are rejected: '=' is not a DID
 *   Core idchar, so such a string is not a DID at all (`did.invalid`).
 * - A service element holding a JSON *array* of services (older spec
 *   revisions) is accepted and expanded in order.
 * - did:peer:3 resolves only with its did:peer:2 at hand (resolveDidPeer3:
 *   a hint or a store of DIDs seen, else `did.not_found`). Its document is
 *   the did:peer:2 document with the did:peer:2 replaced by the did:peer:3
 *   (`id`, every `controller`) and `alsoKnownAs: [did:peer:2]`, as ACA-Py's
 *   did:peer:3 resolver builds it; the spec does not spell it out.
 * - did:peer:0/1 are not resolved (`did.unsupported_method` in the resolver).
 */
import { getCrypto } from '../crypto/index.ts';
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { isRecord, parseJsonBytes } from '../encoding/json.ts';
import { DidError } from '../errors.ts';
import { parseDid } from './did-url.ts';
import { isPeerHash, longFormFor, peerHash, type ShortFormOptions } from './peer-short.ts';
import { jwkSecret, publicKeyFromMultikey, publicKeyFromPrivateKey, publicKeyToMultikey, type PrivateKey } from './keys.ts';
import type { CreatedDid, DidDocument, MultikeyVerificationMethod, Service, VerificationRelationship } from './types.ts';

/** Key purposes as ssiot names them, with the spec's relationship names as synonyms. */
export type DidPeer2Purpose =
  | 'verification'
  | 'encryption'
  | 'assertion'
  | 'authentication'
  | 'keyAgreement'
  | 'assertionMethod'
  | 'capabilityInvocation'
  | 'capabilityDelegation';

export interface DidPeer2Key {
  purpose: DidPeer2Purpose;
  /** Public key as a Multikey (`z6Mk...` Ed25519, `z6LS...` X25519, ...). */
  publicKeyMultibase: string;
}

/** A service to encode; `id` may be left out (resolution assigns `#service`, ...). */
export type DidPeer2Service = Omit<Service, 'id'> & { id?: string };

export interface CreateDidPeer2Options {
  keys: DidPeer2Key[];
  services?: DidPeer2Service[];
}

const PURPOSE_CODE: Record<DidPeer2Purpose, string> = {
  verification: 'V',
  authentication: 'V',
  encryption: 'E',
  keyAgreement: 'E',
  assertion: 'A',
  assertionMethod: 'A',
  capabilityInvocation: 'I',
  capabilityDelegation: 'D',
};

const CODE_RELATIONSHIP: Record<string, VerificationRelationship> = {
  A: 'assertionMethod',
  E: 'keyAgreement',
  V: 'authentication',
  I: 'capabilityInvocation',
  D: 'capabilityDelegation',
};

/** The spec's "common string abbreviations" (keys anywhere; `type` values). */
const ABBREVIATIONS: Record<string, string> = {
  type: 't',
  DIDCommMessaging: 'dm',
  serviceEndpoint: 's',
  routingKeys: 'r',
  accept: 'a',
};
const EXPANSIONS: Record<string, string> = Object.fromEntries(Object.entries(ABBREVIATIONS).map(([k, v]) => [v, k]));

const PREFIX = 'did:peer:2';

function invalid(message: string, cause?: unknown): DidError {
  return new DidError('did.invalid', message, cause === undefined ? undefined : { cause });
}

/**
 * Replace keys (recursively) by table, then the value of `typeKey` (the type
 * member's name *after* renaming: `t` when abbreviating, `type` when
 * expanding), as the reference implementation does. Insertion order is kept,
 * which is what makes our encoding byte-identical to the spec's example.
 */
function rewrite(obj: Record<string, unknown>, table: Record<string, string>, typeKey: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = Object.prototype.hasOwnProperty.call(table, k) ? table[k] : k;
    let value: unknown = v;
    if (isRecord(v)) value = rewrite(v, table, typeKey);
    else if (Array.isArray(v)) value = v.map((e) => (isRecord(e) ? rewrite(e, table, typeKey) : e));
    out[key] = value;
  }
  const t = out[typeKey];
  if (typeof t === 'string' && Object.prototype.hasOwnProperty.call(table, t)) out[typeKey] = table[t];
  return out;
}

/** The `S` element value for one service: base64url(compact JSON, abbreviated). */
export function encodeDidPeer2Service(service: DidPeer2Service): string {
  if (!isRecord(service)) throw invalid('service must be an object');
  return base64urlEncode(utf8Encode(JSON.stringify(rewrite(service, ABBREVIATIONS, 't'))));
}

/** Inverse of encodeDidPeer2Service; a service element may also hold an array (older revisions). */
export function decodeDidPeer2Service(value: string): Record<string, unknown>[] {
  let json: unknown;
  try {
    json = parseJsonBytes(base64urlDecode(value));
  } catch (e) {
    throw invalid('did:peer:2 service is not base64url-encoded JSON', e);
  }
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw invalid('did:peer:2 service element is empty');
  return list.map((s) => {
    if (!isRecord(s)) throw invalid('did:peer:2 service must be a JSON object');
    const out = rewrite(s, EXPANSIONS, 'type');
    if (out.type === undefined || out.serviceEndpoint === undefined) {
      throw invalid('did:peer:2 service needs type and serviceEndpoint');
    }
    return out;
  });
}

/**
 * Build a did:peer:2 from keys and services. Keys are encoded in the order
 * given (that order fixes their `#key-N` ids); each key is checked to be a
 * decodable Multikey so we never mint a DID we could not resolve.
 */
export function createDidPeer2(options: CreateDidPeer2Options): string {
  if (!isRecord(options) || !Array.isArray(options.keys)) throw invalid('did:peer:2 needs a keys array');
  let did = PREFIX;
  for (const k of options.keys) {
    const code = isRecord(k) ? PURPOSE_CODE[k.purpose as DidPeer2Purpose] : undefined;
    if (!code || !Object.prototype.hasOwnProperty.call(PURPOSE_CODE, k.purpose)) {
      throw invalid(`unknown did:peer:2 key purpose ${isRecord(k) ? String(k.purpose) : ''}`);
    }
    publicKeyFromMultikey(k.publicKeyMultibase);
    did += `.${code}${k.publicKeyMultibase}`;
  }
  for (const s of options.services ?? []) did += `.S${encodeDidPeer2Service(s)}`;
  if (did === PREFIX) throw invalid('did:peer:2 needs at least one key or service');
  parseDid(did);
  return did;
}

interface PeerElement {
  code: string;
  value: string;
}

function elements(did: string): PeerElement[] {
  const parsed = parseDid(did);
  if (parsed.method !== 'peer' || !parsed.id.startsWith('2.')) throw invalid('not a did:peer:2');
  const parts = parsed.id.slice(2).split('.');
  return parts.map((p) => {
    if (p.length < 2) throw invalid('empty did:peer:2 element');
    return { code: p[0], value: p.slice(1) };
  });
}

/** did:peer:3 = "did:peer:3" + "z" + base58btc(multihash sha2-256 of the did:peer:2 part after "did:peer:2"). */
export function didPeer2ToPeer3(did: string): string {
  elements(did);
  return `did:peer:3${peerHash(did.slice(PREFIX.length))}`;
}

/**
 * Resolve a did:peer:3 from its did:peer:2 (`options.longForm`, or
 * `options.store`); without one, `did.not_found`; a did:peer:2 that is
 * not its long form, `did.invalid`. See the module comment for the document.
 */
export function resolveDidPeer3(did: string, options: ShortFormOptions = {}): DidDocument {
  const parsed = parseDid(did);
  if (parsed.method !== 'peer' || parsed.id[0] !== '3' || !isPeerHash(parsed.id.slice(1))) {
    throw invalid('a did:peer:3 is "did:peer:3" + a base58btc sha2-256 multihash');
  }
  const peer2 = longFormFor(did, options, didPeer2ToPeer3);
  const doc = resolveDidPeer2(peer2);
  doc.id = did;
  for (const vm of doc.verificationMethod ?? []) vm.controller = did;
  doc.alsoKnownAs = [peer2];
  return doc;
}

/** Resolve a did:peer:2 to its DID document (see module comment). */
export function resolveDidPeer2(did: string): DidDocument {
  const els = elements(did);
  const verificationMethod: MultikeyVerificationMethod[] = [];
  const relationships: Partial<Record<VerificationRelationship, string[]>> = {};
  const service: Service[] = [];
  let unnamed = 0;
  for (const el of els) {
    if (el.code === 'S') {
      for (const s of decodeDidPeer2Service(el.value)) {
        if (s.id === undefined) {
          s.id = unnamed === 0 ? '#service' : `#service-${unnamed}`;
          unnamed++;
        }
        service.push(s as Service);
      }
      continue;
    }
    const rel = CODE_RELATIONSHIP[el.code];
    if (!rel) throw invalid(`unknown did:peer:2 purpose code ${el.code}`);
    publicKeyFromMultikey(el.value);
    const id = `#key-${verificationMethod.length + 1}`;
    verificationMethod.push({ type: 'Multikey', id, controller: did, publicKeyMultibase: el.value });
    (relationships[rel] ??= []).push(id);
  }
  const doc: DidDocument = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
  };
  if (verificationMethod.length > 0) doc.verificationMethod = verificationMethod;
  for (const [rel, ids] of Object.entries(relationships)) doc[rel] = ids;
  if (service.length > 0) doc.service = service;
  doc.alsoKnownAs = [didPeer2ToPeer3(did)];
  return doc;
}

export interface GenerateDidPeer2Options {
  /** DIDComm v2 endpoint; adds one DIDCommMessaging service (accept didcomm/v2). */
  serviceUri?: string;
  /** Mediator routing keys for that service. */
  routingKeys?: string[];
}

/**
 * A fresh pairwise did:peer:2: one Ed25519 authentication key (V, `#key-1`)
 * and one independent X25519 key-agreement key (E, `#key-2`), both from the
 * crypto facade's randomness; secrets in the CLI's JWK form with absolute ids.
 */
export function generateDidPeer2(options: GenerateDidPeer2Options = {}): CreatedDid {
  const c = getCrypto();
  const ed: PrivateKey = { kind: 'Ed25519', bytes: c.randomBytes(32) };
  const x: PrivateKey = { kind: 'X25519', bytes: c.randomBytes(32) };
  const services: DidPeer2Service[] = [];
  if (options.serviceUri !== undefined) {
    if (typeof options.serviceUri !== 'string' || options.serviceUri.length === 0) throw invalid('serviceUri must be a non-empty string');
    const endpoint: Record<string, unknown> = { uri: options.serviceUri, accept: ['didcomm/v2'] };
    if (options.routingKeys && options.routingKeys.length > 0) endpoint.routingKeys = [...options.routingKeys];
    services.push({ type: 'DIDCommMessaging', serviceEndpoint: endpoint as Service['serviceEndpoint'] });
  }
  const did = createDidPeer2({
    keys: [
      { purpose: 'verification', publicKeyMultibase: publicKeyToMultikey(publicKeyFromPrivateKey(ed)) },
      { purpose: 'encryption', publicKeyMultibase: publicKeyToMultikey(publicKeyFromPrivateKey(x)) },
    ],
    services,
  });
  return {
    did,
    document: resolveDidPeer2(did),
    secrets: [jwkSecret(`${did}#key-1`, ed), jwkSecret(`${did}#key-2`, x)],
  };
}
