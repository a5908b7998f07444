/**
 * Stage assignment: which devices of a class get a release in which stage.
 *
 * Each device's rank is the SHA-256 of `rolloutId \n deviceDid` (a stable,
 * unpredictable order per rollout, so the 1% of one rollout is not always
 * the same unlucky 1% of the fleet). Stage i holds the devices ranked below
 * ceil(percent_i / 100 * N) and not in an earlier stage: cumulative, so the
 * 10% stage includes the devices of the 1% stage. Choice: ceil, so a
 * non-empty fleet always has at least one device in the first stage; with a
 * small fleet a later stage may add nobody (such a stage is passed at once).
 * The device list is a snapshot taken when the rollout is created.
 */
import { getCrypto } from '../../protocols/crypto/index.ts';
import { bytesToHex, utf8Encode } from '../../protocols/encoding/bytes.ts';
import { ReleaseError } from './errors.ts';

export const DEFAULT_STAGES: readonly number[] = Object.freeze([1, 10, 50, 100]);

/** Stages as given by staff: strictly increasing percentages in (0, 100], the last 100. */
export function checkStages(stages: readonly number[]): number[] {
  const bad = (why: string): never => {
    throw new ReleaseError('release.invalid_stages', `stages ${why}`);
  };
  if (!Array.isArray(stages) || stages.length === 0 || stages.length > 20) bad('must be 1 to 20 percentages');
  let prev = 0;
  for (const p of stages) {
    if (typeof p !== 'number' || !Number.isFinite(p) || p <= prev || p > 100) bad('must be strictly increasing percentages in (0, 100]');
    prev = p;
  }
  if (prev !== 100) bad('must end at 100');
  return [...stages];
}

/** The rank key of a device in a rollout (hex SHA-256, compared as text). */
export function stageRankKey(rolloutId: string, deviceDid: string): string {
  return bytesToHex(getCrypto().sha256(utf8Encode(`${rolloutId}\n${deviceDid}`)));
}

export interface StageAssignment {
  did: string;
  /** Index into the stages. */
  stage: number;
  /** Position in the rollout's order (0 first). */
  rank: number;
}

/** Assigns each device (duplicates removed) to a stage; see the module comment. */
export function assignStages(rolloutId: string, deviceDids: readonly string[], stages: readonly number[]): StageAssignment[] {
  const checked = checkStages(stages);
  const dids = [...new Set(deviceDids)];
  const keyed = dids.map((did) => ({ did, key: stageRankKey(rolloutId, did) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.did < b.did ? -1 : 1));
  const cumulative = checked.map((p) => Math.ceil((p / 100) * keyed.length - 1e-9));
  return keyed.map(({ did }, rank) => ({ did, rank, stage: cumulative.findIndex((upTo) => rank < upTo) }));
}
