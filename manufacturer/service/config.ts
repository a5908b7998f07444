/**
 * The service's configuration: defaults, then a JSON config file, then
 * environment variables (highest). Secrets come only from the environment
 * or from files the operator points at — never from the config file, which
 * is meant to be committed to an operator's repository.
 *
 *   SSIOT_MFR_CONFIG        path of the JSON config file (optional)
 *   SSIOT_MFR_DATA_DIR      data directory: SQLite file, images, master key file (default ./.ssiot-manufacturer)
 *   SSIOT_MFR_HOST          listen address of HTTP, MQTT and MQTT-over-WebSocket (default 127.0.0.1)
 *   SSIOT_MFR_HTTP_PORT     HTTP port (default 8080; 0 = any)
 *   SSIOT_MFR_MQTT_PORT     MQTT over TCP (default 1883; 0 = any)
 *   SSIOT_MFR_WS_PORT       MQTT over WebSocket, path /mqtt (default 8083; 0 = any)
 *   SSIOT_MFR_PUBLIC_URL    the URL people and owners reach the HTTP side at (default http://<host>:<port>, localhost for a loopback host)
 *   SSIOT_MFR_BROKER_URL    the broker URL devices are given (default mqtt://<host>:<mqtt port>)
 *   SSIOT_MFR_DOMAIN        did:webvh domain (host or host:port; default from the public URL)
 *   SSIOT_MFR_DID_PATH      did:webvh path (optional, e.g. dids/manufacturer)
 *   SSIOT_MFR_NAME          the manufacturer's name shown in introductions (default "Grinders Inc.")
 *   SSIOT_MASTER_KEY        base64url 32-byte master key; else the file <data dir>/master.key (made 0600 on first start)
 *   SSIOT_FACTORY_TOKEN     bearer token of factory stations (provisioning is closed without one)
 *   SSIOT_SERVICE_SECRET    the service's own broker login (default: random at each start)
 *   SSIOT_ADMIN_USER / SSIOT_ADMIN_PASSWORD   the first console account, made when none exists
 *
 * Config file (all optional): {"host", "httpPort", "mqttPort", "wsPort", "publicUrl", "brokerUrl",
 * "domain", "didPath", "name", "dataDir", "classes": [{"name", "vendorId", "classId"}]}.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SsiotError } from '../../protocols/errors.ts';

/**
 * A device class the service knows: its name — the `classId` its device
 * certificates state — and the SUIT vendor/class UUIDs its firmware is built with.
 */
export interface DeviceClassConfig {
  name: string;
  vendorId: string;
  classId: string;
}

export interface ServiceConfig {
  dataDir: string;
  host: string;
  httpPort: number;
  mqttPort: number;
  wsPort: number;
  publicUrl?: string;
  brokerUrl?: string;
  domain?: string;
  didPath?: string;
  name: string;
  classes: DeviceClassConfig[];
  /** Secrets (environment only). */
  masterKey?: string;
  factoryToken?: string;
  serviceSecret?: string;
  adminUser?: string;
  adminPassword?: string;
}

export class ConfigError extends SsiotError {
  constructor(code: `config.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ConfigError';
  }
}

/** The grinder of the story: its certificate class and the SUIT ids of its firmware (device/updater/testbed.ts). */
export const GRINDER_CLASS: DeviceClassConfig = { name: 'coffee-grinder', vendorId: 'fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe', classId: '1492af14-2569-5e48-bf42-9b2d51f2ab45' };

const DEFAULTS: ServiceConfig = { dataDir: '.ssiot-manufacturer', host: '127.0.0.1', httpPort: 8080, mqttPort: 1883, wsPort: 8083, name: 'Grinders Inc.', classes: [GRINDER_CLASS] };

const FILE_KEYS = ['host', 'httpPort', 'mqttPort', 'wsPort', 'publicUrl', 'brokerUrl', 'domain', 'didPath', 'name', 'dataDir', 'classes'] as const;

function port(name: string, value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError('config.invalid', `${name} must be a port number (0-65535)`);
  return n;
}

function checkClasses(v: unknown): DeviceClassConfig[] {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError('config.invalid', 'classes must be a non-empty array');
  return v.map((c: Partial<DeviceClassConfig>, i) => {
    if (!c || typeof c.name !== 'string' || !uuid.test(String(c.vendorId)) || !uuid.test(String(c.classId))) {
      throw new ConfigError('config.invalid', `classes[${i}] needs a name and RFC 4122 vendorId and classId (lower-case)`);
    }
    return { name: c.name, vendorId: c.vendorId as string, classId: c.classId as string };
  });
}

/** Reads the configuration (file named by SSIOT_MFR_CONFIG or `file`, then `env`); `config.invalid` on bad values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file: string | undefined = env.SSIOT_MFR_CONFIG): ServiceConfig {
  const c: ServiceConfig = { ...DEFAULTS, classes: [...DEFAULTS.classes] };
  if (file) {
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError('config.unreadable', `the config file ${file} is not readable JSON`, { cause: e });
    }
    for (const k of Object.keys(raw)) {
      if (!(FILE_KEYS as readonly string[]).includes(k)) throw new ConfigError('config.invalid', `unknown config key "${k}" (secrets belong in the environment)`);
    }
    Object.assign(c, raw);
  }
  const e = (k: string) => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  c.dataDir = resolve(e('SSIOT_MFR_DATA_DIR') ?? c.dataDir);
  c.host = e('SSIOT_MFR_HOST') ?? c.host;
  c.httpPort = port('httpPort', e('SSIOT_MFR_HTTP_PORT') ?? c.httpPort);
  c.mqttPort = port('mqttPort', e('SSIOT_MFR_MQTT_PORT') ?? c.mqttPort);
  c.wsPort = port('wsPort', e('SSIOT_MFR_WS_PORT') ?? c.wsPort);
  c.publicUrl = e('SSIOT_MFR_PUBLIC_URL') ?? c.publicUrl;
  c.brokerUrl = e('SSIOT_MFR_BROKER_URL') ?? c.brokerUrl;
  c.domain = e('SSIOT_MFR_DOMAIN') ?? c.domain;
  c.didPath = e('SSIOT_MFR_DID_PATH') ?? c.didPath;
  c.name = e('SSIOT_MFR_NAME') ?? c.name;
  c.classes = checkClasses(c.classes);
  c.masterKey = e('SSIOT_MASTER_KEY');
  c.factoryToken = e('SSIOT_FACTORY_TOKEN');
  c.serviceSecret = e('SSIOT_SERVICE_SECRET');
  c.adminUser = e('SSIOT_ADMIN_USER');
  c.adminPassword = e('SSIOT_ADMIN_PASSWORD');
  if (c.publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(c.publicUrl)) throw new ConfigError('config.invalid', 'publicUrl must be an http(s) URL');
  return c;
}
