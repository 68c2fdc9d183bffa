/**
 * Counters of one run, updated by the stages and read by the progress line, the summary and the metrics
 * exporter (which observes them as gauges and counters). One instance per run, passed in deps — never global.
 *
 * Invariant at the end of a run: recordsIn = recordsOut + deadLetters + skipped (+ resumedSkipped).
 */
export class RunStats {
  readonly startedAt = Date.now();
  /** Records read from the source (after empty-line skipping). */
  recordsIn = 0;
  /** Records written to the output sink. */
  recordsOut = 0;
  /** Records written to the dead-letter sink. */
  deadLetters = 0;
  /**
   * Records the model stage finished with (an answer or a failure), written or not yet: in input order a finished
   * record may wait behind one being retried. Progress counts these.
   */
  answered = 0;
  /** Empty or whitespace-only lines, skipped and counted. */
  emptyLines = 0;
  /** Records skipped because a previous run already completed them (--resume, or a replay into its output). */
  resumedSkipped = 0;
  /** Of `resumedSkipped`, those a previous run dead-lettered: still not in the output. */
  resumedDeadLetters = 0;
  /** Model calls currently holding a permit, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Calls waiting for a retry backoff. */
  retrying = 0;
  /** The limiter's limit when the last call was admitted. */
  concurrencyLimit = 0;
  /** Model calls made, first attempts and retries. */
  attempts = 0;
  /** Retries by classified reason. */
  readonly retriesByReason = new Map<string, number>();
  inputTokens = 0;
  outputTokens = 0;
  /** Estimated spend so far in USD, from the price table. */
  costUsd = 0;
  /** Model latencies of successful attempts, in ms, kept for percentiles (bounded reservoir). */
  readonly latencies = new LatencyReservoir(10_000);

  countRetry(reason: string): void {
    this.retriesByReason.set(reason, (this.retriesByReason.get(reason) ?? 0) + 1);
  }

  get retries(): number {
    let total = 0;
    for (const n of this.retriesByReason.values()) total += n;
    return total;
  }

  /** Records finished either way. */
  get done(): number {
    return this.recordsOut + this.deadLetters;
  }
}

/** A fixed-size uniform sample (Vitter's algorithm R) so percentiles stay cheap on a million records. */
export class LatencyReservoir {
  readonly #capacity: number;
  readonly #samples: number[] = [];
  #seen = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(value: number): void {
    this.#seen++;
    if (this.#samples.length < this.#capacity) this.#samples.push(value);
    else {
      const slot = Math.floor(Math.random() * this.#seen);
      if (slot < this.#capacity) this.#samples[slot] = value;
    }
  }

  get count(): number {
    return this.#seen;
  }

  /** The q-quantile (0..1) of the sample, or undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.#samples.length === 0) return undefined;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[index];
  }
}
