/**
 * Exact trust arithmetic. An edge weight in [0, 1] is stored as an integer
 * number of millionths (`WEIGHT_SCALE` = 10^6), so a path's score — the
 * product of its weights — is an exact fraction numerator / 10^(6·hops)
 * held in bigints. Scores compare, tie and meet thresholds exactly; floats
 * would make two equal products differ in the 17th digit and turn a tie
 * into a preference.
 *
 * Choice: weights and thresholds have at most 6 decimal places; a number
 * with more (e.g. 1/3) is refused (`trust.invalid_argument`) rather than
 * rounded behind the caller's back.
 */
import { TrustError } from '../errors.ts';

/** Millionths: weight 0.85 is stored as 850000. */
export const WEIGHT_SCALE = 1_000_000;
const SCALE = 1_000_000n;
const DECIMALS = 6;

/**
 * A weight or threshold (number or decimal string in [0, 1], at most six
 * decimals) as integer millionths. Integers already scaled are not
 * accepted here: pass `{ ppm }` to scaled APIs instead.
 */
export function parseWeight(value: number | string, what = 'weight'): number {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TrustError('trust.invalid_argument', `${what} must be a finite number`);
    // toFixed(7) then check the 7th digit: exact for every decimal of <= 6 places a double can name
    text = value.toFixed(DECIMALS + 1);
    if (!text.endsWith('0')) throw new TrustError('trust.invalid_argument', `${what} ${value} has more than ${DECIMALS} decimals`);
    text = text.slice(0, -1);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new TrustError('trust.invalid_argument', `${what} must be a number or a decimal string`);
  }
  const m = /^(0|1)(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new TrustError('trust.invalid_argument', `${what} must be between 0 and 1 with at most ${DECIMALS} decimals`);
  const ppm = Number(m[1]) * WEIGHT_SCALE + Number((m[2] ?? '').padEnd(DECIMALS, '0'));
  if (ppm > WEIGHT_SCALE) throw new TrustError('trust.invalid_argument', `${what} must not exceed 1`);
  return ppm;
}

/** True for an integer number of millionths in [0, 10^6]. */
export function isPpm(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= WEIGHT_SCALE;
}

/** Millionths back to a decimal string (850000 -> "0.85"). */
export function formatPpm(ppm: number): string {
  return formatFraction(BigInt(ppm), SCALE);
}

/** An exact score: numerator / denominator, denominator = 10^(6·hops). */
export interface Score {
  numerator: bigint;
  denominator: bigint;
}

/** The score of a path of zero edges (the issuer is itself trusted). */
export const FULL_SCORE: Score = Object.freeze({ numerator: 1n, denominator: 1n });

/** Product of weights (millionths), exactly. */
export function pathScore(weightsPpm: readonly number[]): Score {
  let numerator = 1n;
  let denominator = 1n;
  for (const w of weightsPpm) {
    if (!isPpm(w)) throw new TrustError('trust.invalid_argument', 'edge weights are integer millionths in [0, 10^6]');
    numerator *= BigInt(w);
    denominator *= SCALE;
  }
  return { numerator, denominator };
}

/** -1, 0, 1: exact comparison of two scores (cross-multiplied). */
export function compareScores(a: Score, b: Score): number {
  const l = a.numerator * b.denominator;
  const r = b.numerator * a.denominator;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** score >= threshold (millionths), exactly. */
export function meetsThreshold(score: Score, thresholdPpm: number): boolean {
  if (!isPpm(thresholdPpm)) throw new TrustError('trust.invalid_argument', 'threshold must be integer millionths in [0, 10^6]');
  return score.numerator * SCALE >= BigInt(thresholdPpm) * score.denominator;
}

/**
 * The exact decimal expansion of n/d when d is a power of ten (always the
 * case for scores), trailing zeros trimmed: 612000/10^6 -> "0.612".
 */
export function formatFraction(n: bigint, d: bigint): string {
  if (d <= 0n || n < 0n) throw new TrustError('trust.invalid_argument', 'fraction must be non-negative over a positive denominator');
  const digits = d.toString().length - 1;
  if (10n ** BigInt(digits) !== d) throw new TrustError('trust.invalid_argument', 'denominator must be a power of ten');
  const whole = n / d;
  if (digits === 0) return whole.toString();
  const frac = (n % d).toString().padStart(digits, '0').replace(/0+$/, '');
  return frac.length ? `${whole}.${frac}` : whole.toString();
}

/** JSON form of a score: bigints as decimal strings, plus the exact decimal value. */
export interface ScoreJson {
  numerator: string;
  denominator: string;
  value: string;
}

export function scoreToJson(s: Score): ScoreJson {
  return { numerator: s.numerator.toString(), denominator: s.denominator.toString(), value: formatFraction(s.numerator, s.denominator) };
}
