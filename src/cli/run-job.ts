/**
 * Runs one job for `sluice run`: load the pipeline, assemble the parts, run them with graceful signals,
 * progress and a summary, and turn the result into a documented exit code (core/errors.ts ExitCode).
 *
 * Signals: the first SIGINT/SIGTERM stops reading and starting calls, and lets in-flight calls finish within
 * --grace, then the summary is printed and the exit code is 130/143; a second signal exits at once. Either way
 * every line written is whole, and the summary says how to complete the job later (report/resume-hint.ts:
 * `--resume` needs -o FILE).
 *
 * Stops: every stop reaches `running.stop` with its typed reason (core/stop-reason.ts lists who stops, with which
 * reason); how the job ended follows from that reason (`reportedStop`, `outcomeOfStop`), a stop whose grace ran out
 * is recognised by its type (GraceExpired), and anything else that rejected is a failure (`outcomeOfFailure`).
 */
import { writeFile } from 'node:fs/promises';
import { metrics } from '@opentelemetry/api';
import { ConfigError, ExitCode, JobStop, SluiceError } from '../core/errors.ts';
import { RunStats } from '../core/run-stats.ts';
import { startPipeline, type RunningPipeline } from '../core/run-pipeline.ts';
import { describeStop, GraceExpired, stopExitCode, type StopReason } from '../core/stop-reason.ts';
import { loadPipelineFile } from '../config/load-pipeline.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { applyRunOverrides } from '../config/run-overrides.ts';
import { countLinesInBackground } from '../report/count-lines.ts';
import { startProgress } from '../report/progress.ts';
import { resumeHint, type ResumeMode } from '../report/resume-hint.ts';
import { finishedExitCode, formatSummary, summarize } from '../report/summary.ts';
import { SLUICE_PIPELINE } from '../telemetry/attributes.ts';
import { registerRunMetrics } from '../telemetry/run-metrics.ts';
import { startRunSpan, type SpanHandle } from '../telemetry/run-span.ts';
import { startTelemetry } from '../telemetry/sdk.ts';
import { buildJob, inputParts, type Job } from './build-job.ts';
import { parseInput } from './endpoints.ts';
import { checkJobPaths } from './job-paths.ts';

export interface RunOptions {
  pipeline: string;
  input: string;
  /** `sluice replay`: read the records of this dead-letter file instead of `input`. */
  replayFrom?: string;
  output: string;
  deadLetter?: string;
  format?: 'jsonl' | 'json-array';
  concurrency?: number | 'auto';
  maxConcurrency?: number;
  unordered?: boolean;
  resume?: boolean;
  grace: number;
  model?: string;
  baseUrl?: string;
  timeout?: number;
  maxAttempts?: number;
  progress: boolean;
  progressInterval?: number;
  summaryJson?: string;
  otel?: boolean;
  recordContent?: boolean;
  verbose?: boolean;
  pack?: number;
  budgetUsd?: number;
  dryRun?: boolean;
  rpm?: number;
  tpm?: number;
  /** Batch API (src/batch, docs/batch.md). */
  mode?: 'online' | 'batch' | 'auto';
  fallback?: 'batch' | 'online';
  deadline?: string;
  pollInterval?: number;
}

const SIGNAL_EXIT = { SIGINT: ExitCode.sigint, SIGTERM: ExitCode.sigterm } as const;

export async function runJob(options: RunOptions): Promise<number> {
  // The SDK starts before anything else so the first spans are not lost, and shuts down after the summary.
  const telemetry = await startTelemetry({ serviceName: 'sluice', force: options.otel });
  const metricsRegistration: { unregister?: () => void } = {};
  try {
    return await runLoadedJob(options, metricsRegistration);
  } finally {
    await telemetry?.shutdown();
    // Only after the shutdown's final collection, or the run's last metric values would be lost.
    metricsRegistration.unregister?.();
  }
}

async function runLoadedJob(options: RunOptions, metricsRegistration: { unregister?: () => void }): Promise<number> {
  const { config } = await loadPipelineFile(options.pipeline);
  const pipeline = applyRunOverrides(config, options);
  await checkJobPaths(options);
  const stats = new RunStats();
  // The batch modules (and the tokenizer --mode auto estimates with) load only when a job may use them.
  const mode =
    pipeline.mode === 'online'
      ? 'online'
      : await (await import('../batch/choose-mode.ts')).chooseRunMode(pipeline, options, (line) =>
          process.stderr.write(`${line}\n`),
        );
  if (options.dryRun) {
    if (options.replayFrom)
      throw new ConfigError(
        '--dry-run',
        "is for sluice run (estimate a replay by running --dry-run on the dead letters' input)",
      );
    const input = parseInput(options.input);
    const { runDryRun } = await import('../budget/dry-run.ts'); // the tokenizer is only for --dry-run
    return runDryRun(
      pipeline,
      { ...options, mode },
      { kind: input.kind, open: () => inputParts(input, pipeline, stats, []) },
    );
  }
  // Meters are taken after the SDK started (the metrics API has no proxy); the run span parents every call span.
  metricsRegistration.unregister = registerRunMetrics(metrics.getMeter('sluice'), stats, {
    [SLUICE_PIPELINE]: pipeline.name,
  });
  const runSpan = startRunSpan({ pipeline: pipeline.name });
  try {
    // Batch mode is loaded on use only (src/batch, docs/batch.md).
    const exit =
      mode === 'batch'
        ? await (await import('../batch/run-batch-job.ts')).runBatchJob(pipeline, options, stats, runSpan.context)
        : await runBuiltJob(pipeline, options, stats, runSpan);
    runSpan.end({
      ok: exit === ExitCode.ok || exit === ExitCode.deadLetters,
      errorType: exit === ExitCode.ok ? undefined : exitName(exit),
      stats,
    });
    return exit;
  } catch (error) {
    runSpan.end({ ok: false, errorType: error instanceof SluiceError ? error.code : 'exception', stats });
    throw error;
  }
}

async function runBuiltJob(
  pipeline: PipelineConfig,
  options: RunOptions,
  stats: RunStats,
  runSpan: SpanHandle,
): Promise<number> {
  const job = await buildJob(pipeline, options, stats, runSpan.context);
  const running = startPipeline(job.parts, { graceMs: options.grace * 1000 });
  job.budget?.attach(running);
  // Every stop goes through running.stop with its typed reason (core/stop-reason.ts says who stops and why). An
  // exhausted quota stops reading; the calls in flight drain (paid for), then the stop is reported (exit 4).
  job.gate.onJobStop((stop) => running.stop({ kind: 'job_stop', stop }));

  let signalled: keyof typeof SIGNAL_EXIT | undefined;
  const onSignal = (signal: keyof typeof SIGNAL_EXIT) => {
    if (signalled) process.exit(SIGNAL_EXIT[signal]); // second signal: at once (sinks only ever write whole lines)
    signalled = signal;
    process.stderr.write(
      `\nsluice: ${signal}: stopping — finishing ${stats.inFlight} in-flight calls (grace ${options.grace}s); send it again to exit now\n`,
    );
    running.stop({ kind: 'signal', signal });
  };
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT).on('SIGTERM', handlers.SIGTERM);
  const lineCount =
    options.progress && isPlainFile(options, pipeline) ? countLinesInBackground(options.input) : undefined;
  const progress = options.progress
    ? startProgress({
        stats,
        stream: process.stderr,
        total: lineCount?.total,
        intervalMs: options.progressInterval === undefined ? undefined : options.progressInterval * 1000,
      })
    : undefined;

  let exit: number | undefined;
  let stopNote: string | undefined;
  try {
    await running.done;
    ({ exit, stopNote } = outcomeOfStop(reportedStop(running, job), {
      graceExpired: false,
      resume: job.describe.resume,
    }));
  } catch (error) {
    // A stop whose grace period ran out aborted the calls in flight: expected and resumable, the stop is the outcome.
    if (running.stopReason && isAbort(error))
      ({ exit, stopNote } = outcomeOfStop(reportedStop(running, job), {
        graceExpired: true,
        resume: job.describe.resume,
      }));
    else ({ exit, stopNote } = outcomeOfFailure(error, job.describe.resume));
  } finally {
    progress?.stop();
    lineCount?.cancel();
    process.off('SIGINT', handlers.SIGINT).off('SIGTERM', handlers.SIGTERM);
    await job.close();
  }

  const summary = summarize(stats, stopNote ?? signalled);
  process.stderr.write(`${formatSummary(summary, job.describe)}\n`);
  const budget = job.budget?.guard.report();
  if (options.summaryJson) await writeSummaryJson(options.summaryJson, budget ? { ...summary, budget } : summary);
  return exit ?? finishedExitCode(summary);
}

/** The summary file is a report: failing to write it (the same full disk) is said, and does not change the exit code. */
async function writeSummaryJson(path: string, summary: object): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(summary, null, 2)}\n`);
  } catch (error) {
    process.stderr.write(
      `sluice: --summary-json: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`,
    );
  }
}

type Outcome = { exit?: number; stopNote?: string };

/**
 * The stop to report once the pipeline ended. A tripped budget or an exhausted quota lets the paid answers drain and
 * leaves the records whose call had not started unfinished (budget/job-budget.ts, core/admission-gate.ts): a
 * resumable stop, reported over a signal that came first, since it says why the rest cannot be done now.
 */
function reportedStop(running: RunningPipeline, job: Job): StopReason | undefined {
  if (job.gate.jobStop) return { kind: 'job_stop', stop: job.gate.jobStop };
  if (job.budget?.guard.tripped) return { kind: 'job_stop', stop: job.budget.stopError() };
  return running.stopReason;
}

/** How a stopped job ended: the exit code follows from the typed reason (core/stop-reason.ts `stopExitCode`). */
function outcomeOfStop(reason: StopReason | undefined, how: { graceExpired: boolean; resume: ResumeMode }): Outcome {
  if (!reason) return {};
  if (reason.kind === 'job_stop') return reportJobStop(reason.stop, how.resume);
  const label = describeStop(reason);
  return {
    exit: stopExitCode(reason),
    stopNote: how.graceExpired ? `${label}, in-flight calls cancelled after the grace period` : label,
  };
}

/** Says why the job stopped and how to complete it. */
function reportJobStop(stop: JobStop, resume: ResumeMode): Outcome {
  // Only a resumable job may be promised that nothing is lost (report/resume-hint.ts). A pipeline that does not
  // fit its input (exit 2) is fixed first: its message says how, and the same command would stop again.
  const next =
    stop.exitCode === ExitCode.usage
      ? ''
      : `sluice: ${resume === 'none' ? resumeHint(resume) : `nothing is lost: ${resumeHint(resume)}`}\n`;
  process.stderr.write(`sluice: ${stop.message}\n${next}`);
  return { exit: stopExitCode({ kind: 'job_stop', stop }), stopNote: stop.code };
}

/** Maps why the pipeline rejected (other than a stop's grace running out) to an exit code; rethrows a real crash. */
function outcomeOfFailure(error: unknown, resume: ResumeMode): Outcome {
  if (error instanceof JobStop) return reportJobStop(error, resume);
  if (error instanceof SluiceError && error.code === 'broken_pipe')
    return { exit: ExitCode.ok, stopNote: 'stdout closed by the reader' };
  // The output or dead-letter file could not be written (a full disk): what was written stands, whole lines only;
  // the summary says what is done and how to resume once the cause is fixed.
  if (error instanceof SluiceError && error.code === 'write_failed') {
    process.stderr.write(`sluice: ${error.message}\n`);
    return { exit: ExitCode.fatal, stopNote: 'write_failed' };
  }
  throw error;
}

/** A JSON Lines input file (not stdin, Kafka or a replay): its line count gives progress a total and an ETA. */
function isPlainFile(options: RunOptions, pipeline: PipelineConfig): boolean {
  return !options.replayFrom && pipeline.input.format === 'jsonl' && parseInput(options.input).kind === 'file';
}

/** `dead_letters`, `sigint`, … — the ExitCode key, as the run span's error.type. */
function exitName(exit: number): string {
  return Object.entries(ExitCode).find(([, code]) => code === exit)?.[0] ?? `exit_${exit}`;
}

/** The pipeline aborted: its grace period ran out (GraceExpired, by type), or a stage reported the abort as Node does. */
function isAbort(error: unknown): boolean {
  return error instanceof GraceExpired || (error instanceof Error && error.name === 'AbortError');
}
