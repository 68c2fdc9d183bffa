import { clamp, type Limit, type LimitSample } from './limit.ts';

/**
 * Slow start ends once the window latency has risen this fraction of the tolerance over the baseline window's.
 * Over the baseline, not the extrapolated no-load latency: measured from zero load, vllm-gpu's ratio passes
 * 0.6 × 2.5 = 1.5 at 17 in flight, a third of its knee, and some runs left slow start there — the damped gradient
 * then climbed from ≈ 30 to the knee in ≈ 10 round trips (one sluice-auto-only run: 0.95 overall, 0.99 steady;
 * with this, 0.97 / 1.00).
 */
const SLOW_START_EXIT = 0.6;
/**
 * Fast start: a slow-start window after the first one quadruples the limit while it is below 16 and latency has
 * not measurably moved (window latencies of an idle server differ by a few percent) — one round trip less on the
 * ramp. Not the first window: its calls open the connections, it runs slow, and the baseline is learnt from the
 * next one. Not above 16: there the window latency lags the load (calls admitted before the raise ran lighter)
 * and ×4 leapt past vllm-gpu's knee (measured: the pool settled at 60, steady 0.93·X*).
 */
const FAST_START_BELOW_LIMIT = 16;
const FAST_START_BELOW_RATIO = 1.2;
/**
 * A window is summarised by the mean of its samples, each capped at this multiple of the window's median.
 * The mean because throughput is n/E[L] (Little's law): past vllm-gpu's KV-cache knee, preempted requests restart
 * and take twice as long while the others do not slow down much — the median hid that loss and the pool settled
 * at 53–63 in flight (steady 0.96·X*, 2,700 items); the mean sees it: 43–51 (steady 0.98) in one run, 0.97 in the
 * full bench run. Capped because a flaky server's rare stragglers (Pareto, 8–120 s against a 1.2 s median) would
 * otherwise decide a window's mean alone.
 */
const STRAGGLER_CAP = 3;
/**
 * Recovery after a shrink: below the threshold, a window whose latency ratio is no more than this multiple of the
 * ratio measured when the capacity last refused us (an operating point known to be fine) doubles the limit, up to
 * the threshold, instead of following the damped gradient. Latency alone cannot tell a brownout (×3 latency at any
 * load) from congestion, so the pool shrinks during one; once latency is back where it was, the capacity that
 * refused us is still the capacity. Measured on flaky-tail (capacity 256): after a 5 s brownout the damped
 * gradient took ≈ 4 s to climb from ≈ 50 in flight to the threshold, then +1 per window took ≈ 16 s more; with
 * this and the halving growth above the threshold (PROBE_HOLD_WINDOWS), ≈ 2 s in all (steady goodput
 * 0.91 → 0.98·X* in sluice-auto-only runs).
 */
const RECOVERY_RATIO_SLACK = 1.1;
/**
 * Growth above the threshold closes half the gap (at least +1) per window to the largest in-flight count the
 * capacity accepted — one below the refused count — holds there for this many windows, then probes +1 per window.
 * A hard admission cap refuses again one slot past it, so probing at once made a cycle of four windows: refusal,
 * ×0.9, three windows back (capped-overload, cap 32: the pool ran 29.7–33.7, ≈ 30.7 in flight on average, 0.97·X*
 * steady, a refusal every ≈ 3 s; with the hold 0.99, one refusal every ≈ 10 s). The hold is CUBIC's plateau
 * around W_max (RFC 9438); past it the probe still finds capacity that came free.
 */
const PROBE_HOLD_WINDOWS = 8;
/**
 * The baseline is the smallest window latency, measured at a few calls in flight (the first windows run 4–8), not
 * at zero: on vllm-gpu that is 1.15–1.25× the no-load latency, and the tolerance, meant from zero load, stopped
 * the pool at 45 instead of the knee at 48–50. A window whose load is at least this many times the baseline
 * window's, and whose latency rose measurably, gives a slope (#slopeTo), and the no-load latency is extrapolated
 * along it — at each such window of slow start still below the slow-start exit ratio, so the last and longest line
 * decides, then kept: beyond, the load nears the knee, where latency leaves the line (a line to vllm-gpu's 67 in
 * flight put L0 8% low).
 */
const NO_LOAD_FROM_LOAD_RATIO = 2;
/**
 * The first window is the baseline only with at least this many samples. At the default initial limit it has 4,
 * admitted at 1–4 in flight while the connections open, and its mean latency per token scatters: 5.13–5.66 in six
 * vllm-gpu runs, against 5.33–5.40 for the second window (8 samples at ≈ 6 in flight). When it came out below the
 * second window it became the baseline, and the line through it to the third window (≈ 18 in flight) was too flat:
 * slow start jumped to 59–64 instead of ≈ 50, past the knee at 48, and one run then held 51–55 (0.95 / 0.98).
 * From the second window, three sluice-auto-only runs jumped to 50, 52 and 53 (0.97 / 1.00, 0.97 / 1.00,
 * 0.95 / 0.99).
 */
const BASELINE_MIN_SAMPLES = 8;
/**
 * The extrapolated no-load latency is at least this fraction of the baseline: a baseline window at up to
 * n½/3 in flight (11 on vllm-gpu) is at most 4/3 of the no-load latency, and a latency jump that merely coincides
 * with the load doubling (a brownout) cannot lower the reference — and raise every later ratio — by more.
 */
const NO_LOAD_FLOOR = 0.75;

export interface GradientOptions {
  readonly initialLimit?: number;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  /**
   * Accepted latency inflation over the no-load baseline before the limit stops growing. Default 2.5: on a
   * continuous-batching server, L(n) = L0·(1 + n/n½) (PROFILES.md, vLLM sweeps), so X(n) = n/L(n) has marginal
   * throughput dX/dn = X'(0)/(1 + n/n½)² = X'(0)/T² at latency ratio T. T = 2.5 stops where one more request in
   * flight buys less than 1/6.25 = 16% of what the first one did, i.e. at n = 1.5·n½ — past the knee n*=48 of
   * `vllm-gpu` (n½ = 33) the KV-cache restarts make latency climb much faster, so the limit stops just above it.
   */
  readonly tolerance?: number;
  /** Fraction of the way to the target taken per window (damps noise). */
  readonly smoothing?: number;
  /** Largest growth factor per window (slow-start cap). */
  readonly maxGrowth?: number;
  /** Smallest factor per window from the latency gradient. */
  readonly maxShrink?: number;
  /** Multiplier on a congestion loss (429, overloaded, timeout), at most once per round trip. */
  readonly backoffRatio?: number;
  /** A window holds max(minWindowSamples, ⌊limit⌋) samples: about one round trip of a full pool. */
  readonly minWindowSamples?: number;
  /**
   * Share of recent outcomes that may be congestion without shrinking the limit. Default 0.05: a flaky provider's
   * random "overloaded" 503s and rare timeouts (≈ 1% on PROFILES.md's flaky-tail, 0.1% on saas tiers) are not
   * load — shrinking on each of them held the pool far below the server's capacity — while exceeding a capacity
   * rejects a burst of calls at once (a cap overshot by a few slots already rejects > 5% of attempts).
   */
  readonly lossTolerance?: number;
}

/**
 * A gradient (Vegas-style) limit on size-normalised latency — in the spirit of Netflix concurrency-limits
 * Gradient2/Vegas, reduced to what an LLM server needs:
 *
 * - Each sample is normalised to latency per output token when the size is known (a 300-token answer is not
 *   congestion); a window of about one round trip is summarised by its straggler-capped mean (STRAGGLER_CAP).
 * - Reference = the no-load latency: the smallest window latency seen (the baseline, learnt at the small initial
 *   limit; not from a first window of fewer than BASELINE_MIN_SAMPLES samples), or, once a slow-start window at twice its load or more shows a measurable rise, the intercept of the
 *   line through the two windows (NO_LOAD_FROM_LOAD_RATIO).
 * - Per window, ratio r = window latency/reference and target = n̄·clamp(T/r, maxShrink, maxGrowth), n̄ = the
 *   mean in-flight count the window's calls were admitted under (the load r was measured at, a round trip behind
 *   the limit while it moves); limit += smoothing·(target − limit). At equilibrium r = T. Growth only when the
 *   pool was used (peak in-flight ≥ limit/2), so an idle or lightly loaded pool never grows nor shrinks (no
 *   samples, no change).
 *   Fixed point stability: with r ∝ 1 + n/n½ the map n ↦ n·T/r(n) has slope 1 − n/(n + n½) ∈ (0, 1).
 * - Slow start: until the first capacity refusal, and while the rise over the baseline window stays below 0.6·T
 *   (SLOW_START_EXIT), the limit doubles per window (quadruples below 16 after the first window while r < 1.2:
 *   see FAST_START_BELOW_LIMIT), but not past the load where the line through the baseline window and this one
 *   reaches T. `suggest(n)` (the pacer's Little's-law cap once rate headers are known) lifts a slow-starting
 *   limit to n at once: against a rate limit the headers say how much the pool can use, and doubling per round
 *   trip would only waste round trips; the gradient still shrinks it if latency rises (an endpoint both rate-
 *   and capacity-bound).
 * - Losses are counted as a moving share of outcomes (over about one round trip of samples); while that share
 *   stays within `lossTolerance` a loss is random and changes nothing. Beyond it, a congestion loss sets limit =
 *   min(limit, in-flight)·backoffRatio, at most once per round trip (in-flight, not the limit: when rejections
 *   come back fast the pool runs below its limit, and shrinking an unused limit changes nothing), and remembers it
 *   as a threshold (TCP's ssthresh, RFC 5681) along with the in-flight count that was refused. Below the threshold
 *   the limit grows as the gradient says, or doubles while latency is back at the refusal's level (see
 *   RECOVERY_RATIO_SLACK); above it, half the gap per window to one below the refused count (at least +1), a hold
 *   there, then +1 per window (CUBIC's concave, plateau and probing phases, RFC 9438; see PROBE_HOLD_WINDOWS —
 *   +1 per window straight from the threshold had held flaky-tail's pool at ≈ 0.95 of its 256-call capacity on
 *   average). Only an immediate refusal sets the threshold (see isRefusal); timeouts shrink without one. A loss
 *   the server explained (rate-limit headers, a Retry-After hint) shrinks but sets no threshold: it says when to
 *   come back, not that this in-flight count exceeded a capacity; one with only a Retry-After (a brownout's fast
 *   503s) shrinks at most once per successful round trip.
 */
export class GradientLimit implements Limit {
  #limit: number;
  readonly #min: number;
  readonly #max: number;
  readonly #tolerance: number;
  readonly #smoothing: number;
  readonly #maxGrowth: number;
  readonly #maxShrink: number;
  readonly #backoff: number;
  readonly #minWindow: number;
  #window: number[] = [];
  /** Sum over the window's samples of the in-flight count each was admitted under. */
  #windowLoad = 0;
  #windowPeakInFlight = 0;
  /** Smallest window latency seen, and the mean load (admitted in-flight) of that window. */
  #baseline = Number.POSITIVE_INFINITY;
  #baselineLoad = 0;
  /** The latency extrapolated to zero load (see NO_LOAD_FROM_LOAD_RATIO); undefined until estimated. */
  #noLoad: number | undefined;
  #lastRatio = 1;
  /** Latency of the last complete window over the baseline's: what slow start watches (see #inSlowStart). */
  #lastRise = 1;
  #roundTripMs = 0;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** In-flight count at the last capacity refusal (CUBIC's W_max), and the latency ratio of the window before it. */
  #refusedAt = Number.POSITIVE_INFINITY;
  #refusalRatio = 1;
  /** Growing windows spent at the largest accepted in-flight count since the pool last reached it. */
  #heldWindows = 0;
  /** Slow-start windows closed so far. */
  #windows = 0;
  /** Whether any window has closed yet (the first may be too small to be a baseline: BASELINE_MIN_SAMPLES). */
  #anyWindowClosed = false;
  readonly #lossTolerance: number;
  /** Moving share of congestion among recent outcomes (weight 1/window per sample). */
  #lossShare = 0;

  constructor(options: GradientOptions = {}) {
    this.#min = options.minLimit ?? 1;
    this.#max = options.maxLimit ?? 1000;
    this.#limit = clamp(options.initialLimit ?? 4, this.#min, this.#max);
    this.#tolerance = options.tolerance ?? 2.5;
    this.#smoothing = options.smoothing ?? 0.5;
    this.#maxGrowth = options.maxGrowth ?? 2;
    this.#maxShrink = options.maxShrink ?? 0.5;
    this.#backoff = options.backoffRatio ?? 0.9;
    this.#minWindow = options.minWindowSamples ?? 4;
    this.#lossTolerance = options.lossTolerance ?? 0.05;
  }

  get limit(): number {
    return this.#limit;
  }

  /** The learnt no-load latency (ms, or ms per output token), for snapshots. */
  get baseline(): number | undefined {
    const reference = this.#reference();
    return Number.isFinite(reference) ? reference : undefined;
  }

  /** Latency ratio of the last complete window. */
  get lastRatio(): number {
    return this.#lastRatio;
  }

  suggest(limit: number): void {
    if (this.#inSlowStart() && limit > this.#limit) this.#limit = clamp(limit, this.#min, this.#max);
  }

  update(sample: LimitSample): number {
    const weight = 1 / Math.max(this.#minWindow, Math.floor(this.#limit));
    this.#lossShare += weight * ((sample.dropped ? 1 : 0) - this.#lossShare);
    if (sample.dropped) {
      if (this.#lossShare <= this.#lossTolerance) return this.#limit;
      // One decrease per congestion event: losses within one round trip of the lost call itself belong to the
      // same overshoot. A fast rejection (an overloaded server's immediate 429, an empty rate bucket) has a short
      // round trip, so persistent rejections keep shrinking the limit quickly instead of once per slow successful
      // call. A server error with a Retry-After hint and no rate headers (a brownout's "overloaded" 503s, answered
      // in 100 ms) waits a successful round trip: decreasing per fast answer collapsed the limit in a second.
      const hintOnly = sample.retryHint === true && sample.rateLimited !== true;
      const spacing = hintOnly ? this.#roundTripMs : Math.min(this.#roundTripMs, Math.max(1, sample.latencyMs));
      if (sample.now - this.#lastDecreaseAt >= spacing) {
        const refused = Math.min(this.#limit, sample.inFlight);
        this.#limit = clamp(refused * this.#backoff, this.#min, this.#max);
        if (isRefusal(sample, this.#roundTripMs)) {
          this.#refusedAt = refused;
          this.#refusalRatio = this.#lastRatio;
        }
        this.#lastDecreaseAt = sample.now;
      }
      return this.#limit;
    }
    this.#roundTripMs = sample.latencyMs;
    const tokens = sample.outputTokens ?? 0;
    this.#window.push(tokens > 0 ? sample.latencyMs / tokens : sample.latencyMs);
    this.#windowLoad += sample.admittedInFlight ?? sample.inFlight;
    this.#windowPeakInFlight = Math.max(this.#windowPeakInFlight, sample.inFlight);
    if (this.#window.length < Math.max(this.#minWindow, Math.floor(this.#limit))) return this.#limit;

    const { mean: short, standardError } = cappedMean(this.#window);
    const samples = this.#window.length;
    const load = this.#windowLoad / samples;
    const used = this.#windowPeakInFlight * 2 >= this.#limit;
    this.#window = [];
    this.#windowLoad = 0;
    this.#windowPeakInFlight = 0;
    if (!(short > 0)) return this.#limit;
    const firstWindow = !this.#anyWindowClosed;
    this.#anyWindowClosed = true;
    if (short < this.#baseline && !(firstWindow && samples < BASELINE_MIN_SAMPLES)) {
      this.#baseline = short;
      this.#baselineLoad = load;
    }
    const slope = this.#slopeTo(short, load, standardError);
    if (slope !== undefined && this.#inSlowStart() && this.#belowSlowStartExit(short / this.#baseline)) {
      this.#noLoad = clamp(this.#baseline - slope * this.#baselineLoad, NO_LOAD_FLOOR * this.#baseline, this.#baseline);
    }
    this.#lastRatio = short / this.#reference();
    this.#lastRise = short / this.#baseline;
    const factor = clamp(this.#tolerance / this.#lastRatio, this.#maxShrink, this.#maxGrowth);
    if (factor > 1 && !used) return this.#limit;
    // Slow start (TCP-style): double per window while latency is well below the tolerance and no capacity refusal
    // came yet — the ramp from a small initial limit costs a few round trips instead of a dozen.
    if (this.#inSlowStart() && factor > 1) {
      this.#windows++;
      const fast = this.#windows > 1 && this.#limit < FAST_START_BELOW_LIMIT && this.#lastRatio < FAST_START_BELOW_RATIO;
      let next = this.#limit * (fast ? this.#maxGrowth ** 2 : this.#maxGrowth);
      // Not past the load where the line through the baseline window and this one reaches the tolerance: this
      // window's calls were admitted while the pool was still filling, so its latency understates the next
      // window's (vllm-gpu: doubled from 32 to 64–69, past its knee at 48, then took ≈ 5 s to come back).
      if (slope !== undefined) next = Math.max(this.#limit, Math.min(next, this.#baselineLoad + (this.#tolerance * this.#reference() - this.#baseline) / slope));
      this.#limit = clamp(next, this.#min, this.#max);
      return this.#limit;
    }
    // The target scales the load the window's latency was measured under, not the limit: the calls finishing now
    // were admitted under the limit of a round trip ago. Scaling the limit shrank it twice after a shrink (vllm-gpu:
    // from a slow-start overshoot to 64, down to 37 before climbing back to 47), and grew it twice after a raise
    // (from 56, where the window had run at 38 in flight, on to 62 — past the knee).
    let next = this.#limit + this.#smoothing * (load * factor - this.#limit);
    if (factor > 1 && Number.isFinite(this.#threshold)) {
      const recovered = this.#lastRatio <= this.#refusalRatio * RECOVERY_RATIO_SLACK;
      if (recovered && this.#limit < this.#threshold) next = Math.max(next, Math.min(this.#threshold, this.#limit * this.#maxGrowth));
      if (next > this.#threshold) next = Math.max(this.#threshold, Math.min(next, this.#probeCeiling()));
    }
    this.#limit = clamp(next, this.#min, this.#max);
    return this.#limit;
  }

  /**
   * The most the limit may grow to this window above the threshold (PROBE_HOLD_WINDOWS): half-way to the largest
   * accepted in-flight count (at least +1, not past it), then the same limit for PROBE_HOLD_WINDOWS windows, then
   * +1 per window. Called once per growing window; counts the windows held.
   */
  #probeCeiling(): number {
    const accepted = this.#refusedAt - 1;
    if (this.#limit < accepted) {
      this.#heldWindows = 0;
      return Math.min(accepted, this.#limit + Math.max(1, (accepted - this.#limit) / 2));
    }
    this.#heldWindows++;
    return this.#heldWindows > PROBE_HOLD_WINDOWS ? this.#limit + 1 : this.#limit;
  }

  /** What latency ratios are measured against: the no-load latency once estimated, the baseline until then. */
  #reference(): number {
    return Math.min(this.#noLoad ?? Number.POSITIVE_INFINITY, this.#baseline);
  }

  /**
   * Latency added per call of load on the straight line through the baseline window and a window of this latency
   * and load (L = a + b·n, as continuous batching behaves); undefined unless the load at least doubled
   * (NO_LOAD_FROM_LOAD_RATIO) and latency rose by more than twice the window mean's standard error — a shorter or
   * flatter line is noise (flaky-tail's lognormal latency, σ 0.5, does not depend on load: reading its noise as a
   * slope lowered the reference and ended slow start at 25 in flight).
   */
  #slopeTo(latency: number, load: number, standardError: number): number | undefined {
    if (!(latency - this.#baseline > 2 * standardError) || !(load >= NO_LOAD_FROM_LOAD_RATIO * this.#baselineLoad)) return undefined;
    return (latency - this.#baseline) / (load - this.#baselineLoad);
  }

  /** TCP's ssthresh: the limit the last capacity refusal left (infinite before any). */
  get #threshold(): number {
    return Number.isFinite(this.#refusedAt) ? clamp(this.#refusedAt * this.#backoff, this.#min, this.#max) : Number.POSITIVE_INFINITY;
  }

  /** Until the first capacity refusal, and while latency has risen well below the tolerance over the baseline. */
  #inSlowStart(): boolean {
    return !Number.isFinite(this.#threshold) && this.#belowSlowStartExit(this.#lastRise);
  }

  /** A rise over the baseline well below the tolerance: slow start goes on, and the latency line is still straight. */
  #belowSlowStartExit(ratio: number): boolean {
    return ratio < SLOW_START_EXIT * this.#tolerance;
  }
}

/**
 * A capacity refusal: the server turned the call away at the door (TGI's immediate 429 "overloaded", a 503 above
 * an admission cap) — answered in well under a round trip, with no rate headers and no Retry-After. Only these
 * set the threshold. A timeout or a slow failure says the server is slow, which the latency gradient already
 * measures; remembering it as a capacity kept a flaky server's pool small for minutes after each brownout.
 */
function isRefusal(sample: LimitSample, roundTripMs: number): boolean {
  return sample.rateLimited !== true && sample.retryHint !== true && sample.latencyMs < roundTripMs / 4;
}

/** Mean of the values with each capped at STRAGGLER_CAP × their median, and that mean's standard error. */
function cappedMean(values: number[]): { mean: number; standardError: number } {
  const cap = STRAGGLER_CAP * median(values);
  const capped = values.map((v) => Math.min(v, cap));
  const mean = capped.reduce((sum, v) => sum + v, 0) / capped.length;
  const variance = capped.reduce((sum, v) => sum + (v - mean) ** 2, 0) / Math.max(1, capped.length - 1);
  return { mean, standardError: Math.sqrt(variance / capped.length) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
