/**
 * Registry epochs: the Merkle root of every edge in force, signed by k of
 * the n registry maintainers.
 *
 *   { type: "TrustRegistryEpoch", registry, epoch, root, size, created, proof: [...] }
 *
 * `root` is the RFC 6962 tree head (hex) over the epoch's edge records in
 * (from, to) order, `size` their number. Each maintainer adds an
 * eddsa-jcs-2022 proof to the proof set (protocols/vc addProof), each over
 * the epoch without the other proofs, so maintainers sign independently
 * and in any order.
 *
 * Who the maintainers are, and k, is the verifier's configuration, never
 * read from the epoch: an epoch naming its own signers would let anyone
 * mint one. Proofs by other DIDs are ignored; a maintainer signing twice
 * counts once.
 */
import type { DidResolver } from '../did/types.ts';
import { isRecord } from '../encoding/json.ts';
import { TrustError } from '../errors.ts';
import type { DataIntegrityProof } from '../vc/credential.ts';
import { addProof, verifyProof } from '../vc/data-integrity.ts';
import { formatDateTimeStamp, isDateTimeStamp } from '../vc/datetime.ts';
import type { Signer } from '../vc/signer.ts';
import type { TrustProblem } from './codes.ts';

export const EPOCH_TYPE = 'TrustRegistryEpoch';

export interface EpochBody {
  type: typeof EPOCH_TYPE;
  /** The registry's identifier (a URL or DID), so an epoch of one registry is not taken for another's. */
  registry: string;
  /** 0, 1, 2, ... */
  epoch: number;
  /** Merkle tree head over the edge records, lowercase hex. */
  root: string;
  /** Number of edge records (leaves). */
  size: number;
  created: string;
}

export type SignedEpoch = EpochBody & { proof?: DataIntegrityProof | DataIntegrityProof[] };

export function epochProblems(e: unknown): string[] {
  if (!isRecord(e)) return ['epoch must be an object'];
  const out: string[] = [];
  if (e.type !== EPOCH_TYPE) out.push(`type must be ${EPOCH_TYPE}`);
  if (typeof e.registry !== 'string' || e.registry.length === 0) out.push('registry must be a non-empty string');
  if (!Number.isSafeInteger(e.epoch) || (e.epoch as number) < 0) out.push('epoch must be a non-negative integer');
  if (typeof e.root !== 'string' || !/^[0-9a-f]{64}$/.test(e.root)) out.push('root must be 64 lowercase hex digits');
  if (!Number.isSafeInteger(e.size) || (e.size as number) < 0) out.push('size must be a non-negative integer');
  if (!isDateTimeStamp(e.created)) out.push('created must be an XML Schema dateTimeStamp');
  return out;
}

/** An unsigned epoch body (validated). */
export function epochBody(fields: Omit<EpochBody, 'type' | 'created'> & { created?: Date | string }): EpochBody {
  const created = fields.created === undefined ? formatDateTimeStamp(new Date()) : typeof fields.created === 'string' ? fields.created : formatDateTimeStamp(fields.created);
  const body: EpochBody = { type: EPOCH_TYPE, registry: fields.registry, epoch: fields.epoch, root: fields.root, size: fields.size, created };
  const problems = epochProblems(body);
  if (problems.length) throw new TrustError('trust.invalid_record', problems.join('; '));
  return body;
}

/** One maintainer's signature added to the epoch's proof set. */
export async function signEpoch(epoch: SignedEpoch, signer: Signer, created?: Date | string): Promise<SignedEpoch> {
  const problems = epochProblems(epoch);
  if (problems.length) throw new TrustError('trust.invalid_record', problems.join('; '));
  return (await addProof(epoch as unknown as Record<string, unknown>, { signer, created: created ?? epoch.created, proofPurpose: 'assertionMethod' })) as unknown as SignedEpoch;
}

export interface VerifyEpochOptions {
  /** The DIDs whose signatures count (the verifier's pinned maintainer set). */
  maintainers: readonly string[];
  /** k: distinct maintainers that must have signed. */
  threshold: number;
  resolver: DidResolver;
  now?: Date;
  /** When given, the epoch must be this registry's. */
  registry?: string;
}

export interface EpochVerification {
  valid: boolean;
  /** Distinct maintainers with a valid signature. */
  signers: string[];
  problems: TrustProblem[];
  /** What each proof came to, for the explanation. */
  proofs: { controller?: string; verified: boolean; counted: boolean; errors: string[] }[];
}

/** k-of-n check of an epoch's signatures. Never throws for bad input. */
export async function verifyEpoch(epoch: unknown, options: VerifyEpochOptions): Promise<EpochVerification> {
  const fail = (code: string, message: string): EpochVerification => ({ valid: false, signers: [], problems: [{ code, message }], proofs: [] });
  const k = options?.threshold;
  const maintainers = options?.maintainers;
  if (!Array.isArray(maintainers) || !Number.isSafeInteger(k) || k < 1 || k > maintainers.length) {
    return fail('trust.invalid_argument', 'threshold k must satisfy 1 <= k <= number of maintainers');
  }
  const shape = epochProblems(epoch);
  if (shape.length) return fail('trust.invalid_record', shape.join('; '));
  const e = epoch as SignedEpoch;
  if (options.registry !== undefined && e.registry !== options.registry) {
    return fail('trust.invalid_record', `epoch of registry ${e.registry}, expected ${options.registry}`);
  }
  const result = await verifyProof(e, { resolver: options.resolver, now: options.now });
  const signers = new Set<string>();
  const proofs = result.proofs.map((p) => {
    const counted = p.verified && p.controller !== undefined && maintainers.includes(p.controller) && !signers.has(p.controller);
    if (counted) signers.add(p.controller as string);
    return { controller: p.controller, verified: p.verified, counted, errors: p.errors.map((x) => x.code) };
  });
  const problems: TrustProblem[] = [];
  if (signers.size < k) {
    problems.push({
      code: 'trust.epoch_below_threshold',
      message: `epoch ${e.epoch} has ${signers.size} valid maintainer signature(s), ${k} required`,
    });
  }
  return { valid: problems.length === 0, signers: [...signers], problems, proofs };
}
