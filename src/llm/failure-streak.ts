import type { Classification } from './classify-error.ts';

/**
 * Failures that say the endpoint itself is wrong, whatever the record: it refuses the key (401, 403) or does not
 * know the model or path (404). A 400 is left out: it can be the record's own fault (a prompt past the context
 * length).
 */
const ENDPOINT_REASONS: ReadonlySet<Classification['reason']> = new Set(['unauthorized', 'forbidden', 'not_found']);
/**
 * A network failure that names an unknown host or a refused connection, counted only until the job's first
 * success: before it, that most likely means a wrong base URL; after it, the URL is proven. Other network
 * failures (the class also takes in resets that surface as "Connection error.", and any error without a status)
 * are never counted: a blip must not stop a job — a Kafka consumer would exit.
 */
const UNREACHABLE = /\b(ENOTFOUND|EAI_NONAME|ECONNREFUSED)\b/;

/**
 * An attempt that failed at the endpoint whatever its record: the key refused, the model or path unknown, the
 * host unknown or refusing connections. Such a failure says nothing about the record, so `--resume` does a record
 * dead-lettered for it again (resume/previous-run.ts).
 */
export function failedAtEndpoint(reason: string | undefined, message = ''): boolean {
  if (reason === 'network') return UNREACHABLE.test(message);
  return reason !== undefined && (ENDPOINT_REASONS as ReadonlySet<string>).has(reason);
}

/** Consecutive endpoint failures that stop a job by default: well past chance on any endpoint that works. */
export const DEFAULT_ENDPOINT_FAILURE_STREAK = 20;

/**
 * Counts consecutive attempts that failed at the endpoint, across the whole job (an unreachable host only until
 * the first success); any success resets it, other failures leave it as it is. Without it, a typo in `model.baseUrl`, a revoked key or a wrong model name
 * dead-lettered every record of the input, one after another (a DNS failure: `retry_budget_exhausted` for all);
 * with it the job stops after `threshold` such attempts in a row, resumably (llm/execute-call → gate.stopJob).
 */
export class FailureStreak {
  readonly threshold: number;
  #streak = 0;
  #succeeded = false;

  constructor(threshold = DEFAULT_ENDPOINT_FAILURE_STREAK) {
    this.threshold = threshold;
  }

  success(): void {
    this.#streak = 0;
    this.#succeeded = true;
  }

  /** Records a failed attempt (its class and error text); true once the streak reached the threshold. */
  failure(reason: Classification['reason'], message = ''): boolean {
    // An unknown host or a refused connection counts only before the first success (see UNREACHABLE).
    if (failedAtEndpoint(reason, message) && (reason !== 'network' || !this.#succeeded)) this.#streak++;
    return this.#streak >= this.threshold;
  }
}
