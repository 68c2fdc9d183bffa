/**
 * serialize-json: success envelopes → their value as one JSON line (`JSON.stringify`, no trailing newline; the
 * sink adds it). Failed envelopes pass through untouched. A value JSON cannot represent (BigInt, a cycle)
 * fails that record with `unserializable` instead of stopping the stream.
 */
import { withFailure, withValue, type Envelope } from '../core/envelope.ts';
import type { Stage } from '../core/stage.ts';

export function serializeJson(): Stage<unknown, string> {
  return async function* serializeJsonStage(source, ctx) {
    for await (const envelope of source) {
      ctx?.signal.throwIfAborted();
      if (envelope.failure) {
        yield envelope as Envelope<unknown> as Envelope<string>;
        continue;
      }
      let line: string | undefined;
      try {
        line = JSON.stringify(envelope.value);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        yield withFailure(envelope, { stage: 'serialize-json', reason: 'unserializable', message: `cannot serialize the record: ${message}`, retriable: false, attempts: [] }) as Envelope<string>;
        continue;
      }
      if (line === undefined) {
        yield withFailure(envelope, { stage: 'serialize-json', reason: 'unserializable', message: 'cannot serialize the record: value is undefined or a function', retriable: false, attempts: [] }) as Envelope<string>;
        continue;
      }
      yield withValue(envelope, line);
    }
  };
}
