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
import { now, serveCommands } from './xs-handler.ts';

type Command = { op: 'verify'; answer: unknown; options: Omit<VerifyAnswerOptions, 'resolver' | 'now'> & { now: string } } | { op: 'noop' };

serveCommands<Command>(
  (cmd) => {
    if (cmd.op === 'noop') return { ok: true, ms: 0 };
    const start = now();
    return verifyAnswer(cmd.answer, { ...cmd.options, resolver: createDefaultResolver(), now: new Date(cmd.options.now) }).then((v) => ({
      ok: true,
      ms: now() - start,
      value: { valid: v.valid, problems: v.problems },
    }));
  },
  (e) => ({ ok: false, error: String(e) }),
);
