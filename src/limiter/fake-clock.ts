import type { Clock } from './clock.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
  readonly cleanup: () => void;
}

/**
 * A manual clock for deterministic tests (no real timers): time moves only when the test calls `advance`.
 * Timers fire in deadline order (ties in creation order); after each one, pending promise callbacks run
 * (a `setImmediate` turn) so code awaiting the sleep reacts before the next timer fires.
 *
 * Reusable by any test that takes a `Clock` (retry backoff, pacing, the auto limiter).
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(startEpochMs = 1_700_000_000_000) {
    this.#now = startEpochMs;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      const timer: Timer = {
        at: this.#now + ms,
        seq: this.#seq++,
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Timers not yet fired nor aborted. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Deadline of the earliest pending timer, if any. */
  get nextTimerAt(): number | undefined {
    return this.#earliest()?.at;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `epochMs` (never backwards), firing every timer due on the way, in order. */
  async advanceTo(epochMs: number): Promise<void> {
    await flushPromises();
    for (;;) {
      const next = this.#earliest();
      if (!next || next.at > epochMs) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.cleanup();
      next.resolve();
      await flushPromises();
    }
    this.#now = Math.max(this.#now, epochMs);
    await flushPromises();
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Lets every already-queued promise callback run (they all run before the next macrotask). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
