/**
 * The manufacturer service: one fastify application made of plugins, an
 * embedded MQTT broker (TCP and WebSocket) and one SQLite file.
 *
 *   consolePlugin    staff sign-in, sessions, CSRF; the web console at /      (manufacturer/console)
 *   identityPlugin   the did:webvh log at its spec path; /api/identity, rotation (manufacturer/identity)
 *   devicesPlugin    factory provisioning; the device fleet                      (manufacturer/devices)
 *   releasesPlugin   firmware releases, rollouts, status reports, images        (manufacturer/releases)
 *   didcommPlugin    the enterprise agent's owner endpoint; the support inbox   (manufacturer/didcomm)
 *   opsPlugin        /metrics (Prometheus), /openapi.json, /healthz             (manufacturer/service/ops.ts)
 *
 * The broker (manufacturer/broker) admits registered devices with a token
 * signed by their device key; the agent (manufacturer/didcomm/service-agent.ts)
 * talks to devices over it and to owners over HTTP.
 */
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { installCrypto } from '../../protocols/crypto/index.ts';
import { nodeCrypto } from '../../hosts/node/crypto.ts';
import { createDefaultResolver } from '../../protocols/did/resolver.ts';
import type { DidDocument, DidResolver } from '../../protocols/did/types.ts';
import { startBroker, type Broker } from '../broker/index.ts';
import { bootstrapAdmin, consolePlugin, type Argon2Params } from '../console/index.ts';
import { DeviceRegistry } from '../devices/registry.ts';
import { devicesPlugin } from '../devices/plugin.ts';
import { didcommPlugin } from '../didcomm/plugin.ts';
import { ServiceAgent } from '../didcomm/service-agent.ts';
import { envKeySource, fileKeySource, identityPlugin, ManufacturerIdentity } from '../identity/index.ts';
import { releasesPlugin, ReleaseService } from '../releases/index.ts';
import { getCrypto } from '../../protocols/crypto/index.ts';
import { base64urlEncode } from '../../protocols/encoding/base64url.ts';
import type { ServiceConfig } from './config.ts';
import { opsPlugin } from './ops.ts';

export interface ServiceOptions {
  config: ServiceConfig;
  /** fastify's logger option (default: pino at info; tests pass false or a stream). */
  logger?: FastifyServerOptions['logger'];
  /** Argon2id cost of console passwords (tests pass light ones). */
  argon2?: Argon2Params;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export interface ManufacturerService {
  app: FastifyInstance;
  /** The HTTP base URL (public URL if configured). */
  url: string;
  broker: Broker;
  /** The broker URL devices are given. */
  brokerUrl: string;
  db: Database.Database;
  identity: ManufacturerIdentity;
  registry: DeviceRegistry;
  releases: ReleaseService;
  agent: ServiceAgent;
  close(): Promise<void>;
}

/** A free TCP port on `host` (for port 0: the DID and URLs must name the port before listening). */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Resolves the manufacturer's own did:webvh from its identity (current after rotations), the rest by method. */
function serviceResolver(identity: ManufacturerIdentity): DidResolver {
  const others = createDefaultResolver();
  return { resolve: async (did: string): Promise<DidDocument> => (did === identity.did ? identity.document() : others.resolve(did)) };
}

export async function startService(o: ServiceOptions): Promise<ManufacturerService> {
  installCrypto(nodeCrypto);
  const c = o.config;
  mkdirSync(c.dataDir, { recursive: true, mode: 0o700 });
  const httpPort = c.httpPort === 0 ? await freePort(c.host) : c.httpPort;
  const mqttPort = c.mqttPort === 0 ? await freePort(c.host) : c.mqttPort;
  // did:webvh domains cannot be IP addresses: a loopback service is `localhost` in its URL and DID
  const named = /^(127\.0\.0\.1|0\.0\.0\.0|::1?)$/.test(c.host) ? 'localhost' : c.host;
  const url = c.publicUrl ?? `http://${named}:${httpPort}`;
  const brokerUrl = c.brokerUrl ?? `mqtt://${c.host}:${mqttPort}`;
  // and needs a fully qualified name: on loopback the DID names manufacturer.localhost (RFC 6761 keeps
  // *.localhost on this machine); set SSIOT_MFR_DOMAIN to the domain that serves /.well-known/did.jsonl
  const domain = c.domain ?? (named === 'localhost' ? `manufacturer.localhost:${httpPort}` : new URL(url).host);
  const serviceSecret = c.serviceSecret ?? base64urlEncode(getCrypto().randomBytes(32));

  const db = new Database(join(c.dataDir, 'manufacturer.sqlite'));
  db.pragma('journal_mode = WAL');
  const cleanups: (() => Promise<void> | void)[] = [() => void db.close()];
  const closeAll = async () => {
    for (const f of cleanups.reverse()) await f();
  };
  try {
    const keySource = c.masterKey ? envKeySource({ env: { SSIOT_MASTER_KEY: c.masterKey } }) : fileKeySource(join(c.dataDir, 'master.key'));
    const identity = await ManufacturerIdentity.open({ db, keySource, domain, path: c.didPath, now: o.now });
    cleanups.push(() => identity.close());
    const now = o.now ?? Date.now;
    const registry = new DeviceRegistry(db, () => new Date(now()));
    const resolver = serviceResolver(identity);
    // forceCloseConnections: close() must not wait out keep-alive sockets (an image download that just ended)
    const app = Fastify({ logger: o.logger ?? true, trustProxy: false, forceCloseConnections: true });
    cleanups.push(() => app.close());
    await app.register(swagger, {
      openapi: { info: { title: 'ssiot manufacturer service', version: '0.1.0', description: 'Firmware releases, device fleet, identity and support of one manufacturer.' } },
    });

    let releases: ReleaseService | undefined;
    const agent = await ServiceAgent.start({
      db,
      wallet: identity.wallet,
      registry,
      resolver,
      manufacturerDid: identity.did,
      brokerUrl,
      brokerConnectUrl: `mqtt://${c.host}:${mqttPort}`,
      serviceSecret,
      ownerEndpoint: `${url}/didcomm`,
      now,
      beforeConnect: async (serviceDids) => {
        const broker = await startBroker({
          host: c.host,
          tcpPort: mqttPort,
          wsPort: c.wsPort,
          audience: serviceDids[0],
          serviceDids,
          serviceSecret,
          now,
          logger: app.log,
          devices: {
            lookup: async (did) => {
              const d = registry.get(did);
              return d && { inboxDids: [d.pairingDid], vendor: d.vendorId, deviceClass: d.classId };
            },
          },
          onDevice: ({ did, connected }) => registry.recordConnection(did, connected),
        });
        cleanups.push(() => broker.close());
        return broker;
      },
      onFirmwareStatus: async (device, _report, jws) => {
        try {
          await releases?.receiveReport(jws);
        } catch (e) {
          app.log.warn({ device, code: (e as { code?: string }).code }, 'firmware status report not recorded');
        }
      },
    });
    cleanups.push(() => agent.close());
    const broker = agent.broker as Broker;

    releases = new ReleaseService({
      db,
      imagesDir: join(c.dataDir, 'images'),
      // a fresh signer per job: a signer from before a rotation no longer signs
      signer: async () => {
        const s = await identity.firmwareSigner();
        return { kid: s.kid as string, alg: s.alg, sign: (b: Uint8Array) => s.sign(b) };
      },
      didLog: () => identity.log(),
      classes: Object.fromEntries(c.classes.map((k) => [k.name, { vendorId: k.vendorId, classId: k.classId }])),
      devices: { list: (deviceClass) => registry.listClass(deviceClass) },
      announce: async (dids, release) => {
        for (const did of dids) {
          const d = registry.get(did);
          if (d) await agent.agent.announceFirmware(d.pairingDid, { envelope: release.announcement.envelope, log: release.announcement.log });
        }
      },
      now,
      log: app.log,
    });
    // what a crash while uploading or publishing left behind (temp files, unreferenced envelopes)
    await releases.sweep();

    await app.register(consolePlugin, { db, argon2: o.argon2, secureCookies: url.startsWith('https:') || /^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(url) });
    const authorize = app.staffOnly;
    await app.register(identityPlugin, { identity, authorize });
    await app.register(devicesPlugin, {
      registry,
      identity,
      factoryToken: c.factoryToken,
      authorize,
      agent,
      brokerUrl,
      now: () => new Date(now()),
      contact: () => ({ did: agent.agent.did, publicDid: identity.did, name: c.name }),
    });
    await app.register(releasesPlugin, { ...releases.options, service: releases, authorize, imagesUrl: `${url}/images` });
    await app.register(didcommPlugin, { service: agent, authorize });
    await app.register(opsPlugin, { broker, registry, releases, agent });
    await bootstrapAdmin(db, { SSIOT_ADMIN_USER: c.adminUser, SSIOT_ADMIN_PASSWORD: c.adminPassword }, { argon2: o.argon2 });

    await app.listen({ host: c.host, port: httpPort });
    app.log.info({ url, broker: broker.tcpUrl, ws: broker.wsUrl, did: identity.did }, 'manufacturer service ready');
    return { app, url, broker, brokerUrl, db, identity, registry, releases, agent, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
