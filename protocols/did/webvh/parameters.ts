/**
 * did:webvh 1.0 parameters (spec §did:webvh DID Method Parameters): validate
 * one entry's `parameters` against the ones in force, and work out which
 * update keys may sign that entry and which witness rule it must meet.
 *
 * Rules applied here:
 *  - only the 1.0 parameter names; `method` exactly `did:webvh:1.0` (required
 *    first, may repeat later, anything else refused: never downgraded);
 *    `scid` only in the first entry; `portable: true` only in the first entry;
 *  - `null` for watchers / witness / updateKeys / nextKeyHashes / ttl is the
 *    deprecated spelling of the default and is read as such (spec note);
 *  - update keys are Ed25519 Multikeys (the only keys eddsa-jcs-2022 signs with);
 *  - without pre-rotation, an entry is signed by the keys in force before it;
 *    with pre-rotation (previous `nextKeyHashes` non-empty), the entry must
 *    state both `updateKeys` and `nextKeyHashes`, every update key must hash
 *    into the previous commitments, and those new keys sign the entry.
 */
import { publicKeyFromMultikey } from '../keys.ts';
import { webvhError, WEBVH_ERRORS } from './codes.ts';
import { nextKeyHash } from './hash.ts';
import { isRecord } from '../../encoding/json.ts';
import type { WebvhParameters, WitnessRule } from './types.ts';
import { WEBVH_METHOD_V1 } from './types.ts';
import { governingWitnessRule, parseWitnessRule } from './witness.ts';

const KNOWN = ['method', 'scid', 'updateKeys', 'nextKeyHashes', 'witness', 'watchers', 'portable', 'deactivated', 'ttl'];
const TTL_MAX = 2 ** 31;
const DEFAULT_TTL = 3600;

export interface AppliedParameters {
  /** In force after the entry (govern the next one). */
  parameters: WebvhParameters;
  /** Keys that may sign this entry. */
  signingKeys: string[];
  /** Rule this entry must meet (null: no witnessing). */
  witnessRule: WitnessRule | null;
}

function bad(message: string): Error {
  return webvhError(WEBVH_ERRORS.invalidParameters, message);
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) throw bad(`${name} must be an array of strings`);
  return [...value];
}

function updateKeyList(value: unknown): string[] {
  const keys = stringList(value, 'updateKeys');
  for (const k of keys) {
    let kind: string;
    try {
      kind = publicKeyFromMultikey(k).kind;
    } catch (e) {
      throw webvhError(WEBVH_ERRORS.invalidParameters, 'updateKeys holds a value that is not a Multikey', e);
    }
    if (kind !== 'Ed25519') throw bad('updateKeys must be Ed25519 Multikeys (eddsa-jcs-2022)');
  }
  return keys;
}

function checkMethod(value: unknown): void {
  if (value !== WEBVH_METHOD_V1) {
    throw webvhError(WEBVH_ERRORS.unsupportedVersion, `unsupported did:webvh method version ${JSON.stringify(value)?.slice(0, 40)}`);
  }
}

/** `null` is the deprecated spelling of a parameter's default (spec note); read it so. */
function withoutNulls(raw: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> = { watchers: [], witness: {}, updateKeys: [], nextKeyHashes: [], ttl: DEFAULT_TTL };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = v === null && k in defaults ? defaults[k] : v;
  return out;
}

/**
 * Apply one entry's `parameters` to `previous` (undefined for the first
 * entry). Errors: `did.webvh_invalid_parameters`, `did.webvh_unsupported_version`,
 * `did.webvh_prerotation`.
 */
export function applyParameters(previous: WebvhParameters | undefined, input: unknown): AppliedParameters {
  if (!isRecord(input)) throw bad('parameters must be an object');
  for (const k of Object.keys(input)) if (!KNOWN.includes(k)) throw bad(`unknown parameter ${k.slice(0, 40)}`);
  const raw = withoutNulls(input);
  for (const k of ['portable', 'deactivated'] as const) {
    if (raw[k] !== undefined && typeof raw[k] !== 'boolean') throw bad(`${k} must be a boolean`);
  }
  if (raw.ttl !== undefined && (typeof raw.ttl !== 'number' || !Number.isInteger(raw.ttl) || raw.ttl < 0 || raw.ttl > TTL_MAX)) {
    throw bad('ttl must be an integer from 0 to 2^31');
  }
  const updateKeys = raw.updateKeys === undefined ? undefined : updateKeyList(raw.updateKeys);
  const nextKeyHashes = raw.nextKeyHashes === undefined ? undefined : stringList(raw.nextKeyHashes, 'nextKeyHashes');
  const watchers = raw.watchers === undefined ? undefined : stringList(raw.watchers, 'watchers');
  const witness = raw.witness === undefined ? undefined : parseWitnessRule(raw.witness);

  if (previous === undefined) {
    if (raw.method === undefined) throw bad('the first entry must set method');
    checkMethod(raw.method);
    if (typeof raw.scid !== 'string') throw bad('the first entry must set scid');
    if (updateKeys === undefined) throw bad('the first entry must set updateKeys');
    const parameters: WebvhParameters = {
      method: WEBVH_METHOD_V1,
      scid: raw.scid,
      updateKeys,
      nextKeyHashes: nextKeyHashes ?? [],
      prerotation: (nextKeyHashes ?? []).length > 0,
      portable: (raw.portable as boolean | undefined) ?? false,
      witness: witness ?? null,
      watchers: watchers ?? [],
      deactivated: (raw.deactivated as boolean | undefined) ?? false,
      ttl: (raw.ttl as number | undefined) ?? DEFAULT_TTL,
    };
    return { parameters, signingKeys: updateKeys, witnessRule: parameters.witness };
  }

  if (raw.method !== undefined) checkMethod(raw.method);
  if (raw.scid !== undefined) throw bad('scid may only appear in the first entry');
  if (raw.portable === true) throw bad('portable can only be turned on in the first entry');
  let signingKeys = previous.updateKeys;
  if (previous.prerotation) {
    if (updateKeys === undefined || nextKeyHashes === undefined) {
      throw webvhError(WEBVH_ERRORS.prerotation, 'pre-rotation is active: the entry must state updateKeys and nextKeyHashes');
    }
    if (updateKeys.length === 0) throw webvhError(WEBVH_ERRORS.prerotation, 'pre-rotation is active: updateKeys must name a committed key');
    for (const k of updateKeys) {
      if (!previous.nextKeyHashes.includes(nextKeyHash(k))) {
        throw webvhError(WEBVH_ERRORS.prerotation, 'an update key was not committed in the previous nextKeyHashes');
      }
    }
    signingKeys = updateKeys;
  }
  const next = nextKeyHashes ?? previous.nextKeyHashes;
  const parameters: WebvhParameters = {
    method: WEBVH_METHOD_V1,
    scid: previous.scid,
    updateKeys: updateKeys ?? previous.updateKeys,
    nextKeyHashes: next,
    prerotation: next.length > 0,
    portable: raw.portable === false ? false : previous.portable,
    witness: witness === undefined ? previous.witness : witness,
    watchers: watchers ?? previous.watchers,
    deactivated: (raw.deactivated as boolean | undefined) ?? previous.deactivated,
    ttl: (raw.ttl as number | undefined) ?? previous.ttl,
  };
  return { parameters, signingKeys: [...signingKeys], witnessRule: governingWitnessRule(previous.witness, witness) };
}
