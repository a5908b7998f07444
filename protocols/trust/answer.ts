/**
 * A registry's answer to a path query, and its verification by the client
 * (a phone, a device, a shop's till: offline, in XS):
 *
 *   { type: "TrustRegistryAnswer", registry, nonce, trusted, issuer, found,
 *     path: [t0, …, tn], edges: [{ record, proof }], score, ties, epoch }
 *
 * `edges[i].record` is the committed record for path[i] → path[i+1] and
 * `proof` its RFC 9162 inclusion proof in the epoch's tree; `epoch` is the
 * signed epoch (k of n maintainers). What the client checks:
 *   1. the epoch carries k valid signatures from *its* pinned maintainers;
 *   2. every edge's proof leads from JCS(record) to the epoch root;
 *   3. the edges chain from one of *its* trusted issuers to the issuer it
 *      asked about;
 *   4. the score is the exact product of the weights, and meets *its*
 *      threshold (the answer's own threshold and score fields are not trusted).
 * What it cannot check from the answer alone: that no shorter or better path
 * exists (that needs the whole graph; the epoch's records are public, so
 * anyone can audit a registry that answers badly).
 */
import type { DidResolver } from '../did/types.ts';
import { hexToBytes } from '../encoding/bytes.ts';
import { isRecord } from '../encoding/json.ts';
import type { TrustProblem } from './codes.ts';
import { edgeLeafHash, edgeRecordProblems, type EdgeRecord } from './edge.ts';
import { verifyEpoch, type SignedEpoch } from './epoch.ts';
import { verifyInclusion, type MerkleProof } from './merkle.ts';
import { meetsThreshold, parseWeight, pathScore, scoreToJson, type Score, type ScoreJson } from './score.ts';

export const ANSWER_TYPE = 'TrustRegistryAnswer';

export interface AnswerEdge {
  record: EdgeRecord;
  proof: MerkleProof;
}

export interface TrustAnswer {
  type: typeof ANSWER_TYPE;
  registry: string;
  nonce: string;
  trusted: string[];
  issuer: string;
  found: boolean;
  /** From a trusted issuer to the credential's issuer (empty when not found). */
  path: string[];
  edges: AnswerEdge[];
  score: ScoreJson;
  /** Number of tied optimal paths (decimal string); one was chosen by the nonce. */
  ties: string;
  /** The threshold the query named, and whether the score meets it (informative only). */
  threshold?: string;
  meetsThreshold?: boolean;
  epoch: SignedEpoch;
}

export interface VerifyAnswerOptions {
  /** The verifier's pinned maintainers and k. */
  maintainers: readonly string[];
  threshold: number;
  /** Resolves the maintainers' DIDs (did:key: createDefaultResolver()). */
  resolver: DidResolver;
  /** The verifier's own trusted issuers. */
  trusted: readonly string[];
  /** The issuer whose trust is in question. */
  issuer: string;
  /** Minimum score, number or decimal string in [0, 1] (default 0: any path). */
  minScore?: number | string;
  /** When given, the epoch must be this registry's. */
  registry?: string;
  now?: Date;
}

export interface AnswerStep {
  check: 'shape' | 'epoch' | 'endpoints' | 'edge' | 'score' | 'threshold';
  ok: boolean;
  message: string;
  code?: string;
}

export interface AnswerVerification {
  /** Everything holds, threshold included. */
  valid: boolean;
  path: string[];
  score?: ScoreJson;
  epoch?: number;
  signers: string[];
  steps: AnswerStep[];
  problems: TrustProblem[];
}

/** Verifies a TrustAnswer against the verifier's own configuration. Never throws for bad input. */
export async function verifyAnswer(answer: unknown, options: VerifyAnswerOptions): Promise<AnswerVerification> {
  const steps: AnswerStep[] = [];
  const problems: TrustProblem[] = [];
  const step = (check: AnswerStep['check'], ok: boolean, message: string, code?: string): void => {
    steps.push(code ? { check, ok, message, code } : { check, ok, message });
    if (!ok) problems.push({ code: code ?? 'trust.invalid_record', message });
  };
  const done = (extra: Partial<AnswerVerification> = {}): AnswerVerification => ({
    valid: problems.length === 0,
    path: [],
    signers: [],
    steps,
    problems,
    ...extra,
  });

  let minScore = 0;
  try {
    minScore = options?.minScore === undefined ? 0 : parseWeight(options.minScore, 'minimum score');
  } catch (e) {
    step('shape', false, (e as Error).message, 'trust.invalid_argument');
    return done();
  }
  const shapeProblem = answerShapeProblem(answer);
  if (shapeProblem) {
    step('shape', false, shapeProblem, 'trust.invalid_record');
    return done();
  }
  const a = answer as TrustAnswer;
  if (!a.found) {
    step('shape', false, `the registry found no path to ${a.issuer}`, 'trust.no_path');
    return done();
  }
  step('shape', true, `answer for ${a.issuer}, ${a.edges.length} edge(s)`);

  const ev = await verifyEpoch(a.epoch, {
    maintainers: options.maintainers,
    threshold: options.threshold,
    resolver: options.resolver,
    now: options.now,
    registry: options.registry,
  });
  if (ev.valid) step('epoch', true, `epoch ${a.epoch.epoch} signed by ${ev.signers.length} of the pinned maintainers (k = ${options.threshold})`);
  for (const p of ev.problems) step('epoch', false, p.message, p.code);

  const path = a.path;
  if (path[path.length - 1] !== options.issuer) {
    step('endpoints', false, `the path ends at ${String(path[path.length - 1])}, not at ${options.issuer}`, 'trust.broken_path');
  } else if (!options.trusted.includes(path[0])) {
    step('endpoints', false, `the path starts at ${path[0]}, which is not one of the verifier's trusted issuers`, 'trust.broken_path');
  } else {
    step('endpoints', true, `from trusted ${path[0]} to ${options.issuer}`);
  }

  const root = typeof a.epoch.root === 'string' && /^[0-9a-f]{64}$/.test(a.epoch.root) ? hexToBytes(a.epoch.root) : undefined;
  for (let i = 0; i < a.edges.length; i++) {
    const { record, proof } = a.edges[i];
    if (record.from !== path[i] || record.to !== path[i + 1] || record.weight <= 0) {
      step('edge', false, `edge ${i} (${record.from} -> ${record.to}) does not join path[${i}] to path[${i + 1}] with a positive weight`, 'trust.broken_path');
      continue;
    }
    const ok = root !== undefined && proof.size === a.epoch.size && verifyInclusion(edgeLeafHash(record), proof, root);
    if (ok) step('edge', true, `edge ${record.from} -> ${record.to} (weight ${record.weight / 1e6}) is in epoch ${a.epoch.epoch}`);
    else step('edge', false, `edge ${record.from} -> ${record.to}: its Merkle proof does not lead to the epoch root`, 'trust.invalid_merkle_proof');
  }

  const score: Score = pathScore(a.edges.map((e) => e.record.weight));
  const json = scoreToJson(score);
  if (json.numerator !== a.score.numerator || json.denominator !== a.score.denominator) {
    step('score', false, `the answer claims score ${a.score.value}, the edges give ${json.value}`, 'trust.score_mismatch');
  } else {
    step('score', true, `score ${json.value} = product of ${a.edges.length} weight(s)`);
  }
  if (meetsThreshold(score, minScore)) step('threshold', true, `score ${json.value} >= ${minScore / 1e6}`);
  else step('threshold', false, `score ${json.value} is below the threshold ${minScore / 1e6}`, 'trust.below_threshold');
  return done({ path: [...path], score: json, epoch: a.epoch.epoch, signers: ev.signers });
}

/** The first structural problem of an answer, or undefined. */
export function answerShapeProblem(answer: unknown): string | undefined {
  if (!isRecord(answer) || answer.type !== ANSWER_TYPE) return `an answer is an object of type ${ANSWER_TYPE}`;
  if (typeof answer.found !== 'boolean') return 'found must be a boolean';
  if (typeof answer.issuer !== 'string') return 'issuer must be a string';
  if (!answer.found) return undefined;
  const { path, edges, score, epoch } = answer;
  if (!Array.isArray(path) || path.length === 0 || !path.every((d) => typeof d === 'string')) return 'path must be a non-empty list of DIDs';
  if (!Array.isArray(edges) || edges.length !== path.length - 1) return 'edges must hold one entry per step of the path';
  for (const e of edges) {
    if (!isRecord(e)) return 'each edge is {record, proof}';
    const rp = edgeRecordProblems(e.record);
    if (rp.length) return `edge record: ${rp.join('; ')}`;
    if (!isRecord(e.proof)) return 'each edge needs a Merkle proof';
  }
  if (!isRecord(score) || typeof score.numerator !== 'string' || typeof score.denominator !== 'string') return 'score must be {numerator, denominator, value}';
  if (!isRecord(epoch)) return 'epoch must be the signed epoch object';
  return undefined;
}
