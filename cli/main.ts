/**
 * `ssiot` command line (shared/CLI.md). Each group lives in its own module
 * and contributes a list of commands; this file only dispatches.
 */
import { isSsiotError } from '../protocols/errors.ts';
import { type Command, groupHelp, helpText, parseCommandArgs, UsageError } from './command.ts';
import { didCommands } from './did.ts';
import { firmwareCommands } from './firmware.ts';
import { didcommCommands } from './didcomm.ts';
import { vcCommands } from './vc.ts';
import { walletCommands } from './wallet.ts';
import { trustCommands } from './trust.ts';
import { manufacturerCommands } from './manufacturer.ts';

export const commands: Command[] = [...didCommands, ...didcommCommands, ...vcCommands, ...firmwareCommands, ...walletCommands, ...trustCommands, ...manufacturerCommands];

function findCommand(words: string[]): Command | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.length <= words.length && c.path.every((w, i) => words[i] === w)) {
      if (!best || c.path.length > best.path.length) best = c;
    }
  }
  return best;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('this command reads JSON from standard input (< file)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function errorDocument(e: unknown): { error: { code: string; message: string } } {
  if (isSsiotError(e)) return { error: { code: e.code, message: e.message } };
  // Anything else is our bug; say so without leaking internals (no stack, no input echo).
  return { error: { code: 'internal', message: e instanceof Error ? `${e.name}: ${e.message}` : 'unexpected failure' } };
}

export interface CliIo {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
  stdin: () => Promise<string>;
}

/** Runs one command; returns the exit status. `io` is injectable so tests can run it in-process. */
export async function main(argv: string[], io: CliIo = { out: process.stdout, err: process.stderr, stdin: readStdin }): Promise<number> {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  // Command words come first (`ssiot did create key --seed …`); positionals follow them.
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  const cmd = findCommand(words);
  if (!cmd) {
    const prefix: string[] = [];
    for (const w of words) {
      if (commands.some((c) => [...prefix, w].every((x, i) => c.path[i] === x))) prefix.push(w);
      else break;
    }
    io.out.write(groupHelp(commands, prefix));
    if (wantsHelp || argv.length === 0) return 0;
    io.err.write(JSON.stringify({ error: { code: 'cli.usage', message: `unknown command: ssiot ${argv.join(' ')}` } }) + '\n');
    return 2;
  }
  if (wantsHelp) {
    io.out.write(helpText(cmd));
    return 0;
  }
  try {
    const rest = argv.slice(cmd.path.length);
    const { options, positionals } = parseCommandArgs(cmd, rest);
    const result = await cmd.run({ options, positionals, stdin: io.stdin, progress: (m) => io.err.write(m + '\n') });
    io.out.write(JSON.stringify(result.output, null, 2) + '\n');
    return result.holds === false ? 1 : 0;
  } catch (e) {
    io.err.write(JSON.stringify(errorDocument(e)) + '\n');
    return isSsiotError(e) && e.code === 'cli.usage' ? 2 : 1;
  }
}
