import { clamp } from './limit.ts';

/**
 * Growth above the threshold closes half the gap (at least +1) per window to the largest in-flight count the
 * capacity accepted — one below the refused count — holds there for this many windows, then probes +1 per window.
 * A hard admission cap refuses again one slot past it, so probing at once cycles through refusal, ×0.9 and back
 * every few windows. The hold is CUBIC's plateau around W_max (RFC 9438); past it the probe still finds capacity
 * that came free.
 */
const PROBE_HOLD_WINDOWS = 8;

/**
 * TCP's ssthresh for a capacity that refuses calls at the door (RFC 5681), with CUBIC's concave approach,
 * plateau and probing above it (RFC 9438): remembers the in-flight count the last capacity refusal happened at
 * and the latency ratio of the window before it.
 */
export class CapacityThreshold {
  readonly #min: number;
  readonly #max: number;
  readonly #backoff: number;
  /** In-flight count at the last capacity refusal (CUBIC's W_max). */
  #refusedAt = Number.POSITIVE_INFINITY;
  #refusalRatio = 1;
  /** Growing windows spent at the largest accepted in-flight count since the pool last reached it. */
  #held = 0;

  constructor(options: { minLimit: number; maxLimit: number; backoffRatio: number }) {
    this.#min = options.minLimit;
    this.#max = options.maxLimit;
    this.#backoff = options.backoffRatio;
  }

  /** The limit the last capacity refusal left (infinite before any). */
  get value(): number {
    return Number.isFinite(this.#refusedAt)
      ? clamp(this.#refusedAt * this.#backoff, this.#min, this.#max)
      : Number.POSITIVE_INFINITY;
  }

  /** The latency ratio measured in the window before the last refusal: an operating point known to be fine. */
  get refusalRatio(): number {
    return this.#refusalRatio;
  }

  /** The capacity refused a call with `refused` calls in flight; `ratio` is the last window's latency ratio. */
  refused(refused: number, ratio: number): void {
    this.#refusedAt = refused;
    this.#refusalRatio = ratio;
  }

  /**
   * The most the limit may grow to this window above the threshold: half-way to the largest accepted in-flight
   * count (at least +1, not past it), then the same limit for PROBE_HOLD_WINDOWS windows, then +1 per window.
   * Called once per growing window; counts the windows held.
   */
  probeCeiling(limit: number): number {
    const accepted = this.#refusedAt - 1;
    if (limit < accepted) {
      this.#held = 0;
      return Math.min(accepted, limit + Math.max(1, (accepted - limit) / 2));
    }
    this.#held++;
    return this.#held > PROBE_HOLD_WINDOWS ? limit + 1 : limit;
  }
}
