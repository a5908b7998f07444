/**
 * How the service answers errors over HTTP, for every plugin: the body is
 * `{"error": {"code", "message"}}` with the typed error's stable code; the
 * status comes from the code. Anything that is not a typed error is a 500
 * with a generic message (its details go to the log, never to the client).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SsiotError } from '../../protocols/errors.ts';
// route schemas carry OpenAPI fields (summary, tags): the type augmentation of @fastify/swagger
import type {} from '@fastify/swagger';

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
} as const;

/**
 * Status by the code's reason (the part after the area): the conventions
 * every module's codes follow; `otherwise` for a code no rule matches (400:
 * bad input, the default; a module whose other typed errors mean its own
 * failure says 500).
 */
export function statusOfCode(code: string, overrides: Readonly<Record<string, number>> = {}, otherwise = 400): number {
  if (overrides[code] !== undefined) return overrides[code];
  const reason = code.slice(code.indexOf('.') + 1);
  if (/(^|_)not_found$|^unknown_/.test(reason)) return 404;
  if (/^already_|conflict|replayed|^duplicate_/.test(reason)) return 409;
  if (/^unauthenticated|^unauthorized/.test(reason)) return 401;
  if (/^forbidden|_closed$|^not_allowed/.test(reason)) return 403;
  if (/too_large$/.test(reason)) return 413;
  if (/unsupported_media_type$/.test(reason)) return 415;
  return otherwise;
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message } });
}

/** A fastify error handler: typed errors by code, validation as `<area>.invalid_request`, the rest 500. */
export function errorHandler(area: string, overrides: Readonly<Record<string, number>> = {}, otherwise = 400) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error.validation) return sendError(reply, 400, `${area}.invalid_request`, error.message);
    // instanceof, not a `code` check: fastify's own errors carry string codes too (FST_ERR_…)
    if ((error as unknown) instanceof SsiotError) {
      const e = error as unknown as SsiotError;
      const status = statusOfCode(e.code, overrides, otherwise);
      if (status >= 500) request.log.error({ code: e.code }, 'request failed');
      return sendError(reply, status, e.code, e.message);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, error.statusCode, `${area}.invalid_request`, error.message);
    }
    request.log.error({ err: { type: error.name, message: error.message } }, 'request failed');
    return sendError(reply, 500, 'internal', 'unexpected failure');
  };
}
