/**
 * `npm run bench:trust`: the trust registry at 1,000 and 100,000 issuers.
 *
 * Graph: synthetic issuers (`did:web:iN.registry.example`: edges are
 * imported, not signed, so no keys are needed) each trusting `--degree`
 * (default 5) others chosen by a seeded xorshift generator, weights on a
 * 0.05 grid in [0.5, 1] (so equal scores, hence tie-breaks, occur). Every
 * issuer is listed. The epoch is signed by 2 of 3 real did:key maintainers.
 *
 * Figures per size: time to build the epoch (leaf hashing, Merkle tree,
 * graph), query latency (median, p99) over `--queries` random queries (3
 * trusted issuers -> 1 issuer), path length, proof size per edge (hashes and
 * bytes) and per answer (JSON bytes), the client's verification time in
 * Node, and (unless --no-xs) the same verification inside XS with its
 * deterministic compute meter. node:crypto primitives are installed, as the
 * registry service runs them.
 *
 * Options: --sizes 1000,100000 --degree 5 --queries N (default 200 at
 * 1,000 issuers, 100 at 100,000) --no-xs --json. Progress on stderr, the
 * report on stdout.
 */
import { installCrypto } from '../protocols/crypto/index.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { verifyAnswer, type TrustAnswer } from '../protocols/trust/answer.ts';
import type { EdgeRecord } from '../protocols/trust/edge.ts';
import { TrustRegistry } from '../protocols/trust/registry.ts';
import { keyParty } from '../protocols/trust/testing.ts';
import { xorshift32 } from './bytes.ts';
import { benchArgs, formatTable, log, logDone, withXsPayload } from './support.ts';

const { flag, opt } = benchArgs();
const SIZES = (opt('--sizes') ?? '1000,100000').split(',').map(Number);
const DEGREE = Number(opt('--degree') ?? 5);

installCrypto(nodeCrypto);
const MAINTAINERS = [keyParty(101), keyParty(102), keyParty(103)];
const NOW = new Date('2026-02-01T00:00:00Z');
const resolver = createDefaultResolver();

const didOf = (i: number): string => `did:web:i${i}.registry.example`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface SizeReport {
  issuers: number;
  edges: number;
  buildMs: { generate: number; import: number; epoch: number; sign: number };
  queries: number;
  found: number;
  queryMs: { median: number; p99: number; max: number };
  hops: { mean: number; max: number };
  tiedAnswers: number;
  proof: { hashesPerEdgeMean: number; hashesPerEdgeMax: number; bytesPerEdgeRaw: number; bytesPerEdgeJson: number; answerJsonBytesMedian: number; answerJsonBytesMax: number };
  verifyNodeMsMedian: number;
  sample: { answer: TrustAnswer; trusted: string[]; issuer: string };
}

async function benchSize(n: number): Promise<SizeReport> {
  log(`${n.toLocaleString('en-US')} issuers, degree ${DEGREE}:`);
  const rnd = xorshift32(0x5eed + n);
  let t = performance.now();
  const records: EdgeRecord[] = [];
  for (let i = 0; i < n; i++) {
    const targets = new Set<number>();
    while (targets.size < Math.min(DEGREE, n - 1)) {
      const j = rnd() % n;
      if (j !== i) targets.add(j);
    }
    for (const j of targets) records.push({ from: didOf(i), to: didOf(j), weight: 500000 + 50000 * (rnd() % 11), seq: 1 });
  }
  const generate = performance.now() - t;

  const registry = new TrustRegistry({ id: 'https://registry.example/bench', maintainers: MAINTAINERS.map((m) => m.did), threshold: 2, resolver, rules: { minStake: 1000n } });
  t = performance.now();
  for (let i = 0; i < n; i++) registry.ledger.deposit(didOf(i), 1000n);
  registry.importEdges(records);
  const imported = performance.now() - t;
  t = performance.now();
  registry.closeEpoch('2026-01-31T00:00:00Z');
  const epoch = performance.now() - t;
  t = performance.now();
  for (const m of MAINTAINERS.slice(0, 2)) await registry.signPendingEpoch(m.signer, NOW);
  const sign = performance.now() - t;
  log(`  generate ${generate.toFixed(0)} ms, import ${imported.toFixed(0)} ms, epoch (leaves + tree + graph) ${epoch.toFixed(0)} ms, 2 signatures ${sign.toFixed(0)} ms`);

  const Q = Number(opt('--queries') ?? (n > 10_000 ? 100 : 200));
  const times: number[] = [];
  const hops: number[] = [];
  const hashes: number[] = [];
  const answerBytes: number[] = [];
  const answers: { answer: TrustAnswer; trusted: string[]; issuer: string }[] = [];
  let tied = 0;
  const qr = xorshift32(0xabc + n);
  // warm-up (JIT, first allocations): untimed
  for (let q = 0; q < 5; q++) registry.query({ trusted: [didOf(q)], issuer: didOf(n - 1 - q), nonce: 'warm' });
  for (let q = 0; q < Q; q++) {
    const trusted = [didOf(qr() % n), didOf(qr() % n), didOf(qr() % n)];
    const issuer = didOf(qr() % n);
    const s = performance.now();
    const answer = registry.query({ trusted, issuer, nonce: `q${q}` });
    times.push(performance.now() - s);
    if (!answer.found) continue;
    hops.push(answer.edges.length);
    if (answer.ties !== '1') tied++;
    for (const e of answer.edges) hashes.push(e.proof.path.length);
    answerBytes.push(JSON.stringify(answer).length);
    if (answers.length < 20) answers.push({ answer, trusted, issuer });
  }
  const sortedT = [...times].sort((a, b) => a - b);
  const proofJson = answers.flatMap((a) => a.answer.edges.map((e) => JSON.stringify(e.proof).length));
  const verifyTimes: number[] = [];
  for (const a of answers) {
    const s = performance.now();
    const v = await verifyAnswer(a.answer, { maintainers: MAINTAINERS.map((m) => m.did), threshold: 2, resolver, trusted: a.trusted, issuer: a.issuer, now: NOW });
    verifyTimes.push(performance.now() - s);
    if (!v.valid) throw new Error(`bench answer did not verify: ${JSON.stringify(v.problems)}`);
  }
  verifyTimes.sort((a, b) => a - b);
  const sortedBytes = [...answerBytes].sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  // the sample for XS: the longest path among the verified answers
  const sample = answers.reduce((best, a) => (a.answer.edges.length > best.answer.edges.length ? a : best), answers[0]);
  const r: SizeReport = {
    issuers: n,
    edges: registry.currentEpoch()!.size,
    buildMs: { generate, import: imported, epoch, sign },
    queries: Q,
    found: hops.length,
    queryMs: { median: percentile(sortedT, 0.5), p99: percentile(sortedT, 0.99), max: sortedT[sortedT.length - 1] },
    hops: { mean: mean(hops), max: Math.max(...hops) },
    tiedAnswers: tied,
    proof: {
      hashesPerEdgeMean: mean(hashes),
      hashesPerEdgeMax: Math.max(...hashes),
      bytesPerEdgeRaw: mean(hashes) * 32,
      bytesPerEdgeJson: mean(proofJson),
      answerJsonBytesMedian: percentile(sortedBytes, 0.5),
      answerJsonBytesMax: sortedBytes[sortedBytes.length - 1],
    },
    verifyNodeMsMedian: percentile(verifyTimes, 0.5),
    sample,
  };
  log(
    `  ${Q} queries: median ${r.queryMs.median.toFixed(2)} ms, p99 ${r.queryMs.p99.toFixed(2)} ms; ${r.found} found, ${r.hops.mean.toFixed(2)} hops mean (max ${r.hops.max}), ${tied} with tied paths`,
  );
  log(
    `  proof per edge: ${r.proof.hashesPerEdgeMean.toFixed(1)} hashes (${r.proof.bytesPerEdgeRaw.toFixed(0)} B raw, ${r.proof.bytesPerEdgeJson.toFixed(0)} B JSON); answer ${r.proof.answerJsonBytesMedian} B JSON median; client verify ${r.verifyNodeMsMedian.toFixed(2)} ms in Node`,
  );
  return r;
}

async function xsVerify(samples: SizeReport['sample'][]): Promise<{ hops: number; ms: number; compute: number }[]> {
  log('XS: verifying one answer per size (2 Ed25519 signatures, Merkle proofs, score)');
  type Verified = { ok: boolean; ms: number; value?: { valid: boolean; problems: unknown[] } };
  return withXsPayload('bench/trust-xs.ts', { name: 'bench-trust' }, async (xs) => {
    const out: { hops: number; ms: number; compute: number }[] = [];
    const base = (await xs.call({ op: 'noop' })).compute;
    for (const s of samples) {
      const cmd = { op: 'verify', answer: s.answer, options: { maintainers: MAINTAINERS.map((m) => m.did), threshold: 2, trusted: s.trusted, issuer: s.issuer, now: NOW.toISOString() } };
      await xs.call(cmd); // warm-up
      const r = await xs.call<Verified>(cmd);
      if (!r.value.value?.valid) throw new Error(`XS: answer did not verify: ${JSON.stringify(r.value.value?.problems)}`);
      out.push({ hops: s.answer.edges.length, ms: r.value.ms, compute: r.compute - base });
      log(`  ${s.answer.edges.length} edges: ${r.value.ms.toFixed(1)} ms desktop XS, compute ${(r.compute - base).toLocaleString('en-US')}`);
    }
    return out;
  });
}

const started = performance.now();
const reports: SizeReport[] = [];
for (const n of SIZES) reports.push(await benchSize(n));
const xs = flag('--no-xs') ? undefined : await xsVerify(reports.map((r) => r.sample));
logDone(started);

if (flag('--json')) {
  process.stdout.write(JSON.stringify({ node: process.version, degree: DEGREE, sizes: reports.map(({ sample: _s, ...r }) => r), xs }, null, 2) + '\n');
} else {
  const f = (x: number, d = 2) => x.toFixed(d);
  const head = ['issuers', 'edges', 'epoch build ms', 'query median ms', 'query p99 ms', 'hops mean', 'proof hashes/edge', 'proof B/edge (raw/JSON)', 'answer B (JSON)', 'verify ms (Node)', 'verify XS ms / compute'];
  const rows = reports.map((r, i) => [
    r.issuers.toLocaleString('en-US'),
    r.edges.toLocaleString('en-US'),
    f(r.buildMs.epoch, 0),
    f(r.queryMs.median),
    f(r.queryMs.p99),
    f(r.hops.mean),
    `${f(r.proof.hashesPerEdgeMean, 1)} (max ${r.proof.hashesPerEdgeMax})`,
    `${f(r.proof.bytesPerEdgeRaw, 0)} / ${f(r.proof.bytesPerEdgeJson, 0)}`,
    `${r.proof.answerJsonBytesMedian}`,
    f(r.verifyNodeMsMedian),
    xs ? `${f(xs[i].ms, 1)} / ${xs[i].compute.toLocaleString('en-US')} (${xs[i].hops} edges)` : '',
  ]);
  process.stdout.write(formatTable(head, rows, 0) + '\n');
}
