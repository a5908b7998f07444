/**
 * Starts the manufacturer service (HTTP, MQTT over TCP and WebSocket, SQLite):
 *
 *   npm run manufacturer            (= tsx manufacturer/service/main.ts)
 *
 * Configuration: environment variables and an optional JSON file, see
 * manufacturer/service/config.ts and docs/manufacturer.md. Prints one JSON
 * line with the URLs once everything listens; stops cleanly on SIGINT/SIGTERM.
 */
import { pathToFileURL } from 'node:url';
import { isSsiotError } from '../../protocols/errors.ts';
import { startService } from './app.ts';
import { loadConfig } from './config.ts';

export async function main(): Promise<void> {
  let service;
  try {
    service = await startService({ config: loadConfig() });
  } catch (e) {
    process.stderr.write(`manufacturer service: ${isSsiotError(e) ? `${e.code}: ${e.message}` : (e as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const s = service;
  process.stdout.write(JSON.stringify({ url: s.url, console: `${s.url}/`, did: s.identity.did, mqtt: s.broker.tcpUrl, ws: s.broker.wsUrl, brokerUrl: s.brokerUrl }) + '\n');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void s.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
