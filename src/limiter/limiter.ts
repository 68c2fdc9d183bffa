/**
 * The limiter port: admission of model calls. Only the limiter waits (docs/architecture.md, house rule 5); limit algorithms
 * are pure math fed with the outcomes reported at release.
 *
 * Contract:
 * - `acquire` resolves with a permit once the call may start: in-flight is below the limit, no pool-wide pause
 *   is active, and the rate budget (requests and tokens, when known from headers) allows the call's cost.
 *   It rejects with the signal's reason when `signal` aborts while waiting; no permit is then held.
 * - Every permit is released exactly once, before any retry backoff, with the outcome of its call.
 * - Nothing acquires while holding a permit.
 */

/** What one call will be charged, the way providers charge at admission: 1 request, prompt estimate + max_tokens. */
export interface CallCost {
  readonly requests: number;
  readonly tokens: number;
}

/** One rate-limit bucket as a response announces it (`x-ratelimit-*-requests` or `-tokens`). */
export interface RateBucketHeaders {
  /** The bucket's refill per minute (`x-ratelimit-limit-*`). */
  readonly limitPerMinute: number;
  /** What the bucket holds as the answer leaves (`x-ratelimit-remaining-*`). */
  readonly remaining: number;
  /** Time until the bucket is full again (`x-ratelimit-reset-*`), ms. */
  readonly resetMs?: number;
}

/** What a response's headers say about the provider's limits (read by llm/provider-headers, the one reader). */
export interface RateHeaders {
  readonly requests?: RateBucketHeaders;
  readonly tokens?: RateBucketHeaders;
  /** The server's `retry-after(-ms)`: when to come back. */
  readonly retryAfterMs?: number;
}

/** How a call ended, as far as congestion control is concerned (classified by llm/classify-error). */
export type CallOutcome =
  /** The call completed; latency and output size feed latency-based algorithms. */
  | {
      readonly kind: 'success';
      readonly latencyMs: number;
      readonly outputTokens: number;
      readonly rate?: RateHeaders;
      /** The server's own time for the call, when it says: the rest of `latencyMs` waited in its queue. */
      readonly serverMs?: number;
    }
  /**
   * 429 rate limit, 503 overloaded, or timeout: the system is congested — a loss signal. `timedOut`: the call
   * was given up after the attempt deadline (`latencyMs` is then the deadline), not refused.
   */
  | {
      readonly kind: 'congestion';
      readonly latencyMs: number;
      readonly rate?: RateHeaders;
      readonly timedOut?: boolean;
    }
  /** Random 5xx, connection reset, 4xx, abort: says nothing about congestion; the limit does not change. */
  | { readonly kind: 'ignore'; readonly rate?: RateHeaders };

export interface AcquireOptions {
  /**
   * A retry after congestion (429, overloaded, timeout): it waits ahead of first attempts (FIFO among retries).
   * llm-map keeps up to maxLimit records waiting; at the back of that queue a rejected record would wait for all
   * of them again. Retries after random errors do not ask for it: the queue's wait spreads their attempts past a
   * brownout, where retries first can spend all of a record's attempts inside one.
   */
  readonly retry?: boolean;
}

export interface Permit {
  release(outcome: CallOutcome): void;
}

export interface Limiter {
  acquire(cost: CallCost, signal: AbortSignal, options?: AcquireOptions): Promise<Permit>;
  /** Holds every new admission until `untilEpochMs` (a 429's retry hint pauses the whole pool, not one call). */
  pauseUntil(untilEpochMs: number): void;
  /** Current in-flight limit (for progress, spans and metrics). */
  readonly limit: number;
  /** Permits currently held. */
  readonly inFlight: number;
  /** Upper bound the limit will never exceed: llm-map sizes its read-ahead window from it. */
  readonly maxLimit: number;
}
