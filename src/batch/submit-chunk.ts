/**
 * Moves a chunk to the provider: `written` → upload → `uploaded` → `creating` → create → `created`, saving the state
 * after each step (state-file.ts). Creating a batch is the one step that must never happen twice for a chunk (its
 * records would run and be paid for twice), so it is always preceded by a lookup: `GET /batches`, newest first,
 * for a batch of this chunk's input file created since the first attempt (less a minute of clock skew). The lookup
 * runs on resume after a crash mid-creation, and before every retry of a creation whose answer was lost.
 */
import { withApiRetry, type ApiRetryOptions } from './api-retry.ts';
import type { BatchApi, BatchObject } from './batch-api.ts';
import type { BatchJobState, ChunkState } from './state-file.ts';
import { chunkFiles, type WorkDir } from './work-dir.ts';

export interface SubmitDeps {
  readonly api: BatchApi;
  readonly state: BatchJobState;
  save(): Promise<void>;
  readonly work: WorkDir;
  readonly retry: ApiRetryOptions;
  /** Unix seconds now. */
  now(): number;
}

/** Batches created less than this before the first creation attempt are not this chunk's (clock skew allowance). */
const SKEW_S = 60;

export async function uploadChunk(chunk: ChunkState, deps: SubmitDeps): Promise<void> {
  const filename = `sluice-${deps.state.fingerprint}-chunk-${chunk.n}.jsonl`;
  const file = await withApiRetry(
    `POST /files (chunk ${chunk.n})`,
    () => deps.api.uploadFile(chunkFiles(deps.work, chunk.n).requests, filename, deps.retry.signal),
    deps.retry,
  );
  chunk.fileId = file.id;
  chunk.phase = 'uploaded';
  await deps.save();
}

/** Creates the chunk's batch, or attaches to the one a previous attempt created; leaves the chunk `created`. */
export async function createChunkBatch(chunk: ChunkState, deps: SubmitDeps): Promise<BatchObject> {
  if (!chunk.fileId) throw new TypeError(`chunk ${chunk.n} has no uploaded file`);
  if (chunk.phase !== 'creating') {
    chunk.phase = 'creating';
    chunk.creatingSince = deps.now();
    await deps.save();
  }
  const metadata = { sluice_job: deps.state.fingerprint, sluice_chunk: String(chunk.n) };
  // Every attempt looks first: an attempt whose answer was lost (timeout, reset) may have created the batch.
  const batch = await withApiRetry(
    `POST /batches (chunk ${chunk.n})`,
    async () => (await findChunkBatch(chunk, deps)) ?? deps.api.createBatch(chunk.fileId!, metadata, deps.retry.signal),
    deps.retry,
  );
  chunk.batchId = batch.id;
  chunk.createdAt = batch.created_at;
  chunk.status = batch.status;
  chunk.phase = 'created';
  await deps.save();
  return batch;
}

/** The batch this chunk's file already has at the provider (not one that failed for the token limit), if any. */
export async function findChunkBatch(chunk: ChunkState, deps: SubmitDeps): Promise<BatchObject | undefined> {
  const since = (chunk.creatingSince ?? deps.now()) - SKEW_S;
  const refusedForTokens = new Set(chunk.tokenLimitFailures ?? []);
  let after: string | undefined;
  for (;;) {
    const page = await withApiRetry('GET /batches', () => deps.api.listBatches(after, deps.retry.signal), deps.retry);
    for (const batch of page.data) {
      if (batch.input_file_id === chunk.fileId && !refusedForTokens.has(batch.id)) return batch;
    }
    const oldest = page.data.at(-1);
    if (!page.has_more || !oldest || oldest.created_at < since) return undefined;
    after = page.last_id ?? oldest.id;
  }
}
