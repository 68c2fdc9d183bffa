/**
 * A test double of a server that queues (llama.cpp's `llama-server` with `-np SLOTS`, a gateway's single worker):
 * `slots` calls are served at once, each for its own service time; the rest wait in a FIFO queue — no 429, no
 * 503, latency = wait + service. On the fake clock. A call whose latency would pass `timeoutMs` is given up at the
 * deadline (the client times out) and frees its place, as llama-server frees a slot when the client disconnects.
 */
import type { FakeClock } from '../../support/fake-clock.ts';
import type { CallOutcome } from '../../../src/limiter/limiter.ts';

export interface FifoServerOptions {
  readonly clock: FakeClock;
  readonly slots: number;
  /** Service time of the next call, ms (and its output tokens). */
  readonly service: () => { ms: number; outputTokens: number };
  readonly timeoutMs?: number;
}

export class FifoServer {
  readonly #options: FifoServerOptions;
  readonly #freeAt: number[];
  timeouts = 0;
  maxInFlight = 0;
  #inFlight = 0;

  constructor(options: FifoServerOptions) {
    this.#options = options;
    this.#freeAt = Array.from({ length: options.slots }, () => 0);
  }

  /** Serves one call: waits for the earliest free slot (FIFO by arrival), then its service time. */
  async call(): Promise<CallOutcome> {
    const { clock, timeoutMs = Number.POSITIVE_INFINITY } = this.#options;
    const arrived = clock.now();
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    // The slot that frees first takes the next call in arrival order.
    let slot = 0;
    for (let i = 1; i < this.#freeAt.length; i++) if ((this.#freeAt[i] ?? 0) < (this.#freeAt[slot] ?? 0)) slot = i;
    const start = Math.max(arrived, this.#freeAt[slot] ?? 0);
    const { ms, outputTokens } = this.#options.service();
    const end = start + ms;
    try {
      if (end - arrived > timeoutMs) {
        // The client gives up at the deadline; the server frees the slot then (or never starts the call).
        this.#freeAt[slot] = Math.max(start, arrived + timeoutMs);
        await clock.sleep(timeoutMs);
        this.timeouts++;
        return { kind: 'congestion', latencyMs: timeoutMs, timedOut: true };
      }
      this.#freeAt[slot] = end;
      await clock.sleep(end - arrived);
      return { kind: 'success', latencyMs: end - arrived, outputTokens };
    } finally {
      this.#inFlight--;
    }
  }
}
