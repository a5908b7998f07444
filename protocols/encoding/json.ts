/**
 * JSON parsing with typed errors.
 *
 * JSON.parse does the work; on failure we locate the error ourselves (engines
 * word and place it differently, and V8's message quotes a slice of the input,
 * which may hold key material). The error carries line/column/offset and a
 * short reason, never any part of the text.
 *
 * Semantics are exactly JSON.parse's (RFC 8259): duplicate object keys keep
 * the last value; a leading BOM is rejected (RFC 8259 §8.1 lets parsers
 * ignore it; we do not, so the bytes that were signed are the bytes parsed).
 */
import { EncodingError } from '../errors.ts';
import { utf8Decode } from './bytes.ts';

/** `encoding.invalid_json` with where the parse failed (UTF-16 code-unit offset, 1-based line and column). */
export class JsonSyntaxError extends EncodingError {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  constructor(message: string, offset: number, line: number, column: number, options?: { cause?: unknown }) {
    super('encoding.invalid_json', message, options);
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/**
 * First syntax error in `t` as { offset, reason }, or undefined if `t` is
 * valid RFC 8259 JSON. Iterative (explicit container stack), so deep nesting
 * cannot overflow the call stack here.
 */
export function locateJsonError(t: string): { offset: number; reason: string } | undefined {
  // sticky, so one per call: a module-level RegExp is frozen when preloaded (Moddable) and its lastIndex cannot move
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const n = t.length;
  let i = 0;
  const stack: number[] = []; // 1 = array, 2 = object
  const ws = (): void => {
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const string = (): string | undefined => {
    i++; // opening quote
    for (;;) {
      if (i >= n) return 'unterminated string';
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return 'control character in string';
      if (c === 0x5c) {
        const e = t[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) i += 6;
        else return 'invalid escape in string';
      } else i++;
    }
  };
  type State = 'value' | 'key' | 'after';
  let state: State = 'value';
  for (;;) {
    ws();
    if (state === 'value') {
      if (i >= n) return { offset: i, reason: 'unexpected end of input, expected a value' };
      const c = t[i];
      if (c === '{' || c === '[') {
        i++;
        ws();
        if (t[i] === (c === '{' ? '}' : ']')) {
          i++;
          state = 'after';
        } else {
          stack.push(c === '{' ? 2 : 1);
          state = c === '{' ? 'key' : 'value';
        }
      } else if (c === '"') {
        const at = i;
        const err = string();
        if (err) return { offset: i >= n ? at : i, reason: err };
        state = 'after';
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(t);
        if (!m) return { offset: i, reason: 'invalid number' };
        i += m[0].length;
        state = 'after';
      } else if (t.startsWith('true', i) || t.startsWith('null', i)) {
        i += 4;
        state = 'after';
      } else if (t.startsWith('false', i)) {
        i += 5;
        state = 'after';
      } else return { offset: i, reason: 'unexpected character, expected a value' };
    } else if (state === 'key') {
      if (t[i] !== '"') return { offset: i, reason: i >= n ? 'unexpected end of input, expected a key' : 'expected a string key' };
      const at = i;
      const err = string();
      if (err) return { offset: i >= n ? at : i, reason: err };
      ws();
      if (t[i] !== ':') return { offset: i, reason: "expected ':' after key" };
      i++;
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? { offset: i, reason: 'unexpected data after the JSON value' } : undefined;
      const close = top === 1 ? ']' : '}';
      if (t[i] === ',') {
        i++;
        state = top === 1 ? 'value' : 'key';
      } else if (t[i] === close) {
        i++;
        stack.pop();
      } else return { offset: i, reason: i >= n ? `unexpected end of input, expected ',' or '${close}'` : `expected ',' or '${close}'` };
    }
  }
}

function syntaxError(text: string, offset: number, reason: string, cause?: unknown): JsonSyntaxError {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  const column = offset - lineStart + 1;
  return new JsonSyntaxError(`invalid JSON at line ${line}, column ${column} (offset ${offset}): ${reason}`, offset, line, column, cause === undefined ? undefined : { cause });
}

/**
 * JSON.parse with `encoding.invalid_json` (a JsonSyntaxError with position) on
 * any syntax error. The type parameter is an unchecked cast: validate the shape.
 */
export function parseJson<T = unknown>(text: string): T {
  if (typeof text !== 'string') throw new JsonSyntaxError('invalid JSON: input is not a string', 0, 1, 1);
  try {
    return JSON.parse(text) as T;
  } catch {
    const loc = locateJsonError(text);
    // JSON.parse failed on text our scanner accepts: an engine limit (e.g. nesting depth)
    if (!loc) throw syntaxError(text, 0, 'the JSON engine rejected the input (nesting too deep?)');
    throw syntaxError(text, loc.offset, loc.reason);
  }
}

/** UTF-8 bytes -> parseJson. Invalid UTF-8 is also `encoding.invalid_json`. */
export function parseJsonBytes<T = unknown>(b: Uint8Array): T {
  let text: string;
  try {
    text = utf8Decode(b);
  } catch (e) {
    throw new JsonSyntaxError('invalid JSON: bytes are not valid UTF-8', 0, 1, 1, { cause: e });
  }
  return parseJson<T>(text);
}

/** True for a JSON object (not null, not an array): the shape check every parsed document starts with. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
