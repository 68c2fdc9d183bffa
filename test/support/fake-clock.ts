import type { Clock } from '../../src/limiter/clock.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
  readonly cleanup: () => void;
  cancelled: boolean;
}

/**
 * A manual clock for deterministic tests (no real timers): time moves only when the test calls `advance`.
 * Timers fire in deadline order (ties in creation order); after each one, pending promise callbacks run
 * (a `setImmediate` turn) so code awaiting the sleep reacts before the next timer fires. Timers live in a
 * binary heap, so closed-loop tests with thousands of sleepers stay fast.
 *
 * Reusable by any test that takes a `Clock` (retry backoff, pacing, the auto limiter).
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: Timer[] = [];
  #pending = 0;

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
        if (timer.cancelled) return;
        timer.cancelled = true;
        this.#pending--;
        reject(signal?.reason);
      };
      const timer: Timer = {
        at: this.#now + ms,
        seq: this.#seq++,
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
        cancelled: false,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#push(timer);
      this.#pending++;
    });
  }

  /** Timers not yet fired nor aborted. */
  get pendingTimers(): number {
    return this.#pending;
  }

  /** Deadline of the earliest pending timer, if any. */
  get nextTimerAt(): number | undefined {
    return this.#peek()?.at;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `epochMs` (never backwards), firing every timer due on the way, in order. */
  async advanceTo(epochMs: number): Promise<void> {
    await flushPromises();
    for (;;) {
      const next = this.#peek();
      if (!next || next.at > epochMs) break;
      this.#pop();
      next.cancelled = true;
      this.#pending--;
      this.#now = Math.max(this.#now, next.at);
      next.cleanup();
      next.resolve();
      await flushPromises();
    }
    this.#now = Math.max(this.#now, epochMs);
    await flushPromises();
  }

  /** Earliest live timer (drops aborted ones lazily). */
  #peek(): Timer | undefined {
    while (this.#heap.length > 0 && this.#heap[0]?.cancelled) this.#pop();
    return this.#heap[0];
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (heap.length === 0 || !last) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets every already-queued promise callback run (they all run before the next macrotask). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
