/**
 * The end-of-run summary. Counts must add up: in = out + dead letters + skipped (resume) + unfinished, where
 * unfinished records are those a stop left undone (a later --resume does them, where one can: resume-hint.ts).
 */
import { ExitCode } from '../core/errors.ts';
import type { RunStats } from '../core/run-stats.ts';
import { formatCount, formatDuration, formatRate, formatUsd } from './format.ts';
import { resumeHint, type ResumeMode } from './resume-hint.ts';

export interface RunSummary {
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly deadLetters: number;
  readonly skippedDone: number;
  /** Of `skippedDone`, records an earlier run dead-lettered: they are still not in the output. */
  readonly skippedDeadLetters: number;
  readonly unfinished: number;
  readonly emptyLines: number;
  readonly wallMs: number;
  readonly recordsPerSecond: number;
  readonly latencyP50Ms?: number;
  readonly latencyP95Ms?: number;
  readonly attempts: number;
  /** The most model calls in flight at once, and the limiter's limit when the last call was admitted. */
  readonly maxInFlight: number;
  readonly concurrencyLimit: number;
  readonly retriesByReason: Readonly<Record<string, number>>;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly stopReason?: string;
}

/** Records that are not in the output but in the dead letters: this run's and those an earlier run left there. */
export function allDeadLetters(summary: RunSummary): number {
  return summary.deadLetters + summary.skippedDeadLetters;
}

/**
 * The exit code of a job that ran to its end (online or batch). Exit 0 promises every record is in the output, so
 * the dead letters of an earlier run that --resume skipped count too.
 */
export function finishedExitCode(summary: RunSummary): ExitCode {
  return allDeadLetters(summary) > 0 ? ExitCode.deadLetters : ExitCode.ok;
}

export function summarize(stats: RunStats, stopReason?: string, now = Date.now()): RunSummary {
  const wallMs = now - stats.startedAt;
  const finished = stats.recordsOut + stats.deadLetters;
  return {
    recordsIn: stats.recordsIn,
    recordsOut: stats.recordsOut,
    deadLetters: stats.deadLetters,
    skippedDone: stats.resumedSkipped,
    skippedDeadLetters: stats.resumedDeadLetters,
    unfinished: Math.max(0, stats.recordsIn - finished - stats.resumedSkipped),
    emptyLines: stats.emptyLines,
    wallMs,
    recordsPerSecond: wallMs > 0 ? (finished * 1000) / wallMs : 0,
    latencyP50Ms: stats.latencies.quantile(0.5),
    latencyP95Ms: stats.latencies.quantile(0.95),
    attempts: stats.attempts,
    maxInFlight: stats.maxInFlight,
    concurrencyLimit: stats.concurrencyLimit,
    retriesByReason: Object.fromEntries(stats.retriesByReason),
    inputTokens: stats.inputTokens,
    outputTokens: stats.outputTokens,
    costUsd: stats.costUsd,
    stopReason,
  };
}

/** `where.resume`: how this job can be completed later (resume-hint.ts), said when it stopped or left records undone. */
export function formatSummary(
  summary: RunSummary,
  where: { output: string; deadLetters: string; resume: ResumeMode },
): string {
  const lines: string[] = [];
  const head = summary.stopReason ? `sluice: stopped (${summary.stopReason})` : 'sluice: done';
  lines.push(
    `${head} — in ${formatCount(summary.recordsIn)} = out ${formatCount(summary.recordsOut)}` +
      ` + dead letters ${formatCount(summary.deadLetters)} + skipped ${formatCount(summary.skippedDone)}` +
      ` + unfinished ${formatCount(summary.unfinished)}` +
      (summary.emptyLines ? ` (empty lines skipped: ${formatCount(summary.emptyLines)})` : ''),
  );
  const latency =
    summary.latencyP50Ms === undefined
      ? summary.attempts > 0
        ? 'no model call succeeded'
        : 'no model calls'
      : `model latency p50 ${formatDuration(summary.latencyP50Ms)} p95 ${formatDuration(summary.latencyP95Ms ?? NaN)}`;
  lines.push(`  wall ${formatDuration(summary.wallMs)}, ${formatRate(summary.recordsPerSecond)} records/s, ${latency}`);
  const retries = Object.entries(summary.retriesByReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  lines.push(`  model calls ${formatCount(summary.attempts)}${retries ? ` (retries: ${retries})` : ''}`);
  lines.push(
    `  tokens ${formatCount(summary.inputTokens)} in / ${formatCount(summary.outputTokens)} out, estimated cost ${formatUsd(summary.costUsd)}`,
  );
  if (summary.skippedDeadLetters > 0) {
    lines.push(
      `  skipped ${formatCount(summary.skippedDeadLetters)} records an earlier run dead-lettered: they are in ${where.deadLetters}, not in the output (sluice replay)`,
    );
  }
  const deadLetters = allDeadLetters(summary);
  lines.push(`  output: ${where.output}${deadLetters ? `; dead letters: ${where.deadLetters}` : ''}`);
  // A pipeline that does not fit its input (missing_field) is fixed and run again; its stop message says so.
  if ((summary.unfinished > 0 || summary.stopReason) && summary.stopReason !== 'missing_field')
    lines.push(`  ${resumeHint(where.resume)}`);
  return lines.join('\n');
}
