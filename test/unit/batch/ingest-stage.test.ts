import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineSchema, type PipelineConfig } from '../../../src/config/pipeline-schema.ts';
import { createEnvelope, type Envelope, type OkEnvelope } from '../../../src/core/envelope.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import type { ModelResponse } from '../../../src/llm/model-client.ts';
import { createPackContext } from '../../../src/pack/map-pack.ts';
import { createMapRecordContext } from '../../../src/stages/llm-map.ts';
import type { Outcome } from '../../../src/batch/batch-outcomes.ts';
import { ingestUnits, type IngestOptions, type IngestUnit } from '../../../src/batch/ingest-stage.ts';
import { CountingLimiter, okResponse, scriptedClient, type Step } from '../llm/fakes.ts';

const pipeline: PipelineConfig = PipelineSchema.parse({
  name: 't',
  model: { name: 'gpt-4o-mini', maxTokens: 50 },
  input: { keep: ['rating'] },
  prompt: { system: 'Classify.', user: 'Review: {text}' },
  output: {
    schema: { type: 'object', properties: { label: { type: 'string', enum: ['good', 'bad'] } }, required: ['label'] },
  },
  retries: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
});
const ONLINE = { inputPer1M: 1, outputPer1M: 2 };
const BATCH = { inputPer1M: 0.5, outputPer1M: 1 };

function record(i: number): OkEnvelope<Record<string, unknown>> {
  return createEnvelope({ id: `r${i}`, value: { text: `review ${i}`, rating: i }, meta: { kind: 'memory', index: i } });
}

function answered(raw: string, usage = { inputTokens: 100, outputTokens: 10 }): Outcome {
  return {
    kind: 'answered',
    response: { ...okResponse(raw), usage, model: 'gpt-4o-mini-2024-07-18' } as ModelResponse,
  };
}

function unit(
  seq: number,
  members: OkEnvelope<Record<string, unknown>>[],
  outcome: Outcome,
  round = 1,
): Envelope<IngestUnit> {
  const value: IngestUnit = {
    seq,
    members,
    round,
    outcome,
    attempt: { at: '2026-01-01T00:00:00.000Z', status: 200, latencyMs: 60_000 },
    startedMs: Date.now() - 60_000,
  };
  return createEnvelope({ id: members[0]!.id, value, meta: members[0]!.meta });
}

async function ingest(units: Envelope<IngestUnit>[], steps: Step[], overrides: Partial<IngestOptions> = {}) {
  const client = scriptedClient(steps);
  const stats = new RunStats();
  const resubmitted: Array<{ seq: number; round: number }> = [];
  const context = createPackContext(
    createMapRecordContext({ pipeline, client, limiter: new CountingLimiter(), stats, sleep: async () => undefined }),
  );
  const stage = ingestUnits({
    context,
    fallback: 'batch',
    maxSubmissions: 3,
    prices: { batch: BATCH, online: ONLINE },
    fingerprint: 'fp',
    stats,
    window: 4,
    resubmit: async (u, round) => void resubmitted.push({ seq: u.seq, round }),
    ...overrides,
  });
  const out = await collect(stage(fromArray(units)));
  return { out, client, stats, resubmitted };
}

test('a valid batch answer becomes the output record, costed at the batch price, with no online call', async () => {
  const { out, client, stats } = await ingest([unit(1, [record(1)], answered('{"label":"good"}'))], []);
  assert.equal(client.calls.length, 0);
  assert.equal(out.length, 1);
  const value = out[0]!.value as Record<string, any>;
  assert.deepEqual(value.result, { label: 'good' });
  assert.equal(value.rating, 1, 'kept input fields');
  assert.equal(value.fingerprint, 'fp');
  assert.equal(value.attempts, 1);
  assert.equal(value.model, 'gpt-4o-mini-2024-07-18');
  assert.equal(value.usage.costUsd, (100 * 0.5 + 10 * 1) / 1e6);
  assert.equal(stats.inputTokens, 100);
  assert.equal(stats.costUsd, (100 * 0.5 + 10 * 1) / 1e6);
});

test('an invalid batch answer is re-asked once online; the re-ask is costed at the online price', async () => {
  const { out, client } = await ingest(
    [unit(1, [record(1)], answered('{"label":"meh"}'))],
    [okResponse('{"label":"bad"}')],
  );
  assert.equal(client.calls.length, 1);
  assert.match(client.calls[0]!.messages[0]!.content, /Your previous answer to the request below was invalid/);
  const value = out[0]!.value as Record<string, any>;
  assert.deepEqual(value.result, { label: 'bad' });
  assert.equal(value.attempts, 2);
  // okResponse's usage is 10 in / 5 out.
  assert.equal(value.usage.costUsd, Number(((100 * 0.5 + 10 * 1) / 1e6 + (10 * 1 + 5 * 2) / 1e6).toFixed(8)));
});

test("a refused request is each record's dead letter with the batch attempt", async () => {
  const { out } = await ingest(
    [unit(1, [record(1)], { kind: 'refused', status: 400, reason: 'bad_request', message: '400 nope' })],
    [],
  );
  assert.equal(out[0]!.failure?.reason, 'bad_request');
  assert.equal(out[0]!.failure?.retriable, false);
  assert.deepEqual(
    out[0]!.failure?.attempts.map((a) => a.status),
    [400],
  );
});

test('unfinished, fallback batch: sent again with one more submission; a cancelled batch does not count one; past maxSubmissions a retriable dead letter', async () => {
  const expired: Outcome = { kind: 'unfinished', reason: 'batch_expired', message: 'batch_expired: late' };
  const cancelled: Outcome = { kind: 'unfinished', reason: 'batch_cancelled', message: 'batch_cancelled: stop' };
  const { out, resubmitted, client } = await ingest(
    [unit(1, [record(1)], expired), unit(2, [record(2)], cancelled, 2), unit(3, [record(3)], expired, 3)],
    [],
  );
  assert.deepEqual(resubmitted, [
    { seq: 1, round: 2 },
    { seq: 2, round: 2 },
  ]);
  assert.equal(client.calls.length, 0);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.id, 'r3');
  assert.equal(out[0]!.failure?.reason, 'batch_expired');
  assert.equal(out[0]!.failure?.retriable, true);
  assert.match(out[0]!.failure!.message, /submitted 3 times/);
});

test('unfinished, a batch whose input was refused: not sent again (it would fail the same way)', async () => {
  const failed: Outcome = { kind: 'unfinished', reason: 'batch_failed', message: 'batch_failed: invalid', final: true };
  const { out, resubmitted } = await ingest([unit(1, [record(1)], failed)], []);
  assert.deepEqual(resubmitted, []);
  assert.equal(out[0]!.failure?.reason, 'batch_failed');
});

test('unfinished, fallback online: done online through the retry layer, costed at the online price', async () => {
  const expired: Outcome = { kind: 'unfinished', reason: 'batch_expired', message: 'late' };
  const { out, client, resubmitted } = await ingest([unit(1, [record(1)], expired)], [okResponse('{"label":"good"}')], {
    fallback: 'online',
  });
  assert.equal(client.calls.length, 1);
  assert.deepEqual(resubmitted, []);
  const value = out[0]!.value as Record<string, any>;
  assert.deepEqual(value.result, { label: 'good' });
  assert.equal(value.usage.costUsd, (10 * 1 + 5 * 2) / 1e6);
});

test('a packed answer is split by id; a missing item is retried alone online', async () => {
  const members = [record(1), record(2), record(3)];
  const packed = answered(
    JSON.stringify({
      items: [
        { id: 'r3', result: { label: 'bad' } },
        { id: 'r1', result: { label: 'good' } },
      ],
    }),
    { inputTokens: 300, outputTokens: 30 },
  );
  const { out, client } = await ingest([unit(1, members, packed)], [okResponse('{"label":"good"}')]);
  assert.equal(client.calls.length, 1, 'r2 alone');
  assert.deepEqual(
    out.map((e) => [e.id, (e.value as any).result.label]),
    [
      ['r1', 'good'],
      ['r2', 'good'],
      ['r3', 'bad'],
    ],
  );
  assert.ok(out.every((e) => (e.value as any).usage.shared === true && (e.value as any).usage.packSize === 3));
  const batchShare = out.map((e) => (e.value as any).usage.inputTokens).reduce((a: number, b: number) => a + b, 0);
  assert.equal(batchShare, 300 + 10, "the pack's usage shared out, plus r2's own call");
});

test('a request saying the quota is exhausted: sent again, and the job is told to stop after this batch', async () => {
  const stops: string[] = [];
  const quota: Outcome = { kind: 'unfinished', reason: 'quota_exhausted', message: '429 quota', stopJob: true };
  const { resubmitted } = await ingest([unit(1, [record(1)], quota, 3)], [], { onStopJob: (m) => void stops.push(m) });
  assert.deepEqual(resubmitted, [{ seq: 1, round: 4 }], 'never dead-lettered for a quota');
  assert.equal(stops.length, 1);
});
