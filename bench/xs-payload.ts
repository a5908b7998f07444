/**
 * Runs inside an xsnap worker for bench/primitives.ts: prepares each
 * benchmark operation on the default (noble) provider and times batches of
 * it. One command = one crank, so the driver's compute meter for a `run`
 * crank is the work of exactly `iterations` operations (plus a loop).
 */
import { getCrypto } from '../protocols/crypto/index.ts';
import { BENCH_OPS } from './ops.ts';
import { now, serveCommands } from './xs-handler.ts';

type Command = { op: 'list' } | { op: 'prepare'; name: string } | { op: 'run'; name: string; iterations: number };

const prepared = new Map<string, () => unknown>();

serveCommands<Command>((cmd) => {
  if (cmd.op === 'list') return BENCH_OPS.map((o) => ({ name: o.name, bytes: o.bytes ?? null }));
  const op = BENCH_OPS.find((o) => o.name === cmd.name);
  if (!op) throw new Error(`unknown benchmark ${cmd.name}`);
  if (cmd.op === 'prepare') {
    prepared.set(op.name, op.prepare(getCrypto()));
    return null;
  }
  const fn = prepared.get(op.name);
  if (!fn) throw new Error(`benchmark ${op.name} not prepared`);
  const start = now();
  for (let i = 0; i < cmd.iterations; i++) fn();
  return { ms: now() - start };
});
