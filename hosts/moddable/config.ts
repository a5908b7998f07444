/**
 * The firmware's settings, from the manifest's `config` section (compiled
 * into `mc/config`; override any of them on the mcconfig command line, e.g.
 * `mcconfig -d -m -p esp32 manifest.json ssid="my wifi" password="…"
 * factoryUrl=http://192.168.1.20:8080 factoryToken=…`). Wi-Fi (`ssid`,
 * `password`) is read by the SDK's own setup/network module before main.
 * Everything is checked here once, so a typo fails at boot with the name
 * of the setting, not later in a socket.
 */
import { checkPbkdfParams, type PbkdfParams } from '../../protocols/pake/registration.ts';
import { parseCorsOrigins, type DidcommCorsOptions } from '../../protocols/didcomm/transports/cors.ts';
import type { HardwareInfo } from '../../device/manufacture.ts';

export interface FirmwareConfig {
  /** Manufacturer service base URL (factory provisioning, POST /api/provisioning/devices); empty = no factory step. */
  factoryUrl: string;
  /** Bearer token of the factory station (SSIOT_FACTORY_TOKEN of the service). */
  factoryToken: string;
  /** mqtt://host:port of the manufacturer's broker (SSIOT_MFR_BROKER_URL); empty = no broker. */
  brokerUrl: string;
  /** Port of the local pairing endpoint. */
  localPort: number;
  /** Path of the local pairing endpoint. */
  localPath: string;
  /** Address advertised in the pairing DID (default: the station IP from `net`). */
  localHost: string;
  /** CORS on the local endpoint for a browser phone app on another origin: none (default), `*`, or a comma list. */
  cors: DidcommCorsOptions | undefined;
  /** GPIO of the factory-reset button (-1 = none); held `resetHoldMs`. */
  resetPin: number;
  resetHoldMs: number;
  hardware: HardwareInfo;
  /** SUIT vendor/class UUIDs of this firmware (manufacturer's class config). */
  suitVendorId: string;
  suitClassId: string;
  /** scrypt cost of the setup-code verifier: 128·N·r bytes of RAM. */
  pbkdf: PbkdfParams;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Log the XS heap figures (heap.ts) after boot, after provisioning and on the first broker connection. */
  reportHeap: boolean;
}

const str = (raw: Record<string, unknown>, name: string, fallback: string): string => {
  const v = raw[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') throw new RangeError(`config.${name} must be a string`);
  return v;
};

const int = (raw: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number => {
  const v = raw[name];
  const n = v === undefined || v === null || v === '' ? fallback : typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`config.${name} must be an integer in [${min}, ${max}]`);
  return n;
};

/** A switch: JSON true/false, or 0/1/"true"/"false" as an mcconfig command line (`reportHeap=1`) gives it. */
const bool = (raw: Record<string, unknown>, name: string, fallback: boolean): boolean => {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return fallback;
  if (v === true || v === 1 || v === '1' || v === 'true') return true;
  if (v === false || v === 0 || v === '0' || v === 'false') return false;
  throw new RangeError(`config.${name} must be true or false`);
};

/** Reads and checks the raw `mc/config` object. `serial` falls back to `defaultSerial` (the MAC address). */
export function readConfig(raw: Record<string, unknown>, defaultSerial: string): FirmwareConfig {
  const logLevel = str(raw, 'logLevel', 'info');
  if (logLevel !== 'debug' && logLevel !== 'info' && logLevel !== 'warn' && logLevel !== 'error') throw new RangeError('config.logLevel must be debug, info, warn or error');
  const localPath = str(raw, 'localPath', '/didcomm');
  if (!localPath.startsWith('/')) throw new RangeError('config.localPath must start with /');
  return {
    factoryUrl: str(raw, 'factoryUrl', ''),
    factoryToken: str(raw, 'factoryToken', ''),
    brokerUrl: str(raw, 'brokerUrl', ''),
    localPort: int(raw, 'localPort', 80, 1, 65535),
    localPath,
    localHost: str(raw, 'localHost', ''),
    cors: parseCorsOrigins(str(raw, 'corsOrigins', '')),
    resetPin: int(raw, 'resetPin', -1, -1, 255),
    resetHoldMs: int(raw, 'resetHoldMs', 5000, 100, 600_000),
    hardware: {
      model: str(raw, 'model', 'Grinder One'),
      serial: str(raw, 'serial', '') || defaultSerial,
      vendorId: str(raw, 'vendorId', '0xFFF1'),
      classId: str(raw, 'classId', 'coffee-grinder'),
      hardwareRevision: str(raw, 'hardwareRevision', 'esp32'),
    },
    suitVendorId: str(raw, 'suitVendorId', 'fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe'),
    suitClassId: str(raw, 'suitClassId', '1492af14-2569-5e48-bf42-9b2d51f2ab45'),
    pbkdf: checkPbkdfParams({ alg: 'scrypt', N: int(raw, 'pbkdfN', 1024, 2, 1 << 20), r: int(raw, 'pbkdfR', 1, 1, 32), p: 1 }),
    logLevel,
    reportHeap: bool(raw, 'reportHeap', false),
  };
}
