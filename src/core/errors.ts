/**
 * Stream-level errors (a broken sink, a bad config, an exhausted quota) — the ones that stop the pipeline.
 * Record-level failures are data (`Envelope.failure`), never exceptions: see docs/architecture.md (house rule 2).
 */

/** The process exit codes the CLI documents in README.md. */
export const ExitCode = {
  ok: 0,
  /** Unexpected failure: a broken sink, a crash. */
  fatal: 1,
  /** Bad command line or pipeline file; nothing was processed. */
  usage: 2,
  /** The job finished, but some records went to the dead-letter sink. */
  deadLetters: 3,
  /** The provider says the quota is exhausted; resumable with --resume. */
  quotaExhausted: 4,
  /** --budget-usd reached; resumable with --resume. */
  budgetReached: 5,
  /** Every recent call failed at the endpoint (unreachable, key refused, unknown model); fix it, then resume. */
  endpointFailing: 6,
  /** `--mode batch`: the job's batches were cancelled (`sluice batch cancel`); --resume submits what they left. */
  batchCancelled: 7,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the job with a specific exit code and a message meant for the user. */
export class SluiceError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode = ExitCode.fatal, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Invalid pipeline file or stage options; the message names the path (`model.timeoutMs must be ...`). */
export class ConfigError extends SluiceError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('invalid_config', path ? `${path}: ${message}` : message, ExitCode.usage);
    this.name = 'ConfigError';
    this.path = path;
  }
}

const JOB_STOP_EXIT = {
  quota_exhausted: ExitCode.quotaExhausted,
  budget_reached: ExitCode.budgetReached,
  endpoint_failing: ExitCode.endpointFailing,
  /** The first records all lack a field the prompt uses: the pipeline does not fit the input (llm/missing-field-watch). */
  missing_field: ExitCode.usage,
} as const;

/** The job must stop now, cleanly, and can be resumed later (quota exhausted, budget reached, endpoint failing, …). */
export class JobStop extends SluiceError {
  constructor(code: keyof typeof JOB_STOP_EXIT, message: string) {
    super(code, message, JOB_STOP_EXIT[code]);
    this.name = 'JobStop';
  }
}
