import assert from 'node:assert/strict';
import { isOk, type GatedEnvelope } from '../../src/core/envelope.ts';

/** The value of an envelope the test expects on its way (neither failed nor left unstarted); fails the test otherwise. */
export function okValue<T>(envelope: GatedEnvelope<T>): T {
  assert.ok(
    isOk(envelope),
    `record ${envelope.id} is ${envelope.failure ? `failed (${envelope.failure.reason})` : 'not started'}, expected on its way`,
  );
  return envelope.value;
}
