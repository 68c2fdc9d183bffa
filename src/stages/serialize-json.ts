/**
 * serialize-json: success envelopes → their value as one JSON line (`JSON.stringify`, no trailing newline; the
 * sink adds it). Failed envelopes pass through untouched. A value JSON cannot represent (BigInt, a cycle)
 * fails that record with `unserializable` instead of stopping the stream.
 */
import { isOk, withFailure, withValue } from '../core/envelope.ts';
import { envelopeSteps, type EnvelopeStep } from '../core/envelope-steps.ts';
import type { Stage } from '../core/stage.ts';

export function serializeJson(): Stage<unknown, string> {
  return envelopeSteps(serializeJsonStep) as Stage<unknown, string>;
}

/** The same as a step (core/envelope-steps), for chaining with other per-envelope steps in one stage. */
export const serializeJsonStep: EnvelopeStep<unknown, string> = (envelope) => {
  // Failures pass through; so would a not-started record (no dropNotStarted before): the routing sink refuses it.
  if (!isOk(envelope)) return envelope;
  let line: string | undefined;
  try {
    line = JSON.stringify(envelope.value);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return withFailure(envelope, {
      stage: 'serialize-json',
      reason: 'unserializable',
      message: `cannot serialize the record: ${message}`,
      retriable: false,
      attempts: [],
    });
  }
  if (line === undefined) {
    return withFailure(envelope, {
      stage: 'serialize-json',
      reason: 'unserializable',
      message: 'cannot serialize the record: value is undefined or a function',
      retriable: false,
      attempts: [],
    });
  }
  return withValue(envelope, line);
};
