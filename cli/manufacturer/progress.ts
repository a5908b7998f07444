/**
 * Progress on stderr for `ssiot manufacturer …` (shared/CLI.md: progress
 * goes to stderr, stdout holds only the JSON document).
 *
 * Two styles, chosen by `--progress auto|bar|lines|none`:
 * - `bar`: bars redrawn in place with ANSI cursor moves, for a person at a
 *   terminal;
 * - `lines`: plain lines, one per step (upload: each 10% crossed; rollout:
 *   each change), for logs and CI, where carriage returns and escape codes
 *   are noise;
 * - `auto` (default): `bar` when stderr is a terminal and NO_COLOR/CI are
 *   unset, else `lines`.
 * Everything goes through the command's `progress` (a line on stderr), so
 * in-process runs capture it like any other stderr output.
 */
import { UsageError, type CommandContext } from '../command.ts';
import { str } from '../io.ts';

export type ProgressStyle = 'bar' | 'lines' | 'none';

/** The style asked for, `auto` resolved against the real stderr and environment. */
export function progressStyle(options: CommandContext['options'], env: NodeJS.ProcessEnv = process.env, stderrIsTty = process.stderr.isTTY === true): ProgressStyle {
  const v = str(options.progress) ?? 'auto';
  if (v === 'bar' || v === 'lines' || v === 'none') return v;
  if (v !== 'auto') throw new UsageError('--progress must be auto, bar, lines or none');
  return stderrIsTty && !env.NO_COLOR && !env.CI ? 'bar' : 'lines';
}

const WIDTH = 30;

/** `[#########---------]` for `done` (and `failed`, drawn as `x`) of `total`. */
export function bar(done: number, total: number, failed = 0): string {
  if (total <= 0) return `[${' '.repeat(WIDTH)}]`;
  const ok = Math.round((Math.min(done, total) / total) * WIDTH);
  const bad = Math.min(WIDTH - ok, Math.round((Math.min(failed, total) / total) * WIDTH));
  return `[${'#'.repeat(ok)}${'x'.repeat(bad)}${'-'.repeat(WIDTH - ok - bad)}]`;
}

const ERASE_LINE = '\x1b[2K';
/** Cursor to the start of the line `n` lines up. */
const up = (n: number): string => `\x1b[${n}F`;

/**
 * A block of lines on stderr. `bar` style: each `show` redraws the block in
 * place; `lines` style: each `show` prints the lines whose text changed
 * since the last one (so a log shows every step once); `none`: nothing.
 */
export class ProgressBlock {
  private shown: string[] = [];
  constructor(
    private readonly style: ProgressStyle,
    private readonly write: (text: string) => void,
  ) {}

  show(lines: string[]): void {
    if (this.style === 'none' || lines.length === 0) return;
    if (this.style === 'lines') {
      const changed = lines.filter((l, i) => this.shown[i] !== l);
      if (changed.length > 0) this.write(changed.join('\n'));
      this.shown = lines;
      return;
    }
    if (lines.length === this.shown.length && lines.every((l, i) => l === this.shown[i])) return;
    const back = this.shown.length > 0 ? up(this.shown.length) : '';
    // a shorter block than before leaves its old last lines: erase them too
    const padded = [...lines];
    while (padded.length < this.shown.length) padded.push('');
    this.write(back + padded.map((l) => ERASE_LINE + l).join('\n'));
    this.shown = padded;
  }
}

/**
 * Upload progress: `bar` redraws `upload [####----] 42% 4.1/9.8 KiB` (MiB from 1 MiB);
 * `lines` prints `upload: N% (sent/total bytes)` at each 10% crossed (and 0%
 * and 100%), so the number of lines does not depend on the network's timing.
 */
export function uploadReporter(style: ProgressStyle, write: (text: string) => void, label: string): (sent: number, total: number) => void {
  const block = new ProgressBlock(style, write);
  let lastStep = -1;
  let lastPercent = -1;
  return (sent, total) => {
    const percent = total === 0 ? 100 : Math.floor((sent / total) * 100);
    if (style === 'lines') {
      const step = Math.floor(percent / 10);
      if (step === lastStep) return;
      lastStep = step;
      write(`${label}: ${percent}% (${sent}/${total} bytes)`);
      return;
    }
    if (percent === lastPercent) return;
    lastPercent = percent;
    block.show([`${label} ${bar(sent, total)} ${String(percent).padStart(3)}% ${human(sent, total)}`]);
  };
}

/** `sent/total` in the unit that suits `total` (KiB below 1 MiB, else MiB). */
function human(sent: number, total: number): string {
  const [div, unit] = total < 1024 * 1024 ? [1024, 'KiB'] : [1024 * 1024, 'MiB'];
  return `${(sent / div).toFixed(1)}/${(total / div).toFixed(1)} ${unit}`;
}

/** The rollout view the service returns (manufacturer/releases/schemas.ts rolloutSchema). */
export interface RolloutProgressView {
  id: string;
  releaseId: string;
  deviceClass: string;
  state: string;
  currentStage: number;
  pausedReason?: string | null;
  stages: { index: number; percent: number; devices: number; pending: number; installing: number; installed: number; failed: number }[];
  totals: { devices: number; pending: number; installing: number; installed: number; failed: number };
}

/** One line per stage plus a header: what `rollout status` draws. */
export function rolloutLines(r: RolloutProgressView): string[] {
  const head = `rollout ${r.id} (${r.deviceClass}): ${r.state}${r.pausedReason ? ` (${r.pausedReason})` : ''}, ${r.totals.installed}/${r.totals.devices} installed, ${r.totals.failed} failed`;
  const lines = [head];
  for (const s of r.stages) {
    const marker = s.index === r.currentStage && (r.state === 'running' || r.state === 'paused') ? '>' : ' ';
    const detail = `${s.installed}/${s.devices} installed, ${s.failed} failed, ${s.installing} installing, ${s.pending} pending`;
    lines.push(`${marker} stage ${s.index + 1}/${r.stages.length} (${s.percent}%) ${bar(s.installed, s.devices, s.failed)} ${detail}`);
  }
  return lines;
}
