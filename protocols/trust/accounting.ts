/**
 * The registry's accounting: stakes to be listed, the verification fee
 * split, challenges and slashing. Money is integer minor units in bigint
 * (no floats anywhere); rates are basis points (1/10,000); edge weights are
 * millionths (score.ts). Every division rounds toward zero (floor: all
 * quantities are non-negative) and every remainder is placed explicitly,
 * so each operation conserves money exactly:
 *
 *   Σ stakes + Σ balances + treasury + escrow = money in − money out
 *
 * Rules (the trust-registry paper's scheme as the issue states it; where
 * the paper's exact rule was not available the choice is ours, marked ★):
 *
 * Listing: an issuer is listed (its edges count, it can be on a path)
 *   while its stake ≥ `minStake`.
 *
 * Fee split, for a fee F paid on a path t0 → t1 → … → tn (tn the
 *   credential's issuer, n edges):
 *   - path pool P = floor(F / 2); the issuer gets F − P (★ the odd unit of
 *     an odd fee goes to the issuer);
 *   - P is shared equally by the n edge sources t0 … t(n−1) (each vouched
 *     for the next): q = floor(P / n) each, and the r = P − n·q leftover
 *     units go one each to the r sources nearest the issuer (★ they vouched
 *     most directly);
 *   - n = 0 (the issuer is itself trusted): the issuer gets all of F.
 *
 * Challenges: anyone may challenge a listed issuer X, posting a bond ≥
 *   `minChallengeBond` (held in escrow). The vouchers of X — issuers with
 *   an edge i → X of weight w_i in the latest epoch — are recorded when the
 *   challenge opens (★ so removing an edge afterwards does not escape a
 *   slash). While a challenge is open, neither X nor its recorded vouchers
 *   can withdraw stake. Resolution (by the maintainers' judgement, an input here):
 *   - upheld: X loses floor(stake_X · issuerSlashBp / 10⁴); each voucher i
 *     loses floor(stake_i · adjacentSlashBp · w_i / (10⁴ · 10⁶)) — in
 *     proportion to its edge weight; of the total slashed S, the challenger
 *     receives floor(S · challengerRewardBp / 10⁴) plus the bond back, the
 *     rest of S goes to the treasury (★);
 *   - rejected: the bond goes to X (★ compensation for a failed challenge).
 *   An issuer whose stake falls below minStake is delisted at once.
 *
 * ★ Only incoming edges (those who vouched for X) are "adjacent" for
 *   slashing; issuers X trusts did not vouch for X.
 */
import { TrustError } from '../errors.ts';
import { isPpm } from './score.ts';

/** Basis points: 10,000 = 100 %. */
export const BP = 10_000;
const BPn = 10_000n;
const PPMn = 1_000_000n;

export interface AccountingRules {
  /** Stake needed to be listed (minor units). */
  minStake: bigint;
  /** Share of the challenged issuer's stake slashed when a challenge is upheld (bp). */
  issuerSlashBp: number;
  /** Share of a voucher's stake slashed, times its edge weight (bp). */
  adjacentSlashBp: number;
  /** Share of the slashed total paid to a successful challenger (bp). */
  challengerRewardBp: number;
  /** Smallest bond a challenge may post. */
  minChallengeBond: bigint;
}

export const DEFAULT_RULES: Readonly<AccountingRules> = Object.freeze({
  minStake: 1000n,
  issuerSlashBp: 5000,
  adjacentSlashBp: 2000,
  challengerRewardBp: 5000,
  minChallengeBond: 100n,
});

function isBp(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= BP;
}

/** Rules with defaults filled in, checked. */
export function accountingRules(partial: Partial<AccountingRules> = {}): AccountingRules {
  const r = { ...DEFAULT_RULES, ...partial };
  if (typeof r.minStake !== 'bigint' || r.minStake < 0n) throw new TrustError('trust.invalid_argument', 'minStake must be a non-negative bigint');
  if (typeof r.minChallengeBond !== 'bigint' || r.minChallengeBond < 0n) throw new TrustError('trust.invalid_argument', 'minChallengeBond must be a non-negative bigint');
  for (const k of ['issuerSlashBp', 'adjacentSlashBp', 'challengerRewardBp'] as const) {
    if (!isBp(r[k])) throw new TrustError('trust.invalid_argument', `${k} must be an integer number of basis points in [0, 10000]`);
  }
  return r;
}

function amount(x: unknown, what: string): bigint {
  if (typeof x !== 'bigint' || x < 0n) throw new TrustError('trust.invalid_argument', `${what} must be a non-negative bigint (minor units)`);
  return x;
}

export interface Payment {
  did: string;
  amount: bigint;
}

export interface FeeSplit {
  fee: bigint;
  /** The credential's issuer (last DID of the path). */
  issuer: Payment;
  /** One entry per edge source, in path order t0 … t(n−1). */
  shares: Payment[];
}

/** The fee split for `path` = [t0, …, tn] (see module comment). */
export function splitFee(fee: bigint, path: readonly string[]): FeeSplit {
  amount(fee, 'fee');
  if (!Array.isArray(path) || path.length === 0) throw new TrustError('trust.invalid_argument', 'a fee is split along a path of at least the issuer');
  const issuerDid = path[path.length - 1];
  const sources = path.slice(0, -1);
  const n = BigInt(sources.length);
  if (n === 0n) return { fee, issuer: { did: issuerDid, amount: fee }, shares: [] };
  const pool = fee / 2n;
  const q = pool / n;
  const r = Number(pool - q * n);
  const shares = sources.map((did, i) => ({ did, amount: q + (i >= sources.length - r ? 1n : 0n) }));
  return { fee, issuer: { did: issuerDid, amount: fee - pool }, shares };
}

export interface Voucher {
  did: string;
  /** Edge weight voucher -> challenged issuer, millionths. */
  weight: number;
}

export interface SlashResult {
  target: Payment;
  vouchers: Payment[];
  total: bigint;
  challengerReward: bigint;
  treasury: bigint;
}

/** Slash amounts for an upheld challenge, given current stakes (see module comment). */
export function slashAmounts(
  target: { did: string; stake: bigint },
  vouchers: readonly (Voucher & { stake: bigint })[],
  rules: AccountingRules,
): SlashResult {
  const t = (amount(target.stake, 'stake') * BigInt(rules.issuerSlashBp)) / BPn;
  const vs = vouchers.map((v) => {
    if (!isPpm(v.weight)) throw new TrustError('trust.invalid_argument', 'voucher weight must be millionths');
    return { did: v.did, amount: (amount(v.stake, 'stake') * BigInt(rules.adjacentSlashBp) * BigInt(v.weight)) / (BPn * PPMn) };
  });
  const total = vs.reduce((s, v) => s + v.amount, t);
  const challengerReward = (total * BigInt(rules.challengerRewardBp)) / BPn;
  return { target: { did: target.did, amount: t }, vouchers: vs, total, challengerReward, treasury: total - challengerReward };
}

export interface Challenge {
  id: string;
  challenger: string;
  target: string;
  bond: bigint;
  vouchers: Voucher[];
  reason: string;
}

export interface ChallengeOutcome {
  challenge: Challenge;
  upheld: boolean;
  /** Upheld only. */
  slash?: SlashResult;
  /** Who received the bond. */
  bondTo: string;
  /** DIDs whose stake fell below minStake (delisted). */
  delisted: string[];
}

/** JSON form of a ledger (bigints as decimal strings). */
export interface LedgerJson {
  stakes: Record<string, string>;
  balances: Record<string, string>;
  treasury: string;
  escrow: string;
  moneyIn: string;
  moneyOut: string;
  challenges: { id: string; challenger: string; target: string; bond: string; vouchers: Voucher[]; reason: string }[];
  nextChallenge: number;
}

/**
 * Stakes, earned balances, the treasury and challenge escrow. The single
 * place money moves; each method keeps the conservation invariant
 * (`check()` asserts it).
 */
export class Ledger {
  readonly rules: AccountingRules;
  private readonly stakes = new Map<string, bigint>();
  private readonly balances = new Map<string, bigint>();
  private readonly challenges = new Map<string, Challenge>();
  private nextChallenge = 1;
  treasury = 0n;
  escrow = 0n;
  moneyIn = 0n;
  moneyOut = 0n;

  constructor(rules: Partial<AccountingRules> = {}) {
    this.rules = accountingRules(rules);
  }

  stakeOf(did: string): bigint {
    return this.stakes.get(did) ?? 0n;
  }

  balanceOf(did: string): bigint {
    return this.balances.get(did) ?? 0n;
  }

  isListed(did: string): boolean {
    return this.stakeOf(did) >= this.rules.minStake && this.stakes.has(did);
  }

  /** Listed issuers' DIDs. */
  listed(): string[] {
    return [...this.stakes.keys()].filter((d) => this.isListed(d));
  }

  openChallenges(): Challenge[] {
    return [...this.challenges.values()].map((c) => ({ ...c, vouchers: c.vouchers.map((v) => ({ ...v })) }));
  }

  /** Stake paid in (money in). */
  deposit(did: string, value: bigint): bigint {
    amount(value, 'deposit');
    this.stakes.set(did, this.stakeOf(did) + value);
    this.moneyIn += value;
    return this.stakeOf(did);
  }

  /** Stake paid out; refused while a challenge involving `did` is open. */
  withdrawStake(did: string, value: bigint): bigint {
    amount(value, 'withdrawal');
    if (this.inOpenChallenge(did)) throw new TrustError('trust.challenge_open', `${did} is part of an open challenge; its stake is locked`);
    if (value > this.stakeOf(did)) throw new TrustError('trust.insufficient_funds', 'withdrawal exceeds the stake');
    this.stakes.set(did, this.stakeOf(did) - value);
    this.moneyOut += value;
    return this.stakeOf(did);
  }

  /** Earned balance paid out. */
  withdrawBalance(did: string, value: bigint): bigint {
    amount(value, 'withdrawal');
    if (value > this.balanceOf(did)) throw new TrustError('trust.insufficient_funds', 'withdrawal exceeds the balance');
    this.balances.set(did, this.balanceOf(did) - value);
    this.moneyOut += value;
    return this.balanceOf(did);
  }

  /** A verifier pays `fee` for an answer whose path is `path`; credited to balances. */
  payFee(fee: bigint, path: readonly string[]): FeeSplit {
    const split = splitFee(fee, path);
    for (const p of [...split.shares, split.issuer]) this.credit(p.did, p.amount);
    this.moneyIn += fee;
    return split;
  }

  /** Opens a challenge against a listed issuer; `vouchers` are its incoming edges in the latest epoch. */
  openChallenge(input: { challenger: string; target: string; bond: bigint; vouchers: readonly Voucher[]; reason?: string }): Challenge {
    amount(input.bond, 'bond');
    if (input.bond < this.rules.minChallengeBond) {
      throw new TrustError('trust.insufficient_funds', `a challenge bond must be at least ${this.rules.minChallengeBond}`);
    }
    if (!this.isListed(input.target)) throw new TrustError('trust.not_listed', `${input.target} is not a listed issuer`);
    for (const v of input.vouchers) if (!isPpm(v.weight)) throw new TrustError('trust.invalid_argument', 'voucher weight must be millionths');
    const c: Challenge = {
      id: `c${this.nextChallenge++}`,
      challenger: input.challenger,
      target: input.target,
      bond: input.bond,
      vouchers: input.vouchers
        .filter((v, i, all) => v.weight > 0 && v.did !== input.target && all.findIndex((w) => w.did === v.did) === i)
        .map((v) => ({ did: v.did, weight: v.weight })),
      reason: input.reason ?? '',
    };
    this.challenges.set(c.id, c);
    this.escrow += c.bond;
    this.moneyIn += c.bond;
    return { ...c, vouchers: c.vouchers.map((v) => ({ ...v })) };
  }

  /** Settles a challenge (see module comment). */
  resolveChallenge(id: string, upheld: boolean): ChallengeOutcome {
    const c = this.challenges.get(id);
    if (!c) throw new TrustError('trust.unknown_challenge', `no open challenge ${id}`);
    this.challenges.delete(id);
    this.escrow -= c.bond;
    const wasListed = [c.target, ...c.vouchers.map((v) => v.did)].filter((d) => this.isListed(d));
    if (!upheld) {
      this.credit(c.target, c.bond);
      return { challenge: c, upheld, bondTo: c.target, delisted: [] };
    }
    const slash = slashAmounts(
      { did: c.target, stake: this.stakeOf(c.target) },
      c.vouchers.map((v) => ({ ...v, stake: this.stakeOf(v.did) })),
      this.rules,
    );
    for (const p of [slash.target, ...slash.vouchers]) this.stakes.set(p.did, this.stakeOf(p.did) - p.amount);
    this.credit(c.challenger, c.bond + slash.challengerReward);
    this.treasury += slash.treasury;
    return { challenge: c, upheld, slash, bondTo: c.challenger, delisted: wasListed.filter((d) => !this.isListed(d)) };
  }

  /** Throws if money was created or lost (a bug, never bad input). */
  check(): void {
    let sum = this.treasury + this.escrow;
    for (const v of this.stakes.values()) sum += v;
    for (const v of this.balances.values()) sum += v;
    if (sum !== this.moneyIn - this.moneyOut) throw new TrustError('trust.invalid_record', 'ledger does not balance');
  }

  toJSON(): LedgerJson {
    const rec = (m: Map<string, bigint>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]));
    return {
      stakes: rec(this.stakes),
      balances: rec(this.balances),
      treasury: this.treasury.toString(),
      escrow: this.escrow.toString(),
      moneyIn: this.moneyIn.toString(),
      moneyOut: this.moneyOut.toString(),
      challenges: [...this.challenges.values()].map((c) => ({ ...c, bond: c.bond.toString() })),
      nextChallenge: this.nextChallenge,
    };
  }

  static fromJSON(json: LedgerJson, rules: Partial<AccountingRules> = {}): Ledger {
    const l = new Ledger(rules);
    const big = (s: unknown, what: string): bigint => {
      if (typeof s !== 'string' || !/^\d+$/.test(s)) throw new TrustError('trust.invalid_record', `${what} must be a decimal string`);
      return BigInt(s);
    };
    for (const [k, v] of Object.entries(json.stakes ?? {})) l.stakes.set(k, big(v, 'stake'));
    for (const [k, v] of Object.entries(json.balances ?? {})) l.balances.set(k, big(v, 'balance'));
    l.treasury = big(json.treasury, 'treasury');
    l.escrow = big(json.escrow, 'escrow');
    l.moneyIn = big(json.moneyIn, 'moneyIn');
    l.moneyOut = big(json.moneyOut, 'moneyOut');
    for (const c of json.challenges ?? []) l.challenges.set(c.id, { ...c, bond: big(c.bond, 'bond'), vouchers: c.vouchers.map((v) => ({ ...v })) });
    l.nextChallenge = json.nextChallenge ?? l.challenges.size + 1;
    l.check();
    return l;
  }

  private credit(did: string, value: bigint): void {
    this.balances.set(did, this.balanceOf(did) + value);
  }

  private inOpenChallenge(did: string): boolean {
    for (const c of this.challenges.values()) if (c.target === did || c.vouchers.some((v) => v.did === did)) return true;
    return false;
  }
}
