/**
 * The console's tables (prefix `console_`), created idempotently in the
 * service's one SQLite database.
 *
 * - console_staff: staff accounts, Argon2id PHC hashes (password.ts).
 * - console_sessions: signed-in sessions. Only the SHA-256 of the session id
 *   is stored: a copy of the database does not let anyone sign in as staff.
 *   The CSRF token (synchronizer pattern) lives with its session.
 * - console_signin_failures: failed sign-ins per (username, address), so the
 *   rate limit holds across restarts.
 * Times are milliseconds since the epoch (INTEGER), except created_at of staff (ISO, shown to people).
 */
import type Database from 'better-sqlite3';

export const STAFF_TABLE = 'console_staff';
export const SESSIONS_TABLE = 'console_sessions';
export const FAILURES_TABLE = 'console_signin_failures';

/** Creates the console's tables (idempotent). */
export function migrate(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${STAFF_TABLE} (
      id INTEGER PRIMARY KEY,
      username TEXT NOT NULL UNIQUE COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
      created_at TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS ${SESSIONS_TABLE} (
      id_hash TEXT PRIMARY KEY,
      staff_id INTEGER NOT NULL REFERENCES ${STAFF_TABLE}(id) ON DELETE CASCADE,
      csrf_token TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS console_sessions_staff ON ${SESSIONS_TABLE}(staff_id);
    CREATE TABLE IF NOT EXISTS ${FAILURES_TABLE} (
      key TEXT NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS console_signin_failures_key ON ${FAILURES_TABLE}(key, at);
    CREATE INDEX IF NOT EXISTS console_signin_failures_at ON ${FAILURES_TABLE}(at);
  `);
}
