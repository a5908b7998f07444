/**
 * The device logger: one JSON line per entry through a `print` function
 * (Moddable's global `trace` on the device: the serial console / xsbug /
 * the simulator's stdout), from `level` up.
 */
import type { Logger, LogLevel } from '../../device/host.ts';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function lineLogger(print: (line: string) => void, level: LogLevel = 'info'): Logger {
  const min = LEVELS.indexOf(level);
  return {
    log(l, message, fields) {
      if (LEVELS.indexOf(l) >= min) print(JSON.stringify({ level: l, message, ...fields }) + '\n');
    },
  };
}

/** Moddable's `trace` global, if there is one (there is no `console` unless a module installs it). */
export function tracePrint(): (line: string) => void {
  const t = (globalThis as { trace?: (s: string) => void }).trace;
  return typeof t === 'function' ? (s) => t(s) : () => undefined;
}
