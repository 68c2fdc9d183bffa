/**
 * The envelope's three states, each its own type. Several checks here are compile-time: `npx tsc --noEmit -p .`
 * type-checks the tests, and a `@ts-expect-error` whose line compiles fails it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createEnvelope,
  isNotStarted,
  isOk,
  withFailure,
  withNotStarted,
  withValue,
  type Envelope,
  type FailedEnvelope,
  type Failure,
  type GatedEnvelope,
  type NotStartedEnvelope,
} from '../../../src/core/envelope.ts';
import { collect, fromArray, type Sink } from '../../../src/core/stage.ts';
import { envelopeSteps } from '../../../src/core/envelope-steps.ts';
import { dropNotStarted, dropNotStartedStep } from '../../../src/stages/drop-not-started.ts';

const meta = { kind: 'memory', index: 0 } as const;
const failure: Failure = {
  stage: 'llm-map',
  reason: 'bad_request',
  message: 'refused',
  retriable: false,
  attempts: [],
};

test('a failed envelope keeps its input value, typed as that input (no cast to read it)', () => {
  const input = createEnvelope({ id: 'r1', value: { text: 'great dress' }, meta });
  const failed: FailedEnvelope<{ text: string }> = withFailure(input, failure);
  const text: string = failed.value.text; // compile-time: the input's type, not the stage's output type
  assert.equal(text, 'great dress');
  assert.equal(failed.failure, failure);
  assert.equal(isOk(failed), false);
});

test('a stage passes a failure on as its own output type without a cast', () => {
  // Compile-time: narrowing on `failure` leaves a FailedEnvelope, which is every Envelope<Out>.
  const lengthOf = (envelope: Envelope<string>): Envelope<number> =>
    envelope.failure ? envelope : withValue(envelope, envelope.value.length);
  const failed = withFailure(createEnvelope({ id: 'r1', value: 'line', meta }), failure);
  assert.equal(lengthOf(failed), failed, 'the same envelope, untouched');
  const ok = lengthOf(createEnvelope({ id: 'r2', value: 'four', meta }));
  assert.ok(isOk(ok));
  assert.equal(ok.value, 4);
});

test('not started is a state of its own: no failure, no reason, its input kept, its ack shared', () => {
  let acks = 0;
  const input = createEnvelope({ id: 'r1', value: { text: 't' }, meta, ack: () => acks++ });
  const left: NotStartedEnvelope<{ text: string }> = withNotStarted(input, {
    stage: 'llm-map',
    message: 'the job stopped before this call started',
  });
  assert.equal(isNotStarted(left), true);
  assert.equal(isOk(left), false);
  assert.equal(left.failure, undefined, 'never a failure: nothing to dead-letter');
  assert.deepEqual(left.value, { text: 't' });
  left.ack();
  input.ack();
  assert.equal(acks, 1, 'derived envelopes share one at-most-once ack');
});

test('a gated stage must be followed by dropNotStarted before plain stages and sinks (compile-time)', async () => {
  const gated: GatedEnvelope<string>[] = [
    createEnvelope({ id: 'ok', value: 'x', meta }),
    withNotStarted(createEnvelope({ id: 'left', value: 'y', meta }), { stage: 'llm-map', message: 'stopped' }),
  ];
  const sink: Sink<string> = async (source) => void (await collect(source));
  // @ts-expect-error a not-started record is not an Envelope: a sink cannot take a gated stream as it is
  await sink(fromArray(gated));
  await sink(dropNotStarted<string>()(fromArray(gated)));
  const chained = await collect(envelopeSteps(dropNotStartedStep)(fromArray(gated)));
  assert.deepEqual(
    chained.map((e) => e.id),
    ['ok'],
  );
});
