/**
 * The device registry: every device the factory provisioned (its did:key,
 * its pairing DID — the DID it talks to the service from — and what its
 * certificate states), with what the service learns later: the firmware it
 * runs (from its signed status reports) and when it was last connected.
 *
 * Tables `device_*` in the service database. A device is registered once:
 * the same did:key or the same (class, serial) again is `device.already_registered`,
 * so a re-run factory station cannot mint a second certificate silently.
 */
import type { Database } from 'better-sqlite3';
import { SsiotError } from '../../protocols/errors.ts';
import type { DeviceDescription } from '../../protocols/vc/device-credentials.ts';

export class DeviceRegistryError extends SsiotError {
  constructor(code: `device.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DeviceRegistryError';
  }
}

export interface RegisteredDevice extends DeviceDescription {
  /** The device's pairing DID (its DIDComm DID towards the manufacturer). */
  pairingDid: string;
  provisionedAt: string;
  firmware?: { version: string; sequence: number };
  /** The last firmware status the device reported (installed, failed, ...). */
  lastStatus?: string;
  /** When it last connected to or disconnected from the broker (ISO). */
  lastSeen?: string;
  connected: boolean;
  /** Warranty registration: the owner proved ownership (present-proof) to the manufacturer. */
  warranty?: { owner: string; registeredAt: string };
}

export function migrate(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS device_registry (
    did TEXT PRIMARY KEY,
    pairing_did TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    serial TEXT NOT NULL,
    vendor_id TEXT NOT NULL,
    class_id TEXT NOT NULL,
    hardware_revision TEXT NOT NULL,
    provisioned_at TEXT NOT NULL,
    firmware_version TEXT,
    firmware_sequence INTEGER,
    last_status TEXT,
    last_seen TEXT,
    connected INTEGER NOT NULL DEFAULT 0,
    UNIQUE (class_id, serial)
  )`);
  db.exec(`CREATE TABLE IF NOT EXISTS device_warranty (
    did TEXT PRIMARY KEY REFERENCES device_registry (did),
    owner TEXT NOT NULL,
    registered_at TEXT NOT NULL
  )`);
}

interface Row {
  did: string;
  pairing_did: string;
  model: string;
  serial: string;
  vendor_id: string;
  class_id: string;
  hardware_revision: string;
  provisioned_at: string;
  firmware_version: string | null;
  firmware_sequence: number | null;
  last_status: string | null;
  last_seen: string | null;
  connected: number;
  warranty_owner: string | null;
  warranty_at: string | null;
}

const SELECT = 'SELECT r.*, w.owner AS warranty_owner, w.registered_at AS warranty_at FROM device_registry r LEFT JOIN device_warranty w ON w.did = r.did';

function view(r: Row): RegisteredDevice {
  const d: RegisteredDevice = {
    did: r.did,
    pairingDid: r.pairing_did,
    model: r.model,
    serial: r.serial,
    vendorId: r.vendor_id,
    classId: r.class_id,
    hardwareRevision: r.hardware_revision,
    provisionedAt: r.provisioned_at,
    connected: r.connected === 1,
  };
  if (r.firmware_version !== null && r.firmware_sequence !== null) d.firmware = { version: r.firmware_version, sequence: r.firmware_sequence };
  if (r.last_status !== null) d.lastStatus = r.last_status;
  if (r.last_seen !== null) d.lastSeen = r.last_seen;
  if (r.warranty_owner !== null && r.warranty_at !== null) d.warranty = { owner: r.warranty_owner, registeredAt: r.warranty_at };
  return d;
}

/** `%` and `_` are LIKE wildcards: a search for "SN_1" means those characters. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class DeviceRegistry {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    migrate(db);
  }

  /** Registers a provisioned device (in `tx`, e.g. together with its certificate). */
  register(device: DeviceDescription, pairingDid: string): RegisteredDevice {
    const clash = this.db
      .prepare<[string, string, string, string], { did: string }>('SELECT did FROM device_registry WHERE did = ? OR pairing_did = ? OR (class_id = ? AND serial = ?)')
      .get(device.did, pairingDid, device.classId, device.serial);
    if (clash) throw new DeviceRegistryError('device.already_registered', 'a device with this DID, pairing DID or class and serial is registered');
    this.db
      .prepare(
        `INSERT INTO device_registry (did, pairing_did, model, serial, vendor_id, class_id, hardware_revision, provisioned_at)
         VALUES (@did, @pairingDid, @model, @serial, @vendorId, @classId, @hardwareRevision, @provisionedAt)`,
      )
      .run({ ...device, pairingDid, provisionedAt: this.now().toISOString() });
    return this.get(device.did) as RegisteredDevice;
  }

  get(did: string): RegisteredDevice | undefined {
    const r = this.db.prepare<[string], Row>(`${SELECT} WHERE r.did = ?`).get(did);
    return r && view(r);
  }

  /** By the DID it talks from (its pairing DID) or its did:key. */
  byAnyDid(did: string): RegisteredDevice | undefined {
    const r = this.db.prepare<[string, string], Row>(`${SELECT} WHERE r.did = ? OR r.pairing_did = ?`).get(did, did);
    return r && view(r);
  }

  /** Devices whose serial, model, DID or class contains `q` (case-insensitive), newest first. */
  search(o: { q?: string; classId?: string; limit?: number; offset?: number } = {}): { devices: RegisteredDevice[]; total: number } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (o.q) {
      where.push("(r.serial LIKE ? ESCAPE '\\' OR r.model LIKE ? ESCAPE '\\' OR r.did LIKE ? ESCAPE '\\' OR r.class_id LIKE ? ESCAPE '\\')");
      const p = likePattern(o.q);
      args.push(p, p, p, p);
    }
    if (o.classId) {
      where.push('r.class_id = ?');
      args.push(o.classId);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM device_registry r ${clause}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare<(string | number)[], Row>(`${SELECT} ${clause} ORDER BY r.provisioned_at DESC, r.serial LIMIT ? OFFSET ?`)
      .all(...args, o.limit ?? 50, o.offset ?? 0);
    return { devices: rows.map(view), total };
  }

  /** The did:keys of a class (the releases module's device directory). */
  listClass(classId: string): string[] {
    return this.db.prepare<[string], { did: string }>('SELECT did FROM device_registry WHERE class_id = ? ORDER BY did').all(classId).map((r) => r.did);
  }

  /** What a verified status report says about the device's firmware. */
  recordFirmware(did: string, report: { status: string; sequence: number; version?: string }): void {
    const installed = report.status === 'installed';
    this.db
      .prepare(
        `UPDATE device_registry SET last_status = @status,
           firmware_sequence = CASE WHEN @installed THEN @sequence ELSE firmware_sequence END,
           firmware_version = CASE WHEN @installed THEN @version ELSE firmware_version END
         WHERE did = @did`,
      )
      .run({ did, status: report.status, sequence: report.sequence, version: report.version ?? String(report.sequence), installed: installed ? 1 : 0 });
  }

  /** A verified proof of ownership registers the warranty (the latest owner to prove it). */
  recordWarranty(did: string, owner: string): void {
    if (!this.get(did)) return;
    this.db
      .prepare('INSERT INTO device_warranty (did, owner, registered_at) VALUES (?, ?, ?) ON CONFLICT (did) DO UPDATE SET owner = excluded.owner, registered_at = excluded.registered_at')
      .run(did, owner, this.now().toISOString());
  }

  /** The broker saw the device connect or disconnect. */
  recordConnection(did: string, connected: boolean): void {
    this.db.prepare('UPDATE device_registry SET connected = ?, last_seen = ? WHERE did = ?').run(connected ? 1 : 0, this.now().toISOString(), did);
  }

  /** Connected devices now (for metrics). */
  connectedCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM device_registry WHERE connected = 1').get() as { n: number }).n;
  }
}
