/**
 * Firmware releases and rollouts over HTTP: a fastify plugin.
 *
 *   app.register(releasesPlugin, { db, imagesDir, signer, didLog, devices, announce, classes, authorize })
 *
 * Staff routes (behind `authorize`, a preHandler the console supplies):
 *   POST /api/releases?class=C&version=V[&sequence=N]   raw image body (application/octet-stream) -> 201 release (draft)
 *   GET  /api/releases[?class=&state=]                  {releases}
 *   GET  /api/releases/:id                              release
 *   POST /api/releases/:id/sign                         release (signed)
 *   POST /api/releases/:id/publish                      release (published; a draft is signed first)
 *   POST /api/releases/:id/withdraw                     release (withdrawn; its active rollouts aborted)
 *   POST /api/rollouts {releaseId, stages?, successThreshold?, errorThreshold?, start?} -> 201 progress
 *   GET  /api/rollouts[?releaseId=&state=]              {rollouts}
 *   GET  /api/rollouts/:id                              progress per stage (pending/installing/installed/failed)
 *   POST /api/rollouts/:id/{start,pause,resume,abort}   progress
 *   GET  /api/rollouts/:id/reports                      {reports}
 * Device routes (no staff authorization: the report is signed by the device key, images are public):
 *   POST /api/reports {report: "<compact JWS>"}          202 {rolloutId, device, status, sequence, rolloutState}
 *   GET  /images/:file                                   image / envelope of a published release, HTTP Range
 *
 * Upload choice: a raw `application/octet-stream` body with class and
 * version in the querystring (no multipart, no new dependency); the body is
 * streamed to disk, never buffered. Errors are `{"error":{"code","message"}}`
 * with the status from errors.ts (413 `release.too_large`, 415
 * `release.unsupported_media_type`, 404 `release.not_found`, 409
 * `release.replayed_report`, …).
 *
 * Image URIs in manifests: `imagesUrl` when given (the public base URL of
 * GET /images, e.g. `https://mfr.example/images`), else derived from the
 * signing request (`<protocol>://<host><prefix>/images`), fine behind a
 * proxy that passes Host through.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler, preHandlerHookHandler } from 'fastify';
import { join } from 'node:path';
import { errorHandler } from '../service/http.ts';
import { RELEASE_STATUS, ReleaseError } from './errors.ts';
import { fileRange, IMAGE_FILE_RE, parseRange } from './images.ts';
import { releaseView } from './releases.ts';
import type { RolloutState } from './rollout-machine.ts';
import {
  createRolloutSchema,
  imageSchema,
  listReleasesSchema,
  listRolloutsSchema,
  releaseByIdSchema,
  reportSchema,
  rolloutByIdSchema,
  rolloutReportsSchema,
  uploadSchema,
} from './schemas.ts';
import { ReleaseService } from './service.ts';
import type { ReleaseServiceOptions, ReleaseState } from './types.ts';

export interface ReleasesPluginOptions extends ReleaseServiceOptions {
  /** Staff-only gate for the /api routes except /api/reports (the console's session check). */
  authorize?: preHandlerHookHandler | preHandlerAsyncHookHandler;
  /** Public base URL of GET /images (see the module comment). */
  imagesUrl?: string;
  /** An already built service (shared with the DIDComm side); otherwise one is built from these options. */
  service?: ReleaseService;
}

/**
 * The service's error handler (manufacturer/service/http.ts) with this
 * module's statuses; fastify's own body errors get stable release codes first.
 */
function releaseErrorHandler(): (e: FastifyError, req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const shared = errorHandler('release', RELEASE_STATUS);
  return (e, req, reply) => {
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return shared(new ReleaseError('release.unsupported_media_type', 'unsupported content type') as never, req, reply);
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return shared(new ReleaseError('release.too_large', 'request body too large') as never, req, reply);
    return shared(e, req, reply);
  };
}

export async function releasesPlugin(app: FastifyInstance, opts: ReleasesPluginOptions): Promise<void> {
  const service = opts.service ?? new ReleaseService({ ...opts, log: opts.log ?? app.log });
  const { releases, rollouts } = service;
  const staff = opts.authorize ? { preHandler: opts.authorize } : {};
  const imagesUrl = (req: FastifyRequest): string => opts.imagesUrl ?? `${req.protocol}://${req.host}${app.prefix}/images`;

  app.setErrorHandler(releaseErrorHandler());
  // the upload body stays a stream: the handler writes it to disk as it arrives
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.post<{ Querystring: { class: string; version: string; sequence?: number } }>('/api/releases', { schema: uploadSchema, ...staff }, async (req, reply) => {
    if (!/^application\/octet-stream\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      throw new ReleaseError('release.unsupported_media_type', 'upload the image as application/octet-stream');
    }
    const length = req.headers['content-length'];
    const row = await releases.upload({
      deviceClass: req.query.class,
      version: req.query.version,
      sequence: req.query.sequence,
      declaredLength: length === undefined ? undefined : Number(length),
      body: req.body as AsyncIterable<Uint8Array>,
    });
    return reply.code(201).send(releaseView(row));
  });

  app.get<{ Querystring: { class?: string; state?: ReleaseState } }>('/api/releases', { schema: listReleasesSchema, ...staff }, async (req) => ({
    releases: releases.list({ deviceClass: req.query.class, state: req.query.state }).map(releaseView),
  }));
  app.get<{ Params: { id: string } }>('/api/releases/:id', { schema: releaseByIdSchema, ...staff }, async (req) => releaseView(releases.get(req.params.id)));
  app.post<{ Params: { id: string } }>('/api/releases/:id/sign', { schema: releaseByIdSchema, ...staff }, async (req) =>
    releaseView(await releases.sign(req.params.id, imagesUrl(req))),
  );
  app.post<{ Params: { id: string } }>('/api/releases/:id/publish', { schema: releaseByIdSchema, ...staff }, async (req) =>
    releaseView(await releases.publish(req.params.id, imagesUrl(req))),
  );
  app.post<{ Params: { id: string } }>('/api/releases/:id/withdraw', { schema: releaseByIdSchema, ...staff }, async (req) => releaseView(rollouts.withdraw(req.params.id)));

  app.post<{ Body: { releaseId: string; stages?: number[]; successThreshold?: number; errorThreshold?: number; start?: boolean } }>(
    '/api/rollouts',
    { schema: createRolloutSchema, ...staff },
    async (req, reply) => reply.code(201).send(await rollouts.create(req.body)),
  );
  app.get<{ Querystring: { releaseId?: string; state?: RolloutState } }>('/api/rollouts', { schema: listRolloutsSchema, ...staff }, async (req) => ({
    rollouts: rollouts.list(req.query).map((r) => rollouts.progress(r.id)),
  }));
  app.get<{ Params: { id: string } }>('/api/rollouts/:id', { schema: rolloutByIdSchema, ...staff }, async (req) => rollouts.progress(req.params.id));
  for (const action of ['start', 'pause', 'resume', 'abort'] as const) {
    app.post<{ Params: { id: string } }>(`/api/rollouts/:id/${action}`, { schema: rolloutByIdSchema, ...staff }, async (req) => rollouts.act(req.params.id, action));
  }
  app.get<{ Params: { id: string } }>('/api/rollouts/:id/reports', { schema: rolloutReportsSchema, ...staff }, async (req) => ({ reports: rollouts.reports(req.params.id) }));

  app.post<{ Body: { report: string } }>('/api/reports', { schema: reportSchema, bodyLimit: 32 * 1024 }, async (req, reply) =>
    reply.code(202).send(await service.receiveReport(req.body.report)),
  );

  app.get<{ Params: { file: string } }>('/images/:file', { schema: imageSchema }, async (req, reply) => {
    const m = IMAGE_FILE_RE.exec(req.params.file);
    const row = m ? releases.row(m[1]) : undefined;
    if (!m || !row || (row.state !== 'published' && row.state !== 'withdrawn')) throw new ReleaseError('release.not_found', 'no such image');
    if (row.state === 'withdrawn') throw new ReleaseError('release.withdrawn', `release ${row.id} was withdrawn`);
    const isImage = m[2] === 'bin';
    const size = isImage ? row.image_size : (row.envelope as Uint8Array).length;
    const etag = `"${isImage ? row.image_sha256 : `suit-${row.id}-${row.signed_at}`}"`;
    const path = join(releases.imagesDir, isImage ? row.image_file : (row.envelope_file as string));
    const ifRange = req.headers['if-range'];
    const range = ifRange !== undefined && ifRange !== etag ? ({ kind: 'full' } as const) : parseRange(req.headers.range, size);
    reply
      .header('accept-ranges', 'bytes')
      .header('etag', etag)
      .header('cache-control', 'public, max-age=31536000, immutable');
    if (range.kind === 'unsatisfiable') {
      reply.header('content-range', `bytes */${size}`);
      throw new ReleaseError('release.range_not_satisfiable', `the file has ${size} bytes`);
    }
    reply.header('content-type', isImage ? 'application/octet-stream' : 'application/suit-envelope+cose');
    if (range.kind === 'partial') {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
      return reply.send(fileRange(path, range.start, range.end));
    }
    reply.code(200).header('content-length', size);
    return reply.send(fileRange(path));
  });
}
