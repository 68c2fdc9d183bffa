import { CapacityThreshold } from './capacity-threshold.ts';
import { LatencyReference } from './latency-reference.ts';
import { clamp, type Limit, type LimitSample } from './limit.ts';
import { LossPolicy } from './loss-policy.ts';
import { QueueDetector } from './queue-detector.ts';
import { SampleWindow, type WindowHalves, type WindowSummary } from './sample-window.ts';

/**
 * Slow start ends once the window latency has risen this fraction of the tolerance over the baseline window's.
 * Over the baseline, not the extrapolated no-load latency: measured from zero load, vllm-gpu's ratio passes 1.5
 * at a third of its knee, and the damped gradient then takes many round trips to climb the rest (docs/bench.md,
 * "Tuning record").
 */
const SLOW_START_EXIT = 0.6;
/**
 * Fast start: a slow-start window after the first one quadruples the limit while it is below 16 and latency has
 * not measurably moved (window latencies of an idle server differ by a few percent) — one round trip less on the
 * ramp. Not the first window: its calls open the connections, it runs slow, and the baseline is learnt from the
 * next one. Not above 16: there the window latency lags the load (calls admitted before the raise ran lighter),
 * and ×4 leaps past a knee. Nor when the calls' raw latency rose that much over the first window's early calls
 * (admitted at 1 or 2 in flight): per output token a queue can hide — llama.cpp's short answers vary 8–24 tokens
 * while waiting for a slot doubles the call (2 slots: ×4 took the pool from 8 to 32).
 */
const FAST_START_BELOW_LIMIT = 16;
const FAST_START_BELOW_RATIO = 1.2;
/**
 * Recovery after a shrink: below the threshold, a window whose latency ratio is no more than this multiple of the
 * ratio measured when the capacity last refused us (an operating point known to be fine) doubles the limit, up to
 * the threshold, instead of following the damped gradient. Latency alone cannot tell a brownout (×3 latency at any
 * load) from congestion, so the pool shrinks during one; once latency is back where it was, the capacity that
 * refused us is still the capacity, and the damped gradient would take many seconds to climb back to it.
 */
const RECOVERY_RATIO_SLACK = 1.1;
/**
 * A timeout is a strong congestion signal (it shrinks past the loss tolerance, to half the calls in flight) when
 * the pool's calls took at least this share of the deadline in the last window: the server is slow for
 * everybody, and more calls only wait longer. A timeout against a window running at 1/50 of the deadline is a
 * straggler (flaky-tail's Pareto tail), counted like any other loss.
 */
const SLOW_POOL_SHARE_OF_DEADLINE = 0.25;
/**
 * The first window's calls are admitted at 1, 2, … in flight while the pool fills. When those admitted at the
 * higher half of that ran at least this much slower than the earlier ones — per output token, or in all (short
 * answers, where reading the prompt dominates) — the server queued them (llama.cpp with fewer slots than the
 * initial limit): the earlier calls are the baseline and a reference for the queue detector, and slow start does
 * not double into the queue. Unqueued calls of a real server differ by less; when two pairs differ this much by
 * chance (a spread of answer lengths), it costs slow start one round trip.
 */
const FILL_QUEUE_RATIO = 1.5;
/**
 * A window whose calls spent at least this share of their time on the wire waiting in the server's queue, by the
 * server's own account (llama.cpp's `timings`), ran past its slots. It says so in the first window after a raise,
 * from the calls that waited; the latency and throughput of whole windows say it a round trip later (the calls that
 * finish first after a raise are those that had a slot). Below this share a wait is a call arriving just as
 * another leaves (windows without a queue measured 1–7 % on llama.cpp).
 */
const SERVER_QUEUE_SHARE = 0.15;

export interface GradientOptions {
  readonly initialLimit?: number;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  /**
   * Accepted latency inflation over the no-load baseline before the limit stops growing. Default 2.5: on a
   * continuous-batching server, L(n) = L0·(1 + n/n½) (docs/profiles.md, vLLM sweeps), so X(n) = n/L(n) has marginal
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
   * random "overloaded" 503s and rare timeouts (≈ 1% on docs/profiles.md's flaky-tail, 0.1% on saas tiers) are not
   * load — shrinking on each of them held the pool far below the server's capacity — while exceeding a capacity
   * rejects a burst of calls at once (a cap overshot by a few slots already rejects > 5% of attempts).
   */
  readonly lossTolerance?: number;
}

/** The later-admitted half of the first window ran FILL_QUEUE_RATIO slower than the earlier half. */
function queuedWhileFilling(halves: WindowHalves): boolean {
  return (
    halves.late.latency >= FILL_QUEUE_RATIO * halves.early.latency || halves.lateMs >= FILL_QUEUE_RATIO * halves.earlyMs
  );
}

/**
 * A gradient (Vegas-style) limit on size-normalised latency, in the spirit of Netflix concurrency-limits'
 * Gradient2/Vegas, reduced to what an LLM server needs, plus a queue detector for servers that queue. Its parts
 * can be read and tested alone: SampleWindow (windows of about one round trip), LatencyReference (baseline and
 * no-load latency), QueueDetector (throughput flat while load rises), LossPolicy (when a loss shrinks) and
 * CapacityThreshold (ssthresh and CUBIC-style probing after a refusal). This class is the policy tying them:
 *
 * - Per window, ratio r = window latency/reference and target = n̄·clamp(T/r, maxShrink, maxGrowth), n̄ = the
 *   mean in-flight count the window's calls were admitted under (the load r was measured at, a round trip behind
 *   the limit while it moves); limit += smoothing·(target − limit). At equilibrium r = T. Growth only when the
 *   pool was used (peak in-flight ≥ limit/2), so an idle or lightly loaded pool never grows nor shrinks.
 *   Fixed point stability: with r ∝ 1 + n/n½ the map n ↦ n·T/r(n) has slope 1 − n/(n + n½) ∈ (0, 1).
 * - Slow start: until the first capacity refusal or sign of queueing, and while the rise over the baseline window
 *   stays below 0.6·T (SLOW_START_EXIT), the limit doubles per window (quadruples below 16 after the first window
 *   while r < 1.2: FAST_START_BELOW_LIMIT), but not past the load where the line through the baseline window and
 *   this one reaches T. `suggest(n)` (the pacer's Little's-law cap once rate headers are known) lifts a
 *   slow-starting limit to n at once: against a rate limit the headers say how much the pool can use.
 * - Queueing: the limit never exceeds the queue detector's ceiling — where throughput stopped growing with load
 *   (a server's waiting queue, a gateway's worker, a KV-cache knee) — which the detector holds and re-probes. A
 *   server that reports its own time per call (llama.cpp) says how long each call waited for a slot: a window that
 *   waited SERVER_QUEUE_SHARE or more of its wire time sets the ceiling at the calls it served at once.
 * - Losses: a congestion loss beyond the tolerated share sets limit = min(limit, in-flight)·backoffRatio, at most
 *   once per round trip; an immediate refusal also sets the capacity threshold. A timeout while the pool runs
 *   slow (SLOW_POOL_SHARE_OF_DEADLINE) halves the pool through the queue detector at once, before the call is
 *   retried. Below the threshold the limit grows as the gradient says, or doubles while latency is back at the
 *   refusal's level (RECOVERY_RATIO_SLACK); above it, CapacityThreshold's half-gap, hold and +1 probing.
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
  readonly #window = new SampleWindow();
  readonly #reference = new LatencyReference();
  readonly #queue: QueueDetector;
  readonly #losses: LossPolicy;
  readonly #capacity: CapacityThreshold;
  #lastRatio = 1;
  /** Latency of the last complete window over the baseline's: what slow start watches. */
  #lastRise = 1;
  /** Mean raw latency of the last complete window, ms (undefined before the first), and its summary latency. */
  #lastLatencyMs: number | undefined;
  #lastLatency = 0;
  /** Slow-start windows closed so far. */
  #windows = 0;
  /** Latency of the first window (ms/token): fast start only while latency has not risen over it. */
  #firstLatency: number | undefined;
  /** Mean raw latency of the first window's calls admitted at the lower half of its loads (about one call alone). */
  #firstEarlyMs: number | undefined;
  /** When the pool was last cut for queueing or a strong timeout (epoch ms). */
  #cutAt = Number.NEGATIVE_INFINITY;

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
    this.#queue = new QueueDetector(this.#min);
    this.#losses = new LossPolicy(options.lossTolerance ?? 0.05);
    this.#capacity = new CapacityThreshold({ minLimit: this.#min, maxLimit: this.#max, backoffRatio: this.#backoff });
  }

  get limit(): number {
    return this.#limit;
  }

  /** The learnt no-load latency (ms, or ms per output token), for snapshots. */
  get baseline(): number | undefined {
    const reference = this.#reference.reference;
    return Number.isFinite(reference) ? reference : undefined;
  }

  /** Latency ratio of the last complete window. */
  get lastRatio(): number {
    return this.#lastRatio;
  }

  /** The queue detector's ceiling (infinite while no queueing was seen). */
  get queueCeiling(): number {
    return this.#queue.ceiling;
  }

  suggest(limit: number): void {
    if (this.#inSlowStart() && limit > this.#limit) this.#limit = this.#bounded(limit);
  }

  update(sample: LimitSample): number {
    const windowSize = Math.max(this.#minWindow, Math.floor(this.#limit));
    this.#losses.record(sample, windowSize);
    if (sample.dropped) return this.#onLoss(sample);
    const window = this.#window.add(sample, windowSize);
    if (window) this.#onWindow(window);
    return this.#limit;
  }

  #onLoss(sample: LimitSample): number {
    // Only a call admitted after the last cut says the cut pool is still too wide: the calls admitted before it
    // time out in a row afterwards, and halving for each collapsed a 32-call pool on 2 slots to one call.
    const strong =
      sample.timedOut === true &&
      sample.now - sample.latencyMs >= this.#cutAt &&
      (this.#lastLatencyMs ?? sample.latencyMs) >= SLOW_POOL_SHARE_OF_DEADLINE * sample.latencyMs;
    if (sample.timedOut === true && !strong && sample.now - sample.latencyMs < this.#cutAt) return this.#limit;
    const decision = this.#losses.decide(sample, this.#limit, strong);
    if (!decision) return this.#limit;
    if (strong) {
      this.#queue.timedOut(decision.from);
      this.#cutAt = sample.now;
    }
    if (decision.refusal) this.#capacity.refused(decision.from, this.#lastRatio);
    this.#limit = this.#bounded(decision.from * this.#backoff);
    return this.#limit;
  }

  #onWindow(window: WindowSummary): void {
    if (!(window.latency > 0)) return;
    this.#lastLatencyMs = window.latencyMs;
    this.#lastLatency = window.latency;
    const reference = this.#reference;
    const first = this.#firstLatency === undefined;
    const filledIntoQueue = first && window.halves !== undefined && queuedWhileFilling(window.halves);
    if (first) this.#firstEarlyMs = window.halves?.earlyMs;
    this.#firstLatency ??= window.latency;
    if (filledIntoQueue && window.halves) {
      reference.observeUnqueued(window.halves.early);
      this.#queue.remember(window.halves.early);
    }
    reference.observe(window);
    const slope = reference.slopeTo(window);
    if (slope !== undefined && this.#inSlowStart() && this.#belowSlowStartExit(window.latency / reference.baseline))
      reference.extrapolate(slope);
    let verdict = this.#queue.observe(window);
    // Not the first window: its calls met a cold server (llama.cpp's first prompts waited 7–16 % of their time with
    // slots free). And not a window that ran above the ceiling: admitted before the cut, it says nothing new.
    const served = first ? undefined : window.servedShare;
    if (served !== undefined && served <= 1 - SERVER_QUEUE_SHARE && window.load <= this.#queue.ceiling) {
      this.#queue.serverQueued(window.load * served);
      verdict = 'queueing';
    } else if (served !== undefined && served >= 1 - SERVER_QUEUE_SHARE / 2) this.#queue.serverServed(window.load);
    if (verdict === 'queueing') this.#cutAt = window.endedAt;
    if (verdict === 'probe') {
      // A probe must really load the pool at the raised ceiling: the damped gradient would creep towards it and
      // the window would measure nothing new.
      this.#limit = this.#bounded(this.#queue.ceiling);
      return;
    }
    this.#lastRatio = window.latency / reference.reference;
    this.#lastRise = window.latency / reference.baseline;
    const factor = clamp(this.#tolerance / this.#lastRatio, this.#maxShrink, this.#maxGrowth);
    const used = window.peakInFlight * 2 >= this.#limit;
    if (factor > 1 && !used) {
      this.#limit = this.#bounded(this.#limit);
      return;
    }
    if (filledIntoQueue) return;
    this.#limit = this.#bounded(
      this.#inSlowStart() && factor > 1 ? this.#slowStartStep(slope) : this.#gradientStep(window.load, factor),
    );
  }

  /**
   * Slow start (TCP-style): doubles per window while latency is well below the tolerance — the ramp from a small
   * initial limit costs a few round trips instead of a dozen — but not past the load where the line through the
   * baseline window and this one reaches the tolerance: this window's calls were admitted while the pool was
   * still filling, so its latency understates the next window's (vllm-gpu: doubled from 32 to 64–69, past its
   * knee at 48, then took ≈ 5 s to come back).
   */
  #slowStartStep(slope: number | undefined): number {
    this.#windows++;
    const firstRise = this.#lastLatency / (this.#firstLatency ?? this.#lastLatency);
    const rawRise = (this.#lastLatencyMs ?? 0) / (this.#firstEarlyMs ?? Number.POSITIVE_INFINITY);
    const fast =
      this.#windows > 1 &&
      this.#limit < FAST_START_BELOW_LIMIT &&
      this.#lastRatio < FAST_START_BELOW_RATIO &&
      firstRise < FAST_START_BELOW_RATIO &&
      rawRise < FAST_START_BELOW_RATIO;
    const next = this.#limit * (fast ? this.#maxGrowth ** 2 : this.#maxGrowth);
    if (slope === undefined) return next;
    const { baseline, baselineLoad, reference } = this.#reference;
    return Math.max(this.#limit, Math.min(next, baselineLoad + (this.#tolerance * reference - baseline) / slope));
  }

  /**
   * The damped gradient step. The target scales the load the window's latency was measured under, not the limit:
   * the calls finishing now were admitted under the limit of a round trip ago (scaling the limit shrank it twice
   * after a shrink and grew it twice after a raise). Above the capacity threshold, CapacityThreshold's probing.
   */
  #gradientStep(load: number, factor: number): number {
    let next = this.#limit + this.#smoothing * (load * factor - this.#limit);
    const threshold = this.#capacity.value;
    if (factor > 1 && Number.isFinite(threshold)) {
      const recovered = this.#lastRatio <= this.#capacity.refusalRatio * RECOVERY_RATIO_SLACK;
      if (recovered && this.#limit < threshold)
        next = Math.max(next, Math.min(threshold, this.#limit * this.#maxGrowth));
      if (next > threshold) next = Math.max(threshold, Math.min(next, this.#capacity.probeCeiling(this.#limit)));
    }
    return next;
  }

  /** Within [min, max] and under the queue detector's ceiling. */
  #bounded(limit: number): number {
    return clamp(Math.min(limit, this.#queue.ceiling), this.#min, this.#max);
  }

  /** Until the first capacity refusal or sign of queueing, and while latency has risen well below the tolerance. */
  #inSlowStart(): boolean {
    return (
      !Number.isFinite(this.#capacity.value) &&
      !Number.isFinite(this.#queue.ceiling) &&
      this.#belowSlowStartExit(this.#lastRise)
    );
  }

  /** A rise over the baseline well below the tolerance: slow start goes on, and the latency line is still straight. */
  #belowSlowStartExit(ratio: number): boolean {
    return ratio < SLOW_START_EXIT * this.#tolerance;
  }
}
