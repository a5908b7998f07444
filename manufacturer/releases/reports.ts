/**
 * Device status reports on the manufacturer's side: verify the signed
 * report (device/updater/report.ts verifyStatusReport, EdDSA by the device
 * key), then decide whether it is new.
 *
 * Replay rules (`release.replayed_report`, nothing stored):
 * - the same report (device, message id, created_time) was recorded before;
 * - the report is about a sequence older than one the device already
 *   reported (a device only moves forward);
 * - for the same sequence, it was created before the latest recorded one
 *   (an old "failed" replayed after "installed" cannot undo it).
 * The message id alone is not the key: the updater derives it from
 * (status, sequence, digest), so a device that fails the same release in a
 * later rollout sends the same id with a later created_time, which is new.
 */
import type { Database } from 'better-sqlite3';
import { publicKeyFromDidKey } from '../../protocols/did/key.ts';
import type { PublicKey } from '../../protocols/did/keys.ts';
import { verifyStatusReport, type StatusReportMessage } from '../../device/updater/report.ts';
import { ReleaseError } from './errors.ts';
import type { ReleaseDeviceDirectory } from './types.ts';

/** The key behind a report's kid: the directory's answer, else the did:key itself. */
export function reportKeyLookup(devices: ReleaseDeviceDirectory): (kid: string) => Promise<PublicKey | undefined> {
  return async (kid) => {
    const fromDirectory = devices.publicKey ? await devices.publicKey(kid) : undefined;
    if (fromDirectory) return fromDirectory;
    const did = kid.split('#')[0];
    if (!did.startsWith('did:key:')) return undefined;
    try {
      return publicKeyFromDidKey(did);
    } catch {
      return undefined;
    }
  };
}

/** Verifies a compact-JWS report (`firmware.*` errors on a bad one). */
export function verifyReport(jws: string, devices: ReleaseDeviceDirectory): Promise<StatusReportMessage> {
  return verifyStatusReport(jws, reportKeyLookup(devices));
}

/** Throws `release.replayed_report` when `msg` is not new for its device (see the module comment). */
export function checkReportIsNew(db: Database, msg: StatusReportMessage): void {
  const device = msg.from;
  if (db.prepare('SELECT 1 FROM release_reports WHERE device_did = ? AND report_id = ? AND created_time = ?').get(device, msg.id, msg.created_time)) {
    throw new ReleaseError('release.replayed_report', `report ${msg.id} from ${device} was already recorded`);
  }
  const latest = db
    .prepare('SELECT sequence, created_time FROM release_reports WHERE device_did = ? ORDER BY sequence DESC, created_time DESC LIMIT 1')
    .get(device) as { sequence: number; created_time: number } | undefined;
  if (!latest) return;
  if (msg.body.sequence < latest.sequence) {
    throw new ReleaseError('release.replayed_report', `${device} already reported sequence ${latest.sequence}; a report about ${msg.body.sequence} is stale`);
  }
  if (msg.body.sequence === latest.sequence && msg.created_time < latest.created_time) {
    throw new ReleaseError('release.replayed_report', `${device} already sent a newer report about sequence ${msg.body.sequence}`);
  }
}
