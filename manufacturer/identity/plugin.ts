/**
 * The identity over HTTP: the DID log where did:webvh resolvers look for it,
 * and JSON routes for the console.
 *
 *   await app.register(identityPlugin, { identity, authorize });   // NO prefix
 *
 * Routes:
 *   GET  <log path>               did.jsonl, `text/jsonl` (spec §The DID to HTTPS
 *                                 Transformation step 6: "SHOULD be text/jsonl");
 *                                 `/.well-known/did.jsonl` for a domain-only DID,
 *                                 `/<path>/did.jsonl` with a path
 *   GET  /api/identity            {did, logUrl, version, keys, history}
 *   POST /api/identity/rotate     {reason?, revokeCertificateKeys?} -> the new summary
 * The plugin must be registered WITHOUT a prefix: the log path is fixed by
 * the DID (a resolver derives it from the DID alone). `apiPrefix` moves the
 * JSON routes.
 *
 * Not served: `did-witness.json` (this identity uses no witnesses; the
 * resolver only fetches it for a log that declares them) and `whois.vp`
 * (optional in the spec; a resolver dereferencing `<did>/whois` gets 404).
 *
 * Auth: `authorize` is the preHandler of the management route (rotate); the
 * console module supplies staff sign-in there. Without it, rotate answers
 * 403 `identity.forbidden`: a rotation endpoint is never open by accident.
 * The log and GET /api/identity show only public data (all of it is in the
 * published log) and are open.
 *
 * Caching: `Cache-Control: no-cache` with an ETag (the last versionId): a
 * rotation must reach devices and resolvers at once, and revalidation costs
 * a 304. `Access-Control-Allow-Origin: *` on the log: it is public, and
 * browser-based resolvers need it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorHandler, errorSchema, sendError } from '../service/http.ts';
import type { IdentitySummary, IdentityVersion, ManufacturerIdentity } from './identity.ts';

/** A preHandler that lets the request through (resolves) or answers it (reply.send / throw). */
export type IdentityAuthorize = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface IdentityPluginOptions {
  identity: ManufacturerIdentity;
  /** preHandler of POST /rotate (staff auth from the console module). Absent: rotate answers 403. */
  authorize?: IdentityAuthorize;
  /** Where the JSON routes live (default `/api/identity`). */
  apiPrefix?: string;
}

export const JSONL_CONTENT_TYPE = 'text/jsonl; charset=utf-8';

const STATUS: Record<string, number> = {
  'identity.invalid_argument': 400,
  'identity.forbidden': 403,
  'identity.prerotation_key_missing': 409,
  'identity.key_missing': 409,
};

const keyRef = {
  type: 'object',
  required: ['id', 'publicKeyMultibase', 'generation'],
  properties: { id: { type: 'string' }, publicKeyMultibase: { type: 'string' }, generation: { type: 'integer' } },
} as const;

const strings = { type: 'array', items: { type: 'string' } } as const;

const summaryProperties = {
  did: { type: 'string' },
  logUrl: { type: 'string' },
  versionId: { type: 'string' },
  versionNumber: { type: 'integer' },
  updated: { type: 'string' },
  keys: {
    type: 'object',
    required: ['certificate', 'firmware', 'retiredCertificates', 'updateKeys', 'nextKeyHashes'],
    properties: { certificate: keyRef, firmware: keyRef, retiredCertificates: { type: 'array', items: keyRef }, updateKeys: strings, nextKeyHashes: strings },
  },
} as const;
const summaryRequired = ['did', 'logUrl', 'versionId', 'versionNumber', 'updated', 'keys'];

const versionSchema = {
  type: 'object',
  required: ['versionNumber', 'versionId', 'versionTime', 'reason', 'updateKeys', 'nextKeyHashes', 'certificateKey', 'firmwareKey', 'retiredCertificateKeys'],
  properties: {
    versionNumber: { type: 'integer' },
    versionId: { type: 'string' },
    versionTime: { type: 'string' },
    reason: { type: 'string' },
    updateKeys: strings,
    nextKeyHashes: strings,
    certificateKey: keyRef,
    firmwareKey: keyRef,
    retiredCertificateKeys: { type: 'array', items: keyRef },
  },
} as const;

interface RotateBody {
  reason?: string;
  revokeCertificateKeys?: boolean;
}

/** Serves the identity: the did:webvh log at its spec path, plus /api/identity. */
export async function identityPlugin(app: FastifyInstance, opts: IdentityPluginOptions): Promise<void> {
  const { identity } = opts;
  const api = opts.apiPrefix ?? '/api/identity';
  const logPath = identity.logPath();

  // encapsulated: only this plugin's routes answer errors this way; its other typed errors are its own failures (500)
  app.setErrorHandler(errorHandler('identity', STATUS, 500));

  app.get(logPath, { schema: { response: { 304: { type: 'null' } } } }, async (request, reply) => {
    const etag = `"${identity.summary().versionId}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache').header('access-control-allow-origin', '*');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(JSONL_CONTENT_TYPE).send(identity.logText());
  });

  app.get(
    api,
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: [...summaryRequired, 'history'],
            properties: { ...summaryProperties, history: { type: 'array', items: versionSchema } },
          },
          500: errorSchema,
        },
      },
    },
    async (): Promise<IdentitySummary & { history: IdentityVersion[] }> => ({ ...identity.summary(), history: identity.history() }),
  );

  const authorize: IdentityAuthorize =
    opts.authorize ??
    (async (_request, reply) => sendError(reply, 403, 'identity.forbidden', 'key rotation needs an authorize hook (staff sign-in); none is configured'));

  app.post<{ Body: RotateBody | undefined }>(
    `${api}/rotate`,
    {
      preHandler: authorize,
      schema: {
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            reason: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f]*$' },
            revokeCertificateKeys: { type: 'boolean' },
          },
        },
        response: {
          200: { type: 'object', required: summaryRequired, properties: summaryProperties },
          400: errorSchema,
          403: errorSchema,
          409: errorSchema,
          500: errorSchema,
        },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      const summary = await identity.rotate({ reason: body.reason, revokeCertificateKeys: body.revokeCertificateKeys });
      // public facts only: never key material
      request.log.info({ did: summary.did, versionId: summary.versionId, revokeCertificateKeys: body.revokeCertificateKeys === true }, 'identity keys rotated');
      return summary;
    },
  );
}
