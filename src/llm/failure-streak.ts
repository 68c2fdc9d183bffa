import type { Classification } from './classify-error.ts';

/**
 * Failures that say the endpoint itself is wrong, whatever the record: it cannot be reached (DNS, refused,
 * connect timeout), it refuses the key (401, 403), or it does not know the model or path (404). A 400 is left out:
 * it can be the record's own fault (a prompt past the context length).
 */
const ENDPOINT_REASONS: ReadonlySet<Classification['reason']> = new Set(['network', 'unauthorized', 'forbidden', 'not_found']);

/** Consecutive endpoint failures that stop a job by default: well past chance on any endpoint that works. */
export const DEFAULT_ENDPOINT_FAILURE_STREAK = 20;

/**
 * Counts consecutive attempts that failed at the endpoint, across the whole job; any success resets it, other
 * failures leave it as it is. Without it, a typo in `model.baseUrl`, a revoked key or a wrong model name
 * dead-lettered every record of the input, one after another (a DNS failure: `retry_budget_exhausted` for all);
 * with it the job stops after `threshold` such attempts in a row, resumably (llm/execute-call → gate.stopJob).
 */
export class FailureStreak {
  readonly threshold: number;
  #streak = 0;

  constructor(threshold = DEFAULT_ENDPOINT_FAILURE_STREAK) {
    this.threshold = threshold;
  }

  success(): void {
    this.#streak = 0;
  }

  /** Records a failed attempt; true once the streak of endpoint failures reached the threshold. */
  failure(reason: Classification['reason']): boolean {
    if (ENDPOINT_REASONS.has(reason)) this.#streak++;
    return this.#streak >= this.threshold;
  }
}
