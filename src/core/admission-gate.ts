import { setMaxListeners } from 'node:events';
import type { JobStop } from './errors.ts';

/**
 * How a model call reports that the closed gate kept it from starting (llm/execute-call's `CallResult.reason`, and
 * the call's telemetry `errorType`). It is a call outcome, never a record failure: llm/map-record turns it into a
 * not-started envelope (core/envelope `NotStartedEnvelope`), unfinished rather than dead.
 */
export const NOT_STARTED = 'not_started';

/**
 * The door for new model calls. A stopping job (SIGINT/SIGTERM, budget, exhausted quota) closes it: calls in flight
 * finish and are written, while a record whose call has not started — waiting for a permit, in retry backoff, or
 * read ahead into llm-map's window — comes out as a not-started envelope that `dropNotStarted` removes. It is
 * neither written nor acked, so `--resume` (or the Kafka group's next consumer) does it later. Without the door a
 * Ctrl-C kept paying for calls: the ≈ 1,000 records of the read-ahead window still started after the signal.
 *
 * A call that learns the job must stop (an exhausted quota, a failing endpoint: llm/execute-call) hands its
 * JobStop to `stopJob`: the door closes and the job's owner (run-job) stops reading, lets the calls in flight
 * drain, then reports the stop (exit 4, 6). Throwing instead cancelled every call in flight — 95 of 100 calls the
 * provider had already admitted.
 */
export class AdmissionGate {
  readonly #controller = new AbortController();
  /** One combined signal per caller signal (a stage's), not one per call. */
  readonly #combined = new WeakMap<AbortSignal, AbortSignal>();
  readonly #jobStopListeners: Array<(stop: JobStop) => void> = [];
  #jobStop: JobStop | undefined;

  get closed(): boolean {
    return this.#controller.signal.aborted;
  }

  /** The stop a call reported (exhausted quota, failing endpoint), if any. */
  get jobStop(): JobStop | undefined {
    return this.#jobStop;
  }

  /** No new model call starts from now on. Idempotent. */
  close(reason: string): void {
    if (!this.closed) this.#controller.abort(new Error(`admission closed: ${reason}`));
  }

  /** Closes the door and tells the listeners (once): the job must stop, resumably. */
  stopJob(stop: JobStop): void {
    if (this.#jobStop) return;
    this.#jobStop = stop;
    this.close(stop.code);
    for (const listener of this.#jobStopListeners) listener(stop);
  }

  onJobStop(listener: (stop: JobStop) => void): void {
    this.#jobStopListeners.push(listener);
  }

  /** Aborts when `signal` does or the door closes: what a call waits on (permit, backoff) until it starts. */
  waitSignal(signal: AbortSignal): AbortSignal {
    let combined = this.#combined.get(signal);
    if (!combined) {
      combined = AbortSignal.any([signal, this.#controller.signal]);
      // Every record of the window may wait on it at once; llm-map bounds how many.
      setMaxListeners(0, combined);
      this.#combined.set(signal, combined);
    }
    return combined;
  }
}

/**
 * Thrown by a client decorator that refuses a call before it reaches the provider (the budget guard): the call
 * ends NOT_STARTED, like one the closed gate kept back, and is not counted as a model call.
 */
export class CallNotStarted extends Error {
  override readonly name = 'CallNotStarted';
}
