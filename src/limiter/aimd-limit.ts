import { clamp, type Limit, type LimitSample } from './limit.ts';

export interface AimdOptions {
  readonly initialLimit?: number;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  /** Multiplier applied on a loss (TCP Reno uses 0.5; Netflix AIMDLimit 0.9). */
  readonly backoffRatio?: number;
  /** Limit growth per window of `limit` successes (TCP congestion avoidance: +1 per round trip). */
  readonly increasePerWindow?: number;
}

/**
 * Additive increase, multiplicative decrease (Jacobson 1988; Netflix concurrency-limits AIMDLimit).
 *
 * - Success while the pool is used (in-flight ≥ limit/2): limit += increasePerWindow / limit, i.e. about
 *   +increasePerWindow per round trip of a full pool. No growth when in-flight is far below the limit
 *   (an application-limited pool says nothing about the server's capacity).
 * - Loss: limit ×= backoffRatio, at most once per round trip (the last success latency): a burst of 429s
 *   answering one overshoot is one congestion event, not fifty — otherwise the limit collapses to the floor.
 * - Always within [minLimit, maxLimit].
 */
export class AimdLimit implements Limit {
  #limit: number;
  readonly #min: number;
  readonly #max: number;
  readonly #backoff: number;
  readonly #increase: number;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #roundTripMs = 0;

  constructor(options: AimdOptions = {}) {
    this.#min = options.minLimit ?? 1;
    this.#max = options.maxLimit ?? 1000;
    this.#limit = clamp(options.initialLimit ?? 10, this.#min, this.#max);
    this.#backoff = options.backoffRatio ?? 0.9;
    this.#increase = options.increasePerWindow ?? 1;
  }

  get limit(): number {
    return this.#limit;
  }

  update(sample: LimitSample): number {
    if (sample.dropped) {
      if (sample.now - this.#lastDecreaseAt >= this.#roundTripMs) {
        this.#limit = clamp(this.#limit * this.#backoff, this.#min, this.#max);
        this.#lastDecreaseAt = sample.now;
      }
      return this.#limit;
    }
    this.#roundTripMs = sample.latencyMs;
    if (sample.inFlight * 2 >= this.#limit) {
      this.#limit = clamp(this.#limit + this.#increase / this.#limit, this.#min, this.#max);
    }
    return this.#limit;
  }
}
