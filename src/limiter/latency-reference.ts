import { clamp } from './limit.ts';
import type { LoadPoint, WindowSummary } from './sample-window.ts';

/**
 * The first window is the baseline only with at least this many samples. At the default initial limit it has 4,
 * admitted at 1–4 in flight while the connections open, and its mean latency per token scatters; a low first
 * window makes the line to the third window too flat, and slow start jumps past the knee.
 */
const BASELINE_MIN_SAMPLES = 8;
/**
 * A window whose load is at least this many times the baseline window's, and whose latency rose measurably,
 * gives a slope (`slopeTo`), along which the no-load latency is extrapolated (L = a + b·n, as continuous batching
 * behaves): the baseline is measured at a few calls in flight, not at zero, and a tolerance meant from zero load
 * would stop the pool short of the knee.
 */
const NO_LOAD_FROM_LOAD_RATIO = 2;
/**
 * The extrapolated no-load latency is at least this fraction of the baseline: a baseline window at up to n½/3 in
 * flight is at most 4/3 of the no-load latency, and a latency jump that merely coincides with the load doubling
 * (a brownout) cannot lower the reference — and raise every later ratio — by more.
 */
const NO_LOAD_FLOOR = 0.75;

/**
 * What latency ratios are measured against: the baseline (the smallest window latency seen, with the load it was
 * measured at) and, once a window at twice its load shows a measurable rise, the no-load latency extrapolated
 * along the line through both. Pure bookkeeping over window summaries.
 */
export class LatencyReference {
  #baseline = Number.POSITIVE_INFINITY;
  #baselineLoad = 0;
  #noLoad: number | undefined;
  #anyWindow = false;

  /** The smallest window latency seen (infinite before the first usable window). */
  get baseline(): number {
    return this.#baseline;
  }

  /** The mean load of the baseline window. */
  get baselineLoad(): number {
    return this.#baselineLoad;
  }

  /** The no-load latency once extrapolated, the baseline until then. */
  get reference(): number {
    return Math.min(this.#noLoad ?? Number.POSITIVE_INFINITY, this.#baseline);
  }

  /** Takes a window as the new baseline when it is the fastest so far (not a small first window). */
  observe(window: WindowSummary): void {
    const first = !this.#anyWindow;
    this.#anyWindow = true;
    if (window.latency < this.#baseline && !(first && window.samples < BASELINE_MIN_SAMPLES)) {
      this.#baseline = window.latency;
      this.#baselineLoad = window.load;
    }
  }

  /**
   * The first window's calls admitted while the pool was still filling, when the later ones queued behind them
   * (see GradientLimit's FILL_QUEUE_RATIO): the only unqueued measurement there is, small as it is.
   */
  observeUnqueued(point: LoadPoint): void {
    this.#anyWindow = true;
    if (point.latency < this.#baseline) {
      this.#baseline = point.latency;
      this.#baselineLoad = point.load;
    }
  }

  /**
   * Latency added per call of load on the straight line through the baseline window and this one; undefined
   * unless the load at least doubled and latency rose by more than twice the window mean's standard error — a
   * shorter or flatter line is noise (flaky-tail's lognormal latency does not depend on load: reading its noise
   * as a slope lowered the reference and ended slow start at 25 in flight).
   */
  slopeTo(window: WindowSummary): number | undefined {
    if (
      !(window.latency - this.#baseline > 2 * window.standardError) ||
      !(window.load >= NO_LOAD_FROM_LOAD_RATIO * this.#baselineLoad)
    )
      return undefined;
    return (window.latency - this.#baseline) / (window.load - this.#baselineLoad);
  }

  /** Extrapolates the no-load latency along `slope` from the baseline window (floored, see NO_LOAD_FLOOR). */
  extrapolate(slope: number): void {
    this.#noLoad = clamp(this.#baseline - slope * this.#baselineLoad, NO_LOAD_FLOOR * this.#baseline, this.#baseline);
  }
}
