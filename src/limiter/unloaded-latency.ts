/**
 * Calls per window: few enough that a lightly loaded stretch yields a window of its own, enough that one slow
 * answer does not decide it.
 */
const WINDOW_CALLS = 16;
/**
 * How long a window's mean stays a candidate (ms), BBR's RTprop filter in spirit (RFC draft-cardwell-iccrg-bbr:
 * the minimum RTT over 10 s): long enough that a stretch of queueing — at a gateway, in the server, in our own
 * busy event loop — cannot lift the floor, short enough to follow a server that really got slower.
 */
const HORIZON_MS = 30_000;

/**
 * Calls before the estimate is trusted at all (`settled`): the first answers of a job carry its start-up — new
 * connections, a gateway's cold first request (LiteLLM's took ≈ 1 s against 0.27 s later) — and a Little's-law cap
 * lifted from one of them filled a gateway with 89 calls where it serves ≈ 13 at a time.
 */
const SETTLED_AFTER_CALLS = 4;

/**
 * The latency of a call when nothing queues: the smallest mean of WINDOW_CALLS successive successful calls within
 * the last HORIZON_MS. Little's law (in flight = rate × latency) needs the latency the provider itself takes;
 * fed with a smoothed latency that includes queueing, the in-flight cap grew with the queue it caused (a gateway
 * kept ≈ 250 calls waiting where 20 would do). The mean of a window, not the fastest call: Little's law wants a
 * mean, and a window's mean still carries the provider's own spread of answer lengths.
 */
export class UnloadedLatency {
  #sum = 0;
  #count = 0;
  #windows: Array<{ readonly at: number; readonly meanMs: number }> = [];
  /** Fastest call before the first window. */
  #earlyMin = Number.POSITIVE_INFINITY;
  #calls = 0;

  /** Feeds one successful call's latency, finished at `now` (epoch ms). */
  add(latencyMs: number, now: number): void {
    this.#calls++;
    if (this.#windows.length === 0) this.#earlyMin = Math.min(this.#earlyMin, latencyMs);
    this.#sum += latencyMs;
    if (++this.#count < WINDOW_CALLS) return;
    this.#windows = this.#windows.filter((w) => now - w.at <= HORIZON_MS);
    this.#windows.push({ at: now, meanMs: this.#sum / this.#count });
    this.#sum = 0;
    this.#count = 0;
  }

  /** At least SETTLED_AFTER_CALLS calls seen: enough to lift a pool on (see there). */
  get settled(): boolean {
    return this.#calls >= SETTLED_AFTER_CALLS;
  }

  /**
   * The floor, ms. Before the first window, the fastest call so far: the slower ones of the first few mostly carry
   * the job's start-up. Undefined before any call.
   */
  get value(): number | undefined {
    if (this.#windows.length === 0) return this.#calls > 0 ? this.#earlyMin : undefined;
    let floor = Number.POSITIVE_INFINITY;
    for (const w of this.#windows) floor = Math.min(floor, w.meanMs);
    return floor;
  }
}
