/**
 * Console sessions. The cookie holds a random 32-byte id (base64url); the
 * database holds only its SHA-256, so reading the database (a backup, a
 * leak) gives no session. Each session has a CSRF token (synchronizer token
 * pattern, OWASP): random, stored with the session, handed to the page by
 * GET /api/session and required back in `x-csrf-token` on every
 * state-changing request.
 *
 * Expiry: idle (no request for `idleMs`, default 30 min) and absolute
 * (`absoluteMs` after sign-in, default 12 h), both checked on every use; an
 * expired row is deleted when met. last_seen_at is written at most every
 * `TOUCH_EVERY_MS` so the console's one-second polling does not turn into
 * one write per second.
 */
import type Database from 'better-sqlite3';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SESSIONS_TABLE, STAFF_TABLE } from './schema.ts';
import type { StaffRole } from './staff.ts';

export interface SessionTimeouts {
  idleMs: number;
  absoluteMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: Readonly<SessionTimeouts> = Object.freeze({ idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000 });
const TOUCH_EVERY_MS = 15_000;
const SESSION_ID_BYTES = 32;
const SESSION_ID_RE = /^[A-Za-z0-9_-]{43}$/;

/** A live session as the routes see it. */
export interface StaffSession {
  staffId: number;
  username: string;
  role: StaffRole;
  csrfToken: string;
  createdAt: number;
  /** When it ends if nothing happens meanwhile (ms): min(idle, absolute). */
  expiresAt: number;
}

function idHash(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

/** Constant-time string equality (for the CSRF token). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  constructor(
    private readonly db: Database.Database,
    readonly timeouts: SessionTimeouts = DEFAULT_SESSION_TIMEOUTS,
  ) {}

  /** Starts a session; returns the id for the cookie (shown nowhere else) and the session. */
  create(staffId: number, now: number): { id: string; csrfToken: string } {
    const id = randomBytes(SESSION_ID_BYTES).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    this.db
      .prepare(`INSERT INTO ${SESSIONS_TABLE} (id_hash, staff_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`)
      .run(idHash(id), staffId, csrfToken, now, now);
    return { id, csrfToken };
  }

  /** The live session behind a cookie value, or undefined (unknown, malformed, expired, or its account disabled). */
  lookup(id: string | undefined, now: number): StaffSession | undefined {
    if (id === undefined || !SESSION_ID_RE.test(id)) return undefined;
    const h = idHash(id);
    const row = this.db
      .prepare(
        `SELECT s.staff_id, s.csrf_token, s.created_at, s.last_seen_at, u.username, u.role, u.disabled
         FROM ${SESSIONS_TABLE} s JOIN ${STAFF_TABLE} u ON u.id = s.staff_id WHERE s.id_hash = ?`,
      )
      .get(h) as
      | { staff_id: number; csrf_token: string; created_at: number; last_seen_at: number; username: string; role: StaffRole; disabled: number }
      | undefined;
    if (!row) return undefined;
    const { idleMs, absoluteMs } = this.timeouts;
    if (row.disabled !== 0 || now - row.last_seen_at >= idleMs || now - row.created_at >= absoluteMs || now < row.created_at) {
      this.db.prepare(`DELETE FROM ${SESSIONS_TABLE} WHERE id_hash = ?`).run(h);
      return undefined;
    }
    let lastSeen = row.last_seen_at;
    if (now - lastSeen >= TOUCH_EVERY_MS) {
      this.db.prepare(`UPDATE ${SESSIONS_TABLE} SET last_seen_at = ? WHERE id_hash = ?`).run(now, h);
      lastSeen = now;
    }
    return {
      staffId: row.staff_id,
      username: row.username,
      role: row.role,
      csrfToken: row.csrf_token,
      createdAt: row.created_at,
      expiresAt: Math.min(lastSeen + idleMs, row.created_at + absoluteMs),
    };
  }

  /** Ends the session behind a cookie value (sign-out). */
  destroy(id: string): void {
    if (SESSION_ID_RE.test(id)) this.db.prepare(`DELETE FROM ${SESSIONS_TABLE} WHERE id_hash = ?`).run(idHash(id));
  }

  /** Deletes expired sessions (every account); returns how many. */
  sweep(now: number): number {
    return this.db
      .prepare(`DELETE FROM ${SESSIONS_TABLE} WHERE last_seen_at <= ? OR created_at <= ?`)
      .run(now - this.timeouts.idleMs, now - this.timeouts.absoluteMs).changes;
  }
}
