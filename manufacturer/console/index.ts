/**
 * The manufacturer service's staff console (issue 7): staff accounts with
 * Argon2id passwords, sessions in secure cookies with CSRF tokens, a
 * persisted sign-in rate limit, and the web page (releases and rollouts with
 * live progress, the fleet, the DID and its key history, the support inbox).
 */
export { ConsoleError, consoleStatusOf } from './errors.ts';
export { DEFAULT_ARGON2, hashPassword, needsRehash, verifyPassword, MAX_PASSWORD_LENGTH, type Argon2Params } from './password.ts';
export { migrate, STAFF_TABLE, SESSIONS_TABLE, FAILURES_TABLE } from './schema.ts';
export {
  ADMIN_PASSWORD_ENV,
  ADMIN_USER_ENV,
  bootstrapAdmin,
  countStaff,
  createStaff,
  findStaff,
  MIN_PASSWORD_LENGTH,
  STAFF_ROLES,
  USERNAME_RE,
  type BootstrapResult,
  type CreateStaffInput,
  type Staff,
  type StaffRole,
} from './staff.ts';
export { DEFAULT_SESSION_TIMEOUTS, SessionStore, type SessionTimeouts, type StaffSession } from './sessions.ts';
export { DEFAULT_RATE_LIMIT, SignInLimiter, type RateLimitOptions } from './rate-limit.ts';
export { readCookie, sessionCookie, SESSION_COOKIE } from './cookies.ts';
export { consolePlugin, staffGuard, staffOf, CONTENT_SECURITY_POLICY, type ConsolePluginOptions, type StaffOnly } from './plugin.ts';
