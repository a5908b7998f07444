/**
 * `did.jsonl` (JSON Lines): one log entry per line, each line a JSON object,
 * `\n`-terminated. Parsing does only that; what an entry must contain is the
 * verifier's business (verify.ts).
 *
 * Choices: a final empty line (the trailing `\n`) is fine and `\r\n` line ends
 * are tolerated; an empty line in the middle is an error (it is not JSON).
 */
import { parseJson } from '../../encoding/json.ts';
import { isSsiotError } from '../../errors.ts';
import type { DidError } from '../../errors.ts';
import { webvhError, WEBVH_ERRORS } from './codes.ts';
import type { LogEntry } from './types.ts';

function lines(jsonl: string): string[] {
  const out = jsonl.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

function parseLine(line: string, n: number): LogEntry {
  let value: unknown;
  try {
    value = parseJson(line);
  } catch (e) {
    throw webvhError(WEBVH_ERRORS.invalidEntry, `log line ${n} is not JSON (${isSsiotError(e) ? e.message : 'parse error'})`, e);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw webvhError(WEBVH_ERRORS.invalidEntry, `log line ${n} is not a JSON object`);
  }
  return value as LogEntry;
}

/** Parse a whole `did.jsonl`; any bad line is `did.webvh_invalid_entry`. */
export function parseLog(jsonl: string): LogEntry[] {
  if (typeof jsonl !== 'string') throw webvhError(WEBVH_ERRORS.invalidEntry, 'a DID log must be text');
  return lines(jsonl).map((l, i) => parseLine(l, i + 1));
}

/**
 * Parse the lines up to the first bad one. Resolution serves versions before
 * a broken line (spec §Read step 11.2), so the error is returned, not thrown.
 */
export function parseLogPrefix(jsonl: string): { entries: LogEntry[]; error?: DidError } {
  if (typeof jsonl !== 'string') return { entries: [], error: webvhError(WEBVH_ERRORS.invalidEntry, 'a DID log must be text') };
  const entries: LogEntry[] = [];
  const all = lines(jsonl);
  for (let i = 0; i < all.length; i++) {
    try {
      entries.push(parseLine(all[i], i + 1));
    } catch (e) {
      return { entries, error: e as DidError };
    }
  }
  return { entries };
}

/** Serialize entries as `did.jsonl`: compact JSON, one per line, each `\n`-terminated. */
export function serializeLog(entries: readonly LogEntry[]): string {
  return entries.map((e) => JSON.stringify(e) + '\n').join('');
}
