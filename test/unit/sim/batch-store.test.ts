import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatchStore } from '../../../src/sim/batch/batch-store.ts';
import { resolveProfile } from '../../../src/sim/profiles.ts';

// The simulator's batch life cycle under a hand-driven clock: every transition happens at the moment the profile
// fixes, whatever the moment the batch is looked at.

const SCHEMA = { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] };

function requestLine(customId: string, text: string, model = 'gpt-4o-mini'): string {
  const body = {
    model,
    messages: [{ role: 'user', content: text }],
    max_tokens: 50,
    response_format: { type: 'json_schema', json_schema: { name: 'r', schema: SCHEMA } },
  };
  return JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body });
}

function setup(overrides: Record<string, number> = {}) {
  const clock = { ms: 0 };
  const params = resolveProfile('null', {
    batchValidateS: 10,
    batchRequestsPerS: 2,
    batchFinalizeS: 5,
    batchWindowS: 1000,
    batchCancelS: 3,
    ...overrides,
  });
  const store = new BatchStore({
    params,
    timeScale: 1,
    seed: 1,
    nowMs: () => clock.ms,
    wallMs: () => 1_700_000_000_000 + clock.ms,
  });
  const upload = (lines: string[]) => store.files.add('in.jsonl', 'batch', Buffer.from(`${lines.join('\n')}\n`), 0).id;
  const create = (fileId: string) =>
    store.create({ inputFileId: fileId, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null });
  const at = (seconds: number, id: string) => {
    clock.ms = seconds * 1000;
    return store.objectOf(store.get(id)!) as Record<string, any>;
  };
  const lines = (fileId: string | null) =>
    fileId
      ? store.files
          .get(fileId)!
          .content.toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : [];
  return { clock, store, upload, create, at, lines };
}

const TEN = Array.from({ length: 10 }, (_, i) => requestLine(`c${i}`, `Review ${i}: fine`));

describe('sim batch store', () => {
  test('validating → in_progress → finalizing → completed, with request counts and timestamps', () => {
    const { upload, create, at, lines } = setup();
    const id = create(upload(TEN)).id;
    assert.equal(at(0, id).status, 'validating');
    assert.deepEqual(at(9.9, id).request_counts, { total: 0, completed: 0, failed: 0 });
    const running = at(12.6, id); // validation ended at 10 s; 2 requests/s → 5 run by 12.6 s
    assert.equal(running.status, 'in_progress');
    assert.deepEqual(running.request_counts, { total: 10, completed: 5, failed: 0 });
    assert.equal(running.in_progress_at, 1_700_000_010);
    assert.equal(at(16, id).status, 'finalizing'); // all 10 by 15 s
    const done = at(20, id);
    assert.equal(done.status, 'completed');
    assert.equal(done.finalizing_at, 1_700_000_015);
    assert.equal(done.completed_at, 1_700_000_020);
    assert.equal(done.error_file_id, null);
    const output = lines(done.output_file_id);
    assert.deepEqual(
      output.map((l) => l.custom_id),
      TEN.map((_, i) => `c${i}`),
    );
    assert.equal(output[0].response.status_code, 200);
    assert.equal(output[0].error, null);
    assert.equal(JSON.parse(output[0].response.body.choices[0].message.content).label.length > 0, true);
  });

  test('looked at only once, long after: the same end state', () => {
    const { upload, create, at } = setup();
    const id = create(upload(TEN)).id;
    const done = at(10_000, id);
    assert.equal(done.status, 'completed');
    assert.equal(done.completed_at, 1_700_000_020);
  });

  test('expiry: the requests run by the end of the window are in the output, the rest batch_expired', () => {
    const { upload, create, at, lines } = setup({ batchWindowS: 13.6 }); // runs from 10 s: ⌊3.6 × 2⌋ = 7 requests
    const id = create(upload(TEN)).id;
    const expired = at(100, id);
    assert.equal(expired.status, 'expired');
    assert.equal(expired.expired_at, 1_700_000_013);
    assert.deepEqual(expired.request_counts, { total: 10, completed: 7, failed: 0 });
    assert.equal(lines(expired.output_file_id).length, 7);
    const errors = lines(expired.error_file_id);
    assert.deepEqual(
      errors.map((l) => l.custom_id),
      ['c7', 'c8', 'c9'],
    );
    assert.deepEqual(errors[0].error, {
      code: 'batch_expired',
      message: 'This request could not be executed before the completion window expired.',
    });
    assert.equal(errors[0].response, null);
  });

  test('cancel while running: cancelling, then cancelled with what had run', () => {
    const { upload, create, at, store, lines } = setup();
    const id = create(upload(TEN)).id;
    at(11.1, id); // 2 run
    assert.equal(store.cancel(store.get(id)!), true);
    assert.equal(at(12, id).status, 'cancelling');
    const cancelled = at(14.2, id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(lines(cancelled.output_file_id).length, 2);
    assert.equal(lines(cancelled.error_file_id).filter((l) => l.error?.code === 'batch_cancelled').length, 8);
    assert.equal(store.cancel(store.get(id)!), false, 'a cancelled batch cannot be cancelled again');
  });

  test('per-request errors: a refused body and a forced status go to the error file with their status', () => {
    const { upload, create, at, lines } = setup();
    const bad = JSON.stringify({
      custom_id: 'bad',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [] },
    });
    const id = create(
      upload([requestLine('ok', 'Review: fine'), requestLine('five', 'Review [[sim:status=500]]'), bad]),
    ).id;
    const done = at(100, id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.request_counts, { total: 3, completed: 1, failed: 2 });
    const errors = lines(done.error_file_id);
    assert.deepEqual(
      errors.map((l) => [l.custom_id, l.response.status_code]),
      [
        ['five', 500],
        ['bad', 400],
      ],
    );
    assert.equal(errors[1].response.body.error.type, 'invalid_request_error');
  });

  test('invalid input files fail validation with one error per problem', () => {
    const { upload, create, at } = setup();
    const id = create(
      upload([
        requestLine('a', 'x'),
        requestLine('a', 'y'),
        'not json',
        JSON.stringify({ custom_id: 'u', method: 'POST', url: '/v1/embeddings', body: {} }),
      ]),
    ).id;
    const failed = at(11, id);
    assert.equal(failed.status, 'failed');
    assert.deepEqual(
      failed.errors.data.map((e: { code: string; line: number }) => [e.code, e.line]),
      [
        ['duplicate_custom_id', 2],
        ['invalid_json_line', 3],
        ['mismatched_url', 4],
      ],
    );
    assert.equal(failed.failed_at, 1_700_000_010);
    assert.equal(failed.output_file_id, null);
  });

  test('too many requests for one batch fail validation', () => {
    const { upload, create, at } = setup({ batchMaxRequests: 5 });
    const failed = at(11, create(upload(TEN)).id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.errors.data[0].code, 'too_many_requests');
  });

  test('enqueued tokens: a batch validated while another runs fails token_limit_exceeded; after it ends, one passes', () => {
    // Each line holds ~4 prompt tokens; ten of them fill the limit once.
    const { upload, create, at, store } = setup({ batchEnqueuedTokens: 45 });
    const first = create(upload(TEN)).id;
    at(1, first);
    const second = create(upload(TEN)).id;
    const refused = at(12, second); // validation ended at 11 s while the first ran (10–15 s)
    assert.equal(refused.status, 'failed');
    assert.equal(refused.errors.data[0].code, 'token_limit_exceeded');
    assert.match(
      refused.errors.data[0].message,
      /^Enqueued token limit reached for gpt-4o-mini in organization org-sluice-sim\. Limit: 45 enqueued tokens\./,
    );
    const third = create(upload(TEN)).id; // created at 12 s, validated at 22 s: the first finalized at 15 s
    assert.equal(at(23, third).status, 'in_progress');
    assert.equal(store.stats.tokenLimitFailures, 1);
  });

  test('stats: batches created, by end status, answers given twice to one custom_id', () => {
    const { upload, create, at, store } = setup();
    const file = upload(TEN);
    const a = create(file).id;
    const b = create(file).id; // the same requests again: every answer is a second one
    at(100, a);
    at(100, b);
    const stats = store.stats;
    assert.equal(stats.batchesCreated, 2);
    assert.deepEqual(stats.batchesByStatus, { completed: 2 });
    assert.equal(stats.requestsAnswered, 20);
    assert.equal(stats.customIdsAnsweredTwice, 10);
  });
});
