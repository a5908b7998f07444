/**
 * The simulator's dashboard: one page (static/index.html + app.js +
 * style.css, no inline script or style, strict CSP as the manufacturer
 * console's) and a JSON API over the fleet.
 *
 *   GET  /api/devices                      {devices: DeviceView[]}
 *   GET  /api/devices/:index               DeviceView
 *   GET  /api/devices/:index/audit         {entries}  (read from the device's wallet)
 *   GET  /api/devices/:index/log           {lines}    (the device's last log lines)
 *   GET  /api/devices/:index/status-list   the device's signed status list of its owner imprints
 *                                          (a verifier checks an imprint's revocation with it)
 *   GET  /api/devices/:index/qr.svg        the label QR code (image/svg+xml)
 *   POST /api/devices/:index/actions/:action   {afterWrites?, count?} -> DeviceView
 *        action: factory-reset | power-cut | network-loss | network-restore
 *                | broker-loss | broker-restore | corrupt-download | grind
 * Errors: {"error": {"code", "message"}}: 400 bad input, 404 no such device,
 * 409 the device cannot do it now (off, unmanufactured).
 *
 * No authentication: the dashboard is the simulator's own control panel
 * (it presses the devices' buttons) and listens on loopback by default.
 * State-changing calls need a JSON body (a cross-site form cannot send one
 * without a CORS preflight this server never grants).
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { isSsiotError } from '../protocols/errors.ts';
import { qrSvg } from '../hosts/node/qr.ts';
import { CONTENT_SECURITY_POLICY } from '../manufacturer/console/plugin.ts';
import type { PushOutbox } from './pushes.ts';
import type { VirtualDevice } from './virtual-device.ts';

export interface DashboardFleet {
  readonly devices: readonly VirtualDevice[];
  readonly engine: string;
  /** What devices pushed to their owners (served at /api/pushes for the owner app). */
  readonly pushes?: PushOutbox;
}

export interface Dashboard {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export const ACTIONS = ['factory-reset', 'power-cut', 'network-loss', 'network-restore', 'broker-loss', 'broker-restore', 'corrupt-download', 'grind'] as const;
export type Action = (typeof ACTIONS)[number];

/** Presses `action` on `d` (shared by the dashboard API and the CLI). */
export async function runAction(d: VirtualDevice, action: Action, o: { afterWrites?: number; count?: number } = {}): Promise<void> {
  switch (action) {
    case 'factory-reset':
      return d.factoryReset();
    case 'power-cut':
      return d.powerCut({ afterWrites: o.afterWrites });
    case 'network-loss':
      return d.networkLoss();
    case 'network-restore':
      return d.networkRestore();
    case 'broker-loss':
      return d.brokerLoss();
    case 'broker-restore':
      return d.brokerRestore();
    case 'corrupt-download':
      return d.corruptNextDownload(o.count ?? 1);
    case 'grind':
      return d.grindOnce();
  }
}

const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const int = { type: 'integer' } as const;

export const deviceViewSchema = {
  type: 'object',
  required: ['index', 'serial', 'did', 'pairingDid', 'endpoint', 'engine', 'power', 'boots', 'lifecycle', 'window', 'owner', 'network', 'broker', 'firmware', 'update', 'faults', 'label', 'grinder'],
  properties: {
    index: int,
    serial: str,
    did: str,
    pairingDid: str,
    endpoint: str,
    engine: { type: 'string', enum: ['node', 'xs'] },
    power: { type: 'string', enum: ['on', 'off'] },
    boots: int,
    lifecycle: str,
    window: { type: ['object', 'null'], properties: { kind: str, expiresAt: str, attempts: int } },
    owner: { type: ['object', 'null'], properties: { did: str, short: str, since: str } },
    manufacturer: nullableStr,
    network: { type: 'string', enum: ['up', 'down'] },
    broker: str,
    firmware: { type: 'object', properties: { slot: str, trial: { type: 'boolean' }, sequence: { type: ['integer', 'null'] }, digest: nullableStr } },
    update: {
      type: ['object', 'null'],
      properties: { phase: str, sequence: int, size: int, offset: int, received: int, corrupted: { type: 'boolean' } },
    },
    faults: { type: 'object', properties: { corruptNextDownloads: int, corruptedDownloads: int, powerCutArmed: { type: 'boolean' } } },
    label: { type: ['object', 'null'], properties: { url: str, link: str, manualCode: str } },
    grinder: {
      type: ['object', 'null'],
      properties: { cycles: int, grams: int, hopperGrams: int, motorC: int, active: { type: 'array', items: str } },
    },
    lastRefusal: nullableStr,
  },
} as const;

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str } } },
} as const;
const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema, 500: errorSchema };
const indexParams = { type: 'object', required: ['index'], properties: { index: { type: 'integer', minimum: 0 } } } as const;

const auditSchema = {
  type: 'object',
  required: ['entries'],
  properties: { entries: { type: 'array', items: { type: 'object', properties: { seq: int, time: int, event: str, party: str, detail: str } } } },
} as const;

const logSchema = {
  type: 'object',
  required: ['lines'],
  properties: {
    lines: {
      type: 'array',
      items: { type: 'object', properties: { time: int, level: str, message: str, fields: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } } } },
    },
  },
} as const;

class NotFound extends Error {
  readonly code = 'simulator.not_found';
}

function statusOf(code: string): number {
  if (code === 'simulator.not_found') return 404;
  if (code === 'simulator.device_off' || code.startsWith('device.') || code === 'host.power_cut' || code.startsWith('wallet.')) return 409;
  return 500;
}

/** Serves the dashboard for `fleet` on `host:port` (default 127.0.0.1, any free port). */
export async function startDashboard(fleet: DashboardFleet, o: { host?: string; port?: number } = {}): Promise<Dashboard> {
  const app = Fastify({ logger: false });
  const page = readFileSync(new URL('./static/index.html', import.meta.url));
  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(new URL(`./static/${name}`, import.meta.url)) }]));
  const device = (index: number): VirtualDevice => {
    const d = fleet.devices[index];
    if (!d) throw new NotFound(`no device ${index}`);
    return d;
  };

  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cache-control', 'no-store');
  });
  app.setErrorHandler((error: FastifyError, _req, reply) => {
    if (error.validation) return reply.code(400).send({ error: { code: 'simulator.invalid_request', message: error.message } });
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && (isSsiotError(error) || code === 'simulator.not_found' || code === 'host.power_cut')) {
      const status = statusOf(code);
      return reply.code(status).send({ error: { code, message: status === 500 ? 'unexpected failure' : error.message } });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: 'simulator.invalid_request', message: error.message } });
    }
    return reply.code(500).send({ error: { code: 'simulator.internal', message: 'unexpected failure' } });
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get<{ Params: { name: string } }>('/static/:name', async (req, reply) => {
    const a = assets.get(req.params.name);
    if (!a) throw new NotFound('no such file');
    return reply.type(a.type).send(a.body);
  });

  // the owner app's push relay (simulator/pushes.ts): envelopes encrypted to the owner; any origin may read them
  app.get<{ Querystring: { to: string; after?: number } }>(
    '/api/pushes',
    {
      schema: {
        querystring: { type: 'object', required: ['to'], additionalProperties: false, properties: { to: { type: 'string', minLength: 8, maxLength: 4096 }, after: { type: 'integer', minimum: 0 } } },
        response: {
          200: {
            type: 'object',
            required: ['pushes'],
            properties: { pushes: { type: 'array', items: { type: 'object', required: ['seq', 'packed'], properties: { seq: { type: 'integer' }, packed: str } } } },
          },
        },
      },
    },
    async (req, reply) => {
      reply.header('access-control-allow-origin', '*');
      return { pushes: (fleet.pushes?.since(req.query.to, req.query.after ?? 0) ?? []).map((p) => ({ seq: p.seq, packed: p.packed })) };
    },
  );

  app.get('/api/devices', {
    schema: { response: { 200: { type: 'object', required: ['engine', 'devices'], properties: { engine: str, devices: { type: 'array', items: deviceViewSchema } } } } },
  }, async () => ({ engine: fleet.engine, devices: await Promise.all(fleet.devices.map((d) => d.view())) }));

  app.get<{ Params: { index: number } }>('/api/devices/:index', { schema: { params: indexParams, response: { 200: deviceViewSchema, ...errors } } }, async (req) => device(req.params.index).view());

  app.get<{ Params: { index: number } }>('/api/devices/:index/audit', { schema: { params: indexParams, response: { 200: auditSchema, ...errors } } }, async (req) => ({
    entries: await device(req.params.index).auditLog(),
  }));

  app.get<{ Params: { index: number } }>('/api/devices/:index/log', { schema: { params: indexParams, response: { 200: logSchema, ...errors } } }, async (req) => ({
    lines: device(req.params.index).logger.lines,
  }));

  // a BitstringStatusListCredential signed by the device (its shape is checked by protocols/vc, not re-described here)
  app.get<{ Params: { index: number } }>('/api/devices/:index/status-list', { schema: { params: indexParams, response: errors } }, async (req) => device(req.params.index).statusList());

  app.get<{ Params: { index: number } }>('/api/devices/:index/qr.svg', { schema: { params: indexParams } }, async (req, reply) => {
    const label = (await device(req.params.index).view()).label;
    if (!label) throw new NotFound('the device has no label yet');
    return reply.type('image/svg+xml').send(await qrSvg(label.url));
  });

  app.post<{ Params: { index: number; action: Action }; Body: { afterWrites?: number; count?: number } }>(
    '/api/devices/:index/actions/:action',
    {
      schema: {
        params: { type: 'object', required: ['index', 'action'], properties: { index: { type: 'integer', minimum: 0 }, action: { type: 'string', enum: [...ACTIONS] } } },
        body: { type: 'object', additionalProperties: false, properties: { afterWrites: { type: 'integer', minimum: 0, maximum: 10_000 }, count: { type: 'integer', minimum: 0, maximum: 100 } } },
        response: { 200: deviceViewSchema, ...errors },
      },
    },
    async (req) => {
      const d = device(req.params.index);
      await runAction(d, req.params.action, req.body ?? {});
      return d.view();
    },
  );

  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
  const port = (app.server.address() as { port: number }).port;
  const host = o.host ?? '127.0.0.1';
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, app, close: () => app.close() };
}
