/**
 * The bottom-up trust registry: listed issuers (ledger.ts), the edges they
 * sign (edge.ts), epochs that commit the edges in force to a Merkle root
 * signed by k of n maintainers (epoch.ts), and path queries answered with
 * Merkle proofs (graph.ts, answer.ts).
 *
 * Life of an edge: issuer `from` signs an update; the registry checks the
 * signature, that `from` is listed and that the sequence number is new,
 * and keeps it as live state. `closeEpoch` snapshots the live edges whose
 * two ends are listed (weight > 0), builds the tree and the graph, and
 * proposes the epoch; once k maintainers have signed it, it becomes the
 * epoch queries are answered from. Between epochs, answers keep coming
 * from the last published one, so every answer is provable.
 *
 * Neutral code: the service (manufacturer/registry) keeps it in memory and
 * persists `toJSON()`.
 */
import { getCrypto } from '../crypto/index.ts';
import { isDid } from '../did/did-url.ts';
import type { DidResolver } from '../did/types.ts';
import { bytesToHex } from '../encoding/bytes.ts';
import { canonicalize } from '../encoding/jcs.ts';
import { TrustError } from '../errors.ts';
import type { Signer } from '../vc/signer.ts';
import { Ledger, type AccountingRules, type Challenge, type ChallengeOutcome, type FeeSplit, type LedgerJson, type Voucher } from './accounting.ts';
import { ANSWER_TYPE, type TrustAnswer } from './answer.ts';
import { compareEdges, edgeRecord, validatedEdgeLeafHash, verifyEdgeUpdate, type EdgeRecord } from './edge.ts';
import { epochBody, signEpoch, verifyEpoch, type EpochBody, type SignedEpoch } from './epoch.ts';
import { TrustGraph } from './graph.ts';
import { MerkleTree, type MerkleProof } from './merkle.ts';
import { formatPpm, meetsThreshold, parseWeight, scoreToJson } from './score.ts';

export interface TrustRegistryOptions {
  /** The registry's identifier, written into every epoch. */
  id: string;
  /** Maintainer DIDs and k (how many must sign an epoch). */
  maintainers: readonly string[];
  threshold: number;
  /** Resolves issuers' DIDs (edge signatures) and maintainers' (epoch signatures). */
  resolver: DidResolver;
  rules?: Partial<AccountingRules>;
  /** Longest path a query considers (default 16). */
  maxPathLength?: number;
}

export interface QueryInput {
  /** The verifier's trusted issuers. */
  trusted: readonly string[];
  /** The credential's issuer. */
  issuer: string;
  /** Informative threshold (number or decimal string in [0, 1]); the client checks its own. */
  threshold?: number | string;
  /** Seeds the tie-break; the verifier should choose it (default: 16 random bytes, hex). */
  nonce?: string;
}

/** An epoch with everything needed to answer from it. */
interface Snapshot {
  epoch: SignedEpoch;
  records: EdgeRecord[];
  tree: MerkleTree;
  graph: TrustGraph;
}

export interface TrustRegistryJson {
  id: string;
  edges: EdgeRecord[];
  ledger: LedgerJson;
  current?: { epoch: SignedEpoch; records: EdgeRecord[] };
  pending?: { epoch: SignedEpoch; records: EdgeRecord[] };
}

const pairKey = (from: string, to: string): string => `${from}\u0000${to}`;

export class TrustRegistry {
  readonly id: string;
  readonly ledger: Ledger;
  private readonly options: TrustRegistryOptions;
  private readonly edges = new Map<string, EdgeRecord>();
  private current?: Snapshot;
  private pending?: Snapshot;

  constructor(options: TrustRegistryOptions) {
    if (!options || typeof options.id !== 'string' || options.id.length === 0) throw new TrustError('trust.invalid_argument', 'a registry needs an id');
    const { maintainers, threshold } = options;
    if (!Array.isArray(maintainers) || !maintainers.every(isDid) || new Set(maintainers).size !== maintainers.length) {
      throw new TrustError('trust.invalid_argument', 'maintainers must be distinct DIDs');
    }
    if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > maintainers.length) {
      throw new TrustError('trust.invalid_argument', 'threshold k must satisfy 1 <= k <= number of maintainers');
    }
    if (!options.resolver) throw new TrustError('trust.invalid_argument', 'a registry needs a DID resolver');
    this.id = options.id;
    this.options = options;
    this.ledger = new Ledger(options.rules);
  }

  /** The live record for a pair (weight 0 = withdrawn), if any update was applied. */
  edge(from: string, to: string): EdgeRecord | undefined {
    const r = this.edges.get(pairKey(from, to));
    return r ? { ...r } : undefined;
  }

  /**
   * Applies an edge update signed by its source. Errors (TrustError):
   * the verification problems (`trust.invalid_record`, `trust.invalid_signature`,
   * `trust.upstream_mismatch`), `trust.not_listed` (the source has no stake),
   * `trust.stale_update` (seq not above the last applied one).
   */
  async submitEdgeUpdate(update: unknown, now?: Date): Promise<EdgeRecord> {
    const v = await verifyEdgeUpdate(update, { resolver: this.options.resolver, now });
    if (!v.valid) throw new TrustError(v.problems[0].code as `trust.${string}`, v.problems.map((p) => p.message).join('; '));
    if (!this.ledger.isListed(v.record.from)) throw new TrustError('trust.not_listed', `${v.record.from} is not a listed issuer`);
    this.apply(v.record);
    return { ...v.record };
  }

  /**
   * Imports records without signatures: the operator's path for restoring
   * stored state or loading test and benchmark graphs. Same sequence rule.
   */
  importEdges(records: readonly EdgeRecord[]): void {
    for (const r of records) this.apply(edgeRecord(r));
  }

  private apply(r: EdgeRecord): void {
    const key = pairKey(r.from, r.to);
    const old = this.edges.get(key);
    if (old && r.seq <= old.seq) throw new TrustError('trust.stale_update', `update ${r.seq} for ${r.from} -> ${r.to} is not newer than ${old.seq}`);
    this.edges.set(key, { ...r });
  }

  /** Snapshots the live edges between listed issuers and proposes the next epoch (replacing an unsigned proposal). */
  closeEpoch(created?: Date | string): EpochBody {
    const records = [...this.edges.values()]
      .filter((r) => r.weight > 0 && this.ledger.isListed(r.from) && this.ledger.isListed(r.to))
      .sort(compareEdges);
    const tree = treeOf(records);
    const body = epochBody({
      registry: this.id,
      epoch: this.current ? this.current.epoch.epoch + 1 : 0,
      root: bytesToHex(tree.root()),
      size: records.length,
      created,
    });
    this.pending = { epoch: body, records, tree, graph: new TrustGraph(records) };
    return { ...body };
  }

  /** The epoch awaiting signatures (with the proofs so far). */
  pendingEpoch(): SignedEpoch | undefined {
    return this.pending ? clone(this.pending.epoch) : undefined;
  }

  /** The epoch queries are answered from. */
  currentEpoch(): SignedEpoch | undefined {
    return this.current ? clone(this.current.epoch) : undefined;
  }

  /** The records of the current epoch, in leaf order (public: anyone may audit answers). */
  currentRecords(): EdgeRecord[] {
    return this.current ? this.current.records.map((r) => ({ ...r })) : [];
  }

  /**
   * Adds the proofs of `signed` (a maintainer's signed copy of the pending
   * epoch) to the pending epoch; publishes it once k maintainers signed.
   * Errors: `trust.invalid_record` (no pending epoch, or another body),
   * `trust.invalid_signature` (a new proof that does not count).
   */
  async addEpochSignatures(signed: SignedEpoch, now?: Date): Promise<{ published: boolean; signers: string[] }> {
    const p = this.pending;
    if (!p) throw new TrustError('trust.invalid_record', 'no epoch is awaiting signatures');
    const { proof: incoming, ...body } = signed ?? ({} as SignedEpoch);
    const { proof: existing, ...mine } = p.epoch;
    if (canonicalize(body) !== canonicalize(mine)) throw new TrustError('trust.invalid_record', 'the signed epoch is not the pending one');
    const have = toList(existing);
    const fresh = toList(incoming).filter((x) => !have.some((h) => h.proofValue === x.proofValue));
    const candidate: SignedEpoch = { ...mine, proof: [...have, ...fresh] };
    const before = have.length ? await this.verify({ ...mine, proof: have }, now) : { signers: [] as string[] };
    const after = await this.verify(candidate, now);
    if (fresh.length > 0 && after.signers.length <= before.signers.length) {
      throw new TrustError('trust.invalid_signature', 'the new signature(s) add no valid signature of another maintainer to this epoch');
    }
    p.epoch = candidate;
    const published = after.signers.length >= this.options.threshold;
    if (published) {
      this.current = p;
      this.pending = undefined;
    }
    return { published, signers: after.signers };
  }

  /** A maintainer holding its key locally signs the pending epoch. */
  async signPendingEpoch(signer: Signer, now?: Date): Promise<{ published: boolean; signers: string[] }> {
    if (!this.pending) throw new TrustError('trust.invalid_record', 'no epoch is awaiting signatures');
    const body = { ...this.pending.epoch };
    delete body.proof;
    return this.addEpochSignatures(await signEpoch(body, signer), now);
  }

  private verify(epoch: SignedEpoch, now?: Date): ReturnType<typeof verifyEpoch> {
    return verifyEpoch(epoch, { maintainers: this.options.maintainers, threshold: this.options.threshold, resolver: this.options.resolver, now, registry: this.id });
  }

  /** Answers a path query from the current epoch (`trust.invalid_record` when none is published yet). */
  query(input: QueryInput): TrustAnswer {
    const c = this.current;
    if (!c) throw new TrustError('trust.invalid_record', 'no epoch has been published yet');
    if (!Array.isArray(input?.trusted) || !input.trusted.every(isDid)) throw new TrustError('trust.invalid_argument', 'trusted must be a list of DIDs');
    if (!isDid(input.issuer)) throw new TrustError('trust.invalid_argument', 'issuer must be a DID');
    const threshold = input.threshold === undefined ? undefined : parseWeight(input.threshold, 'threshold');
    const nonce = input.nonce ?? bytesToHex(getCrypto().randomBytes(16));
    if (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > 256) throw new TrustError('trust.invalid_argument', 'nonce must be a string of 1-256 characters');
    const found = c.graph.findPath(input.trusted, input.issuer, { nonce, maxLength: this.options.maxPathLength });
    const base = { type: ANSWER_TYPE as typeof ANSWER_TYPE, registry: this.id, nonce, trusted: [...input.trusted], issuer: input.issuer, epoch: clone(c.epoch) };
    if (!found) {
      return { ...base, found: false, path: [], edges: [], score: { numerator: '0', denominator: '1', value: '0' }, ties: '0' };
    }
    const answer: TrustAnswer = {
      ...base,
      found: true,
      path: found.path,
      edges: found.edges.map((e) => ({ record: { ...c.records[e] }, proof: c.tree.proof(e) })),
      score: scoreToJson(found.score),
      ties: found.ties.toString(),
    };
    if (threshold !== undefined) {
      answer.threshold = formatPpm(threshold);
      answer.meetsThreshold = meetsThreshold(found.score, threshold);
    }
    return answer;
  }

  /** Inclusion proof of one edge in the current epoch. */
  edgeProof(from: string, to: string): { record: EdgeRecord; proof: MerkleProof } | undefined {
    const c = this.current;
    if (!c) return undefined;
    let lo = 0;
    let hi = c.records.length - 1;
    const probe = { from, to, weight: 0, seq: 0 };
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const cmp = compareEdges(c.records[mid], probe);
      if (cmp === 0) return { record: { ...c.records[mid] }, proof: c.tree.proof(mid) };
      if (cmp < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Issuers with an edge into `did` in the current epoch (who vouched for it). */
  vouchersOf(did: string): Voucher[] {
    return (this.current?.records ?? []).filter((r) => r.to === did).map((r) => ({ did: r.from, weight: r.weight }));
  }

  /** Fee for an answer: split along its path (ledger.ts rules). */
  payFee(fee: bigint, path: readonly string[]): FeeSplit {
    return this.ledger.payFee(fee, path);
  }

  /** Challenges a listed issuer; its vouchers are taken from the current epoch now. */
  openChallenge(input: { challenger: string; target: string; bond: bigint; reason?: string }): Challenge {
    return this.ledger.openChallenge({ ...input, vouchers: this.vouchersOf(input.target) });
  }

  resolveChallenge(id: string, upheld: boolean): ChallengeOutcome {
    return this.ledger.resolveChallenge(id, upheld);
  }

  toJSON(): TrustRegistryJson {
    const snap = (s: Snapshot | undefined) => (s ? { epoch: clone(s.epoch), records: s.records.map((r) => ({ ...r })) } : undefined);
    const out: TrustRegistryJson = { id: this.id, edges: [...this.edges.values()].map((r) => ({ ...r })), ledger: this.ledger.toJSON() };
    if (this.current) out.current = snap(this.current);
    if (this.pending) out.pending = snap(this.pending);
    return out;
  }

  /** Restores state saved by toJSON (the epochs are rebuilt and must match their roots). */
  static fromJSON(json: TrustRegistryJson, options: TrustRegistryOptions): TrustRegistry {
    if (json.id !== options.id) throw new TrustError('trust.invalid_record', `state of registry ${json.id}, expected ${options.id}`);
    const r = new TrustRegistry(options);
    (r as { ledger: Ledger }).ledger = Ledger.fromJSON(json.ledger, options.rules);
    r.importEdges(json.edges);
    const rebuild = (s: { epoch: SignedEpoch; records: EdgeRecord[] }): Snapshot => {
      const records = s.records.map(edgeRecord);
      const tree = treeOf(records);
      if (bytesToHex(tree.root()) !== s.epoch.root || records.length !== s.epoch.size) {
        throw new TrustError('trust.invalid_record', `stored records do not hash to epoch ${s.epoch.epoch}'s root`);
      }
      return { epoch: clone(s.epoch), records, tree, graph: new TrustGraph(records) };
    };
    if (json.current) r.current = rebuild(json.current);
    if (json.pending) r.pending = rebuild(json.pending);
    return r;
  }
}

/** The epoch tree over validated records, in the order given. */
function treeOf(records: readonly EdgeRecord[]): MerkleTree {
  const hashes = new Uint8Array(records.length * 32);
  for (let i = 0; i < records.length; i++) hashes.set(validatedEdgeLeafHash(records[i]), i * 32);
  return new MerkleTree(hashes);
}

function toList<T>(p: T | T[] | undefined): T[] {
  return p === undefined ? [] : Array.isArray(p) ? [...p] : [p];
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}
