import type { LimitSample } from './limit.ts';

/**
 * A window's calls are summarised by the mean of their samples, each capped at this multiple of the window's
 * median. The mean because throughput is n/E[L] (Little's law): past vllm-gpu's KV-cache knee, preempted requests
 * restart and take twice as long while the others do not slow down much — the median hid that loss; the mean sees
 * it. Capped because a flaky server's rare stragglers (Pareto, 8–120 s against a 1.2 s median) would otherwise
 * decide a window's mean alone.
 */
const STRAGGLER_CAP = 3;
/**
 * Latencies below this count as this (ms). A call answered within a few milliseconds was answered by something
 * that does not compute a model answer (a cache, a stub, the `null` simulator); there the time sluice spends on a
 * record outside the call (reading, validating, writing, its own event loop) sets the pace, so the load over the
 * call's latency (Little's law) no longer says what a load delivers: a lower load looks as productive as a higher
 * one, and the queue detector's downward probes walked a `null` simulator's pool from 32 to 1 in flight (2,000
 * records: 2.5 s and 2.65 s of CPU, against 1.3–1.7 s and 1.6–1.9 s at 8–32 in flight). A model call takes ≥ 100 ms.
 */
const LATENCY_FLOOR_MS = 5;

/** Latency measured at a load: a window, or part of one. */
export interface LoadPoint {
  /** Mean in-flight count the calls were admitted under. */
  readonly load: number;
  /** Straggler-capped mean latency (ms, or ms per output token). */
  readonly latency: number;
  readonly standardError: number;
  readonly samples: number;
}

/** A window's calls split by the load they were admitted at; `…Ms` are the halves' mean raw latencies. */
export interface WindowHalves {
  readonly early: LoadPoint;
  readonly late: LoadPoint;
  readonly earlyMs: number;
  readonly lateMs: number;
}

/** One window of successful calls, about one round trip of a full pool. */
export interface WindowSummary {
  /** Straggler-capped mean latency, per output token when sizes are known (ms or ms/token). */
  readonly latency: number;
  /** Standard error of `latency`. */
  readonly standardError: number;
  /** Mean raw latency of the window's calls, ms (what a timeout is compared with). */
  readonly latencyMs: number;
  /** Mean in-flight count the calls were admitted under: the load `latency` was measured at. */
  readonly load: number;
  /** Largest in-flight count seen while the window filled. */
  readonly peakInFlight: number;
  readonly samples: number;
  /** When the window's last sample finished (epoch ms). */
  readonly endedAt: number;
  /**
   * Of the window's time on the wire, the share the server spent on the calls, when most of them came with the
   * server's own time (`queuedMs`): 1 when none waited in its queue for a slot. Undefined otherwise.
   */
  readonly servedShare?: number;
  /**
   * The calls admitted at the lower and at the higher half of the window's loads, when those differ at least
   * twofold — as in the first window, admitted at 1, 2, … in flight while the pool fills.
   */
  readonly halves?: WindowHalves;
}

/**
 * Collects successful samples into windows of `size` samples (the caller passes about one round trip of a full
 * pool: max(minimum, limit)) and summarises each. Latency is size-normalised to ms per output token when the
 * answer's size is known: a 300-token answer is not congestion.
 */
export class SampleWindow {
  #latencies: number[] = [];
  #loads: number[] = [];
  #raw: number[] = [];
  #peak = 0;
  /** Wire time and queue time of the samples that said how long they waited. */
  #reportedMs = 0;
  #queuedMs = 0;
  #reported = 0;

  /** Adds one successful sample; returns the window's summary when this sample completed it (`size` samples). */
  add(sample: LimitSample, size: number): WindowSummary | undefined {
    const tokens = sample.outputTokens ?? 0;
    const flooredMs = Math.max(sample.latencyMs, LATENCY_FLOOR_MS);
    this.#latencies.push(tokens > 0 ? flooredMs / tokens : flooredMs);
    this.#raw.push(flooredMs);
    this.#loads.push(sample.admittedInFlight ?? sample.inFlight);
    this.#peak = Math.max(this.#peak, sample.inFlight);
    if (sample.queuedMs !== undefined) {
      this.#reported++;
      this.#reportedMs += sample.latencyMs;
      this.#queuedMs += Math.min(sample.queuedMs, sample.latencyMs);
    }
    if (this.#latencies.length < size) return undefined;
    const samples = this.#latencies.length;
    const { latency, standardError, load } = point(this.#latencies, this.#loads);
    const halves = splitByLoad(this.#latencies, this.#loads, this.#raw);
    const latencyMs = this.#raw.reduce((sum, l) => sum + l, 0) / samples;
    const servedShare =
      this.#reported * 2 >= samples && this.#reportedMs > 0 ? 1 - this.#queuedMs / this.#reportedMs : undefined;
    const summary = {
      latency,
      standardError,
      load,
      latencyMs,
      peakInFlight: this.#peak,
      samples,
      endedAt: sample.now,
      ...(halves && { halves }),
      ...(servedShare !== undefined && { servedShare }),
    };
    this.#latencies = [];
    this.#loads = [];
    this.#raw = [];
    this.#peak = 0;
    this.#reported = 0;
    this.#reportedMs = 0;
    this.#queuedMs = 0;
    return summary;
  }
}

function point(latencies: number[], loads: number[]): LoadPoint {
  const { mean, standardError } = cappedMean(latencies);
  return {
    latency: mean,
    standardError,
    load: loads.reduce((sum, l) => sum + l, 0) / loads.length,
    samples: latencies.length,
  };
}

/** The samples admitted at or below the median load, and those above it — when the loads span 2× or more. */
function splitByLoad(latencies: number[], loads: number[], raw: number[]): WindowHalves | undefined {
  if (loads.length < 4 || Math.max(...loads) < 2 * Math.min(...loads)) return undefined;
  const middle = median(loads);
  const early = loads.map((l, i) => (l <= middle ? i : -1)).filter((i) => i >= 0);
  const late = loads.map((l, i) => (l > middle ? i : -1)).filter((i) => i >= 0);
  if (early.length < 2 || late.length < 2) return undefined;
  const pick = (indices: number[], from: number[]) => indices.map((i) => from[i] ?? 0);
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  return {
    early: point(pick(early, latencies), pick(early, loads)),
    late: point(pick(late, latencies), pick(late, loads)),
    earlyMs: mean(pick(early, raw)),
    lateMs: mean(pick(late, raw)),
  };
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
