/**
 * Live progress on stderr. On a TTY: one line redrawn in place (done, failed, retrying, records/s, in flight,
 * limit, ETA, tokens). Off a TTY: a plain status line every `intervalMs`, so logs stay readable.
 * Never writes to stdout (stdout carries data).
 */
import type { RunStats } from '../core/run-stats.ts';
import { formatCompact, formatCount, formatDuration, formatRate } from './format.ts';

export interface ProgressOptions {
  readonly stats: RunStats;
  readonly stream: NodeJS.WriteStream;
  /** Total records expected when known (file size estimate or --dry-run); enables the ETA and the bar. */
  readonly total?: () => number | undefined;
  readonly intervalMs?: number;
}

export interface Progress {
  stop(): void;
}

export function startProgress(options: ProgressOptions): Progress {
  const { stats, stream } = options;
  const tty = Boolean(stream.isTTY);
  const intervalMs = options.intervalMs ?? (tty ? 250 : 5_000);
  const rate = new RateWindow();
  const draw = () => {
    rate.add(Date.now(), stats.done);
    const line = statusLine(stats, rate.perSecond(), options.total?.());
    if (tty) stream.write(`\r\x1b[2K${line.slice(0, Math.max(40, (stream.columns || 120) - 1))}`);
    else stream.write(`${new Date().toISOString()} ${line}\n`);
  };
  const timer = setInterval(draw, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (tty) stream.write('\r\x1b[2K');
    },
  };
}

export function statusLine(stats: RunStats, perSecond: number, total?: number): string {
  const parts: string[] = [];
  const done = stats.done + stats.resumedSkipped;
  if (total && total > 0) {
    // The total counts input lines: empty ones (skipped, never "done") count as passed.
    const fraction = Math.min(1, (done + stats.emptyLines) / total);
    const width = 20;
    const filled = Math.round(fraction * width);
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}%`);
    parts.push(`${formatCount(done)}/${formatCount(total)}`);
  } else {
    parts.push(`${formatCount(done)} done`);
  }
  parts.push(`${formatCount(stats.deadLetters)} failed`);
  parts.push(`${stats.retrying} retrying`);
  parts.push(`${formatRate(perSecond)} rec/s`);
  parts.push(`in flight ${stats.inFlight}/${stats.concurrencyLimit || '?'}`);
  if (total && perSecond > 0) parts.push(`ETA ${formatDuration((Math.max(0, total - done - stats.emptyLines) / perSecond) * 1000)}`);
  parts.push(`tokens ${formatCompact(stats.inputTokens)} in / ${formatCompact(stats.outputTokens)} out`);
  return parts.join(' | ');
}

/** Records/s over the last ~10 s, so the rate reacts to change but does not flicker. */
class RateWindow {
  readonly #points: Array<{ at: number; done: number }> = [];

  add(at: number, done: number): void {
    this.#points.push({ at, done });
    while (this.#points.length > 2 && at - this.#points[0]!.at > 10_000) this.#points.shift();
  }

  perSecond(): number {
    const first = this.#points[0];
    const last = this.#points[this.#points.length - 1];
    if (!first || !last || last.at === first.at) return 0;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }
}
