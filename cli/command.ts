/**
 * A tiny command table for the `ssiot` CLI (shared/CLI.md is the contract):
 * JSON on stdout, progress on stderr, errors as {"error":{code,message}} on
 * stderr with a non-zero exit. Argument parsing is node:util's parseArgs.
 */
import { parseArgs } from 'node:util';
import { SsiotError } from '../protocols/errors.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One line for --help; `value` names the argument (e.g. FILE). */
  help: string;
  value?: string;
  required?: boolean;
  multiple?: boolean;
}

export interface CommandContext {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Reads all of standard input as UTF-8 (for commands documented as `< file`). */
  stdin(): Promise<string>;
  /** Progress/diagnostics for humans: stderr, never stdout. */
  progress(message: string): void;
}

/** What a command returns: the JSON document for stdout, and for checks whether it held. */
export interface CommandResult {
  output: unknown;
  /** Commands that check something exit 1 when the check does not hold (CLI.md). */
  holds?: boolean;
}

export interface Command {
  /** Words after `ssiot`, e.g. ['did', 'create', 'key']. */
  path: string[];
  summary: string;
  usage: string;
  positionals?: { name: string; required: boolean }[];
  options: Record<string, OptionSpec>;
  run(ctx: CommandContext): Promise<CommandResult>;
}

/** Usage mistakes are errors with a stable code too. */
export class UsageError extends SsiotError {
  constructor(message: string) {
    super('cli.usage', message);
    this.name = 'UsageError';
  }
}

export function helpText(cmd: Command): string {
  const lines = [`ssiot ${cmd.path.join(' ')} — ${cmd.summary}`, '', `usage: ssiot ${cmd.usage}`, ''];
  const opts = Object.entries(cmd.options);
  if (opts.length) {
    lines.push('options:');
    for (const [name, spec] of opts) {
      const flag = `--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
      lines.push(`  ${flag.padEnd(28)} ${spec.help}${spec.required ? ' (required)' : ''}`);
    }
  }
  lines.push(`  ${'--help'.padEnd(28)} show this help`);
  return lines.join('\n') + '\n';
}

export function groupHelp(commands: Command[], prefix: string[]): string {
  const matching = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const lines = [`ssiot ${prefix.join(' ')}`.trimEnd() + ' — commands:', ''];
  for (const c of matching) lines.push(`  ssiot ${c.usage}`, `      ${c.summary}`);
  lines.push('', 'Output is JSON on stdout; errors are {"error":{"code","message"}} on stderr.');
  lines.push("Run 'ssiot <command> --help' for a command's options.");
  return lines.join('\n') + '\n';
}

export function parseCommandArgs(cmd: Command, argv: string[]): { options: CommandContext['options']; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(cmd.options)) options[name] = spec.multiple ? { type: spec.type, multiple: true } : { type: spec.type };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see 'ssiot ${cmd.path.join(' ')} --help')`);
  }
  for (const [name, spec] of Object.entries(cmd.options)) {
    if (spec.required && parsed.values[name] === undefined) throw new UsageError(`missing required option --${name}`);
  }
  const declared = cmd.positionals ?? [];
  const required = declared.filter((p) => p.required).length;
  if (parsed.positionals.length < required) throw new UsageError(`missing argument ${declared[parsed.positionals.length]?.name}`);
  if (parsed.positionals.length > declared.length) throw new UsageError(`unexpected argument '${parsed.positionals[declared.length]}'`);
  return { options: parsed.values as CommandContext["options"], positionals: parsed.positionals };
}
