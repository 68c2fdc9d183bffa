import { realClock, type Clock } from './clock.ts';
import type { Limit } from './limit.ts';
import type { AcquireOptions, CallCost, CallOutcome, Limiter, Permit } from './limiter.ts';
import type { BucketKind, BucketSnapshot, ChargeMark, RatePacer } from './rate-pacer.ts';
import { UnloadedLatency } from './unloaded-latency.ts';

export interface AdmissionLimiterOptions {
  /** The limit algorithm, fed one sample per released permit (success or congestion; `ignore` is not a sample). */
  readonly limit: Limit;
  /** Hard ceiling of the in-flight limit (llm-map sizes its window from it). */
  readonly maxLimit: number;
  /** Floor of the in-flight limit. */
  readonly minLimit?: number;
  readonly clock?: Clock;
  /** Header pacing; without it only the in-flight limit and pauses apply. */
  readonly pacer?: RatePacer;
  /** Little's law headroom: in-flight cap = sustained rate × unloaded latency × headroom + calls the buckets can take now. */
  readonly littleHeadroom?: number;
}

export interface LimiterSnapshot {
  /** Effective in-flight limit. */
  readonly limit: number;
  /** What the limit algorithm alone says. */
  readonly algorithmLimit: number;
  /** Little's law cap from header pacing, when rates are known. */
  readonly littleCap?: number;
  readonly inFlight: number;
  readonly waiting: number;
  /** Epoch ms of a pool-wide pause still ahead, if any. */
  readonly pausedUntil?: number;
  /** Smoothed latency of successful calls, ms. */
  readonly latencyMs?: number;
  readonly buckets: Partial<Record<BucketKind, BucketSnapshot>>;
  readonly admitted: number;
  readonly congestionEvents: number;
}

interface Waiter {
  readonly cost: CallCost;
  readonly retry: boolean;
  readonly resolve: (permit: Permit) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * Admits calls in FIFO order — retries that ask for it ahead of first attempts (AcquireOptions.retry) — while
 * (a) in-flight < limit, (b) no pool-wide pause is active, and (c) the rate pacer's buckets can take the call's
 * cost. The head of the queue blocks the rest (fair: a large call is never starved by smaller ones). The limit is
 * live: it is re-read at every admission, so a shrink admits nothing until in-flight falls below it, and a grow
 * starts waiters at once (at the release that grew it, or `setLimit`).
 *
 * Only this class waits (docs/architecture.md, house rule 5), on one timer at a time (the earliest pause/pacing deadline).
 * `acquire` honours abort: a waiter whose signal aborts leaves the queue and rejects with the signal's reason,
 * holding no permit. Each permit releases at most once; a second release is ignored.
 */
export class AdmissionLimiter implements Limiter {
  readonly maxLimit: number;
  readonly #minLimit: number;
  readonly #algorithm: Limit;
  readonly #clock: Clock;
  readonly #pacer: RatePacer | undefined;
  readonly #headroom: number;
  readonly #queue: Waiter[] = [];
  #inFlight = 0;
  #pausedUntil = 0;
  #latencyMs: number | undefined;
  readonly #unloaded = new UnloadedLatency();
  #tokensPerCall: number | undefined;
  #wake: { at: number; controller: AbortController } | undefined;
  #admitted = 0;
  #congestion = 0;

  constructor(options: AdmissionLimiterOptions) {
    this.#algorithm = options.limit;
    this.#minLimit = Math.max(1, options.minLimit ?? 1);
    this.maxLimit = Math.max(this.#minLimit, options.maxLimit);
    this.#clock = options.clock ?? realClock;
    this.#pacer = options.pacer;
    this.#headroom = options.littleHeadroom ?? 1.25;
  }

  get limit(): number {
    const algorithm = Math.floor(this.#algorithm.limit);
    const cap = this.#littleCap() ?? Number.POSITIVE_INFINITY;
    return Math.max(this.#minLimit, Math.min(this.maxLimit, algorithm, cap));
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  acquire(cost: CallCost, signal: AbortSignal, options: AcquireOptions = {}): Promise<Permit> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        cost,
        retry: options.retry === true,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#queue.indexOf(waiter);
          if (index < 0) return;
          this.#queue.splice(index, 1);
          reject(signal.reason);
          this.#pump();
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      if (waiter.retry) {
        const firstAttempt = this.#queue.findIndex((w) => !w.retry);
        this.#queue.splice(firstAttempt < 0 ? this.#queue.length : firstAttempt, 0, waiter);
      } else this.#queue.push(waiter);
      this.#pump();
    });
  }

  pauseUntil(untilEpochMs: number): void {
    if (untilEpochMs <= this.#pausedUntil) return;
    this.#pausedUntil = untilEpochMs;
    this.#pump();
  }

  /** Re-evaluates the queue after an outside change of the algorithm's limit (`Limit` objects that can be set). */
  refresh(): void {
    this.#pump();
  }

  snapshot(): LimiterSnapshot {
    const now = this.#clock.now();
    return {
      limit: this.limit,
      algorithmLimit: this.#algorithm.limit,
      littleCap: this.#littleCap(),
      inFlight: this.#inFlight,
      waiting: this.#queue.length,
      pausedUntil: this.#pausedUntil > now ? this.#pausedUntil : undefined,
      latencyMs: this.#latencyMs,
      buckets: this.#pacer?.snapshot(now) ?? {},
      admitted: this.#admitted,
      congestionEvents: this.#congestion,
    };
  }

  /**
   * Little's law, L = λ·W: in flight = sustained admission rate × unloaded latency (× headroom), plus the burst the
   * buckets allow now (`withBurst`). The unloaded latency (UnloadedLatency), not a smoothed one: latency that
   * includes queueing would raise the cap, which adds more queueing.
   */
  #littleCap(withBurst = true): number | undefined {
    const latencyMs = this.#unloaded.value;
    if (!this.#pacer?.active || latencyMs === undefined || this.#tokensPerCall === undefined) return undefined;
    const rate = this.#pacer.sustainedRate(this.#tokensPerCall);
    if (rate === undefined || !Number.isFinite(rate)) return undefined;
    const spare = withBurst ? this.#pacer.spareCalls(this.#tokensPerCall, this.#clock.now()) : 0;
    return Math.max(1, Math.ceil((rate * latencyMs * this.#headroom) / 1000 + spare));
  }

  #pump(): void {
    for (;;) {
      const head = this.#queue[0];
      if (!head) return this.#cancelWake();
      if (this.#inFlight >= this.limit) return this.#cancelWake();
      const now = this.#clock.now();
      if (now < this.#pausedUntil) return this.#wakeAt(this.#pausedUntil);
      const wait = this.#pacer?.waitMs(head.cost, now) ?? 0;
      if (wait > 0) return this.#wakeAt(now + wait);
      this.#queue.shift();
      head.signal.removeEventListener('abort', head.onAbort);
      this.#admit(head, now);
    }
  }

  #admit(waiter: Waiter, now: number): void {
    this.#inFlight++;
    this.#admitted++;
    const mark = this.#pacer?.charge(waiter.cost, now);
    this.#tokensPerCall =
      this.#tokensPerCall === undefined ? waiter.cost.tokens : 0.9 * this.#tokensPerCall + 0.1 * waiter.cost.tokens;
    const admittedInFlight = this.#inFlight;
    let released = false;
    waiter.resolve({
      release: (outcome: CallOutcome) => {
        if (released) return;
        released = true;
        this.#release(outcome, waiter.cost, admittedInFlight, mark);
      },
    });
  }

  #release(outcome: CallOutcome, cost: CallCost, admittedInFlight: number, mark: ChargeMark | undefined): void {
    const now = this.#clock.now();
    this.#pacer?.observe(outcome.rate, now, {
      congested: outcome.kind === 'congestion' ? cost : undefined,
      admitted: mark,
    });
    if (outcome.kind === 'success') {
      this.#latencyMs =
        this.#latencyMs === undefined ? outcome.latencyMs : 0.9 * this.#latencyMs + 0.1 * outcome.latencyMs;
      this.#unloaded.add(outcome.latencyMs, now);
      // Once rate headers are known, the pacer's Little's-law cap says how much the pool needs in steady state: a
      // slow-starting algorithm jumps there instead of doubling per round trip. Not to the burst the full buckets
      // allow: that the algorithm reaches by doubling, each round trip measured — hundreds of calls started at once
      // queued in our own event loop (and at a gateway) for seconds.
      const cap = this.#unloaded.settled ? this.#littleCap(false) : undefined;
      if (cap !== undefined) this.#algorithm.suggest?.(cap);
      this.#algorithm.update({
        now,
        latencyMs: outcome.latencyMs,
        outputTokens: outcome.outputTokens,
        inFlight: this.#inFlight,
        admittedInFlight,
        queuedMs: outcome.serverMs === undefined ? undefined : Math.max(0, outcome.latencyMs - outcome.serverMs),
        dropped: false,
      });
    } else if (outcome.kind === 'congestion') {
      this.#congestion++;
      const rateLimited = outcome.rate?.requests !== undefined || outcome.rate?.tokens !== undefined;
      const retryHint = outcome.rate?.retryAfterMs !== undefined;
      this.#algorithm.update({
        now,
        latencyMs: outcome.latencyMs,
        inFlight: this.#inFlight,
        admittedInFlight,
        dropped: true,
        rateLimited,
        retryHint,
        timedOut: outcome.timedOut,
      });
    }
    this.#inFlight--;
    this.#pump();
  }

  /** Keeps one timer, at the earliest deadline that can change the head's fate. */
  #wakeAt(at: number): void {
    if (this.#wake && this.#wake.at <= at) return;
    this.#cancelWake();
    const controller = new AbortController();
    this.#wake = { at, controller };
    this.#clock.sleep(at - this.#clock.now(), controller.signal).then(
      () => {
        if (this.#wake?.controller !== controller) return;
        this.#wake = undefined;
        this.#pump();
      },
      (error: unknown) => {
        // A superseded timer rejects with its own abort: expected. Anything else is a bug worth surfacing.
        if (!controller.signal.aborted)
          queueMicrotask(() => {
            throw error;
          });
      },
    );
  }

  #cancelWake(): void {
    this.#wake?.controller.abort();
    this.#wake = undefined;
  }
}
