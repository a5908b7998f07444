/**
 * The registry's trust graph and its path query.
 *
 * Query: from any of the verifier's trusted issuers (sources) to the
 * credential's issuer (target):
 *  1. shortest path: fewest edges (breadth-first search from all sources at
 *     once, on plain integers, stopping once the target is reached);
 *  2. among shortest paths, the highest score (product of weights, exact:
 *     score.ts) — a dynamic programme, level by level, over the
 *     shortest-path DAG only (the nodes from which the target is reached in
 *     the remaining hops), so bigint arithmetic touches a handful of nodes,
 *     not the whole search;
 *  3. remaining ties: one of the tied paths uniformly at random, seeded by
 *     the query's nonce, so no issuer is favoured by its name (a
 *     lexicographic rule would always pick "did:a…" over "did:z…") and the
 *     same query (same nonce) always gets the same answer.
 *
 * Rule 3 precisely: count[v] = number of optimal paths from a source to v
 * (bigint). Walking back from the target, at node v on level d the tied
 * predecessors u (sorted by DID) are weighted by count[u]; with
 * r = SHA-256(JCS(["ssiot-trust-tiebreak/v1", nonce, v, d])) as a 256-bit
 * integer mod count[v], the predecessor whose cumulative-count interval
 * contains r is taken. The product of the choice probabilities telescopes
 * to 1/count[target]: every tied path is equally likely over nonces.
 *
 * Storage is compressed sparse rows over typed arrays (forward and
 * reverse), so 100,000 issuers and half a million edges fit comfortably.
 */
import { getCrypto } from '../crypto/index.ts';
import { bytesToHex } from '../encoding/bytes.ts';
import { canonicalizeToBytes } from '../encoding/jcs.ts';
import { TrustError } from '../errors.ts';
import { type EdgeRecord } from './edge.ts';
import { type Score } from './score.ts';

const SCALE = 1_000_000n;
const TIEBREAK_TAG = 'ssiot-trust-tiebreak/v1';

export interface PathResult {
  /** DIDs from the trusted source to the target. */
  path: string[];
  /** For each edge of the path, its index in the records the graph was built from. */
  edges: number[];
  score: Score;
  /** How many optimal (shortest, highest-score) paths tied; one was chosen by rule 3. */
  ties: bigint;
}

export interface FindPathOptions {
  /** Seeds rule 3 (tie-break). */
  nonce: string;
  /** Longest path considered, in edges (default 16). */
  maxLength?: number;
}

/** An immutable graph over edge records with weight > 0. */
export class TrustGraph {
  /** Node index -> DID, sorted (so "sorted by DID" is "sorted by index"). */
  readonly dids: readonly string[];
  /** The edges in the graph (weight > 0). */
  readonly records: readonly EdgeRecord[];
  /** records[i] is input record origin[i]. */
  private readonly origin: Int32Array;
  private readonly index: Map<string, number>;
  private readonly outStart: Int32Array;
  private readonly outTo: Int32Array;
  private readonly outEdge: Int32Array;
  private readonly inStart: Int32Array;
  private readonly inFrom: Int32Array;
  private readonly inEdge: Int32Array;

  /** `records` with weight 0 are left out; duplicates of a (from, to) pair are refused. */
  constructor(records: readonly EdgeRecord[]) {
    const originList: number[] = [];
    const kept = records.filter((r, i) => r.weight > 0 && originList.push(i) > 0);
    const names = new Set<string>();
    for (const r of kept) {
      names.add(r.from);
      names.add(r.to);
    }
    const dids = [...names].sort();
    const index = new Map<string, number>();
    for (let i = 0; i < dids.length; i++) index.set(dids[i], i);
    const n = dids.length;
    const m = kept.length;
    const outStart = new Int32Array(n + 1);
    const inStart = new Int32Array(n + 1);
    for (const r of kept) {
      outStart[index.get(r.from)! + 1]++;
      inStart[index.get(r.to)! + 1]++;
    }
    for (let i = 0; i < n; i++) {
      outStart[i + 1] += outStart[i];
      inStart[i + 1] += inStart[i];
    }
    const outTo = new Int32Array(m);
    const outEdge = new Int32Array(m);
    const inFrom = new Int32Array(m);
    const inEdge = new Int32Array(m);
    const outFill = outStart.slice(0, n);
    const inFill = inStart.slice(0, n);
    for (let e = 0; e < m; e++) {
      const f = index.get(kept[e].from)!;
      const t = index.get(kept[e].to)!;
      outTo[outFill[f]] = t;
      outEdge[outFill[f]++] = e;
      inFrom[inFill[t]] = f;
      inEdge[inFill[t]++] = e;
    }
    // in-edges of each node by source index: "predecessors sorted by DID"
    for (let v = 0; v < n; v++) sortRange(inFrom, inEdge, inStart[v], inStart[v + 1]);
    for (let u = 0; u < n; u++) {
      sortRange(outTo, outEdge, outStart[u], outStart[u + 1]);
      for (let j = outStart[u] + 1; j < outStart[u + 1]; j++) {
        if (outTo[j] === outTo[j - 1]) throw new TrustError('trust.invalid_record', `two records for the edge ${dids[u]} -> ${dids[outTo[j]]}`);
      }
    }
    this.dids = dids;
    this.records = kept;
    this.origin = Int32Array.from(originList);
    this.index = index;
    this.outStart = outStart;
    this.outTo = outTo;
    this.outEdge = outEdge;
    this.inStart = inStart;
    this.inFrom = inFrom;
    this.inEdge = inEdge;
  }

  get nodeCount(): number {
    return this.dids.length;
  }

  get edgeCount(): number {
    return this.records.length;
  }

  has(did: string): boolean {
    return this.index.has(did);
  }

  /** The path rules 1-3 choose, or undefined when the target is unreachable (within maxLength). */
  findPath(sources: readonly string[], target: string, options: FindPathOptions): PathResult | undefined {
    if (typeof options?.nonce !== 'string') throw new TrustError('trust.invalid_argument', 'a query needs a nonce (string)');
    const maxLength = options.maxLength ?? 16;
    if (!Number.isSafeInteger(maxLength) || maxLength < 0) throw new TrustError('trust.invalid_argument', 'maxLength must be a non-negative integer');
    if (sources.includes(target)) return { path: [target], edges: [], score: { numerator: 1n, denominator: 1n }, ties: 1n };
    const t = this.index.get(target);
    if (t === undefined) return undefined;

    // 1. BFS levels from all sources (plain integers), until the target's level is complete
    const n = this.dids.length;
    const dist = new Int32Array(n).fill(-1);
    const queue = new Int32Array(n);
    let head = 0;
    let tail = 0;
    for (const s of sources) {
      const i = this.index.get(s);
      if (i === undefined || dist[i] === 0) continue;
      dist[i] = 0;
      queue[tail++] = i;
    }
    while (head < tail && dist[t] === -1) {
      const u = queue[head++];
      if (dist[u] >= maxLength) break;
      for (let j = this.outStart[u]; j < this.outStart[u + 1]; j++) {
        const v = this.outTo[j];
        if (dist[v] === -1) {
          dist[v] = dist[u] + 1;
          queue[tail++] = v;
        }
      }
    }
    if (dist[t] === -1) return undefined;
    const hops = dist[t];

    // 2. the shortest-path DAG: nodes from which the target is reached in exactly the remaining hops
    const levels: number[][] = Array.from({ length: hops + 1 }, () => []);
    const onDag = new Uint8Array(n);
    onDag[t] = 1;
    levels[hops].push(t);
    for (let d = hops; d > 0; d--) {
      for (const v of levels[d]) {
        for (let j = this.inStart[v]; j < this.inStart[v + 1]; j++) {
          const u = this.inFrom[j];
          if (dist[u] === d - 1 && !onDag[u]) {
            onDag[u] = 1;
            levels[d - 1].push(u);
          }
        }
      }
    }

    // 3. exact best score and number of optimal paths, level by level over the DAG only
    const best = new Map<number, bigint>();
    const count = new Map<number, bigint>();
    for (const s of levels[0]) {
      best.set(s, 1n);
      count.set(s, 1n);
    }
    const weights = this.records;
    for (let d = 1; d <= hops; d++) {
      for (const v of levels[d]) {
        let b = -1n;
        let c = 0n;
        for (let j = this.inStart[v]; j < this.inStart[v + 1]; j++) {
          const u = this.inFrom[j];
          if (dist[u] !== d - 1 || !onDag[u]) continue;
          const cand = best.get(u)! * BigInt(weights[this.inEdge[j]].weight);
          if (cand > b) {
            b = cand;
            c = count.get(u)!;
          } else if (cand === b) {
            c += count.get(u)!;
          }
        }
        best.set(v, b);
        count.set(v, c);
      }
    }

    // 4. walk back from the target, drawing among tied predecessors (rule 3)
    const pathIdx: number[] = [t];
    const edgeIdx: number[] = [];
    let v = t;
    for (let d = hops; d > 0; d--) {
      const candidates: { u: number; e: number }[] = [];
      for (let j = this.inStart[v]; j < this.inStart[v + 1]; j++) {
        const u = this.inFrom[j];
        if (dist[u] !== d - 1 || !onDag[u]) continue;
        if (best.get(u)! * BigInt(weights[this.inEdge[j]].weight) === best.get(v)) candidates.push({ u, e: this.inEdge[j] });
      }
      let pick = candidates[0];
      if (candidates.length > 1) {
        let r = tiebreak(options.nonce, this.dids[v], d) % count.get(v)!;
        for (const c of candidates) {
          if (r < count.get(c.u)!) {
            pick = c;
            break;
          }
          r -= count.get(c.u)!;
        }
      }
      pathIdx.push(pick.u);
      edgeIdx.push(pick.e);
      v = pick.u;
    }
    pathIdx.reverse();
    edgeIdx.reverse();
    return {
      path: pathIdx.map((i) => this.dids[i]),
      edges: edgeIdx.map((e) => this.origin[e]),
      score: { numerator: best.get(t)!, denominator: SCALE ** BigInt(hops) },
      ties: count.get(t)!,
    };
  }
}

/** Rule 3's draw: SHA-256(JCS([tag, nonce, did, level])) as an unsigned 256-bit integer. */
export function tiebreak(nonce: string, did: string, level: number): bigint {
  const digest = getCrypto().sha256(canonicalizeToBytes([TIEBREAK_TAG, nonce, did, level]));
  return BigInt('0x' + bytesToHex(digest));
}

/** Sorts keys[a:b] together with their payloads (a range is one node's edges). */
function sortRange(keys: Int32Array, payload: Int32Array, a: number, b: number): void {
  let sorted = true;
  for (let i = a + 1; i < b && sorted; i++) sorted = keys[i - 1] <= keys[i];
  if (sorted) return; // records in epoch (from, to) order arrive sorted
  const pairs: [number, number][] = [];
  for (let i = a; i < b; i++) pairs.push([keys[i], payload[i]]);
  pairs.sort((x, y) => x[0] - y[0]);
  for (let i = a; i < b; i++) {
    keys[i] = pairs[i - a][0];
    payload[i] = pairs[i - a][1];
  }
}
