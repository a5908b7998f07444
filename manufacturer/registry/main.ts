/**
 * The trust registry service on its own:
 *
 *   npx tsx manufacturer/registry/main.ts --config registry.json [--state state.json]
 *        [--host 127.0.0.1] [--port 0] [--prefix /trust]
 *
 * registry.json: { "id": "<registry id>", "maintainers": ["did:key:…", …],
 *   "threshold": k, "rules"?: { "minStake": "1000", "issuerSlashBp": 5000, … } }
 * The operator token comes from the environment (SSIOT_REGISTRY_TOKEN),
 * never from arguments. State (edges, ledger, epochs) is written to
 * --state after every change and read back at start. Prints
 * {"url": "http://127.0.0.1:PORT/trust"} on stdout once listening.
 *
 * Issuer DIDs resolve as did:key / did:peer locally and did:webvh over
 * HTTPS (their logs are verified).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { installCrypto } from '../../protocols/crypto/index.ts';
import { createDefaultResolver } from '../../protocols/did/resolver.ts';
import type { DidResolver } from '../../protocols/did/types.ts';
import { webvhResolver } from '../../protocols/did/webvh/resolve.ts';
import { DidError, TrustError } from '../../protocols/errors.ts';
import type { AccountingRules } from '../../protocols/trust/accounting.ts';
import { TrustRegistry, type TrustRegistryJson, type TrustRegistryOptions } from '../../protocols/trust/registry.ts';
import { nodeCrypto } from '../../hosts/node/crypto.ts';
import { trustRegistryPlugin } from './plugin.ts';

export interface RegistryConfig {
  id: string;
  maintainers: string[];
  threshold: number;
  rules?: Partial<Record<keyof AccountingRules, string | number>>;
}

/** did:webvh logs over HTTPS for the resolver (404 -> did.not_found). */
export async function httpFetchText(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'error' });
  if (res.status === 404) throw new DidError('did.not_found', `no DID log at ${url}`);
  if (!res.ok) throw new DidError('did.webvh_fetch_failed', `GET ${url}: HTTP ${res.status}`);
  return res.text();
}

export function serviceResolver(): DidResolver {
  return createDefaultResolver().register('webvh', webvhResolver({ fetch: httpFetchText }));
}

/** Config file values to registry options (bigint amounts from decimal strings). */
export function registryOptions(config: RegistryConfig, resolver: DidResolver = serviceResolver()): TrustRegistryOptions {
  const rules: Partial<AccountingRules> = {};
  for (const [k, v] of Object.entries(config.rules ?? {})) {
    if (k === 'minStake' || k === 'minChallengeBond') rules[k] = BigInt(String(v));
    else if (k === 'issuerSlashBp' || k === 'adjacentSlashBp' || k === 'challengerRewardBp') rules[k] = Number(v);
    else throw new TrustError('trust.invalid_argument', `unknown rule ${k}`);
  }
  return { id: config.id, maintainers: config.maintainers, threshold: config.threshold, resolver, rules };
}

export interface StartOptions {
  config: RegistryConfig;
  statePath?: string;
  host?: string;
  port?: number;
  prefix?: string;
  operatorToken?: string;
  resolver?: DidResolver;
}

/** Builds and starts the server; resolves once it listens. */
export async function startRegistryServer(o: StartOptions): Promise<{ app: FastifyInstance; url: string; registry: TrustRegistry }> {
  const options = registryOptions(o.config, o.resolver);
  const registry =
    o.statePath && existsSync(o.statePath)
      ? TrustRegistry.fromJSON(JSON.parse(readFileSync(o.statePath, 'utf8')) as TrustRegistryJson, options)
      : new TrustRegistry(options);
  const persist = (r: TrustRegistry): void => {
    if (!o.statePath) return;
    const tmp = `${o.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(r.toJSON()), { mode: 0o600 });
    renameSync(tmp, o.statePath); // atomic replace: a crash never leaves half a state file
  };
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 });
  const prefix = o.prefix ?? '/trust';
  await app.register(trustRegistryPlugin, { prefix, registry, operatorToken: o.operatorToken, onChange: persist });
  const address = await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
  return { app, url: `${address}${prefix}`, registry };
}

async function cli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, state: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, prefix: { type: 'string' } },
  });
  if (!values.config) throw new TrustError('trust.invalid_argument', 'usage: main.ts --config registry.json [--state state.json] [--host H] [--port N] [--prefix /trust]');
  installCrypto(nodeCrypto);
  const config = JSON.parse(readFileSync(values.config, 'utf8')) as RegistryConfig;
  const { app, url } = await startRegistryServer({
    config,
    statePath: values.state,
    host: values.host,
    port: values.port === undefined ? undefined : Number(values.port),
    prefix: values.prefix,
    operatorToken: process.env.SSIOT_REGISTRY_TOKEN || undefined,
  });
  process.stdout.write(JSON.stringify({ url }) + '\n');
  const stop = (): void => {
    app.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli(process.argv.slice(2)).catch((e: unknown) => {
    const code = (e as { code?: unknown }).code;
    process.stderr.write(JSON.stringify({ error: { code: typeof code === 'string' ? code : 'internal', message: e instanceof Error ? e.message : 'failed' } }) + '\n');
    process.exit(1);
  });
}
