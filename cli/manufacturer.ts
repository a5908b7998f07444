/**
 * `ssiot manufacturer …`: the release workflow against a running
 * manufacturer service (manufacturer/service), and `serve` to run one.
 *
 *   manufacturer release upload --class NAME --version V [--sequence N] IMAGE   -> release (draft)
 *   manufacturer release list [--class NAME] [--state S]                        -> {releases}
 *   manufacturer release show|sign|publish|withdraw RELEASE_ID                  -> release
 *   manufacturer rollout start RELEASE_ID [--stages P,…] [--success-threshold X] [--error-threshold X] [--draft]
 *                                                                               -> rollout progress
 *   manufacturer rollout list [--release RELEASE_ID] [--state S]                -> {rollouts}
 *   manufacturer rollout status ROLLOUT_ID [--watch [--interval S] [--timeout S]] -> rollout progress
 *   manufacturer rollout begin|pause|resume|abort ROLLOUT_ID                    -> rollout progress
 *   manufacturer rollout reports ROLLOUT_ID                                     -> {reports}
 *   manufacturer devices [--search Q] [--class NAME] [--limit N] [--offset N]   -> {devices, total}
 *   manufacturer devices show DID                                               -> device
 *   manufacturer identity show                                                  -> {did, …, keys, history}
 *   manufacturer identity rotate [--reason TEXT] [--revoke-certificate-keys]    -> the new summary
 *   manufacturer serve [--config FILE] [--log-level L]                          -> {url, console, did, mqtt, ws, brokerUrl}
 *
 * Every service command takes `--url URL` (or SSIOT_MFR_URL) and signs in
 * as staff with SSIOT_MFR_USER / SSIOT_MFR_PASSWORD (or `--user NAME`,
 * `--password-file FILE`): passwords never on the command line. Output is
 * the service's JSON as is; its errors keep their codes
 * (`{"error":{"code":"release.not_found",…}}` on stderr, exit 1).
 *
 * Choices:
 * - `rollout start` takes a *release* id (it creates the rollout and starts
 *   it); `--draft` only creates it, and `rollout begin ROLLOUT_ID` starts a
 *   draft (the service's POST /api/rollouts/:id/start).
 * - `rollout status --watch` is a check (CLI.md): it polls until the
 *   rollout is completed, aborted or paused, prints the final progress and
 *   exits 0 when completed, 1 when it ended aborted or paused (the JSON's
 *   `state` says which). Without --watch it only reports (exit 0).
 * - `serve` prints its document once the service listens, then keeps
 *   running until SIGINT/SIGTERM (exit 0 after a clean shutdown); the
 *   service's logs (pino JSON) go to stderr so stdout stays one document.
 */
import { isAbsolute, resolve } from 'node:path';
import { SsiotError } from '../protocols/errors.ts';
import { UsageError, type Command, type CommandContext, type OptionSpec } from './command.ts';
import { str } from './io.ts';
import { withSession, type StaffSession } from './manufacturer/client.ts';
import { ProgressBlock, progressStyle, rolloutLines, uploadReporter, type RolloutProgressView } from './manufacturer/progress.ts';

const SERVICE: Record<string, OptionSpec> = {
  url: { type: 'string', value: 'URL', help: "the service's base URL (default: SSIOT_MFR_URL)" },
  user: { type: 'string', value: 'NAME', help: 'staff username (default: SSIOT_MFR_USER)' },
  'password-file': { type: 'string', value: 'FILE', help: 'file whose first line is the staff password (default: SSIOT_MFR_PASSWORD)' },
};

const PROGRESS: OptionSpec = { type: 'string', value: 'auto|bar|lines|none', help: 'progress on stderr: bars on a terminal, lines otherwise (default auto)' };

const RELEASE_STATES = ['draft', 'signed', 'published', 'withdrawn'];
const ROLLOUT_STATES = ['draft', 'running', 'paused', 'completed', 'aborted'];
/** States `--watch` stops at. */
const WATCH_END = ['completed', 'aborted', 'paused'];

const enc = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function oneOf(v: unknown, name: string, allowed: string[]): string | undefined {
  const s = str(v);
  if (s !== undefined && !allowed.includes(s)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return s;
}

function uint(v: unknown, name: string, min = 0): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(s) || !Number.isSafeInteger(Number(s)) || Number(s) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
  return Number(s);
}

/** A decimal in (lo, hi] (thresholds, stage percentages, seconds). */
function decimal(s: string, name: string, lo: number, hi: number): number {
  const n = /^[0-9]+(\.[0-9]+)?$/.test(s) ? Number(s) : NaN;
  if (!(n > lo && n <= hi)) throw new UsageError(`--${name} must be a number in (${lo}, ${hi}], not '${s}'`);
  return n;
}

function optionalDecimal(v: unknown, name: string, lo: number, hi: number): number | undefined {
  const s = str(v);
  return s === undefined ? undefined : decimal(s, name, lo, hi);
}

/** `--stages 1,10,50,100`: increasing percentages ending at 100 (the service checks the same and says release.invalid_stages). */
function stagesOption(v: unknown): number[] | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const stages = s.split(',').map((p) => decimal(p.trim(), 'stages', 0, 100));
  for (let i = 1; i < stages.length; i++) if (stages[i] <= stages[i - 1]) throw new UsageError('--stages must be strictly increasing percentages');
  if (stages[stages.length - 1] !== 100) throw new UsageError('--stages must end at 100');
  return stages;
}

/** What a plain service command asks: one JSON call. */
interface ServiceCall {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

/**
 * A command that makes one JSON call as staff and prints the answer: the
 * shape of most of this group. `call` runs before signing in, so usage
 * mistakes never reach the service.
 */
function serviceCommand(spec: Omit<Command, 'run' | 'options'> & { options?: Record<string, OptionSpec>; call(ctx: CommandContext): ServiceCall }): Command {
  const { call, ...rest } = spec;
  return {
    ...rest,
    options: { ...SERVICE, ...spec.options },
    async run(ctx) {
      const c = call(ctx);
      return { output: await withSession(ctx.options, (s) => s.call(c.method, c.path, c.body)) };
    },
  };
}

const RELEASE_ID = [{ name: 'RELEASE_ID', required: true }];
const ROLLOUT_ID = [{ name: 'ROLLOUT_ID', required: true }];

function releaseCommand(action: 'show' | 'sign' | 'publish' | 'withdraw', summary: string): Command {
  return serviceCommand({
    path: ['manufacturer', 'release', action],
    summary,
    usage: `manufacturer release ${action} RELEASE_ID [--url URL]`,
    positionals: RELEASE_ID,
    call: ({ positionals }) => ({ method: action === 'show' ? 'GET' : 'POST', path: `/api/releases/${enc(positionals[0])}${action === 'show' ? '' : `/${action}`}` }),
  });
}

function rolloutAction(verb: 'begin' | 'pause' | 'resume' | 'abort', event: 'start' | 'pause' | 'resume' | 'abort', summary: string): Command {
  return serviceCommand({
    path: ['manufacturer', 'rollout', verb],
    summary,
    usage: `manufacturer rollout ${verb} ROLLOUT_ID [--url URL]`,
    positionals: ROLLOUT_ID,
    call: ({ positionals }) => ({ method: 'POST', path: `/api/rollouts/${enc(positionals[0])}/${event}` }),
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls a rollout until it reaches a WATCH_END state (or `timeoutMs` passes: `cli.timeout`), drawing progress each time. */
async function watchRollout(s: StaffSession, id: string, intervalMs: number, timeoutMs: number | undefined, block: ProgressBlock): Promise<RolloutProgressView> {
  const end = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  for (;;) {
    const r = await s.call<RolloutProgressView>('GET', `/api/rollouts/${enc(id)}`);
    block.show(rolloutLines(r));
    if (WATCH_END.includes(r.state)) return r;
    if (Date.now() + intervalMs > end) throw new SsiotError('cli.timeout', `rollout ${id} is still ${r.state} after the --timeout`);
    await sleep(intervalMs);
  }
}

export const manufacturerCommands: Command[] = [
  {
    path: ['manufacturer', 'release', 'upload'],
    summary: 'upload a firmware image as a draft release of a device class (streamed; progress on stderr)',
    usage: 'manufacturer release upload --class NAME --version V [--sequence N] [--url URL] [--progress auto|bar|lines|none] IMAGE',
    positionals: [{ name: 'IMAGE', required: true }],
    options: {
      ...SERVICE,
      class: { type: 'string', value: 'NAME', required: true, help: 'device class (as configured in the service, e.g. coffee-grinder)' },
      version: { type: 'string', value: 'V', required: true, help: 'version label, unique in the class' },
      sequence: { type: 'string', value: 'N', help: 'SUIT sequence number (default: the service picks one above the last)' },
      progress: PROGRESS,
    },
    async run({ options, positionals, progress }) {
      const style = progressStyle(options);
      const sequence = uint(options.sequence, 'sequence');
      const path = `/api/releases${query({ class: str(options.class), version: str(options.version), sequence })}`;
      const file = positionals[0];
      const release = await withSession(options, (s) => s.upload<{ id: string; state: string; sequence: number }>(path, file, uploadReporter(style, progress, 'upload')));
      if (style !== 'none') progress(`uploaded ${file} (${release.size} bytes): release ${release.value.id}, sequence ${release.value.sequence}, ${release.value.state}`);
      return { output: release.value };
    },
  },
  serviceCommand({
    path: ['manufacturer', 'release', 'list'],
    summary: 'list releases, newest first',
    usage: 'manufacturer release list [--class NAME] [--state draft|signed|published|withdrawn] [--url URL]',
    options: {
      class: { type: 'string', value: 'NAME', help: 'only this device class' },
      state: { type: 'string', value: 'STATE', help: `only releases in this state (${RELEASE_STATES.join(', ')})` },
    },
    call: ({ options }) => ({ method: 'GET', path: `/api/releases${query({ class: str(options.class), state: oneOf(options.state, 'state', RELEASE_STATES) })}` }),
  }),
  releaseCommand('show', 'show one release'),
  releaseCommand('sign', 'sign the SUIT manifest of a draft release with the current firmware key'),
  releaseCommand('publish', 'publish a release (a draft is signed first); its image becomes downloadable'),
  releaseCommand('withdraw', 'withdraw a release; its active rollouts are aborted'),
  serviceCommand({
    path: ['manufacturer', 'rollout', 'start'],
    summary: 'create a staged rollout of a published release and start it (--draft: only create it)',
    usage: 'manufacturer rollout start RELEASE_ID [--stages 1,10,50,100] [--success-threshold 0.9] [--error-threshold 0.1] [--draft] [--url URL]',
    positionals: RELEASE_ID,
    options: {
      stages: { type: 'string', value: 'P,…', help: 'cumulative percentages of the fleet per stage, ending at 100 (default 1,10,50,100)' },
      'success-threshold': { type: 'string', value: 'X', help: 'fraction of a stage that must report installed to move on, in (0, 1]' },
      'error-threshold': { type: 'string', value: 'X', help: 'fraction of a stage reporting failure that pauses the rollout, in (0, 1]' },
      draft: { type: 'boolean', help: "create the rollout without starting it ('rollout begin' starts it)" },
    },
    call({ options, positionals }) {
      const body: Record<string, unknown> = { releaseId: positionals[0] };
      const stages = stagesOption(options.stages);
      if (stages) body.stages = stages;
      const success = optionalDecimal(options['success-threshold'], 'success-threshold', 0, 1);
      if (success !== undefined) body.successThreshold = success;
      const error = optionalDecimal(options['error-threshold'], 'error-threshold', 0, 1);
      if (error !== undefined) body.errorThreshold = error;
      if (options.draft === true) body.start = false;
      return { method: 'POST', path: '/api/rollouts', body };
    },
  }),
  serviceCommand({
    path: ['manufacturer', 'rollout', 'list'],
    summary: 'list rollouts with their progress',
    usage: 'manufacturer rollout list [--release RELEASE_ID] [--state STATE] [--url URL]',
    options: {
      release: { type: 'string', value: 'RELEASE_ID', help: 'only rollouts of this release' },
      state: { type: 'string', value: 'STATE', help: `only rollouts in this state (${ROLLOUT_STATES.join(', ')})` },
    },
    call: ({ options }) => ({ method: 'GET', path: `/api/rollouts${query({ releaseId: str(options.release), state: oneOf(options.state, 'state', ROLLOUT_STATES) })}` }),
  }),
  {
    path: ['manufacturer', 'rollout', 'status'],
    summary: 'progress of a rollout per stage (--watch: until completed, aborted or paused; exit 0 only when completed)',
    usage: 'manufacturer rollout status ROLLOUT_ID [--watch [--interval S] [--timeout S]] [--progress auto|bar|lines|none] [--url URL]',
    positionals: ROLLOUT_ID,
    options: {
      ...SERVICE,
      watch: { type: 'boolean', help: 'poll until the rollout is completed (exit 0), aborted or paused (exit 1)' },
      interval: { type: 'string', value: 'S', help: 'seconds between polls with --watch (default 2)' },
      timeout: { type: 'string', value: 'S', help: 'give up watching after S seconds (cli.timeout)' },
      progress: PROGRESS,
    },
    async run({ options, positionals, progress }) {
      const block = new ProgressBlock(progressStyle(options), progress);
      const intervalMs = (optionalDecimal(options.interval, 'interval', 0, 86_400) ?? 2) * 1000;
      const timeout = optionalDecimal(options.timeout, 'timeout', 0, 31_536_000);
      if (!options.watch && (options.interval !== undefined || timeout !== undefined)) throw new UsageError('--interval and --timeout go with --watch');
      const id = positionals[0];
      return withSession(options, async (s) => {
        if (!options.watch) {
          const r = await s.call<RolloutProgressView>('GET', `/api/rollouts/${enc(id)}`);
          block.show(rolloutLines(r));
          return { output: r };
        }
        const r = await watchRollout(s, id, intervalMs, timeout === undefined ? undefined : timeout * 1000, block);
        return { output: r, holds: r.state === 'completed' };
      });
    },
  },
  rolloutAction('begin', 'start', 'start a draft rollout'),
  rolloutAction('pause', 'pause', 'pause a running rollout (no new stage is announced)'),
  rolloutAction('resume', 'resume', 'resume a paused rollout (failures so far are acknowledged)'),
  rolloutAction('abort', 'abort', 'abort a rollout for good'),
  serviceCommand({
    path: ['manufacturer', 'rollout', 'reports'],
    summary: "the devices' signed status reports recorded for a rollout",
    usage: 'manufacturer rollout reports ROLLOUT_ID [--url URL]',
    positionals: ROLLOUT_ID,
    call: ({ positionals }) => ({ method: 'GET', path: `/api/rollouts/${enc(positionals[0])}/reports` }),
  }),
  serviceCommand({
    path: ['manufacturer', 'devices'],
    summary: 'the device fleet, searchable (serial, model, DID)',
    usage: 'manufacturer devices [--search Q] [--class NAME] [--limit N] [--offset N] [--url URL]',
    options: {
      search: { type: 'string', value: 'Q', help: 'text to look for' },
      class: { type: 'string', value: 'NAME', help: 'only this device class' },
      limit: { type: 'string', value: 'N', help: 'at most N devices (1-500, default 50)' },
      offset: { type: 'string', value: 'N', help: 'skip the first N matches' },
    },
    call({ options }) {
      const limit = uint(options.limit, 'limit', 1);
      if (limit !== undefined && limit > 500) throw new UsageError('--limit must be at most 500');
      return { method: 'GET', path: `/api/devices${query({ q: str(options.search), classId: str(options.class), limit, offset: uint(options.offset, 'offset') })}` };
    },
  }),
  serviceCommand({
    path: ['manufacturer', 'devices', 'show'],
    summary: 'one device of the fleet, by its device DID or pairing DID',
    usage: 'manufacturer devices show DID [--url URL]',
    positionals: [{ name: 'DID', required: true }],
    call: ({ positionals }) => ({ method: 'GET', path: `/api/devices/${enc(positionals[0])}` }),
  }),
  serviceCommand({
    path: ['manufacturer', 'identity', 'show'],
    summary: "the manufacturer's did:webvh: current keys and key history",
    usage: 'manufacturer identity show [--url URL]',
    call: () => ({ method: 'GET', path: '/api/identity' }),
  }),
  serviceCommand({
    path: ['manufacturer', 'identity', 'rotate'],
    summary: 'rotate the signing keys (a new did:webvh log entry, pre-rotation honoured)',
    usage: 'manufacturer identity rotate [--reason TEXT] [--revoke-certificate-keys] [--url URL]',
    options: {
      reason: { type: 'string', value: 'TEXT', help: 'why, recorded in the key history' },
      'revoke-certificate-keys': { type: 'boolean', help: 'also retire the old device-certificate keys (a compromise, not routine)' },
    },
    call({ options }) {
      const body: Record<string, unknown> = {};
      if (str(options.reason) !== undefined) body.reason = str(options.reason);
      if (options['revoke-certificate-keys'] === true) body.revokeCertificateKeys = true;
      return { method: 'POST', path: '/api/identity/rotate', body };
    },
  }),
  {
    path: ['manufacturer', 'serve'],
    summary: 'run the manufacturer service in the foreground (HTTP, MQTT, SQLite) until SIGINT/SIGTERM',
    usage: 'manufacturer serve [--config FILE] [--log-level LEVEL]',
    options: {
      config: { type: 'string', value: 'FILE', help: 'JSON config file (default: SSIOT_MFR_CONFIG); the rest from SSIOT_MFR_* variables' },
      'log-level': { type: 'string', value: 'LEVEL', help: 'service log level on stderr: fatal, error, warn, info (default), debug, silent' },
    },
    async run({ options, progress }: CommandContext) {
      const level = oneOf(options['log-level'], 'log-level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) ?? 'info';
      const file = str(options.config);
      // loaded here, not at the top: every other `ssiot` command would pay for fastify, aedes and SQLite
      const { loadConfig } = await import('../manufacturer/service/config.ts');
      const { startService } = await import('../manufacturer/service/app.ts');
      const config = loadConfig(process.env, file === undefined ? undefined : isAbsolute(file) ? file : resolve(file));
      const service = await startService({ config, logger: { level, stream: process.stderr } });
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        void service.close().then(
          () => process.exit(),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      progress(`manufacturer service at ${service.url} (console ${service.url}/); stop with Ctrl-C`);
      return {
        output: { url: service.url, console: `${service.url}/`, did: service.identity.did, mqtt: service.broker.tcpUrl, ws: service.broker.wsUrl, brokerUrl: service.brokerUrl },
      };
    },
  },
];
