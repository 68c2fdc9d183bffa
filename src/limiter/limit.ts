/**
 * Limit algorithms (Netflix concurrency-limits style): pure math fed with one sample per finished call; they
 * never wait and never read a clock — time arrives in the sample. The admission limiter asks for the new limit.
 */

export interface LimitSample {
  /** When the call finished, epoch ms (from the limiter's clock). */
  readonly now: number;
  /** Model latency of the call, ms. */
  readonly latencyMs: number;
  /** Output tokens of a successful call, when known (size-normalises latency). */
  readonly outputTokens?: number;
  /** Calls in flight when this one finished, itself included. */
  readonly inFlight: number;
  /**
   * Calls in flight right after this one was admitted, itself included: the load its latency was measured under.
   * After a limit change the calls finishing first were admitted under the old limit. Defaults to `inFlight`.
   */
  readonly admittedInFlight?: number;
  /** Of `latencyMs`, the time the call waited in the server's own queue, when the server says (llama.cpp does). */
  readonly queuedMs?: number;
  /** True for a congestion loss (429, overloaded 503, timeout); random errors are never samples. */
  readonly dropped: boolean;
  /**
   * A loss the provider explained with rate-limit headers: the rate pacer re-syncs on it, so it says the rate
   * was exceeded, not that the server ran out of capacity at this in-flight count.
   */
  readonly rateLimited?: boolean;
  /** A loss that came with a Retry-After hint: the server says when to come back, not what its capacity is. */
  readonly retryHint?: boolean;
  /** A loss that was a timeout: the call was given up at the attempt deadline (`latencyMs` is the deadline). */
  readonly timedOut?: boolean;
}

export interface Limit {
  /** Current limit (≥ 1; may be fractional — admission uses its floor). */
  readonly limit: number;
  /** Feeds one sample and returns the new limit. */
  update(sample: LimitSample): number;
  /**
   * An outside estimate of what the pool can use (the rate pacer's Little's-law cap, once rate headers are
   * known). An algorithm still probing upward (slow start) may jump there at once instead of doubling per round
   * trip; latency and losses keep governing it afterwards. Optional: fixed and loss-only algorithms ignore it.
   */
  suggest?(limit: number): void;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** A limit that never moves (the `fixed` algorithm, and `best-fixed` in the bench). */
export class FixedLimit implements Limit {
  readonly limit: number;
  constructor(limit: number) {
    if (!(limit >= 1)) throw new RangeError(`fixed limit must be ≥ 1, got ${limit}`);
    this.limit = limit;
  }
  update(_sample: LimitSample): number {
    return this.limit;
  }
}
