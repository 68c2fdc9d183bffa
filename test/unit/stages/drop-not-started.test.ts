import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NOT_STARTED } from '../../../src/core/admission-gate.ts';
import { createEnvelope, withFailure, type Envelope } from '../../../src/core/envelope.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { dropNotStarted } from '../../../src/stages/drop-not-started.ts';

test('drops NOT_STARTED records; acks only the superseded ones (frees the Kafka window, commits nothing)', async () => {
  const acked: string[] = [];
  const make = (id: string, superseded: boolean) =>
    createEnvelope({ id, value: {}, meta: { kind: 'memory', index: 0 }, ack: () => acked.push(id), superseded: () => superseded });
  const notStarted = { stage: 'llm-map', reason: NOT_STARTED, message: 'stopped', retriable: true, attempts: [] };
  const input: Envelope<unknown>[] = [
    make('done', false),
    withFailure(make('stopped', false), notStarted),
    withFailure(make('revoked', true), notStarted),
    withFailure(make('dead', false), { ...notStarted, reason: 'bad_request', retriable: false }),
  ];
  const out = (await collect(dropNotStarted()(fromArray(input), { signal: new AbortController().signal }))) as Envelope<unknown>[];
  assert.deepEqual(out.map((e) => e.id), ['done', 'dead'], 'successes and dead letters pass; unfinished records do not');
  assert.deepEqual(acked, ['revoked'], 'a stop leaves its unfinished records unacked (uncommitted): only the superseded one is acked');
});
