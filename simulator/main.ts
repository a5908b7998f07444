/**
 * The simulator from the command line.
 *
 *   npx tsx simulator/main.ts [--devices 5] [--engine node|xs] [--service-url http://localhost:8080]
 *       [--factory-token-env SSIOT_FACTORY_TOKEN] [--broker-url mqtt://127.0.0.1:1883]
 *       [--data-dir .ssiot-simulator] [--storage file|memory] [--host 127.0.0.1] [--port 0]
 *       [--grind-ms 5000] [--serial-prefix SN-SIM-] [--label-link-base URL] [--cors-origins '*'|a,b] [--verbose]
 *   Starts the fleet (provisioned when --service-url is given) and its dashboard; prints one
 *   JSON line on stdout: {dashboard, engine, devices: [{index, serial, did, pairingLink, manualCode}]}.
 *   Runs until SIGINT/SIGTERM.
 *
 *   npx tsx simulator/main.ts fault <action> <index> --dashboard URL [--after-writes n] [--count n]
 *   Presses a device's button on a running simulator, through its dashboard API. Actions:
 *   factory-reset power-cut network-loss network-restore broker-loss broker-restore corrupt-download grind.
 *
 * The factory token is read from the environment variable named by
 * --factory-token-env (never from the command line: it would show in `ps`).
 * --broker-url defaults to mqtt://<the service's host>:1883 (the service's default port).
 * --label-link-base makes each label link `<base>#<label URL>` (an owner app's pairing page).
 * --cors-origins lets a browser phone app on those origins ('*' = any) POST to the devices' endpoints.
 */
import { parseCorsOrigins } from '../protocols/didcomm/transports/cors.ts';
import { ACTIONS, type Action } from './dashboard.ts';
import { startFleet, type Engine } from './fleet.ts';
import type { StorageKind } from './host.ts';

function args(argv: string[]) {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number): number => {
    const v = opt(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) fail(`${name} must be a non-negative integer`);
    return n;
  };
  return { opt, num };
}

function fail(message: string): never {
  process.stderr.write(`simulator: ${message}\n`);
  process.exit(2);
}

async function fault(argv: string[]): Promise<void> {
  const { opt, num } = args(argv);
  const [action, index] = argv;
  if (!(ACTIONS as readonly string[]).includes(action)) fail(`unknown action ${action} (one of ${ACTIONS.join(', ')})`);
  if (!/^\d+$/.test(index ?? '')) fail('give the device index');
  const dashboard = opt('--dashboard') ?? process.env.SSIOT_SIMULATOR_URL;
  if (!dashboard) fail('--dashboard URL (or SSIOT_SIMULATOR_URL) is needed');
  const body: Record<string, number> = {};
  if (opt('--after-writes') !== undefined) body.afterWrites = num('--after-writes', 0);
  if (opt('--count') !== undefined) body.count = num('--count', 1);
  const res = await fetch(new URL(`/api/devices/${index}/actions/${action as Action}`, dashboard), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  process.stdout.write(text + '\n');
  if (!res.ok) process.exit(1);
}

async function run(argv: string[]): Promise<void> {
  const { opt, num } = args(argv);
  const engine = (opt('--engine') ?? 'node') as Engine;
  if (engine !== 'node' && engine !== 'xs') fail('--engine is node or xs');
  const storage = opt('--storage') as StorageKind | undefined;
  if (storage !== undefined && storage !== 'file' && storage !== 'memory') fail('--storage is file or memory');
  const serviceUrl = opt('--service-url');
  let service: { url: string; factoryToken: string; brokerUrl: string } | undefined;
  if (serviceUrl) {
    const envName = opt('--factory-token-env') ?? 'SSIOT_FACTORY_TOKEN';
    const factoryToken = process.env[envName];
    if (!factoryToken) fail(`the factory token is read from $${envName}, which is not set`);
    service = { url: serviceUrl, factoryToken, brokerUrl: opt('--broker-url') ?? `mqtt://${new URL(serviceUrl).hostname.replace(/^localhost$/, '127.0.0.1')}:1883` };
  }
  const base = opt('--label-link-base');
  const cors = opt('--cors-origins');
  const verbose = argv.includes('--verbose');
  const fleet = await startFleet({
    service,
    count: num('--devices', 5),
    engine,
    dataDir: opt('--data-dir') ?? '.ssiot-simulator',
    storage,
    host: opt('--host'),
    grindIntervalMs: num('--grind-ms', 5000),
    serialPrefix: opt('--serial-prefix'),
    cors: cors === undefined ? undefined : parseCorsOrigins(cors),
    dashboard: { port: num('--port', 0) },
    labelLink: base ? (url) => `${base}#${url}` : undefined,
    echo: verbose ? (line) => process.stderr.write(line + '\n') : undefined,
  });
  const devices = await Promise.all(
    fleet.devices.map(async (d) => {
      const v = await d.view();
      return { index: v.index, serial: v.serial, did: v.did, endpoint: v.endpoint, pairingLink: v.label?.link ?? null, manualCode: v.label?.manualCode ?? null };
    }),
  );
  process.stdout.write(JSON.stringify({ dashboard: fleet.dashboardUrl, engine: fleet.engine, devices }) + '\n');
  const stop = async () => {
    await fleet.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

const argv = process.argv.slice(2);
if (argv[0] === 'fault') await fault(argv.slice(1));
else await run(argv);
