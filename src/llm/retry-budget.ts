/**
 * The job-wide retry budget (a token bucket in the style of gRPC's retry throttling and Finagle's RetryBudget):
 * every first attempt deposits `ratio` tokens, every retry withdraws one. Retries therefore stay a bounded fraction
 * of requests, so a brownout cannot multiply the load by `maxAttempts`. A small `floor` of retries is always
 * allowed on top, so that short jobs (10 records against a flaky endpoint) still get their retries.
 *
 * Pure and synchronous: one instance per job, passed in deps, shared by every llm-map call.
 */
export interface RetryBudget {
  /** Records a first attempt (deposits `ratio`). */
  recordRequest(): void;
  /** Withdraws one retry; false when the budget is empty (the caller gives up: `retry_budget_exhausted`). */
  tryRetry(): boolean;
  /** Retries currently affordable (for stats and tests). */
  readonly available: number;
}

export interface RetryBudgetOptions {
  /** Retries allowed per first attempt (pipeline `retries.budgetRatio`, default 0.2). */
  readonly ratio: number;
  /** Retries always allowed regardless of the ratio. */
  readonly floor?: number;
}

export const DEFAULT_RETRY_FLOOR = 10;

export function createRetryBudget(options: RetryBudgetOptions): RetryBudget {
  const ratio = options.ratio;
  const floor = options.floor ?? DEFAULT_RETRY_FLOOR;
  let deposited = 0;
  let spent = 0;
  return {
    recordRequest() {
      deposited += ratio;
    },
    tryRetry() {
      if (spent + 1 > floor + deposited + 1e-9) return false;
      spent++;
      return true;
    },
    get available() {
      return Math.max(0, Math.floor(floor + deposited + 1e-9 - spent));
    },
  };
}
