/**
 * Routing sink: the pipeline's one sink. Failed envelopes go to the dead-letter sink, the rest to the output
 * sink; both sinks drain concurrently, each through a small bounded channel (backpressure reaches the source).
 * `stats.recordsOut` / `stats.deadLetters` grow when a sink acks, i.e. after the durable write.
 *
 * If either sink throws, the routing sink rejects at once with that error (the pipeline tears down) and the other
 * sink is aborted through its context signal. A sink that returns before its input ended is an error too: its
 * records would otherwise be lost.
 */
import { createEnvelope, type Envelope, type FailedEnvelope, type OkEnvelope } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { OutputSink, Sink } from '../core/stage.ts';
import { AsyncChannel, ChannelReaderGone } from './channel.ts';

export interface RoutingSinkOptions {
  readonly output: OutputSink<string>;
  readonly deadLetter: Sink<unknown>;
  readonly stats: RunStats;
  /** Envelopes buffered per branch. */
  readonly bufferSize?: number;
}

export function routingSink(options: RoutingSinkOptions): Sink<unknown> {
  const { output, deadLetter, stats } = options;
  const bufferSize = options.bufferSize ?? 64;

  return async function routingSinkRun(source, ctx) {
    const controller = new AbortController();
    const parentSignal = ctx?.signal;
    const onParentAbort = () => controller.abort(parentSignal?.reason);
    if (parentSignal?.aborted) onParentAbort();
    else parentSignal?.addEventListener('abort', onParentAbort, { once: true });
    const inner = { signal: controller.signal };

    const good = new AsyncChannel<OkEnvelope<string>>(bufferSize);
    const bad = new AsyncChannel<FailedEnvelope>(bufferSize);
    let firstError: { error: unknown } | undefined;
    let rejectFailed: (error: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      rejectFailed = reject;
    });
    failed.catch((error: unknown) => void error); // observed through the race below
    const fail = (error: unknown): void => {
      if (firstError) return;
      firstError = { error };
      good.fail(error);
      bad.fail(error);
      controller.abort(error);
      rejectFailed(error);
    };

    const branch = (name: string, run: Promise<void>, channel: AsyncChannel<unknown>) =>
      run.then(
        () => {
          if (!firstError && !channel.drained) fail(new Error(`the ${name} sink returned before its input ended`));
        },
        (error: unknown) => fail(error),
      );

    const outputDone = branch('output', output(good, inner), good);
    const deadLetterDone = branch('dead-letter', deadLetter(bad, inner), bad);
    const pump = (async () => {
      for await (const envelope of source) {
        if (firstError) return;
        if (envelope.failure) {
          await bad.push(counted(envelope, () => stats.deadLetters++));
        } else {
          if (envelope.notStarted) throw notStartedHere(envelope);
          await good.push(counted(envelope as OkEnvelope<string>, () => stats.recordsOut++));
        }
      }
      good.end();
      bad.end();
    })().catch((error: unknown) => {
      // A sink that left early reports why itself (its error, or "returned before its input ended", see `branch`):
      // that is the error to surface (a full disk), not the push that found it gone.
      if (!(error instanceof ChannelReaderGone)) fail(error);
    });

    try {
      await Promise.race([Promise.all([pump, outputDone, deadLetterDone]), failed]);
      if (firstError) throw firstError.error;
    } finally {
      parentSignal?.removeEventListener('abort', onParentAbort);
    }
  };
}

/** Same record, whose ack also counts it once (createEnvelope runs the ack at most once). */
function counted<T>(envelope: OkEnvelope<T>, count: () => void): OkEnvelope<T>;
function counted(envelope: FailedEnvelope, count: () => void): FailedEnvelope;
function counted(envelope: Envelope<unknown>, count: () => void): Envelope<unknown> {
  return createEnvelope({
    id: envelope.id,
    value: envelope.value,
    meta: envelope.meta,
    raw: envelope.raw,
    failure: envelope.failure,
    ack: () => {
      envelope.ack();
      count();
    },
  });
}

/**
 * A record a stopping job left unstarted is neither output nor a dead letter: `dropNotStarted` takes it out before
 * the sink (stages/drop-not-started.ts). Reaching the sink, it says the pipeline lacks that stage: a stream error.
 */
function notStartedHere(envelope: { readonly id: string }): TypeError {
  return new TypeError(
    `record ${envelope.id} was left unstarted by a stopping job but reached the routing sink: put dropNotStarted() right after the model stage`,
  );
}
