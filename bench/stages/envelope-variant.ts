/**
 * For comparison only: `createEnvelope` of src/core/envelope.ts with the same semantics (frozen, ack at most
 * once) but explicit fields instead of `{ ...init }`. bench/stages.ts measures both, so a change to the core
 * contract's implementation can be decided with a number.
 */
import type { Envelope, EnvelopeInit } from '../../src/core/envelope.ts';

export function createEnvelopeExplicit<T>(init: EnvelopeInit<T>): Envelope<T> {
  let acked = false;
  const onAck = init.ack;
  return Object.freeze({
    id: init.id,
    value: init.value,
    meta: init.meta,
    raw: init.raw,
    failure: init.failure,
    ack() {
      if (acked) return;
      acked = true;
      onAck?.();
    },
  });
}
