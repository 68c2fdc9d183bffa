import type { RetriesConfig } from '../config/pipeline-schema.ts';
import { JobStop } from '../core/errors.ts';
import type { Classification } from './classify-error.ts';

/**
 * What the retry layer does after a failed attempt: a pure decision over the attempt number, the classified
 * outcome and the job-wide state it is handed (as undici's RetryHandler separates the decision from the loop that
 * applies it). llm/execute-call applies it; test/unit/llm/retry-decision.test.ts holds it as a table.
 *
 * Order, first match wins:
 *   1. the provider says the quota is exhausted → stop the job (`quota_exhausted`, resumable);
 *   2. the endpoint has failed the last N calls in a row (llm/failure-streak, only with a job to stop) → stop the
 *      job (`endpoint_failing`);
 *   3. not retryable (400, 401, …) → dead letter, not retriable;
 *   4. the attempts are used up → dead letter, retriable (a later run may succeed);
 *   5. not congestion and the job-wide retry budget is empty → dead letter `retry_budget_exhausted`. Congestion
 *      retries (429, overloaded, timeout) are governed by the limiter, which shrinks and pauses the pool on them;
 *      the budget bounds the others (5xx, resets), which the limiter deliberately ignores. Charging rate limits to
 *      the budget dead-lettered records when several processes shared one provider limit;
 *   6. otherwise retry after `backoffMs`: a 429 rate limit with a hint pauses the whole pool until the hint and
 *      waits exactly that; everything else waits full-jitter exponential backoff
 *      `random · min(maxDelay, base · 2^(attempt−1))` (AWS Architecture Blog, "Exponential Backoff And Jitter",
 *      2015), never less than a Retry-After the server sent. Server hints are honoured in full, however long.
 */
export type RetryDecision =
  | { readonly kind: 'stop_job'; readonly stop: JobStop }
  | { readonly kind: 'dead_letter'; readonly reason: string; readonly retriable: boolean; readonly message: string }
  | { readonly kind: 'retry'; readonly backoffMs: number; readonly pausePool: boolean };

export interface FailedAttempt {
  /** 1-based number of the attempt that failed. */
  readonly attempt: number;
  readonly classification: Classification;
  /** The error's text (already free of secrets). */
  readonly message: string;
}

export interface RetryState {
  readonly retries: Pick<RetriesConfig, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>;
  /** The failure streak reached its threshold with this attempt (llm/failure-streak), and there is a job to stop. */
  readonly endpointFailing?: { readonly threshold: number };
  /** Takes one retry from the job-wide budget; false when it is empty. Asked only for a non-congestion retry. */
  readonly takeRetryBudget: () => boolean;
  /** Uniform random numbers in [0, 1) for the jitter (drawn only when a jittered backoff is chosen). */
  readonly random: () => number;
}

export function decideRetry(failed: FailedAttempt, state: RetryState): RetryDecision {
  const { attempt, classification, message } = failed;
  if (classification.stopJob) {
    return {
      kind: 'stop_job',
      stop: new JobStop(
        'quota_exhausted',
        `the provider reports the quota is exhausted (${message}); fix billing, then resume the job`,
      ),
    };
  }
  if (state.endpointFailing) {
    const text = `the last ${state.endpointFailing.threshold} model calls all failed at the endpoint (last: ${message}); check the base URL (model.baseUrl, OPENAI_BASE_URL), the API key and the model name, then resume the job`;
    return { kind: 'stop_job', stop: new JobStop('endpoint_failing', text) };
  }
  if (!classification.retry) return { kind: 'dead_letter', reason: classification.reason, retriable: false, message };
  if (attempt >= state.retries.maxAttempts)
    return {
      kind: 'dead_letter',
      reason: classification.reason,
      retriable: true,
      message: `gave up after ${attempt} attempts: ${message}`,
    };
  if (!classification.congestion && !state.takeRetryBudget()) {
    return {
      kind: 'dead_letter',
      reason: 'retry_budget_exhausted',
      retriable: true,
      message: `job-wide retry budget exhausted (last error: ${message})`,
    };
  }
  return { kind: 'retry', ...backoff(classification, attempt, state) };
}

function backoff(
  classification: Classification,
  attempt: number,
  state: RetryState,
): { backoffMs: number; pausePool: boolean } {
  const hint = classification.retryAfterMs;
  if (classification.reason === 'rate_limited' && hint !== undefined) return { backoffMs: hint, pausePool: true };
  const ceiling = Math.min(state.retries.maxDelayMs, state.retries.baseDelayMs * 2 ** (attempt - 1));
  return { backoffMs: Math.max(Math.floor(state.random() * ceiling), hint ?? 0), pausePool: false };
}
