/**
 * Runs inside an xsnap worker for bench/trust.ts: what a phone or device
 * does offline with a registry answer — verify the k-of-n epoch signatures,
 * each edge's Merkle proof, the path and the exact score — so the driver can
 * read the XS meter for it. One command = one crank:
 *   {op:'verify', answer, options}  verifyAnswer -> {valid, problems}
 *   {op:'noop'}                     baseline crank
 */
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { verifyAnswer, type VerifyAnswerOptions } from '../protocols/trust/answer.ts';

type Command = { op: 'verify'; answer: unknown; options: Omit<VerifyAnswerOptions, 'resolver' | 'now'> & { now: string } } | { op: 'noop' };

const g = globalThis as unknown as {
  handleCommand?: (m: ArrayBuffer) => ArrayBuffer | { result?: ArrayBuffer };
  performance?: { now(): number };
};
const now = () => (g.performance ? g.performance.now() : Date.now());
const enc = new TextEncoder();
const reply = (value: unknown): ArrayBuffer => enc.encode(JSON.stringify(value)).buffer as ArrayBuffer;

g.handleCommand = (message: ArrayBuffer) => {
  const cmd = JSON.parse(new TextDecoder().decode(new Uint8Array(message))) as Command;
  if (cmd.op === 'noop') return reply({ ok: true, ms: 0 });
  const pending: { result?: ArrayBuffer } = {};
  const start = now();
  verifyAnswer(cmd.answer, { ...cmd.options, resolver: createDefaultResolver(), now: new Date(cmd.options.now) }).then(
    (v) => (pending.result = reply({ ok: true, ms: now() - start, value: { valid: v.valid, problems: v.problems } })),
    (e: unknown) => (pending.result = reply({ ok: false, error: String(e) })),
  );
  return pending;
};
