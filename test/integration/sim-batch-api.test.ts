/**
 * The simulator's Files and Batch APIs over HTTP, driven by sluice's own Batch API client (src/batch/undici-batch-api):
 * upload, create, poll to each end state (completed, expired, cancelled, failed, token_limit_exceeded), list with
 * pagination, download, and the counters under /sim/stats. Outcomes are checked from the batch objects' own
 * timestamps and counts, which the simulator fixes from its profile (never from when the test looked).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { BatchApi, BatchObject } from '../../src/batch/batch-api.ts';
import { createUndiciBatchApi } from '../../src/batch/undici-batch-api.ts';
import { ModelCallError } from '../../src/llm/model-client.ts';
import { simulatedAnswer, startSimulator, type Simulator } from '../../src/sim/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-sim-batch-'));
const SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    features: { type: 'array', items: { type: 'string' } },
    suggestion: { type: 'string' },
  },
  required: ['sentiment', 'features', 'suggestion'],
};
const signal = new AbortController().signal;

function requestFile(
  name: string,
  count: number,
  text = (i: number) => `Review: great quality, fast delivery #${i}`,
): string {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      custom_id: `${name}-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: text(i) }],
        max_tokens: 100,
        response_format: { type: 'json_schema', json_schema: { name: 'r', schema: SCHEMA } },
      },
    }),
  );
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function untilFinal(api: BatchApi, id: string): Promise<BatchObject> {
  for (;;) {
    const batch = await api.getBatch(id, signal);
    if (['completed', 'expired', 'cancelled', 'failed'].includes(batch.status)) return batch;
    await sleep(20);
  }
}

function fileLines(path: string): Array<Record<string, any>> {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('sim Batch API (real HTTP, sluice client)', () => {
  let sim: Simulator;
  let api: BatchApi;
  before(async () => {
    // Model time ×1000: validation 2 ms, 100,000 requests/s, windows as set per batch below.
    sim = await startSimulator({
      timeScale: 1000,
      overrides: { batchValidateS: 2, batchRequestsPerS: 100, batchFinalizeS: 2, batchCancelS: 2 },
    });
    api = createUndiciBatchApi({ baseUrl: sim.url, apiKey: 'sk-test-not-a-real-key' });
  });
  after(async () => {
    await api.close();
    await sim.close();
  });

  test('completed: every state passed in order, output lines are the online answers, counters add up', async () => {
    const file = await api.uploadFile(requestFile('done', 30), 'done.jsonl', signal);
    assert.equal(file.purpose, 'batch');
    const created = await api.createBatch(file.id, { job: 'test' }, signal);
    assert.equal(created.status, 'validating');
    assert.equal(created.input_file_id, file.id);
    const done = await untilFinal(api, created.id);
    assert.equal(done.status, 'completed');
    const raw = done as unknown as Record<string, number>;
    assert.ok(
      raw.created_at! <= raw.in_progress_at! &&
        raw.in_progress_at! <= raw.finalizing_at! &&
        raw.finalizing_at! <= raw.completed_at!,
      JSON.stringify(done),
    );
    assert.deepEqual(done.request_counts, { total: 30, completed: 30, failed: 0 });
    assert.equal(done.error_file_id, null);
    const out = join(dir, 'done.out.jsonl');
    await api.downloadFile(done.output_file_id!, out, signal);
    const lines = fileLines(out);
    assert.equal(lines.length, 30);
    const answer = JSON.parse(lines[4]!.response.body.choices[0].message.content);
    assert.deepEqual(
      answer,
      simulatedAnswer({ lastUserMessage: 'Review: great quality, fast delivery #4', schema: SCHEMA }),
    );
    const stats = sim.stats().batch;
    assert.equal(stats.filesUploaded, 1);
    assert.equal(stats.batchesCreated, 1);
    assert.equal(stats.requestsAnswered, 30);
  });

  test('expired: the requests run within the window are answered, exactly the rest are batch_expired', async () => {
    // 100 requests/s from validation's end (2 s) to the window's end (2.5 s): 50 of 80 run.
    const short = await startSimulator({
      timeScale: 1000,
      overrides: { batchValidateS: 2, batchRequestsPerS: 100, batchWindowS: 2.5 },
    });
    const shortApi = createUndiciBatchApi({ baseUrl: short.url, apiKey: 'sk-test-not-a-real-key' });
    try {
      const file = await shortApi.uploadFile(requestFile('expire', 80), 'expire.jsonl', signal);
      const expired = await untilFinal(shortApi, (await shortApi.createBatch(file.id, {}, signal)).id);
      assert.equal(expired.status, 'expired');
      assert.deepEqual(expired.request_counts, { total: 80, completed: 50, failed: 0 });
      const errors = join(dir, 'expire.errors.jsonl');
      await shortApi.downloadFile(expired.error_file_id!, errors, signal);
      const unfinished = fileLines(errors);
      assert.deepEqual(
        unfinished.map((l) => l.custom_id),
        Array.from({ length: 30 }, (_, i) => `expire-${50 + i}`),
      );
      assert.ok(unfinished.every((l) => l.response === null && l.error.code === 'batch_expired'));
    } finally {
      await shortApi.close();
      await short.close();
    }
  });

  test('cancelled: cancelling, then cancelled; what ran is kept', async () => {
    const slow = await startSimulator({
      timeScale: 100,
      overrides: { batchValidateS: 0, batchRequestsPerS: 10, batchCancelS: 1 },
    });
    const slowApi = createUndiciBatchApi({ baseUrl: slow.url, apiKey: 'sk-test-not-a-real-key' });
    try {
      const file = await slowApi.uploadFile(requestFile('cancel', 5_000), 'cancel.jsonl', signal);
      const batch = await slowApi.createBatch(file.id, {}, signal);
      const cancelling = await slowApi.cancelBatch(batch.id, signal);
      assert.equal(cancelling.status, 'cancelling');
      const cancelled = await untilFinal(slowApi, batch.id);
      assert.equal(cancelled.status, 'cancelled');
      const ran = cancelled.request_counts!.completed;
      assert.ok(ran < 5_000, `only part ran before the cancel (${ran})`);
      const errors = join(dir, 'cancel.errors.jsonl');
      await slowApi.downloadFile(cancelled.error_file_id!, errors, signal);
      assert.equal(fileLines(errors).filter((l) => l.error?.code === 'batch_cancelled').length, 5_000 - ran);
      const again = await slowApi.cancelBatch(batch.id, signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(again instanceof ModelCallError && again.status === 409, 'a cancelled batch cannot be cancelled');
    } finally {
      await slowApi.close();
      await slow.close();
    }
  });

  test('token_limit_exceeded: a batch validated while another fills the enqueued tokens fails; the first is unaffected', async () => {
    const tight = await startSimulator({
      timeScale: 100,
      overrides: { batchValidateS: 0.5, batchRequestsPerS: 10, batchEnqueuedTokens: 3_000 },
    }); // each file holds ~2,000 prompt tokens
    const tightApi = createUndiciBatchApi({ baseUrl: tight.url, apiKey: 'sk-test-not-a-real-key' });
    try {
      const first = await tightApi.createBatch(
        (await tightApi.uploadFile(requestFile('tok-a', 200), 'a.jsonl', signal)).id,
        {},
        signal,
      );
      // The first runs for 200 / (10 × 100) s = 200 ms after its 5 ms validation; the second validates meanwhile.
      const second = await tightApi.createBatch(
        (await tightApi.uploadFile(requestFile('tok-b', 200), 'b.jsonl', signal)).id,
        {},
        signal,
      );
      const refused = await untilFinal(tightApi, second.id);
      assert.equal(refused.status, 'failed');
      assert.equal(refused.errors?.data?.[0]?.code, 'token_limit_exceeded');
      assert.equal((await untilFinal(tightApi, first.id)).status, 'completed');
      assert.equal(tight.stats().batch.tokenLimitFailures, 1);
    } finally {
      await tightApi.close();
      await tight.close();
    }
  });

  test('list: newest first, paginated with limit and after', async () => {
    const ids: string[] = [];
    const file = await api.uploadFile(requestFile('list', 1), 'list.jsonl', signal);
    for (let i = 0; i < 3; i++) ids.push((await api.createBatch(file.id, {}, signal)).id);
    const first = (await (await fetch(`${sim.url}/batches?limit=2`)).json()) as {
      data: Array<{ id: string }>;
      has_more: boolean;
      last_id: string;
    };
    assert.deepEqual(
      first.data.map((b) => b.id),
      [ids[2], ids[1]],
    );
    assert.equal(first.has_more, true);
    const second = (await (await fetch(`${sim.url}/batches?limit=2&after=${first.last_id}`)).json()) as {
      data: Array<{ id: string }>;
    };
    assert.equal(second.data[0]!.id, ids[0]);
    const page = await api.listBatches(undefined, signal);
    assert.ok(page.data.length >= 4);
  });

  test('refusals: a non-.jsonl batch upload, an unknown file, an unknown batch', async () => {
    const path = requestFile('refuse', 1);
    const upload = await api.uploadFile(path, 'refuse.txt', signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(upload instanceof ModelCallError && upload.status === 400 && /Must be \.jsonl/.test(upload.message));
    const create = await api.createBatch('file-nope', {}, signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(create instanceof ModelCallError && create.status === 404);
    const get = await api.getBatch('batch_nope', signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(get instanceof ModelCallError && get.status === 404);
  });

  test('a delayed creation answer: the batch exists (listed) before its creator hears of it', async () => {
    const delayed = await startSimulator({ timeScale: 1, overrides: { batchCreateDelayS: 30 } });
    const delayedApi = createUndiciBatchApi({ baseUrl: delayed.url, apiKey: 'sk-test-not-a-real-key' });
    try {
      const file = await delayedApi.uploadFile(requestFile('delay', 1), 'delay.jsonl', signal);
      const aborter = new AbortController();
      const pending = delayedApi.createBatch(file.id, {}, aborter.signal).catch((e: unknown) => e);
      while (delayed.stats().batch.batchesCreated === 0) await sleep(10);
      aborter.abort(); // the client goes away, as a killed process would
      await pending;
      const listed = await delayedApi.listBatches(undefined, signal);
      assert.equal(listed.data.length, 1);
      assert.equal(listed.data[0]!.input_file_id, file.id);
    } finally {
      await delayedApi.close();
      await delayed.close();
    }
  });
});
