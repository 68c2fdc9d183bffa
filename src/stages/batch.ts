/**
 * batch: groups items into arrays of at most `size`, flushing a non-empty batch when it is full or when
 * `maxWaitMs` has passed since its FIRST item arrived, and the remainder at the end of the source.
 *
 * Generic over the item type: sinks group envelopes into one write with it; prompt packing reuses it later.
 * Pulls lazily: it asks the source for the next item only while a batch is being filled (at most one pending
 * pull is carried over a time-based flush). An empty batch never waits on the timer. Honours `ctx.signal`.
 */
import type { StageContext } from '../core/stage.ts';
import { untilAborted } from '../core/until-aborted.ts';

/** Timer port, so tests drive time by hand instead of waiting. */
export interface BatchTimer {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface BatchOptions {
  /** Items per batch, ≥ 1. */
  readonly size: number;
  /** Longest wait after the first item of a batch before it is flushed anyway, ≥ 0 (0: flush what is there). */
  readonly maxWaitMs: number;
  readonly timer?: BatchTimer;
}

const realTimer: BatchTimer = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const TIMEOUT = Symbol('timeout');

export function batch<T>(options: BatchOptions): (source: AsyncIterable<T>, ctx?: StageContext) => AsyncIterable<T[]> {
  const { size, maxWaitMs } = options;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be an integer ≥ 1, got ${size}`);
  if (!(maxWaitMs >= 0)) throw new RangeError(`batch maxWaitMs must be ≥ 0, got ${maxWaitMs}`);
  const timer = options.timer ?? realTimer;

  return async function* batchStage(source, ctx) {
    const signal = ctx?.signal;
    const iterator = source[Symbol.asyncIterator]();
    /** A pull started but not yet consumed (it lost a race against the timer). */
    let pending: Promise<IteratorResult<T>> | undefined;
    let current: T[] = [];
    let done = false;
    try {
      while (!done) {
        signal?.throwIfAborted();
        if (current.length === 0) {
          // Nothing buffered: wait for the source as long as it takes.
          pending ??= iterator.next();
          const result = await untilAborted(pending, signal);
          pending = undefined;
          if (result.done) {
            done = true;
            break;
          }
          current.push(result.value);
          if (current.length >= size) {
            yield flush();
            continue;
          }
        }
        // A batch is open: fill it until full, the deadline, or the end.
        let expired = false;
        let wake: (() => void) | undefined;
        const deadline = new Promise<typeof TIMEOUT>((resolve) => {
          wake = () => resolve(TIMEOUT);
        });
        const handle = timer.set(() => {
          expired = true;
          wake?.();
        }, maxWaitMs);
        const onAbort = () => wake?.();
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          while (!expired && current.length < size) {
            pending ??= iterator.next();
            const result = await Promise.race([pending, deadline]);
            if (result === TIMEOUT) break;
            pending = undefined;
            if (result.done) {
              done = true;
              break;
            }
            current.push(result.value);
          }
        } finally {
          timer.clear(handle);
          signal?.removeEventListener('abort', onAbort);
        }
        signal?.throwIfAborted();
        if (current.length > 0) yield flush();
      }
      if (current.length > 0) yield flush();
    } finally {
      if (!done) {
        // Ended early (consumer stopped, abort, error): let the source clean up. With a pull still in flight,
        // an async generator queues return() behind it, so awaiting could hang on a source that never yields
        // again (upstream teardown settles it); then return() is requested without waiting. Rejections of the
        // pending pull or of return() are the source's own teardown, already reported upstream.
        if (pending) {
          pending.catch((error: unknown) => void error);
          Promise.resolve(iterator.return?.()).catch((error: unknown) => void error);
        } else {
          await iterator.return?.();
        }
      }
    }

    function flush(): T[] {
      const out = current;
      current = [];
      return out;
    }
  };
}
