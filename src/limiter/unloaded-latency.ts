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

  /** Feeds one successful call's latency, finished at `now` (epoch ms). */
  add(latencyMs: number, now: number): void {
    this.#sum += latencyMs;
    if (++this.#count < WINDOW_CALLS) return;
    this.#windows = this.#windows.filter((w) => now - w.at <= HORIZON_MS);
    this.#windows.push({ at: now, meanMs: this.#sum / this.#count });
    this.#sum = 0;
    this.#count = 0;
  }

  /** The floor, ms; before the first window, the mean of the calls seen so far; undefined before any. */
  get value(): number | undefined {
    if (this.#windows.length === 0) return this.#count > 0 ? this.#sum / this.#count : undefined;
    let floor = Number.POSITIVE_INFINITY;
    for (const w of this.#windows) floor = Math.min(floor, w.meanMs);
    return floor;
  }
}
