/**
 * Runs inside an xsnap worker for bench/didcomm.ts: prepares each DIDComm
 * benchmark operation and times batches of it, one crank per command, so
 * the driver's compute meter for a `run` crank is the work of exactly
 * `iterations` operations (plus a loop).
 *
 * Randomness: fixed xorshift bytes installed into the facade. This is a
 * benchmark, not a device: deterministic bytes make the meter counts
 * repeatable run to run (NEVER do this outside a benchmark).
 */
import { installCrypto } from '../protocols/crypto/index.ts';
import { publicKeyOps, resetPublicKeyOps } from '../protocols/didcomm/pkops.ts';
import { filled } from './bytes.ts';
import { DIDCOMM_BENCH_OPS } from './didcomm-ops.ts';
import { now, serveCommands } from './xs-handler.ts';

type Command = { op: 'prepare'; name: string } | { op: 'run'; name: string; iterations: number };

let draw = 0;
installCrypto({ randomBytes: (length: number) => filled(length, 0x9e3779b9 + draw++) });

const prepared = new Map<string, () => Promise<unknown>>();

serveCommands<Command>(async (cmd) => {
  const op = DIDCOMM_BENCH_OPS.find((o) => o.name === cmd.name);
  if (!op) throw new Error(`unknown benchmark ${cmd.name}`);
  if (cmd.op === 'prepare') {
    // A small pool: noble has no per-key import cost to defeat, and packing in XS is slow.
    prepared.set(op.name, await op.prepare(8));
    return null;
  }
  const fn = prepared.get(op.name);
  if (!fn) throw new Error(`benchmark ${op.name} not prepared`);
  resetPublicKeyOps();
  const start = now();
  for (let i = 0; i < cmd.iterations; i++) await fn();
  return { ms: now() - start, pkOps: publicKeyOps() };
});
