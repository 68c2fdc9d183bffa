import type { LimitSample } from './limit.ts';

/** What one loss does to the limit. */
export interface LossDecision {
  /** Calls in flight the decrease is taken from: min(limit, in-flight). */
  readonly from: number;
  /** True for an immediate refusal at the door (see isRefusal): it marks a capacity. */
  readonly refusal: boolean;
}

/**
 * When a congestion loss (429, overloaded 503, timeout) shrinks the limit:
 * - losses are counted as a moving share of outcomes (weight 1/window, about one round trip of samples); while
 *   that share stays within the tolerance a loss is random and changes nothing — a flaky provider's rare
 *   "overloaded" 503s and timeouts are not load, while exceeding a capacity rejects a burst of calls at once;
 * - `strong` losses (a timeout while the pool's calls take a sizeable part of the deadline) skip that tolerance;
 * - one decrease per congestion event: losses within one round trip of the lost call belong to the same
 *   overshoot. A fast rejection has a short round trip, so persistent rejections keep shrinking the limit quickly;
 *   a server error with only a Retry-After (a brownout's fast "overloaded" 503s) waits a successful round trip,
 *   since decreasing per fast answer collapsed the limit in a second.
 */
export class LossPolicy {
  readonly #tolerance: number;
  #share = 0;
  #roundTripMs = 0;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;

  constructor(tolerance: number) {
    this.#tolerance = tolerance;
  }

  /** Latency of the last successful call: one round trip. */
  get roundTripMs(): number {
    return this.#roundTripMs;
  }

  /** Counts one outcome (success or loss) into the moving loss share. */
  record(sample: LimitSample, windowSize: number): void {
    this.#share += (1 / windowSize) * ((sample.dropped ? 1 : 0) - this.#share);
    if (!sample.dropped) this.#roundTripMs = sample.latencyMs;
  }

  /** Whether this loss (already recorded) decreases the limit now, and from how many calls. */
  decide(sample: LimitSample, limit: number, strong: boolean): LossDecision | undefined {
    if (!strong && this.#share <= this.#tolerance) return undefined;
    const hintOnly = sample.retryHint === true && sample.rateLimited !== true;
    const spacing = hintOnly ? this.#roundTripMs : Math.min(this.#roundTripMs, Math.max(1, sample.latencyMs));
    if (sample.now - this.#lastDecreaseAt < spacing) return undefined;
    this.#lastDecreaseAt = sample.now;
    return { from: Math.min(limit, sample.inFlight), refusal: isRefusal(sample, this.#roundTripMs) };
  }
}

/**
 * A capacity refusal: the server turned the call away at the door (TGI's immediate 429 "overloaded", a 503 above
 * an admission cap) — answered in well under a round trip, with no rate headers and no Retry-After. Only these
 * set the threshold. A timeout or a slow failure says the server is slow, which the latency gradient and the
 * queue detector already measure; remembering it as a capacity kept a flaky server's pool small for minutes
 * after each brownout. A loss the server explained (rate headers, a Retry-After) says when to come back, not what
 * its capacity is.
 */
function isRefusal(sample: LimitSample, roundTripMs: number): boolean {
  return (
    sample.timedOut !== true &&
    sample.rateLimited !== true &&
    sample.retryHint !== true &&
    sample.latencyMs < roundTripMs / 4
  );
}
