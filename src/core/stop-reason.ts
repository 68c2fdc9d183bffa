/**
 * Why a job stops, as one typed value, and the exit code that follows from it. The one stop path:
 *
 * - who stops: the CLI's signal handlers (cli/run-job.ts, batch/run-batch-job.ts) with `signal`; a model call that
 *   learns the job must stop — quota exhausted (llm/execute-call), endpoint failing (llm/failure-streak), a prompt
 *   field no record has (llm/missing-field-watch) — hands its JobStop to the admission gate (core/admission-gate
 *   `stopJob`), whose listener stops the job with `job_stop`; the budget guard (budget/job-budget.ts) with `budget`;
 *   batch mode, when the job's batches were cancelled (batch/batch-loop.ts), with `cancelled`.
 * - how: `RunningPipeline.stop(reason)` (core/run-pipeline.ts; batch mode through batch/stop-control.ts): reading
 *   stops, the admission gate closes (records whose call had not started are left for a resume:
 *   stages/drop-not-started.ts), calls in flight drain. If they outlast the grace period, the pipeline aborts with
 *   `GraceExpired`, which carries the reason and is recognised by type, never by its message.
 * - the exit code: `stopExitCode(reason)`. cli/run-job.ts reports a job stop (or a tripped budget) over a signal
 *   that came first, since it says why the rest cannot be done now; batch mode reports the first reason.
 */
import type { JobStop } from './errors.ts';
import { ExitCode } from './errors.ts';

export type StopReason =
  | { readonly kind: 'signal'; readonly signal: 'SIGINT' | 'SIGTERM' }
  | { readonly kind: 'job_stop'; readonly stop: JobStop }
  | { readonly kind: 'budget' }
  | { readonly kind: 'cancelled' };

/** The reason's short label: the summary's "stopped (…)" and the admission gate's close reason. */
export function describeStop(reason: StopReason): string {
  switch (reason.kind) {
    case 'signal':
      return reason.signal;
    case 'job_stop':
      return reason.stop.code;
    case 'budget':
      return 'budget reached';
    case 'cancelled':
      return 'batches cancelled';
  }
}

/** The documented exit code of a job that ended by this stop (README "Exit codes"). */
export function stopExitCode(reason: StopReason): ExitCode {
  switch (reason.kind) {
    case 'signal':
      return reason.signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm;
    case 'job_stop':
      return reason.stop.exitCode;
    case 'budget':
      return ExitCode.budgetReached;
    case 'cancelled':
      return ExitCode.batchCancelled;
  }
}

/** The pipeline's abort reason when a stop's calls in flight outlast the grace period: they are cancelled, unwritten. */
export class GraceExpired extends Error {
  readonly reason: StopReason;
  constructor(reason: StopReason) {
    super(`${describeStop(reason)}: grace period over`);
    this.name = 'GraceExpired';
    this.reason = reason;
  }
}
