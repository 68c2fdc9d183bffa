/**
 * How a batch job stops: a signal (SIGINT/SIGTERM: stop polling, batches keep running at the provider), the user
 * cancelling its batches (`sluice batch cancel`), or a job stop (exhausted quota, failing endpoint). The first
 * reason wins. A pipeline running at that moment (the input pass, an ingestion) is stopped gracefully — what is in
 * flight finishes and is written — and anything else waiting (a poll, a sleep, an HTTP request) is aborted.
 */
import type { JobStop } from '../core/errors.ts';
import type { RunningPipeline } from '../core/run-pipeline.ts';

export type StopReason =
  | { readonly kind: 'signal'; readonly signal: 'SIGINT' | 'SIGTERM' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'job_stop'; readonly stop: JobStop };

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
    const label = describeStop(reason);
    this.#running?.stop(label);
    this.#controller.abort(new Error(label));
  }

  /** The pipeline running now (undefined when it ended): a stop stops it gracefully. */
  setRunning(running: RunningPipeline | undefined): void {
    this.#running = running;
    if (running && this.#reason) running.stop(describeStop(this.#reason));
  }
}

export function describeStop(reason: StopReason): string {
  switch (reason.kind) {
    case 'signal':
      return reason.signal;
    case 'cancelled':
      return 'batches cancelled';
    case 'job_stop':
      return reason.stop.code;
  }
}
