/**
 * Registry edges: "issuer `from` trusts issuer `to` this much".
 *
 *   record (a Merkle leaf) = JCS({ from, to, weight, seq })
 *   update (what `from` signs) = { type: "TrustEdgeUpdate", from, to, weight, seq, proof }
 *
 * `weight` is integer millionths (score.ts); weight 0 removes the edge.
 * `seq` is the update's sequence number for this (from, to) pair: the
 * registry applies an update only when its seq is above the last applied
 * one, so an old signed update cannot be replayed to undo a newer one.
 * The proof is an eddsa-jcs-2022 Data Integrity proof (protocols/vc) by an
 * assertionMethod key of `from` — the source issuer's DID, nobody else's.
 */
import { isDid } from '../did/did-url.ts';
import type { DidResolver } from '../did/types.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { canonicalizeToBytes } from '../encoding/jcs.ts';
import { isRecord } from '../encoding/json.ts';
import { TrustError } from '../errors.ts';
import type { DataIntegrityProof } from '../vc/credential.ts';
import { createProof, verifyProof } from '../vc/data-integrity.ts';
import type { Signer } from '../vc/signer.ts';
import type { TrustProblem } from './codes.ts';
import { leafHash } from './merkle.ts';
import { isPpm } from './score.ts';

export const EDGE_UPDATE_TYPE = 'TrustEdgeUpdate';

/** One directed, weighted edge as committed in an epoch. */
export interface EdgeRecord {
  from: string;
  to: string;
  /** Integer millionths in [0, 10^6]. */
  weight: number;
  /** Sequence number of the update that set it. */
  seq: number;
}

export interface EdgeUpdate extends EdgeRecord {
  type: typeof EDGE_UPDATE_TYPE;
  proof: DataIntegrityProof;
}

/** Problems with an edge record's shape (empty when well-formed). */
export function edgeRecordProblems(r: unknown): string[] {
  if (!isRecord(r)) return ['edge record must be an object'];
  const out: string[] = [];
  if (!isDid(r.from)) out.push('from must be a DID');
  if (!isDid(r.to)) out.push('to must be a DID');
  if (isDid(r.from) && r.from === r.to) out.push('an issuer cannot trust itself');
  if (!isPpm(r.weight)) out.push('weight must be integer millionths in [0, 1000000]');
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 0) out.push('seq must be a non-negative integer');
  return out;
}

/** The record's four fields only (drops type/proof/anything else); throws `trust.invalid_record`. */
export function edgeRecord(r: unknown): EdgeRecord {
  const problems = edgeRecordProblems(r);
  if (problems.length) throw new TrustError('trust.invalid_record', problems.join('; '));
  const { from, to, weight, seq } = r as unknown as EdgeRecord;
  return { from, to, weight, seq };
}

/** Leaf data: JCS of the record (keys sorted: from, seq, to, weight). */
export function edgeLeafData(r: EdgeRecord): Uint8Array {
  return canonicalizeToBytes(edgeRecord(r));
}

/** SHA-256(0x00 || JCS(record)). */
export function edgeLeafHash(r: EdgeRecord): Uint8Array {
  return leafHash(edgeLeafData(r));
}

/**
 * edgeLeafHash for records already validated (the registry's own, at
 * epoch time: half a million of them). Same bytes as canonicalize: a DID
 * is ASCII without `"` or `\` (DID syntax), which JSON.stringify and JCS
 * serialize identically, and seq and weight are safe integers (tested
 * against canonicalize in edge.test.ts).
 */
export function validatedEdgeLeafHash(r: EdgeRecord): Uint8Array {
  return leafHash(utf8Encode(`{"from":${JSON.stringify(r.from)},"seq":${r.seq},"to":${JSON.stringify(r.to)},"weight":${r.weight}}`));
}

/**
 * Leaf order in an epoch: by `from`, then `to` (UTF-16 code units, the
 * order JCS sorts keys in). One record per pair, so the order is total
 * and anyone rebuilding the tree from the records gets the same root.
 */
export function compareEdges(a: EdgeRecord, b: EdgeRecord): number {
  if (a.from !== b.from) return a.from < b.from ? -1 : 1;
  if (a.to !== b.to) return a.to < b.to ? -1 : 1;
  return 0;
}

export interface SignEdgeOptions {
  /** An assertion key of `from`. */
  signer: Signer;
  created?: Date | string;
}

/** `from` signs its trust in `to` (weight in millionths; 0 withdraws it). */
export async function signEdgeUpdate(record: EdgeRecord, options: SignEdgeOptions): Promise<EdgeUpdate> {
  const r = edgeRecord(record);
  const unsigned = { type: EDGE_UPDATE_TYPE, ...r };
  const proof = await createProof(unsigned, { signer: options.signer, created: options.created, proofPurpose: 'assertionMethod' });
  return { ...unsigned, proof } as EdgeUpdate;
}

export interface VerifyEdgeOptions {
  resolver: DidResolver;
  now?: Date;
}

/**
 * Checks a signed update: shape, and a valid eddsa-jcs-2022 proof by an
 * assertionMethod key controlled by `from`. Returns the record or the
 * problems (never throws for bad input).
 */
export async function verifyEdgeUpdate(
  update: unknown,
  options: VerifyEdgeOptions,
): Promise<{ valid: true; record: EdgeRecord } | { valid: false; problems: TrustProblem[] }> {
  if (!isRecord(update) || update.type !== EDGE_UPDATE_TYPE) {
    return { valid: false, problems: [{ code: 'trust.invalid_record', message: `an edge update is an object of type ${EDGE_UPDATE_TYPE}` }] };
  }
  const shape = edgeRecordProblems(update);
  if (shape.length) return { valid: false, problems: [{ code: 'trust.invalid_record', message: shape.join('; ') }] };
  if (Array.isArray(update.proof)) {
    return { valid: false, problems: [{ code: 'trust.invalid_record', message: 'an edge update carries exactly one proof' }] };
  }
  const result = await verifyProof(update, { resolver: options.resolver, now: options.now });
  const problems: TrustProblem[] = [];
  if (!result.verified) {
    problems.push({ code: 'trust.invalid_signature', message: `edge update signature: ${result.errors.map((e) => e.code).join(', ')}` });
  } else if (result.proofs[0]?.controller !== update.from) {
    problems.push({ code: 'trust.upstream_mismatch', message: `edge update signed by ${String(result.proofs[0]?.controller)}, not by its source ${String(update.from)}` });
  }
  if (problems.length) return { valid: false, problems };
  return { valid: true, record: edgeRecord(update) };
}
