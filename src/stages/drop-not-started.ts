import { isNotStarted } from '../core/admission-gate.ts';
import { envelopeSteps, type EnvelopeStep } from '../core/envelope-steps.ts';
import type { Stage } from '../core/stage.ts';

/**
 * After llm-map: removes the records whose call a stopping job kept from starting (core/admission-gate). They are
 * unfinished, not failed: neither written nor dead-lettered nor acked, so `--resume` (or the Kafka group) does
 * them later, and the summary counts them as unfinished.
 */
export function dropNotStarted(): Stage<unknown, unknown> {
  return envelopeSteps(dropNotStartedStep);
}

/** The same as a step (core/envelope-steps), for chaining with other per-envelope steps in one stage. */
export const dropNotStartedStep: EnvelopeStep = (envelope) => {
  if (!isNotStarted(envelope.failure)) return envelope;
  // A superseded record's ack commits nothing (its partition's new owner does it); it frees the source's window.
  if (envelope.superseded?.()) envelope.ack();
  return undefined;
};
