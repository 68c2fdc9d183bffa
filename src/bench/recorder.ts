/**
 * Measures one strategy run from the outside, the same way for every strategy: a ModelClient decorator counts
 * attempts, 429s and failed attempts and tracks calls in flight; `itemDone` records each item's fate and
 * latency (first attempt start → final answer); a 1 s (real) sampler records throughput, in-flight and the
 * strategy's own limit over time for the charts.
 */
import { ModelCallError, type ModelClient, type ModelRequest, type ModelResponse } from '../llm/model-client.ts';

export interface TimelinePoint {
  /** Seconds since the run started (real). */
  readonly t: number;
  /** Items finished successfully per second over the last interval. */
  readonly itemsPerS: number;
  readonly inFlight: number;
  /** The strategy's in-flight limit at that moment. */
  readonly limit: number;
}

export interface RunMeasures {
  readonly items: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly attempts: number;
  readonly status429: number;
  readonly failedAttempts: number;
  readonly durationS: number;
  /** First attempt started → last item finished, seconds: the time the strategy spent calling the model. */
  readonly activeS: number;
  readonly itemsPerS: number;
  /**
   * Items/s in steady state: completions after `steadyAfterS` (the first simulated minute) up to the 95th
   * percentile completion (the drain at the end, when fewer items remain than the pool holds, is not steady).
   */
  readonly steadyItemsPerS: number | null;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly maxInFlight: number;
  /** Mean calls in flight over the steady state (the sampler's points inside it), or null when it is too short. */
  readonly steadyInFlight: number | null;
  readonly timeline: TimelinePoint[];
}

export class Recorder {
  readonly #start = performance.now();
  #firstAttemptAt: number | undefined;
  readonly #firstStart = new Map<string, number>();
  readonly #latencies: number[] = [];
  readonly #doneAt: number[] = [];
  readonly #timeline: TimelinePoint[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lastSampleDone = 0;
  #lastSampleAt = this.#start;
  inFlight = 0;
  maxInFlight = 0;
  attempts = 0;
  status429 = 0;
  failedAttempts = 0;
  succeeded = 0;
  failed = 0;

  /** Starts the 1 s sampler; `limit` reads the strategy's current in-flight limit. */
  startSampling(limit: () => number, intervalMs = 1000): void {
    this.#timer = setInterval(() => this.#sample(limit()), intervalMs);
  }

  /** Wraps a client so every attempt is counted. */
  wrap(client: ModelClient): ModelClient {
    return {
      model: client.model,
      provider: client.provider,
      call: async (request: ModelRequest): Promise<ModelResponse> => {
        const ended = this.attemptStarted(request.recordIds);
        try {
          const response = await client.call(request);
          ended({ ok: true });
          return response;
        } catch (error) {
          ended({ ok: false, status: error instanceof ModelCallError ? error.status : undefined });
          throw error;
        }
      },
    };
  }

  /**
   * Counts one attempt — for `wrap`, and for strategies whose library retries inside (langchain-batch, seen at
   * the fetch level). The first attempt of an item starts its latency. Call the returned function once when the
   * attempt ended; `status` is the HTTP status of a failed attempt (429s are counted apart).
   */
  attemptStarted(recordIds: readonly string[]): (outcome: { ok: boolean; status?: number }) => void {
    const now = performance.now();
    this.#firstAttemptAt ??= now;
    for (const id of recordIds) if (!this.#firstStart.has(id)) this.#firstStart.set(id, now);
    this.attempts++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let ended = false;
    return ({ ok, status }) => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      if (ok) return;
      this.failedAttempts++;
      if (status === 429) this.status429++;
    };
  }

  itemDone(id: string, ok: boolean): void {
    const now = performance.now();
    if (ok) {
      this.succeeded++;
      this.#doneAt.push(now);
      const started = this.#firstStart.get(id);
      if (started !== undefined) this.#latencies.push(now - started);
    } else this.failed++;
  }

  finish(steadyAfterS: number, lastLimit: number): RunMeasures {
    if (this.#timer) clearInterval(this.#timer);
    this.#sample(lastLimit);
    const end = performance.now();
    const durationS = (end - this.#start) / 1000;
    const steadyFrom = this.#start + steadyAfterS * 1000;
    const steadyTo = this.#doneAt[Math.max(0, Math.ceil(0.95 * this.#doneAt.length) - 1)] ?? end;
    const steadyCount = this.#doneAt.filter((t) => t >= steadyFrom && t <= steadyTo).length;
    const steadyS = (steadyTo - steadyFrom) / 1000;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const lastDone = this.#doneAt.at(-1) ?? end;
    const steadyPoints = this.#timeline.filter(
      (p) => p.t * 1000 >= steadyFrom - this.#start && p.t * 1000 <= steadyTo - this.#start,
    );
    const quantile = (q: number) =>
      sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null);
    return {
      items: this.succeeded + this.failed,
      succeeded: this.succeeded,
      failed: this.failed,
      attempts: this.attempts,
      status429: this.status429,
      failedAttempts: this.failedAttempts,
      durationS,
      activeS: (lastDone - (this.#firstAttemptAt ?? this.#start)) / 1000,
      itemsPerS: this.succeeded / durationS,
      steadyItemsPerS: steadyS >= 2 && steadyCount > 0 ? steadyCount / steadyS : null,
      latencyP50Ms: quantile(0.5),
      latencyP99Ms: quantile(0.99),
      maxInFlight: this.maxInFlight,
      steadyInFlight:
        steadyPoints.length >= 2 ? steadyPoints.reduce((sum, p) => sum + p.inFlight, 0) / steadyPoints.length : null,
      timeline: this.#timeline,
    };
  }

  #sample(limit: number): void {
    const now = performance.now();
    const dt = (now - this.#lastSampleAt) / 1000;
    if (dt <= 0) return;
    this.#timeline.push({
      t: Number(((now - this.#start) / 1000).toFixed(2)),
      itemsPerS: Number(((this.succeeded - this.#lastSampleDone) / dt).toFixed(2)),
      inFlight: this.inFlight,
      limit: Number.isFinite(limit) ? limit : 0,
    });
    this.#lastSampleDone = this.succeeded;
    this.#lastSampleAt = now;
  }
}
