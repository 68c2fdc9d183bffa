/**
 * One look at a chunk's batch (`GET /batches/{id}`): its status and request counts are recorded (the state file is
 * saved only when the status changed), and a batch that reached an end is noted with its output and error files:
 * - `token_limit`: the batch failed `token_limit_exceeded` — it ran nothing; the chunk goes back to `uploaded`
 *   (its file is still there) and is created again later (the caller waits);
 * - `ended`: completed, expired, cancelled, or failed otherwise — the chunk is `ended`, ready to ingest.
 */
import { withApiRetry, type ApiRetryOptions } from './api-retry.ts';
import { FINAL_STATUSES, type BatchObject } from './batch-api.ts';
import type { BatchApi } from './batch-api.ts';
import type { ChunkState } from './state-file.ts';

export type PollEvent = 'running' | 'ended' | 'token_limit';

export interface PollDeps {
  readonly api: BatchApi;
  save(): Promise<void>;
  readonly retry: ApiRetryOptions;
  /** Unix seconds now. */
  now(): number;
}

/** Errors of a failed batch kept in the state (and the records' dead letters). */
const KEPT_ERRORS = 5;

export async function pollChunk(chunk: ChunkState, deps: PollDeps): Promise<{ event: PollEvent; batch: BatchObject }> {
  const id = chunk.batchId;
  if (!id) throw new TypeError(`chunk ${chunk.n} has no batch to poll`);
  const batch = await withApiRetry(`GET /batches/${id}`, () => deps.api.getBatch(id, deps.retry.signal), deps.retry);
  const changed = batch.status !== chunk.status;
  chunk.status = batch.status;
  if (batch.request_counts)
    chunk.counts = {
      total: batch.request_counts.total,
      completed: batch.request_counts.completed,
      failed: batch.request_counts.failed,
    };
  if (!FINAL_STATUSES.has(batch.status)) {
    if (changed) await deps.save();
    return { event: 'running', batch };
  }
  const errors = batch.errors?.data ?? [];
  if (batch.status === 'failed' && errors.some((e) => e.code === 'token_limit_exceeded')) {
    chunk.tokenLimitFailures = [...(chunk.tokenLimitFailures ?? []), id];
    chunk.batchId = undefined;
    chunk.status = undefined;
    chunk.counts = undefined;
    chunk.phase = 'uploaded';
    await deps.save();
    return { event: 'token_limit', batch };
  }
  chunk.phase = 'ended';
  chunk.outputFileId = batch.output_file_id ?? null;
  chunk.errorFileId = batch.error_file_id ?? null;
  chunk.endedAt = batch.completed_at ?? batch.expired_at ?? batch.cancelled_at ?? batch.failed_at ?? deps.now();
  if (errors.length > 0) {
    chunk.errors = errors
      .slice(0, KEPT_ERRORS)
      .map((e) => `${e.code ?? 'error'}: ${e.message ?? ''}${typeof e.line === 'number' ? ` (line ${e.line})` : ''}`);
  }
  await deps.save();
  return { event: 'ended', batch };
}

/** The message of a token_limit_exceeded failure, for the log. */
export function tokenLimitMessage(batch: BatchObject): string {
  return batch.errors?.data?.find((e) => e.code === 'token_limit_exceeded')?.message ?? 'token_limit_exceeded';
}
