/**
 * JSON schemas of the releases routes (fastify validates requests with them
 * and serializes responses through them, so a field missing here is not
 * sent: keep them in step with the views).
 */
import { errorSchema } from '../service/http.ts';

const nullableString = { type: ['string', 'null'] } as const;

const errors = { 400: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 410: errorSchema, 413: errorSchema, 415: errorSchema, 500: errorSchema, 502: errorSchema };

export const releaseSchema = {
  type: 'object',
  required: ['id', 'deviceClass', 'version', 'sequence', 'state', 'image', 'createdAt'],
  properties: {
    id: { type: 'string' },
    deviceClass: { type: 'string' },
    version: { type: 'string' },
    sequence: { type: 'integer' },
    state: { type: 'string', enum: ['draft', 'signed', 'published', 'withdrawn'] },
    image: {
      type: 'object',
      required: ['file', 'sha256', 'size'],
      properties: { file: { type: 'string' }, sha256: { type: 'string' }, size: { type: 'integer' }, uri: nullableString },
    },
    envelopeFile: nullableString,
    kid: nullableString,
    createdAt: { type: 'string' },
    signedAt: nullableString,
    publishedAt: nullableString,
    withdrawnAt: nullableString,
  },
} as const;

const counts = {
  devices: { type: 'integer' },
  pending: { type: 'integer' },
  installing: { type: 'integer' },
  installed: { type: 'integer' },
  failed: { type: 'integer' },
} as const;

export const rolloutSchema = {
  type: 'object',
  required: ['id', 'releaseId', 'deviceClass', 'state', 'currentStage', 'stages', 'totals', 'actions'],
  properties: {
    id: { type: 'string' },
    releaseId: { type: 'string' },
    deviceClass: { type: 'string' },
    state: { type: 'string', enum: ['draft', 'running', 'paused', 'completed', 'aborted'] },
    currentStage: { type: 'integer' },
    successThreshold: { type: 'number' },
    errorThreshold: { type: 'number' },
    pausedReason: nullableString,
    stages: {
      type: 'array',
      items: { type: 'object', properties: { index: { type: 'integer' }, percent: { type: 'number' }, ...counts } },
    },
    totals: { type: 'object', properties: counts },
    actions: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

export const uploadSchema = {
  querystring: {
    type: 'object',
    required: ['class', 'version'],
    additionalProperties: false,
    properties: {
      class: { type: 'string', minLength: 1, maxLength: 64 },
      version: { type: 'string', minLength: 1, maxLength: 64 },
      sequence: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    },
  },
  response: { 201: releaseSchema, ...errors },
} as const;

export const listReleasesSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { class: { type: 'string', maxLength: 64 }, state: { type: 'string', enum: ['draft', 'signed', 'published', 'withdrawn'] } },
  },
  response: { 200: { type: 'object', required: ['releases'], properties: { releases: { type: 'array', items: releaseSchema } } }, ...errors },
} as const;

export const releaseByIdSchema = { params: idParams, response: { 200: releaseSchema, ...errors } } as const;

export const createRolloutSchema = {
  body: {
    type: 'object',
    required: ['releaseId'],
    additionalProperties: false,
    properties: {
      releaseId: { type: 'string', minLength: 1, maxLength: 64 },
      stages: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'number', exclusiveMinimum: 0, maximum: 100 } },
      successThreshold: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      errorThreshold: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      start: { type: 'boolean' },
    },
  },
  response: { 201: rolloutSchema, ...errors },
} as const;

export const listRolloutsSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { releaseId: { type: 'string', maxLength: 64 }, state: { type: 'string', enum: ['draft', 'running', 'paused', 'completed', 'aborted'] } },
  },
  response: { 200: { type: 'object', required: ['rollouts'], properties: { rollouts: { type: 'array', items: rolloutSchema } } }, ...errors },
} as const;

export const rolloutByIdSchema = { params: idParams, response: { 200: rolloutSchema, ...errors } } as const;

export const rolloutReportsSchema = {
  params: idParams,
  response: {
    200: {
      type: 'object',
      required: ['reports'],
      properties: {
        reports: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              device: { type: 'string' },
              reportId: { type: 'string' },
              status: { type: 'string' },
              sequence: { type: 'integer' },
              reason: nullableString,
              createdTime: { type: 'integer' },
              receivedAt: { type: 'string' },
            },
          },
        },
      },
    },
    ...errors,
  },
} as const;

export const reportSchema = {
  body: {
    type: 'object',
    required: ['report'],
    additionalProperties: false,
    properties: { report: { type: 'string', minLength: 1, maxLength: 16384 } },
  },
  response: {
    202: {
      type: 'object',
      required: ['rolloutId', 'device', 'status', 'sequence', 'rolloutState'],
      properties: {
        rolloutId: { type: 'string' },
        device: { type: 'string' },
        status: { type: 'string' },
        sequence: { type: 'integer' },
        rolloutState: { type: 'string' },
      },
    },
    ...errors,
  },
} as const;

export const imageSchema = {
  params: { type: 'object', required: ['file'], properties: { file: { type: 'string', minLength: 1, maxLength: 80 } } },
  response: { 404: errorSchema, 410: errorSchema, 416: errorSchema },
} as const;
