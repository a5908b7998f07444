/**
 * Factory provisioning and the device fleet, as a fastify plugin.
 *
 *   POST /api/provisioning/devices   (factory station; `Authorization: Bearer <factory token>`)
 *        {device: {did, model, serial, vendorId, classId, hardwareRevision}, pairingDid}
 *        -> 201 {certificate, log, contact, brokerUrl?}: what DeviceAgent.installCertificate takes,
 *           and where the device's MQTT connection goes
 *   GET  /api/devices?q=&classId=&limit=&offset=   (staff) {devices, total}
 *   GET  /api/devices/:did                          (staff) device
 *
 * The certificate is issued by the factory station function
 * (manufacturer/factory-station.ts) with the identity's current certificate
 * key; the device is registered only once its certificate exists, and a
 * registration that fails (already registered) hands out nothing.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { ManufacturerContact } from '../../device/manufacturer-link.ts';
import type { DeviceDescription } from '../../protocols/vc/device-credentials.ts';
import { issueDeviceCertificate } from '../factory-station.ts';
import type { ManufacturerIdentity } from '../identity/identity.ts';
import { errorHandler, errorSchema } from '../service/http.ts';
import { DeviceRegistryError, type DeviceRegistry } from './registry.ts';
import type { ServiceAgent } from '../didcomm/service-agent.ts';
import { SERVICE_SCOPES, type ServiceScope } from '../../protocols/messages/service-auth.ts';

export interface DevicesPluginOptions {
  registry: DeviceRegistry;
  identity: ManufacturerIdentity;
  /** The manufacturer agent's contact handed to every device (its DIDComm DID). */
  contact(): ManufacturerContact;
  /** The broker URL devices connect to (told with the certificate). */
  brokerUrl?: string;
  /** The factory stations' bearer token; without one, provisioning is closed (403). */
  factoryToken?: string;
  /** Staff-only gate for the fleet routes (the console's). */
  authorize?: preHandlerAsyncHookHandler;
  /** The enterprise agent (remote diagnostics, service authorizations held). */
  agent?: ServiceAgent;
  now?: () => Date;
}

const segment = { type: 'string', minLength: 1, maxLength: 128 } as const;
const deviceDescriptionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['did', 'model', 'serial', 'vendorId', 'classId', 'hardwareRevision'],
  properties: { did: { type: 'string', pattern: '^did:key:z[1-9A-HJ-NP-Za-km-z]{20,100}$' }, model: segment, serial: segment, vendorId: segment, classId: segment, hardwareRevision: segment },
} as const;

const deviceSchema = {
  type: 'object',
  required: ['did', 'pairingDid', 'model', 'serial', 'vendorId', 'classId', 'hardwareRevision', 'provisionedAt', 'connected'],
  properties: {
    ...deviceDescriptionSchema.properties,
    did: { type: 'string' },
    pairingDid: { type: 'string' },
    provisionedAt: { type: 'string' },
    connected: { type: 'boolean' },
    lastStatus: { type: 'string' },
    lastSeen: { type: 'string' },
    firmware: { type: 'object', required: ['version', 'sequence'], properties: { version: { type: 'string' }, sequence: { type: 'integer' } } },
    warranty: { type: 'object', required: ['owner', 'registeredAt'], properties: { owner: { type: 'string' }, registeredAt: { type: 'string' } } },
  },
} as const;

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };
const didParams = { type: 'object', required: ['did'], properties: { did: { type: 'string', maxLength: 4096 } } } as const;

/** Constant-time comparison of bearer tokens (hashes first: equal lengths, nothing learned from timing). */
function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export async function devicesPlugin(app: FastifyInstance, o: DevicesPluginOptions): Promise<void> {
  const staff = o.authorize ? { preHandler: o.authorize } : {};
  app.setErrorHandler(errorHandler('device', { 'device.unauthorized_station': 401, 'device.provisioning_closed': 403, 'device.no_authorization': 409, 'device.no_answer': 504 }));

  app.post<{ Body: { device: DeviceDescription; pairingDid: string } }>(
    '/api/provisioning/devices',
    {
      schema: {
        summary: 'Register a device at the factory and issue its device certificate',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['device', 'pairingDid'],
          properties: { device: deviceDescriptionSchema, pairingDid: { type: 'string', pattern: '^did:peer:2\\.', maxLength: 4096 } },
        },
        response: { 201: { type: 'object', required: ['certificate', 'log', 'contact'], additionalProperties: true, properties: {} }, ...errors },
      },
    },
    async (req, reply) => {
      if (!o.factoryToken) throw new DeviceRegistryError('device.provisioning_closed', 'no factory token is configured');
      const auth = req.headers.authorization;
      if (!tokenMatches(auth?.startsWith('Bearer ') ? auth.slice(7) : undefined, o.factoryToken)) {
        throw new DeviceRegistryError('device.unauthorized_station', 'a factory station token is required');
      }
      const { device, pairingDid } = req.body;
      if (o.registry.get(device.did)) throw new DeviceRegistryError('device.already_registered', 'this device is registered');
      const log = o.identity.log();
      const certificate = await issueDeviceCertificate(device, { signer: await o.identity.certificateSigner(), log, now: (o.now ?? (() => new Date()))() });
      o.registry.register(device, pairingDid); // the commit point: a clash throws and nothing is handed out
      req.log.info({ device: device.did, serial: device.serial }, 'device provisioned');
      reply.code(201);
      return { certificate, log, contact: o.contact(), ...(o.brokerUrl ? { brokerUrl: o.brokerUrl } : {}) };
    },
  );

  app.get<{ Querystring: { q?: string; classId?: string; limit?: number; offset?: number } }>(
    '/api/devices',
    {
      ...staff,
      schema: {
        summary: 'The device fleet, searchable',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { q: { type: 'string', maxLength: 200 }, classId: segment, limit: { type: 'integer', minimum: 1, maximum: 500 }, offset: { type: 'integer', minimum: 0 } },
        },
        response: { 200: { type: 'object', required: ['devices', 'total'], properties: { devices: { type: 'array', items: deviceSchema }, total: { type: 'integer' } } }, ...errors },
      },
    },
    async (req) => o.registry.search(req.query),
  );

  app.get<{ Params: { did: string } }>(
    '/api/devices/:did',
    { ...staff, schema: { summary: 'One device', params: didParams, response: { 200: deviceSchema, ...errors } } },
    async (req) => {
      const d = o.registry.byAnyDid(req.params.did);
      if (!d) throw new DeviceRegistryError('device.not_found', 'no such device');
      return d;
    },
  );

  const agent = o.agent;
  if (!agent) return;
  app.get<{ Params: { did: string } }>(
    '/api/devices/:did/authorizations',
    {
      ...staff,
      schema: {
        summary: "Service authorizations the device's owners handed to the manufacturer",
        params: didParams,
        response: {
          200: {
            type: 'object',
            required: ['authorizations'],
            properties: {
              authorizations: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'scope', 'validUntil', 'revoked'],
                  properties: { id: { type: 'string' }, owner: { type: 'string' }, scope: { type: 'array', items: { type: 'string' } }, validUntil: { type: 'string' }, revoked: { type: 'boolean' } },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    async (req) => ({
      authorizations: [...agent.agent.authorizations.values()].filter((a) => a.device === req.params.did).map((a) => ({ id: a.id, owner: a.owner, scope: a.scope, validUntil: a.validUntil, revoked: a.revoked })),
    }),
  );

  app.post<{ Params: { did: string }; Body: { scope?: ServiceScope[] } }>(
    '/api/devices/:did/diagnostics',
    {
      ...staff,
      schema: {
        summary: "Remote diagnostics under the owner's service authorization (over the broker)",
        params: didParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { scope: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...SERVICE_SCOPES] } } },
        },
        response: {
          200: {
            type: 'object',
            required: ['status', 'authorization'],
            properties: { status: { type: 'string', enum: ['answered', 'refused'] }, authorization: { type: 'string' }, code: { type: 'string' }, data: { type: 'object', additionalProperties: true } },
          },
          ...errors,
          504: errorSchema,
        },
      },
    },
    async (req) => {
      const outcome = await agent.diagnostics(req.params.did, req.body?.scope);
      req.log.info({ device: req.params.did, status: outcome.status }, 'remote diagnostics');
      return outcome;
    },
  );
}
