import type { Envelope, GatedEnvelope } from './envelope.ts';
import type { Stage, StageContext } from './stage.ts';

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
 *
 * A chain may follow a stage behind the admission gate (core/stage.ts `GatedStage`) only when it starts with
 * `dropNotStartedStep` (stages/drop-not-started.ts), as the CLI's does: the first overload says so, and that step
 * is the one that sees the not-started records.
 */
export type EnvelopeStep<In = unknown, Out = unknown> = (envelope: Envelope<In>) => Envelope<Out> | undefined;

/** A step that takes a stage's not-started records out of the stream (stages/drop-not-started.ts `dropNotStartedStep`). */
export type GateExitStep = (envelope: GatedEnvelope<any>) => Envelope<any> | undefined;

/** A chain that starts with `dropNotStartedStep` may follow a stage behind the admission gate (core/stage `GatedStage`). */
export function envelopeSteps(
  exit: GateExitStep,
  ...steps: readonly EnvelopeStep<any, any>[]
): (source: AsyncIterable<GatedEnvelope<unknown>>, ctx?: StageContext) => AsyncIterable<Envelope<unknown>>;
export function envelopeSteps(...steps: readonly EnvelopeStep<any, any>[]): Stage<unknown, unknown>;
export function envelopeSteps(...steps: ReadonlyArray<GateExitStep | EnvelopeStep<any, any>>): Stage<unknown, unknown> {
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
