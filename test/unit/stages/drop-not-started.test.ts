import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEnvelope, withFailure, withNotStarted, type GatedEnvelope } from '../../../src/core/envelope.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { dropNotStarted } from '../../../src/stages/drop-not-started.ts';

test('drops not-started records; acks only the superseded ones (frees the Kafka window, commits nothing)', async () => {
  const acked: string[] = [];
  const make = (id: string, superseded: boolean) =>
    createEnvelope({
      id,
      value: {},
      meta: { kind: 'memory', index: 0 },
      ack: () => acked.push(id),
      superseded: () => superseded,
    });
  const notStarted = { stage: 'llm-map', message: 'stopped' };
  const input: GatedEnvelope<unknown>[] = [
    make('done', false),
    withNotStarted(make('stopped', false), notStarted),
    withNotStarted(make('revoked', true), notStarted),
    withFailure(make('dead', false), {
      stage: 'llm-map',
      reason: 'bad_request',
      message: 'stopped',
      retriable: false,
      attempts: [],
    }),
  ];
  const out = await collect(dropNotStarted()(fromArray(input), { signal: new AbortController().signal }));
  assert.deepEqual(
    out.map((e) => e.id),
    ['done', 'dead'],
    'successes and dead letters pass; unfinished records do not',
  );
  assert.deepEqual(
    acked,
    ['revoked'],
    'a stop leaves its unfinished records unacked (uncommitted): only the superseded one is acked',
  );
});
