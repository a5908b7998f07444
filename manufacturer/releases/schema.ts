/**
 * The releases module's tables (prefix `release_`), created by `migrate`.
 *
 * - release_releases: one row per uploaded image; `state` is draft, signed,
 *   published or withdrawn. The envelope is kept in the row (the source of
 *   truth for announcements) and as a file beside the image (for download).
 * - release_rollouts, release_rollout_devices: a rollout and its device
 *   snapshot, each device with its stage and status (pending, installing,
 *   installed, failed).
 * - release_reports: every accepted signed status report, as received (JWS).
 *   UNIQUE (device, report id, created time) is the replay guard's backstop.
 * - release_events: an append-only history of state changes (who sees it:
 *   the console, auditors).
 */
import type { Database } from 'better-sqlite3';

export function migrate(db: Database): void {
  db.exec(`
CREATE TABLE IF NOT EXISTS release_releases (
  id TEXT PRIMARY KEY,
  device_class TEXT NOT NULL,
  version TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('draft', 'signed', 'published', 'withdrawn')),
  image_file TEXT NOT NULL,
  image_sha256 TEXT NOT NULL,
  image_size INTEGER NOT NULL,
  image_uri TEXT,
  envelope BLOB,
  envelope_file TEXT,
  kid TEXT,
  created_at INTEGER NOT NULL,
  signed_at INTEGER,
  published_at INTEGER,
  withdrawn_at INTEGER,
  UNIQUE (device_class, version),
  UNIQUE (device_class, sequence)
);
CREATE TABLE IF NOT EXISTS release_rollouts (
  id TEXT PRIMARY KEY,
  release_id TEXT NOT NULL REFERENCES release_releases(id),
  device_class TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('draft', 'running', 'paused', 'completed', 'aborted')),
  stages TEXT NOT NULL,
  current_stage INTEGER NOT NULL,
  success_threshold REAL NOT NULL,
  error_threshold REAL NOT NULL,
  acknowledged_failures INTEGER NOT NULL DEFAULT 0,
  paused_reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS release_rollouts_release ON release_rollouts (release_id);
CREATE TABLE IF NOT EXISTS release_rollout_devices (
  rollout_id TEXT NOT NULL REFERENCES release_rollouts(id),
  device_did TEXT NOT NULL,
  stage INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'installing', 'installed', 'failed')),
  announced_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (rollout_id, device_did)
);
CREATE INDEX IF NOT EXISTS release_rollout_devices_did ON release_rollout_devices (device_did);
CREATE TABLE IF NOT EXISTS release_reports (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  rollout_id TEXT NOT NULL REFERENCES release_rollouts(id),
  device_did TEXT NOT NULL,
  report_id TEXT NOT NULL,
  created_time INTEGER NOT NULL,
  status TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  digest TEXT NOT NULL,
  reason TEXT,
  received_at INTEGER NOT NULL,
  jws TEXT NOT NULL,
  UNIQUE (device_did, report_id, created_time)
);
CREATE INDEX IF NOT EXISTS release_reports_rollout ON release_reports (rollout_id);
CREATE TABLE IF NOT EXISTS release_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL,
  event TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  detail TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS release_events_subject ON release_events (subject);
`);
}
