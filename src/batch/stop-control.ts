/**
 * How a batch job stops: a signal (SIGINT/SIGTERM: stop polling, batches keep running at the provider), the user
 * cancelling its batches (`sluice batch cancel`), or a job stop (exhausted quota, failing endpoint). The first
 * reason wins. A pipeline running at that moment (the input pass, an ingestion) is stopped gracefully — what is in
 * flight finishes and is written — and anything else waiting (a poll, a sleep, an HTTP request) is aborted.
 */
import type { RunningPipeline } from '../core/run-pipeline.ts';
import { describeStop, type StopReason } from '../core/stop-reason.ts';

export type { StopReason } from '../core/stop-reason.ts';

export class StopControl {
  readonly #controller = new AbortController();
  #reason: StopReason | undefined;
  #running: RunningPipeline | undefined;

  /** Aborts when the job stops (waits and HTTP requests listen to it). */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get reason(): StopReason | undefined {
    return this.#reason;
  }

  stop(reason: StopReason): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#running?.stop(reason);
    this.#controller.abort(new Error(describeStop(reason)));
  }

  /** The pipeline running now (undefined when it ended): a stop stops it gracefully. */
  setRunning(running: RunningPipeline | undefined): void {
    this.#running = running;
    if (running && this.#reason) running.stop(this.#reason);
  }
}
