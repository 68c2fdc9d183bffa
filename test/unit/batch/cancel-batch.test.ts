import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BatchApi, BatchObject } from '../../../src/batch/batch-api.ts';
import { cancelBatchIfRunning } from '../../../src/batch/cancel-batch.ts';
import { ModelCallError } from '../../../src/llm/model-client.ts';

function api(statuses: string[], cancel: () => Promise<BatchObject>): BatchApi & { cancels: number } {
  const batch = (status: string) => ({ id: 'b1', status, input_file_id: 'f1', created_at: 1 }) as BatchObject;
  let looks = 0;
  const fake = {
    cancels: 0,
    getBatch: async () => batch(statuses[Math.min(looks++, statuses.length - 1)]!),
    cancelBatch: async () => {
      fake.cancels++;
      return cancel();
    },
  };
  return fake as unknown as BatchApi & { cancels: number };
}
const retry = { signal: new AbortController().signal, sleep: async () => undefined };

test('a running batch is cancelled', async () => {
  const fake = api(['in_progress'], async () => ({
    id: 'b1',
    status: 'cancelling',
    input_file_id: 'f1',
    created_at: 1,
  }));
  assert.equal((await cancelBatchIfRunning(fake, 'b1', retry)).status, 'cancelling');
  assert.equal(fake.cancels, 1);
});

test('a batch that completed between the look and the cancel: the refusal is not a failure', async () => {
  const fake = api(['in_progress', 'completed'], async () => {
    throw new ModelCallError("409 Cannot cancel a batch with status 'completed'.", { status: 409 });
  });
  assert.equal((await cancelBatchIfRunning(fake, 'b1', retry)).status, 'completed');
  assert.equal(fake.cancels, 1, 'not retried');
});

test('a batch past running is not cancelled at all', async () => {
  for (const status of ['completed', 'expired', 'failed', 'cancelled', 'cancelling']) {
    const fake = api([status], async () => assert.fail('no cancel'));
    assert.equal((await cancelBatchIfRunning(fake, 'b1', retry)).status, status);
  }
});
