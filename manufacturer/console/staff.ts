/**
 * Staff accounts: creation, lookup, and the first admin from the
 * environment (no CLI step needed to reach the console of a fresh service).
 */
import type Database from 'better-sqlite3';
import { ConsoleError } from './errors.ts';
import { DEFAULT_ARGON2, hashPassword, MAX_PASSWORD_LENGTH, type Argon2Params } from './password.ts';
import { migrate, STAFF_TABLE } from './schema.ts';

/**
 * Roles. Both may use every console route today; `admin` is recorded for
 * the staff-management routes to come (the first account is an admin).
 */
export type StaffRole = 'admin' | 'operator';
export const STAFF_ROLES: readonly StaffRole[] = Object.freeze(['admin', 'operator']);

export interface Staff {
  id: number;
  username: string;
  role: StaffRole;
  createdAt: string;
}

export interface StaffRow {
  id: number;
  username: string;
  password_hash: string;
  role: StaffRole;
  created_at: string;
  disabled: number;
}

/** Letters, digits and `._@-`, 1..64: safe in logs and the page, and an e-mail address fits. */
export const USERNAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;
/**
 * Shortest password accepted for a new account. NIST SP 800-63B asks for at
 * least 8 (15 without a second factor); 12 is our middle ground while the
 * console has a single factor. Longer passphrases are welcome.
 */
export const MIN_PASSWORD_LENGTH = 12;

export interface CreateStaffInput {
  username: string;
  password: string;
  role: StaffRole;
}

export function staffView(row: StaffRow): Staff {
  return { id: row.id, username: row.username, role: row.role, createdAt: row.created_at };
}

/** Creates a staff account (password hashed with Argon2id). `console.username_taken` if the name exists (any case). */
export async function createStaff(db: Database.Database, input: CreateStaffInput, options: { argon2?: Argon2Params; now?: () => number } = {}): Promise<Staff> {
  migrate(db);
  if (typeof input.username !== 'string' || !USERNAME_RE.test(input.username)) {
    throw new ConsoleError('console.invalid_argument', 'a username has 1 to 64 letters, digits or . _ @ -');
  }
  if (!STAFF_ROLES.includes(input.role)) throw new ConsoleError('console.invalid_argument', `role must be one of ${STAFF_ROLES.join(', ')}`);
  if (typeof input.password !== 'string' || input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
    throw new ConsoleError('console.invalid_argument', `a password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (findStaff(db, input.username)) throw new ConsoleError('console.username_taken', `a staff account named ${input.username} exists`);
  const hash = await hashPassword(input.password, options.argon2 ?? DEFAULT_ARGON2);
  const createdAt = new Date(options.now ? options.now() : Date.now()).toISOString();
  try {
    const info = db
      .prepare(`INSERT INTO ${STAFF_TABLE} (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)`)
      .run(input.username, hash, input.role, createdAt);
    return { id: Number(info.lastInsertRowid), username: input.username, role: input.role, createdAt };
  } catch (e) {
    // the same name created meanwhile (hashing is async): the UNIQUE constraint decides
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConsoleError('console.username_taken', `a staff account named ${input.username} exists`);
    throw e;
  }
}

/** The account named `username` (case-insensitive), disabled ones included. */
export function findStaff(db: Database.Database, username: string): StaffRow | undefined {
  return db.prepare(`SELECT * FROM ${STAFF_TABLE} WHERE username = ?`).get(username) as StaffRow | undefined;
}

export function countStaff(db: Database.Database): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${STAFF_TABLE}`).get() as { n: number }).n;
}

/** Replaces an account's password hash (re-hash with new parameters, password change). */
export function setPasswordHash(db: Database.Database, id: number, hash: string): void {
  db.prepare(`UPDATE ${STAFF_TABLE} SET password_hash = ? WHERE id = ?`).run(hash, id);
}

export const ADMIN_USER_ENV = 'SSIOT_ADMIN_USER';
export const ADMIN_PASSWORD_ENV = 'SSIOT_ADMIN_PASSWORD';

export type BootstrapResult =
  | { created: true; staff: Staff }
  | { created: false; reason: 'staff_exists' | 'no_credentials' };

/**
 * The first admin, from SSIOT_ADMIN_USER / SSIOT_ADMIN_PASSWORD, when the
 * service has no staff yet. Called by the service at start. Once any
 * account exists the variables are ignored (changing them never resets a
 * password); without them and without staff the console is unusable, which
 * the result says so the caller can log it. Only one of the two set, or a
 * weak password, is a configuration error (`console.invalid_argument`).
 */
export async function bootstrapAdmin(
  db: Database.Database,
  env: Record<string, string | undefined> = process.env,
  options: { argon2?: Argon2Params; now?: () => number } = {},
): Promise<BootstrapResult> {
  migrate(db);
  if (countStaff(db) > 0) return { created: false, reason: 'staff_exists' };
  const username = env[ADMIN_USER_ENV];
  const password = env[ADMIN_PASSWORD_ENV];
  if (!username && !password) return { created: false, reason: 'no_credentials' };
  if (!username || !password) throw new ConsoleError('console.invalid_argument', `set both ${ADMIN_USER_ENV} and ${ADMIN_PASSWORD_ENV} to create the first admin`);
  return { created: true, staff: await createStaff(db, { username, password, role: 'admin' }, options) };
}
