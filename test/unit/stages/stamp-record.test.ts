import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEnvelope, withFailure, type Envelope } from '../../../src/core/envelope.ts';
import { envelopeSteps } from '../../../src/core/envelope-steps.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { stampRecord } from '../../../src/stages/stamp-record.ts';
import type { OutputRecord } from '../../../src/stages/llm-map.ts';
import { okValue } from '../../support/ok-value.ts';

const record = (id: string): OutputRecord => ({
  id,
  result: { ok: true },
  usage: { inputTokens: 1_000, outputTokens: 500 },
  model: 'm',
  attempts: 1,
  latencyMs: 10,
});
const envelope = (id: string) => createEnvelope({ id, value: record(id), meta: { kind: 'memory', index: 0 } });
const run = async (step: ReturnType<typeof stampRecord>, input: Envelope<unknown>[]) =>
  (await collect(envelopeSteps(step)(fromArray(input), { signal: new AbortController().signal }))) as Envelope<
    Record<string, unknown>
  >[];

test('stamps the fingerprint and the cost, and adds the cost to the run; a failure passes untouched', async () => {
  const stats = new RunStats();
  const failed = withFailure(envelope('b'), {
    stage: 'llm-map',
    reason: 'bad_request',
    message: '400',
    retriable: false,
    attempts: [],
  });
  const out = await run(stampRecord('fp1', { inputPer1M: 2, outputPer1M: 8 }, stats), [envelope('a'), failed]);
  assert.equal(okValue(out[0]!).fingerprint, 'fp1');
  assert.deepEqual(okValue(out[0]!).usage, { inputTokens: 1_000, outputTokens: 500, costUsd: 0.006 });
  assert.equal(stats.costUsd, 0.006);
  assert.equal(out[1], failed, 'the failed envelope is passed on as it is');
});

test('without prices: the fingerprint only, usage as it was, no cost counted', async () => {
  const stats = new RunStats();
  const [out] = await run(stampRecord('fp2', undefined, stats), [envelope('a')]);
  assert.equal(okValue(out!).fingerprint, 'fp2');
  assert.deepEqual(okValue(out!).usage, { inputTokens: 1_000, outputTokens: 500 });
  assert.equal(stats.costUsd, 0);
});
