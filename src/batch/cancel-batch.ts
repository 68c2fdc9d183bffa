/**
 * Cancels one batch unless it is past running. A batch may end between a look and the cancel; the provider then
 * refuses the cancel (409 or 400), which is not a failure: what the batch is now says what happened.
 */
import { withApiRetry, type ApiRetryOptions } from './api-retry.ts';
import { FINAL_STATUSES, type BatchApi, type BatchObject } from './batch-api.ts';

/** The batch after the cancel (`cancelling`), or as it was when it could no longer be cancelled. */
export async function cancelBatchIfRunning(api: BatchApi, id: string, retry: ApiRetryOptions): Promise<BatchObject> {
  const look = () => withApiRetry(`GET /batches/${id}`, () => api.getBatch(id, retry.signal), retry);
  const settled = (batch: BatchObject) => FINAL_STATUSES.has(batch.status) || batch.status === 'cancelling';
  const before = await look();
  if (settled(before)) return before;
  try {
    return await api.cancelBatch(id, retry.signal);
  } catch (error) {
    void error; // refused because it ended meanwhile, or a transient failure: the batch's status tells which
    const now = await look();
    if (settled(now)) return now;
    return withApiRetry(`POST /batches/${id}/cancel`, () => api.cancelBatch(id, retry.signal), retry);
  }
}
