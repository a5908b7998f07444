/**
 * The controller's side of did:webvh 1.0: create a DID (spec §Create), add
 * entries (§Update, §Deactivate), rotate keys with pre-rotation, and sign
 * witness proofs. Every entry produced here is run through the verifier
 * before it is returned, so these functions never hand out an entry a
 * resolver would refuse (the witness threshold aside: witnesses sign after).
 *
 * Keys: an update key is an Ed25519 `Signer` (protocols/vc) whose
 * verificationMethod is `did:key:<multikey>#<multikey>`, the form did:webvh
 * proofs name their key by; `webvhSigner(seed)` makes one.
 */
import { formatDateTimeStamp, parseDateTimeStamp } from '../../vc/datetime.ts';
import { createProof } from '../../vc/data-integrity.ts';
import type { DataIntegrityProof } from '../../vc/credential.ts';
import { ed25519Signer, type Signer } from '../../vc/signer.ts';
import { DidError } from '../../errors.ts';
import { publicKeyFromPrivateKey, publicKeyToMultikey } from '../keys.ts';
import type { DidDocument, VerificationMethod } from '../types.ts';
import { webvhError, WEBVH_ERRORS } from './codes.ts';
import { parseWebvhDid, webvhDidFor } from './did.ts';
import { computeScid, entryHash, nextKeyHash, replaceInJson, SCID_PLACEHOLDER } from './hash.ts';
import { multikeyOfDidKeyUrl } from './proof.ts';
import type { LogEntry, WebvhLogParameters, WebvhState, WitnessRule } from './types.ts';
import { WEBVH_METHOD_V1 } from './types.ts';
import { verifyEntries } from './verify.ts';

const DID_CONTEXTS = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'];
/** A syntactically valid SCID standing in for `{SCID}` when the DID's syntax is checked before hashing. */
const SYNTAX_CHECK_SCID = 'Q'.repeat(46);

/** An update-key Signer over an Ed25519 seed: verificationMethod `did:key:<mk>#<mk>`. */
export function webvhSigner(seed: Uint8Array): Signer {
  const mk = publicKeyToMultikey(publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seed }));
  return ed25519Signer(`did:key:${mk}#${mk}`, seed);
}

/** The Multikey an update-key Signer signs as. Errors: `did.invalid_key`. */
export function multikeyOfSigner(signer: Signer): string {
  if (!signer || signer.algorithm !== 'Ed25519' || typeof signer.sign !== 'function') {
    throw new DidError('did.invalid_key', 'a did:webvh update key is an Ed25519 Signer');
  }
  try {
    return multikeyOfDidKeyUrl(signer.verificationMethod);
  } catch (e) {
    throw new DidError('did.invalid_key', 'a did:webvh update key signs as did:key:<multikey>#<multikey>', { cause: e });
  }
}

function multikeyOf(key: Signer | string): string {
  return typeof key === 'string' ? key : multikeyOfSigner(key);
}

/** Pre-rotation commitment to a key (Signer or Multikey): what goes in `nextKeyHashes`. */
export function nextKeyHashOf(key: Signer | string): string {
  return nextKeyHash(multikeyOf(key));
}

function vmFor(did: string, mk: string): VerificationMethod {
  return { id: `${did}#${mk}`, type: 'Multikey', controller: did, publicKeyMultibase: mk };
}

/**
 * A DID document whose keys are `multikeys` (fragment = the Multikey), each
 * listed for authentication and assertionMethod: the manufacturer signs
 * firmware with the same key that controls the log, so rotating the update
 * key also retires the firmware key.
 */
export function documentForKeys(did: string, multikeys: readonly string[]): DidDocument {
  const vms = multikeys.map((mk) => vmFor(did, mk));
  return {
    '@context': [...DID_CONTEXTS],
    id: did,
    verificationMethod: vms,
    authentication: vms.map((v) => v.id),
    assertionMethod: vms.map((v) => v.id),
  };
}

/**
 * A copy of `document` in which the verification method holding `oldKey` is
 * replaced by one holding `newKey` (id `<did>#<newKey>`), references in
 * every relationship following it. Unchanged copy when `oldKey` is absent.
 */
export function rotateDocumentKey(document: DidDocument, oldKey: string, newKey: string): DidDocument {
  const doc = JSON.parse(JSON.stringify(document)) as DidDocument;
  const old = (doc.verificationMethod ?? []).find((vm) => vm.publicKeyMultibase === oldKey);
  if (!old) return doc;
  const oldIds = [old.id, old.id.startsWith('#') ? doc.id + old.id : old.id.slice(doc.id.length)];
  const fresh = { ...vmFor(doc.id, newKey), type: old.type, controller: old.controller };
  doc.verificationMethod = (doc.verificationMethod ?? []).map((vm) => (vm === old ? fresh : vm)) as VerificationMethod[];
  for (const rel of ['authentication', 'assertionMethod', 'keyAgreement', 'capabilityInvocation', 'capabilityDelegation'] as const) {
    const list = doc[rel];
    if (Array.isArray(list)) doc[rel] = list.map((r) => (typeof r === 'string' && oldIds.includes(r) ? fresh.id : r));
  }
  return doc;
}

function timeOf(value: Date | string | undefined, notAfter?: string): string {
  if (typeof value === 'string') {
    if (parseDateTimeStamp(value) === undefined) throw webvhError(WEBVH_ERRORS.versionTime, 'versionTime must be an ISO 8601 date-time');
    return value;
  }
  // Second precision like every published example; when the clock has not
  // passed the previous entry's time yet, 1 ms after it keeps times strictly increasing.
  let t = Math.floor((value ?? new Date()).getTime() / 1000) * 1000;
  const previous = notAfter === undefined ? undefined : parseDateTimeStamp(notAfter);
  if (previous !== undefined && t <= previous) t = previous + 1;
  return formatDateTimeStamp(new Date(t));
}

function signers(keys: Signer | readonly Signer[]): Signer[] {
  const list = Array.isArray(keys) ? [...(keys as readonly Signer[])] : [keys as Signer];
  if (list.length === 0) throw webvhError(WEBVH_ERRORS.invalidParameters, 'at least one update key is needed');
  return list;
}

async function sign(entry: Record<string, unknown>, signer: Signer, created: string): Promise<LogEntry> {
  const proof: DataIntegrityProof = await createProof(entry, { signer, created });
  return { ...entry, proof: [proof] } as unknown as LogEntry;
}

/** Throws what a verifier would say about `entry` after `previous`. */
function mustVerify(entry: LogEntry, previous: WebvhState | undefined, now: Date | number | undefined): WebvhState {
  const { steps, error } = verifyEntries([entry], previous, { now });
  if (error) throw error;
  return steps[0].state;
}

export interface CreateWebvhOptions {
  /** Host, or `host:port`, where the log is published. */
  domain: string;
  /** Deployment path (`dids/issuer` or `['dids', 'issuer']`); none = `/.well-known/`. */
  path?: string | readonly string[];
  /** Update key(s); the first signs the first entry. */
  updateKeys: Signer | readonly Signer[];
  /** Pre-rotation: commitments to the keys the next entry will rotate to (see nextKeyHashOf). */
  prerotation?: { nextKeyHashes: readonly string[] };
  /** Initial document, `{SCID}` wherever the SCID goes; default: documentForKeys(did, [first update key]). */
  document?: Partial<DidDocument>;
  versionTime?: Date | string;
  portable?: boolean;
  witness?: WitnessRule;
  watchers?: readonly string[];
  ttl?: number;
  /** Further parameters as written in the entry (e.g. `deactivated: false`); the options above win. */
  parameters?: WebvhLogParameters;
  /** Clock for the self-check of the entry (default the wall clock). */
  now?: Date | number;
}

export interface CreatedWebvh {
  did: string;
  /** The one-entry log: write it as `did.jsonl` with serializeLog. */
  log: LogEntry[];
  state: WebvhState;
}

/** Create a did:webvh DID (spec §Create): SCID, first entry, its proof. */
export async function createWebvh(options: CreateWebvhOptions): Promise<CreatedWebvh> {
  const keys = signers(options.updateKeys);
  const updateKeys = keys.map(multikeyOfSigner);
  const template = webvhDidFor(options.domain, options.path ?? []);
  // refuse a domain or path no resolver would accept before signing anything
  parseWebvhDid(template.split(SCID_PLACEHOLDER).join(SYNTAX_CHECK_SCID));
  const doc = options.document
    ? { ...JSON.parse(JSON.stringify(options.document)), id: options.document.id ?? template }
    : documentForKeys(template, [updateKeys[0]]);
  if (doc.id !== template) throw webvhError(WEBVH_ERRORS.invalidDid, `the document id must be ${template}`);
  const parameters: WebvhLogParameters = {
    ...JSON.parse(JSON.stringify(options.parameters ?? {})),
    method: WEBVH_METHOD_V1,
    scid: SCID_PLACEHOLDER,
    updateKeys,
    portable: options.portable ?? options.parameters?.portable ?? false,
  };
  if (options.prerotation) parameters.nextKeyHashes = [...options.prerotation.nextKeyHashes];
  if (options.witness) parameters.witness = JSON.parse(JSON.stringify(options.witness)) as WitnessRule;
  if (options.watchers) parameters.watchers = [...options.watchers];
  if (options.ttl !== undefined) parameters.ttl = options.ttl;
  const versionTime = timeOf(options.versionTime);
  const preliminary = { versionId: SCID_PLACEHOLDER, versionTime, parameters, state: doc };
  const scid = computeScid(preliminary);
  const withScid = replaceInJson(preliminary, SCID_PLACEHOLDER, scid);
  const unsigned = { ...withScid, versionId: `1-${entryHash(withScid, scid)}` };
  const entry = await sign(unsigned, keys[0], versionTime);
  const state = mustVerify(entry, undefined, options.now);
  return { did: state.did, log: [entry], state };
}

export interface UpdateWebvhOptions {
  /** Signs the entry: an active update key, or under pre-rotation one of `rotateTo.updateKeys`. */
  signer: Signer;
  /** The new DID document (default: unchanged). */
  document?: DidDocument;
  /**
   * New update keys. Under pre-rotation they must be committed by the
   * previous `nextKeyHashes`, and `nextKeyHashes` is required (`[]` ends pre-rotation).
   */
  rotateTo?: { updateKeys: readonly (Signer | string)[]; nextKeyHashes?: readonly string[] };
  /** Deactivate the DID (updateKeys become `[]`; under pre-rotation together with the rotation). */
  deactivate?: boolean;
  /** Parameters to set as written (witness, watchers, ttl, `portable: false`, ...); rotateTo and deactivate win. */
  parameters?: WebvhLogParameters;
  versionTime?: Date | string;
  now?: Date | number;
}

/**
 * The next entry of `log` (spec §Update / §Deactivate). The log is verified
 * first (its witnesses aside); the entry is checked as a resolver would.
 * Errors: `did.webvh_deactivated`, `did.webvh_prerotation` (pre-rotation is
 * active and the update does not rotate), and any verification error.
 */
export async function updateWebvh(log: readonly LogEntry[], options: UpdateWebvhOptions): Promise<LogEntry> {
  const { steps, error } = verifyEntries(log, undefined, { now: options.now });
  if (error) throw error;
  if (steps.length === 0) throw webvhError(WEBVH_ERRORS.invalidEntry, 'cannot update an empty log');
  const state = steps[steps.length - 1].state;
  if (state.parameters.deactivated) throw webvhError(WEBVH_ERRORS.deactivated, `${state.did} is deactivated`);
  const pre = state.parameters.prerotation;
  const parameters: WebvhLogParameters = { ...(options.parameters ?? {}) };
  if (options.rotateTo) {
    parameters.updateKeys = options.rotateTo.updateKeys.map(multikeyOf);
    if (options.rotateTo.nextKeyHashes !== undefined) parameters.nextKeyHashes = [...options.rotateTo.nextKeyHashes];
    else if (pre && !options.deactivate) {
      throw webvhError(WEBVH_ERRORS.prerotation, 'pre-rotation is active: rotateTo.nextKeyHashes is required ([] ends pre-rotation)');
    }
  } else if (pre) {
    throw webvhError(WEBVH_ERRORS.prerotation, 'pre-rotation is active: an update must rotate to the committed keys (rotateTo)');
  }
  if (options.deactivate) {
    parameters.deactivated = true;
    if (pre) parameters.nextKeyHashes = [];
    else parameters.updateKeys = [];
  }
  const versionTime = timeOf(options.versionTime, state.versionTime);
  const unsigned = { versionId: state.versionId, versionTime, parameters, state: options.document ?? state.document };
  unsigned.versionId = `${state.versionNumber + 1}-${entryHash(unsigned, state.versionId)}`;
  const entry = await sign(unsigned, options.signer, versionTime);
  mustVerify(entry, state, options.now);
  return entry;
}

/** A witness's proof for `versionId` (a did-witness.json record holds these). */
export async function createWitnessProof(versionId: string, witness: Signer, created?: Date | string): Promise<DataIntegrityProof> {
  multikeyOfSigner(witness);
  return createProof({ versionId }, { signer: witness, created: created ?? timeOf(undefined) });
}
