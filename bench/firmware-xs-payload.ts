/**
 * Runs inside an xsnap worker for bench/firmware.ts: receives the fixture
 * (built in Node), prepares each firmware operation and times batches of
 * it, one crank per command, so the compute meter of a `run` crank is the
 * work of exactly `iterations` operations (plus a loop).
 */
import { FIRMWARE_BENCH_OPS, type FirmwareFixture } from './firmware-ops.ts';
import { now, serveCommands } from './xs-handler.ts';

type Command = { op: 'fixture'; fixture: FirmwareFixture } | { op: 'prepare'; name: string } | { op: 'run'; name: string; iterations: number };

let fixture: FirmwareFixture | undefined;
const prepared = new Map<string, () => Promise<unknown>>();

serveCommands<Command>(async (cmd) => {
  if (cmd.op === 'fixture') {
    fixture = cmd.fixture;
    return null;
  }
  const op = FIRMWARE_BENCH_OPS.find((o) => o.name === cmd.name);
  if (!op) throw new Error(`unknown benchmark ${cmd.name}`);
  if (cmd.op === 'prepare') {
    if (!fixture) throw new Error('no fixture');
    prepared.set(op.name, op.prepare(fixture));
    return null;
  }
  const fn = prepared.get(op.name);
  if (!fn) throw new Error(`benchmark ${op.name} not prepared`);
  const start = now();
  for (let i = 0; i < cmd.iterations; i++) await fn();
  return { ms: now() - start };
});
