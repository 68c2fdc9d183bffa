import type { Envelope } from './envelope.ts';
import type { Stage } from './stage.ts';

/**
 * Synchronous per-envelope steps run as ONE stage. A step takes an envelope and returns the envelope to pass on
 * (the same one or a new one), or `undefined` to take it out of the stream (the step then owns its fate: ack it or
 * leave it unfinished on purpose).
 *
 * Why: every stage of a `stream.pipeline` is an async-generator hop per record (a resumed generator, a promise,
 * a microtask or two). For steps that do a few microseconds of synchronous work (drop, stamp, serialize), the hop
 * is most of their cost — measured with --cpu-prof on `sluice run`, a stage that only filtered (drop-not-started)
 * took as much CPU as one that serialized. Chaining them here keeps one concept per step and one hop in all.
 * Each envelope is checked against the pipeline's abort signal before its steps run.
 */
export type EnvelopeStep<In = unknown, Out = unknown> = (envelope: Envelope<In>) => Envelope<Out> | undefined;

export function envelopeSteps(...steps: readonly EnvelopeStep<any, any>[]): Stage<unknown, unknown> {
  return async function* envelopeStepsStage(source, ctx) {
    next: for await (const envelope of source) {
      ctx?.signal.throwIfAborted();
      let current: Envelope<unknown> | undefined = envelope;
      for (const step of steps) {
        current = step(current);
        if (current === undefined) continue next;
      }
      yield current;
    }
  };
}
