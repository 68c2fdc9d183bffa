import { setTimeout as sleepTimer } from 'node:timers/promises';

/**
 * Time as the limiter sees it, injected so tests drive it with a fake (test/support/fake-clock.ts).
 *
 * Contract: `now()` is epoch milliseconds (the unit `Limiter.pauseUntil` takes). `sleep(ms, signal)` resolves
 * after `ms` (at once when `ms <= 0`) and rejects with `signal.reason` when `signal` aborts first.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock: `Date.now()` and Node's promise timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    signal?.throwIfAborted();
    if (ms <= 0) return;
    await sleepTimer(ms, undefined, { signal });
  },
};
