import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { CallCost, CallOutcome, Limiter, Permit } from './limiter.ts';

/**
 * A fixed concurrency limit on p-limit, resizable live with `setLimit` (p-limit's `concurrency` setter starts
 * queued calls at once when it grows). p-limit's queue is unbounded, so callers must bound how many acquire at
 * once — llm-map never has more than its window waiting. Ignores outcomes: it never adapts, and admits retries
 * in plain FIFO order (p-limit has no priorities).
 */
export class FixedLimiter implements Limiter {
  readonly #gate: ReturnType<typeof pLimit>;
  #pausedUntil = 0;
  readonly maxLimit: number;

  constructor(concurrency: number, maxLimit = concurrency) {
    this.#gate = pLimit(concurrency);
    this.maxLimit = Math.max(maxLimit, concurrency);
  }

  get limit(): number {
    return this.#gate.concurrency;
  }

  get inFlight(): number {
    return this.#gate.activeCount;
  }

  setLimit(concurrency: number): void {
    this.#gate.concurrency = concurrency;
  }

  pauseUntil(untilEpochMs: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, untilEpochMs);
  }

  acquire(_cost: CallCost, signal: AbortSignal): Promise<Permit> {
    return new Promise<Permit>((resolve, reject) => {
      signal.throwIfAborted();
      void this.#gate(async () => {
        await this.#waitForPause(signal).catch(() => undefined);
        if (signal.aborted) return reject(signal.reason);
        await new Promise<void>((done) => {
          let released = false;
          resolve({
            release(_outcome: CallOutcome) {
              if (released) return;
              released = true;
              done();
            },
          });
        });
      });
    });
  }

  async #waitForPause(signal: AbortSignal): Promise<void> {
    while (Date.now() < this.#pausedUntil) await sleep(this.#pausedUntil - Date.now(), undefined, { signal });
  }
}
