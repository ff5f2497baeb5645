import type { Output } from './io';

export interface ProgressOptions {
  /** How often a plain (not a terminal) stream gets a line; a terminal is redrawn every 100 ms. */
  lineEveryMs?: number;
  now?: () => number;
}

const REDRAW_MS = 100;

/**
 * One transfer's progress on stderr: a bar redrawn in place with `\r` on a terminal, a plain line every few seconds
 * otherwise (CI logs, files), so that logs show progress without thousands of lines.
 */
export class Progress {
  private readonly tty: boolean;
  private readonly lineEveryMs: number;
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw: number;
  private finished = false;

  constructor(
    private readonly out: Output,
    private readonly label: string,
    private readonly total: number | undefined,
    options: ProgressOptions = {},
  ) {
    this.tty = Boolean(out.isTTY);
    this.lineEveryMs = options.lineEveryMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.lastDraw = this.tty ? -Infinity : this.started;
    if (this.tty) this.draw(0);
  }

  update(bytes: number): void {
    if (this.finished) return;
    const now = this.now();
    if (now - this.lastDraw < (this.tty ? REDRAW_MS : this.lineEveryMs)) return;
    this.lastDraw = now;
    if (this.tty) this.draw(bytes);
    else this.out.write(`${this.label}: ${amount(bytes, this.total)}\n`);
  }

  done(bytes: number): void {
    if (this.finished) return;
    this.finished = true;
    const seconds = ((this.now() - this.started) / 1000).toFixed(1);
    if (this.tty) {
      this.draw(bytes);
      this.out.write(` ${seconds} s\n`);
    } else {
      this.out.write(`${this.label}: ${formatBytes(bytes)} in ${seconds} s\n`);
    }
  }

  fail(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.tty) this.out.write('\n');
  }

  private draw(bytes: number): void {
    const text = amount(bytes, this.total);
    // the same width in every frame: room for the label and the longest amount ("1023.9 MiB / 1023.9 MiB (100%)")
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - this.label.length - 36));
    const filled = this.total ? Math.min(width, Math.floor((bytes / this.total) * width)) : 0;
    const bar = this.total ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
    // \x1b[K clears what a longer previous line left behind
    this.out.write(`\r${this.label} ${bar}${text}\x1b[K`);
  }
}

function amount(bytes: number, total: number | undefined): string {
  if (!total) return formatBytes(bytes);
  return `${formatBytes(bytes)} / ${formatBytes(total)} (${Math.min(100, Math.floor((bytes / total) * 100))}%)`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
