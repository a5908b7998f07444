/**
 * `npm run bench:service`: DIDComm messages per second the manufacturer
 * service handles — authcrypt unpack + handler + authcrypt reply — for a
 * trust ping with response requested (the smallest full round of the
 * enterprise agent):
 * - in process: ManufacturerAgent.receive (node:crypto installed);
 * - over HTTP: POST /didcomm to a running service (startService, ports 0,
 *   a temporary data dir), `--concurrency` requests in flight (default 8).
 * Envelopes are packed before timing (each from its own sender DID, so no
 * ECDH cache helps), so the figures are the service's side only.
 * Progress on stderr, the table on stdout; `--json` prints the rows.
 * Options: --messages N (default 2000), --concurrency C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { generateOwnerDid } from '../owner/agent.ts';
import { installCrypto } from '../protocols/crypto/index.ts';
import { parseSecret } from '../protocols/did/keys.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createSecretsResolver } from '../protocols/didcomm/secrets.ts';
import { createPing } from '../protocols/messages/trust-ping.ts';
import { base64urlEncode } from '../protocols/encoding/base64url.ts';
import { ManufacturerAgent } from '../manufacturer/agent.ts';
import { startService } from '../manufacturer/service/app.ts';
import { loadConfig } from '../manufacturer/service/config.ts';
import { benchArgs, formatTable, log, logDone, printJson } from './support.ts';

const { flag, num } = benchArgs();
const MESSAGES = num('--messages', 2000);
const CONCURRENCY = num('--concurrency', 8);

interface Row {
  path: string;
  messages: number;
  seconds: number;
  perSec: number;
  p50ms: number;
  p99ms: number;
}

/** `n` pings to `to`, each authcrypted from a fresh owner DID. */
async function pings(to: string, n: number): Promise<string[]> {
  const resolver = createDefaultResolver();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const me = generateOwnerDid();
    const secrets = createSecretsResolver(me.secrets.map((s) => parseSecret(s)));
    out.push((await packEncrypted(createPing({ from: me.did, to: [to] }), { to, from: me.did, resolver, secrets })).packed);
    if ((i + 1) % 500 === 0) log(`packed ${i + 1}/${n}`);
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Runs `handle` over every envelope with `concurrency` in flight; every one must produce a reply. */
async function measure(path: string, envelopes: string[], concurrency: number, handle: (packed: string) => Promise<string | undefined>): Promise<Row> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < envelopes.length) {
      const packed = envelopes[next++];
      const t = performance.now();
      const reply = await handle(packed);
      if (!reply) throw new Error(`${path}: no reply`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { path, messages: envelopes.length, seconds, perSec: envelopes.length / seconds, p50ms: quantile(latencies, 0.5), p99ms: quantile(latencies, 0.99) };
}

const started = performance.now();
installCrypto(nodeCrypto);
const rows: Row[] = [];

log('in process: ManufacturerAgent.receive');
const agent = new ManufacturerAgent({ endpoint: 'http://127.0.0.1:1/didcomm', send: async () => undefined, resolver: createDefaultResolver(), manufacturerDid: 'did:example:manufacturer' });
rows.push(await measure('in process (agent.receive)', await pings(agent.did, MESSAGES), 1, (p) => agent.receive(p)));

log('over HTTP: POST /didcomm to a running service');
const dir = mkdtempSync(join(tmpdir(), 'ssiot-bench-service-'));
const service = await startService({
  config: loadConfig({ SSIOT_MFR_DATA_DIR: dir, SSIOT_MFR_HTTP_PORT: '0', SSIOT_MFR_MQTT_PORT: '0', SSIOT_MFR_WS_PORT: '0', SSIOT_MASTER_KEY: base64urlEncode(new Uint8Array(32).fill(1)) }),
  logger: false,
});
try {
  const ownerDid = service.agent.agent.ownerDid;
  const envelopes = await pings(ownerDid, MESSAGES);
  const post = async (packed: string) => {
    const res = await fetch(`${service.url}/didcomm`, { method: 'POST', headers: { 'content-type': 'application/didcomm-encrypted+json' }, body: packed });
    return res.status === 200 ? res.text() : undefined;
  };
  rows.push(await measure(`HTTP, ${CONCURRENCY} in flight`, envelopes, CONCURRENCY, post));
} finally {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
}

if (flag('--json')) printJson({ rows });
else {
  console.log(`DIDComm messages handled by the manufacturer service (trust ping -> ping-response, authcrypt both ways, node:crypto)`);
  console.log(formatTable(['path', 'messages', 'msg/s', 'p50 ms', 'p99 ms'], rows.map((r) => [r.path, String(r.messages), r.perSec.toFixed(0), r.p50ms.toFixed(2), r.p99ms.toFixed(2)]), 1));
}
logDone(started);
