/**
 * Retries of the Batch API's control requests (upload, create, poll, list, cancel, download). These are not model
 * calls — they carry no record and no limiter permit — but their failures mean the same things, so they are
 * classified where every failure is (llm/classify-error): a rate limit, overload, timeout, 5xx or reset is retried
 * after the server's hint or full-jitter exponential backoff (1 s doubling, at most 60 s, up to 8 attempts); anything
 * else is the job's end, said in one line: a refused key or a missing endpoint (exit 6: fix it, then --resume), an
 * exhausted quota (exit 4), other answers (exit 1).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, JobStop, SluiceError } from '../core/errors.ts';
import { classifyError } from '../llm/classify-error.ts';

export interface ApiRetryOptions {
  readonly signal: AbortSignal;
  readonly maxAttempts?: number;
  /** A line on stderr per retry (the request and why). */
  readonly log?: (line: string) => void;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60_000;

/** Runs `attempt` until it succeeds, fails for good, or the signal aborts (rethrown as is). */
export async function withApiRetry<T>(what: string, attempt: () => Promise<T>, options: ApiRetryOptions): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? ((ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }));
  for (let n = 1; ; n++) {
    options.signal.throwIfAborted();
    try {
      return await attempt();
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason;
      const classification = classifyError(error);
      const message = error instanceof Error ? error.message : String(error);
      if (classification.stopJob)
        throw new JobStop(
          'quota_exhausted',
          `${what}: the provider reports the quota is exhausted (${message}); fix billing, then resume the job`,
        );
      if (!classification.retry || n >= maxAttempts) throw refusal(what, classification.reason, message, n);
      const backoff = Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (n - 1)));
      const delay = Math.max(backoff, classification.retryAfterMs ?? 0);
      options.log?.(
        `sluice: ${what}: ${classification.reason} (${message}); retrying in ${(delay / 1000).toFixed(1)}s`,
      );
      await wait(delay, options.signal);
    }
  }
}

function refusal(what: string, reason: string, message: string, attempts: number): SluiceError {
  if (reason === 'unauthorized' || reason === 'forbidden') {
    return new SluiceError(
      'endpoint_failing',
      `${what}: the key was refused (${message}); check the API key, then resume with --resume`,
      ExitCode.endpointFailing,
    );
  }
  // A 404 on the collections themselves (not on one file or batch): the endpoint does not implement them.
  if (reason === 'not_found' && /^POST \/(files|batches)(?!\/)/.test(what)) {
    return new SluiceError(
      'endpoint_failing',
      `${what}: the endpoint has no Batch API (${message}); use --mode online, or check the base URL, then resume with --resume`,
      ExitCode.endpointFailing,
    );
  }
  if (reason === 'network') {
    return new SluiceError(
      'endpoint_failing',
      `${what}: the endpoint cannot be reached (${message}); check the base URL, then resume with --resume`,
      ExitCode.endpointFailing,
    );
  }
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new SluiceError(
    'batch_api_failed',
    `${what} failed${tries}: ${message}; resume with --resume`,
    ExitCode.fatal,
  );
}
