/**
 * `npm start`: the whole story on one machine — the manufacturer service
 * (console, broker, did:webvh, releases), a simulated fleet of grinders
 * provisioned by it, the simulator's dashboard and the owner's phone app —
 * then the URLs and the first device's pairing link.
 *
 *   npm start [-- --devices 5] [--engine node|xs] [--data-dir DIR] [--host 127.0.0.1]
 *             [--http-port 0] [--mqtt-port 0] [--ws-port 0] [--owner-port 0] [--dashboard-port 0] [--json]
 *
 * Without --data-dir everything lives in a fresh temporary directory that is
 * removed on exit (the service's DID names its port; a fresh directory per
 * run keeps them apart). The console account is `admin`; its password is
 * SSIOT_ADMIN_PASSWORD or a random one written to <data dir>/console-password
 * (0600) — never printed. Progress goes to stderr; the summary (or, with
 * --json, one JSON line) to stdout. Ctrl-C stops everything.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startService, freePort } from '../manufacturer/service/app.ts';
import { loadConfig } from '../manufacturer/service/config.ts';
import { startFleet, type Engine } from '../simulator/fleet.ts';
import { startOwnerApp } from '../owner/app/server.ts';

const { values: o } = parseArgs({
  options: {
    devices: { type: 'string', default: '5' },
    engine: { type: 'string', default: 'node' },
    'data-dir': { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'http-port': { type: 'string', default: '0' },
    'mqtt-port': { type: 'string', default: '0' },
    'ws-port': { type: 'string', default: '0' },
    'owner-port': { type: 'string', default: '0' },
    'dashboard-port': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (o.help) {
  process.stdout.write('npm start [-- --devices N] [--engine node|xs] [--data-dir DIR] [--host H] [--http-port P] [--mqtt-port P] [--ws-port P] [--owner-port P] [--dashboard-port P] [--json]\n');
  process.exit(0);
}
const count = Number(o.devices);
const engine = o.engine as Engine;
if (!Number.isInteger(count) || count < 1 || count > 10_000 || (engine !== 'node' && engine !== 'xs')) {
  process.stderr.write('npm start: --devices must be 1..10000 and --engine node or xs\n');
  process.exit(2);
}

const progress = (text: string) => process.stderr.write(`[start] ${text}\n`);
const temporary = o['data-dir'] === undefined;
const dataDir = temporary ? mkdtempSync(join(tmpdir(), 'ssiot-start-')) : resolve(o['data-dir'] as string);
const secret = () => randomBytes(24).toString('base64url');
const factoryToken = process.env.SSIOT_FACTORY_TOKEN ?? secret();
const adminPassword = process.env.SSIOT_ADMIN_PASSWORD ?? secret();
const passwordFile = join(dataDir, 'console-password');
if (!process.env.SSIOT_ADMIN_PASSWORD) writeFileSync(passwordFile, adminPassword + '\n', { mode: 0o600 });

const closers: (() => Promise<unknown>)[] = [];
let stopping = false;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  progress('stopping');
  for (const c of closers.reverse()) await c().catch(() => undefined);
  if (temporary) rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  progress(`manufacturer service (data in ${dataDir})`);
  const service = await startService({
    config: loadConfig({
      ...process.env,
      SSIOT_MFR_DATA_DIR: join(dataDir, 'manufacturer'),
      SSIOT_MFR_HOST: o.host,
      SSIOT_MFR_HTTP_PORT: o['http-port'],
      SSIOT_MFR_MQTT_PORT: o['mqtt-port'],
      SSIOT_MFR_WS_PORT: o['ws-port'],
      SSIOT_FACTORY_TOKEN: factoryToken,
      SSIOT_ADMIN_USER: process.env.SSIOT_ADMIN_USER ?? 'admin',
      SSIOT_ADMIN_PASSWORD: adminPassword,
    }),
    logger: { level: 'info', file: join(dataDir, 'manufacturer.log') },
  });
  closers.push(() => service.close());

  // the dashboard's port first: the owner app polls it for pushes, the devices allow the app's origin
  const dashboardPort = Number(o['dashboard-port']) || (await freePort(o.host as string));
  progress('owner app (bundling the owner agent for the browser)');
  const ownerApp = await startOwnerApp({
    host: o.host,
    port: Number(o['owner-port']),
    manufacturerUrl: service.url,
    manufacturerDid: service.identity.did,
    pushRelayUrl: `http://${o.host}:${dashboardPort}`,
  });
  closers.push(() => ownerApp.close());

  progress(`fleet of ${count} (${engine})`);
  const fleet = await startFleet({
    count,
    engine,
    dataDir: join(dataDir, 'fleet'),
    host: o.host,
    cors: { origins: [ownerApp.url] },
    dashboard: { port: dashboardPort },
  });
  closers.push(() => fleet.close());
  progress('provisioning the fleet at the factory station and connecting it to the broker');
  await fleet.provision({ url: service.url, factoryToken, brokerUrl: service.brokerUrl });

  const devices = await Promise.all(
    fleet.devices.map(async (d) => {
      const v = await d.view();
      return { serial: v.serial, did: v.did, endpoint: v.endpoint, pairingLink: v.label?.url ?? null, manualCode: v.label?.manualCode ?? null };
    }),
  );
  const summary = {
    console: `${service.url}/`,
    consoleUser: process.env.SSIOT_ADMIN_USER ?? 'admin',
    consolePassword: process.env.SSIOT_ADMIN_PASSWORD ? 'SSIOT_ADMIN_PASSWORD' : passwordFile,
    manufacturerDid: service.identity.did,
    broker: service.broker.tcpUrl,
    dashboard: fleet.dashboardUrl,
    ownerApp: ownerApp.url,
    engine,
    dataDir,
    devices,
  };
  if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    const first = devices[0];
    process.stdout.write(
      [
        '',
        'ssiot is running:',
        `  manufacturer console   ${summary.console}   (user ${summary.consoleUser}, password in ${summary.consolePassword})`,
        `  simulator dashboard    ${summary.dashboard}`,
        `  owner phone app        ${summary.ownerApp}`,
        `  manufacturer DID       ${summary.manufacturerDid}`,
        '',
        `Pair the first grinder (${first.serial}): open the owner app, create a wallet, "Add device" and paste`,
        `  ${first.pairingLink}`,
        `(or type its setup code ${first.manualCode}). Ctrl-C stops everything.`,
        '',
      ].join('\n'),
    );
  }
} catch (e) {
  process.stderr.write(`npm start failed: ${(e as { code?: string }).code ?? ''} ${(e as Error).message}\n`);
  await stop(1);
}
