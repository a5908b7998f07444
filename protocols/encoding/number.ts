/**
 * ECMAScript Number::toString(x) (ECMA-262 §6.1.6.1.20) computed exactly, for
 * RFC 8785 (JCS) number serialization.
 *
 * Why not just JSON.stringify(x)? Because the canonical bytes must be the
 * same on every engine, and they are not: the XS engine that runs this code on
 * devices prints 1e23 as "9.999999999999999e+22" and 1424953923781206.2 as
 * "1424953923781206.3" (measured on @agoric/xsnap 0.15). RFC 8785 §3.2.2.3
 * requires the shortest digit string that round-trips, the closest one when
 * several have that length — what V8 and the RFC's test data produce. So the
 * digits are found here with exact BigInt arithmetic (no engine number
 * formatting or parsing involved), then laid out by the spec's rules.
 */

const TEN = 10n;

function pow10(n: number): bigint {
  return TEN ** BigInt(n);
}

/**
 * Shortest decimal digits `s` (as a string, no trailing zeros) and exponent `n`
 * with s × 10^(n − k) rounding to `v` (k = digit count), closest to `v` among
 * the shortest candidates (ties -> even s). `v` must be finite and > 0.
 */
export function shortestDigits(v: number): { digits: string; n: number } {
  // a fresh view per call: a module-level buffer is read-only once preloaded (Moddable)
  const f64 = new DataView(new ArrayBuffer(8));
  f64.setFloat64(0, v);
  const hi = f64.getUint32(0);
  const lo = f64.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = biased === 0 ? -1074 : biased - 1075; // v = m × 2^e
  // Rounding interval, all × 2^(e−2): [L, H] around V = 4m. Just above a power
  // of two the gap below is half the gap above.
  const V = 4n * m;
  const H = V + 2n;
  const L = fraction === 0n && biased > 1 ? V - 1n : V - 2n;
  const inclusive = (m & 1n) === 0n; // round-half-even: the even neighbour owns the midpoint
  const sh = e - 2;
  const twoPos = sh > 0 ? 1n << BigInt(sh) : 1n;
  const twoNeg = sh < 0 ? 1n << BigInt(-sh) : 1n;

  // n with 10^(n−1) <= v < 10^n: estimate, then correct exactly
  let n = Math.floor(Math.log10(v)) + 1;
  const atLeastPow10 = (q: number): boolean => V * twoPos * (q < 0 ? pow10(-q) : 1n) >= (q > 0 ? pow10(q) : 1n) * twoNeg;
  while (!atLeastPow10(n - 1)) n--;
  while (atLeastPow10(n)) n++;

  for (let k = 1; k <= 17; k++) {
    const p = n - k; // candidate = s × 10^p; compare s × unit with X × scale
    const unit = (p > 0 ? pow10(p) : 1n) * twoNeg;
    const scale = twoPos * (p < 0 ? pow10(-p) : 1n);
    const Vx = V * scale;
    const Lx = L * scale;
    const Hx = H * scale;
    const inside = (s: bigint): boolean => {
      const c = s * unit;
      return inclusive ? c >= Lx && c <= Hx : c > Lx && c < Hx;
    };
    const down = Vx / unit;
    const up = down + 1n;
    const okDown = down > 0n && inside(down);
    const okUp = inside(up);
    if (!okDown && !okUp) continue;
    let s: bigint;
    if (okDown && okUp) {
      const dd = Vx - down * unit;
      const du = up * unit - Vx;
      s = dd < du ? down : du < dd ? up : down % 2n === 0n ? down : up;
    } else s = okDown ? down : up;
    let digits = s.toString();
    let nn = n;
    if (digits.length > k) {
      // rounded up to 10^k: one digit, next decade
      digits = '1';
      nn = n + 1;
    }
    return { digits: digits.replace(/0+$/, ''), n: nn };
  }
  // unreachable: 17 significant digits always identify a double
  throw new RangeError('no shortest representation found');
}

/** Number::toString(x) exactly as ECMA-262 specifies it (radix 10), on any engine. */
export function ecmaNumberToString(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return '0'; // also -0
  if (x < 0) return '-' + ecmaNumberToString(-x);
  if (x === Infinity) return 'Infinity';
  if (Number.isSafeInteger(x)) return BigInt(x).toString();
  const { digits, n } = shortestDigits(x);
  const k = digits.length;
  if (k <= n && n <= 21) return digits + '0'.repeat(n - k);
  if (0 < n && n <= 21) return digits.slice(0, n) + '.' + digits.slice(n);
  if (-6 < n && n <= 0) return '0.' + '0'.repeat(-n) + digits;
  const exp = n - 1;
  const e = 'e' + (exp < 0 ? '-' : '+') + Math.abs(exp);
  return k === 1 ? digits + e : digits[0] + '.' + digits.slice(1) + e;
}
