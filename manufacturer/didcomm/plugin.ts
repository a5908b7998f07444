/**
 * The enterprise agent over HTTP, as a fastify plugin.
 *
 *   POST /didcomm                          owners (DIDComm, answer in the response; hosts/node/transports/http.ts)
 *   GET  /api/support/threads              (staff) {threads}: support threads devices opened, newest first
 *   POST /api/support/threads/:id/reply    (staff) {text} -> 204; sent to the device, which relays it to its owner
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { didcommReplyRoutes } from '../../hosts/node/transports/http.ts';
import { errorHandler, errorSchema } from '../service/http.ts';
import type { ServiceAgent } from './service-agent.ts';

export interface DidcommPluginOptions {
  service: ServiceAgent;
  authorize?: preHandlerAsyncHookHandler;
}

const threadSchema = {
  type: 'object',
  required: ['id', 'device', 'subject', 'status', 'messages'],
  properties: {
    id: { type: 'string' },
    device: { type: 'string' },
    subject: { type: 'string' },
    status: { type: 'string', enum: ['open', 'closed'] },
    closedReason: { type: 'string' },
    context: { type: 'object', additionalProperties: true },
    messages: {
      type: 'array',
      items: { type: 'object', required: ['from', 'text'], properties: { from: { type: 'string' }, text: { type: 'string' } } },
    },
  },
} as const;

export async function didcommPlugin(app: FastifyInstance, o: DidcommPluginOptions): Promise<void> {
  const staff = o.authorize ? { preHandler: o.authorize } : {};
  const agent = o.service.agent;
  app.setErrorHandler(errorHandler('support', { 'manufacturer.unknown_thread': 404 }));
  // CORS '*': owners' apps run in browsers on other origins; no credentials are sent and every
  // envelope authenticates itself, so the origin adds nothing to check
  await app.register(didcommReplyRoutes, { path: '/didcomm', cors: { origins: '*' }, handler: () => (packed) => o.service.receive(packed, 'http') });

  app.get(
    '/api/support/threads',
    { ...staff, schema: { summary: 'Support threads opened through devices', response: { 200: { type: 'object', required: ['threads'], properties: { threads: { type: 'array', items: threadSchema } } } } } },
    async () => ({
      threads: [...agent.supportThreads.values()].reverse().map((t) => ({
        id: t.id,
        device: t.device,
        subject: t.subject,
        status: t.closed === undefined ? 'open' : 'closed',
        ...(t.closed === undefined ? {} : { closedReason: t.closed }),
        ...(t.context ? { context: t.context } : {}),
        messages: t.messages,
      })),
    }),
  );

  app.post<{ Params: { id: string }; Body: { text: string } }>(
    '/api/support/threads/:id/reply',
    {
      ...staff,
      schema: {
        summary: 'Answer a support thread (through the device)',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128 } } },
        body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 4000 } } },
        response: { 204: { type: 'null' }, 400: errorSchema, 404: errorSchema },
      },
    },
    async (req, reply) => {
      await agent.reply(req.params.id, req.body.text);
      return reply.code(204).send();
    },
  );
}
