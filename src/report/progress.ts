/**
 * Live progress on stderr. On a TTY: one line redrawn in place, cut to the terminal's width by leaving out its
 * least useful parts. Off a TTY: a plain status line every `intervalMs`, so logs stay readable.
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
    const now = Date.now();
    rate.add(now, processed(stats));
    const line = statusLine(stats, {
      perSecond: rate.perSecond(),
      total: options.total?.(),
      elapsedMs: now - stats.startedAt,
      width: tty ? (stream.columns || 120) - 1 : undefined,
    });
    if (tty) stream.write(`\r\x1b[2K${line}`);
    else stream.write(`${new Date(now).toISOString()} ${line}\n`);
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

export interface StatusLineOptions {
  /** Records processed per second, recently. */
  readonly perSecond: number;
  /** Input lines expected, when known. */
  readonly total?: number;
  /** Time since the run started (the ETA waits for a settled rate). */
  readonly elapsedMs?: number;
  /** Characters available (a terminal's width): the least useful parts are left out until the line fits. */
  readonly width?: number;
}

/**
 * The ETA is shown once the rate means something: after 5% of the input, or 30 s. Before, the limiter is still
 * ramping up from a few calls in flight, and the early rate promised 13–24 min for a job of 15 s.
 */
const ETA_AFTER_FRACTION = 0.05;
const ETA_AFTER_MS = 30_000;

/**
 * Parts, most useful first: bar and count, ETA, rate, retrying, in flight, written, tokens. The count is of records
 * processed (answered or failed), so the bar moves while an ordered output waits for a record being retried; the
 * failed ones are part of it (`8/900 (4 failed)` is 8 records, not 12).
 */
export function statusLine(stats: RunStats, options: StatusLineOptions): string {
  const { perSecond, total } = options;
  const done = processed(stats);
  const parts: string[] = [];
  const failed = stats.deadLetters > 0 ? ` (${formatCount(stats.deadLetters)} failed)` : '';
  const known = total !== undefined && total > 0;
  if (known) {
    // The total counts input lines: empty ones (skipped, never processed) count as passed.
    const passed = done + stats.emptyLines;
    const fraction = Math.min(1, passed / total);
    const width = options.width !== undefined && options.width < 100 ? 10 : 20; // a narrow terminal: a shorter bar
    const filled = Math.round(fraction * width);
    parts.push(
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ${formatCount(done)}/${formatCount(total)}${failed}`,
    );
    const settled = fraction >= ETA_AFTER_FRACTION || (options.elapsedMs ?? 0) >= ETA_AFTER_MS;
    if (perSecond > 0 && settled) parts.push(`ETA ${formatDuration((Math.max(0, total - passed) / perSecond) * 1000)}`);
    else if (fraction < 1) parts.push('ETA …');
  } else {
    parts.push(`${formatCount(done)} done${failed}`);
  }
  parts.push(`${formatRate(perSecond)} rec/s`);
  if (stats.retrying > 0) parts.push(`${stats.retrying} retrying`);
  parts.push(`in flight ${stats.inFlight}/${stats.concurrencyLimit || '?'}`);
  const written = stats.done + stats.resumedSkipped;
  if (written < done) parts.push(`written ${formatCount(written)}`);
  parts.push(`tokens ${formatCompact(stats.inputTokens)} in / ${formatCompact(stats.outputTokens)} out`);
  return fit(parts, options.width);
}

/** Joins parts with ' | ', leaving out the last ones until the line fits `width` (the first part always stays). */
function fit(parts: string[], width: number | undefined): string {
  let line = parts.join(' | ');
  if (width === undefined) return line;
  for (let n = parts.length - 1; line.length > width && n >= 1; n--) line = parts.slice(0, n).join(' | ');
  return line.length > width ? line.slice(0, Math.max(0, width)) : line;
}

/** Records processed: answered or failed by the model stage (or earlier), written or not, plus those --resume skipped. */
function processed(stats: RunStats): number {
  return Math.max(stats.answered, stats.done) + stats.resumedSkipped;
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
