import { isNotStarted, type Envelope, type GatedEnvelope } from '../core/envelope.ts';
import type { StageContext } from '../core/stage.ts';

/**
 * Right after a stage behind the admission gate (core/stage.ts `GatedStage`): removes the records whose call a
 * stopping job kept from starting (core/admission-gate). They are unfinished, not failed: neither written nor
 * dead-lettered nor acked, so `--resume` (or the Kafka group) does them later, and the summary counts them as
 * unfinished. What comes out is plain envelopes, as every later stage and sink expects (the routing sink refuses a
 * not-started record: sinks/routing.ts).
 */
export function dropNotStarted<T = unknown>(): (
  source: AsyncIterable<GatedEnvelope<T>>,
  ctx?: StageContext,
) => AsyncIterable<Envelope<T>> {
  return async function* dropNotStartedStage(source, ctx) {
    for await (const envelope of source) {
      ctx?.signal.throwIfAborted();
      const kept = dropNotStartedStep(envelope);
      if (kept) yield kept;
    }
  };
}

/** The same as a step (core/envelope-steps), for chaining with other per-envelope steps in one stage. */
export function dropNotStartedStep<T>(envelope: GatedEnvelope<T>): Envelope<T> | undefined {
  if (!isNotStarted(envelope)) return envelope;
  // A superseded record's ack commits nothing (its partition's new owner does it); it frees the source's window.
  if (envelope.superseded?.()) envelope.ack();
  return undefined;
}
