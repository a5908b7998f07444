/**
 * Sign-in rate limit: at most `max` failed sign-ins per (username, client
 * address) in a sliding `windowMs`; then `console.rate_limited` (429) until
 * the oldest failure leaves the window. Failures are rows in SQLite, so a
 * restart does not reset the count. A successful sign-in clears the key.
 *
 * Keyed by username AND address (as the brief asks): one address cannot
 * guess one account's password quickly, and someone elsewhere mistyping
 * cannot lock the real owner out. It does not stop slow guessing spread
 * over many addresses; Argon2id's cost and the password length rule are
 * the defence there.
 */
import type Database from 'better-sqlite3';
import { ConsoleError } from './errors.ts';
import { FAILURES_TABLE } from './schema.ts';

export interface RateLimitOptions {
  /** Failures allowed in the window (default 10). */
  max: number;
  /** Window length in ms (default 15 minutes). */
  windowMs: number;
}

export const DEFAULT_RATE_LIMIT: Readonly<RateLimitOptions> = Object.freeze({ max: 10, windowMs: 15 * 60_000 });

export class SignInLimiter {
  constructor(
    private readonly db: Database.Database,
    private readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT,
  ) {}

  private static key(username: string, ip: string): string {
    return `${username.toLowerCase()}\n${ip}`;
  }

  /** Throws `console.rate_limited` (with `retryAfterSeconds`) when the key is over its limit. */
  check(username: string, ip: string, now: number): void {
    const since = now - this.options.windowMs;
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n, MIN(at) AS oldest FROM ${FAILURES_TABLE} WHERE key = ? AND at > ?`)
      .get(SignInLimiter.key(username, ip), since) as { n: number; oldest: number | null };
    if (row.n >= this.options.max) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((row.oldest ?? now) + this.options.windowMs - now) / 1000));
      throw Object.assign(new ConsoleError('console.rate_limited', `too many failed sign-ins; try again in ${retryAfterSeconds} s`), { retryAfterSeconds });
    }
  }

  /** Records a failure (and forgets failures older than the window, for every key). */
  fail(username: string, ip: string, now: number): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM ${FAILURES_TABLE} WHERE at <= ?`).run(now - this.options.windowMs);
      this.db.prepare(`INSERT INTO ${FAILURES_TABLE} (key, at) VALUES (?, ?)`).run(SignInLimiter.key(username, ip), now);
    })();
  }

  /** Clears the key after a successful sign-in. */
  succeed(username: string, ip: string): void {
    this.db.prepare(`DELETE FROM ${FAILURES_TABLE} WHERE key = ?`).run(SignInLimiter.key(username, ip));
  }
}
