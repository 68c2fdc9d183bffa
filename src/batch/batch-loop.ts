/**
 * The batch job's main loop, once the input pass has written its chunks. Each round:
 *   1. uploads the chunks written (input chunks, and chunks of records to send again),
 *   2. creates their batches (submit-chunk.ts: never twice) — except a chunk waiting after token_limit_exceeded,
 *   3. polls the running batches (poll-chunk.ts),
 *   4. ingests the batches that ended, in chunk order (ingest-chunk.ts),
 * then waits `pollMs`. It ends when every record's chunk is ingested, or stops:
 * - on a signal or a job stop (StopControl): at once, batches keep running at the provider (--resume re-attaches);
 * - when a batch this run saw running is cancelled (`sluice batch cancel`): nothing new is submitted, the job's
 *   other batches are cancelled too, and the loop waits for them to end and ingests what they finished.
 * A chunk refused for the token limit waits `pollMs · 2^(k−1)` (at most 10 min) after its k-th refusal, or until
 * one of the job's batches ends; after MAX_TOKEN_LIMIT_FAILURES refusals of one chunk the job stops with advice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../core/errors.ts';
import { cancelBatchIfRunning } from './cancel-batch.ts';
import type { BatchProgress } from './batch-progress.ts';
import type { IngestResult } from './ingest-chunk.ts';
import { pollChunk, tokenLimitMessage, type PollDeps } from './poll-chunk.ts';
import type { BatchJobState, ChunkPhase, ChunkState } from './state-file.ts';
import type { StopControl, StopReason } from './stop-control.ts';
import { createChunkBatch, uploadChunk, type SubmitDeps } from './submit-chunk.ts';

export interface BatchLoopDeps {
  readonly state: BatchJobState;
  readonly submit: SubmitDeps;
  readonly poll: PollDeps;
  ingest(chunk: ChunkState): Promise<IngestResult>;
  readonly pollMs: number;
  readonly progress: BatchProgress;
  readonly control: StopControl;
  readonly log: (line: string) => void;
}

export type LoopEnd = { readonly kind: 'done' } | { readonly kind: 'stopped'; readonly reason: StopReason };

const ACTIVE = new Set(['validating', 'in_progress', 'finalizing']);
const MAX_TOKEN_LIMIT_FAILURES = 20;
const MAX_TOKEN_WAIT_MS = 600_000;

export async function runBatchLoop(deps: BatchLoopDeps): Promise<LoopEnd> {
  const { state, control, log } = deps;
  const seenActive = new Set<number>();
  const tokenWaitUntil = new Map<number, number>();
  let cancelling = false;
  const inPhase = (...phases: ChunkPhase[]) => state.chunks.filter((c) => phases.includes(c.phase));
  const stopped = (): LoopEnd | undefined => (control.reason ? { kind: 'stopped', reason: control.reason } : undefined);

  try {
    for (;;) {
      if (!cancelling) {
        for (const chunk of inPhase('written')) {
          if (control.reason) break;
          await uploadChunk(chunk, deps.submit);
        }
        for (const chunk of inPhase('uploaded', 'creating')) {
          if (control.reason) break;
          if ((tokenWaitUntil.get(chunk.n) ?? 0) > Date.now()) continue;
          const batch = await createChunkBatch(chunk, deps.submit);
          if (ACTIVE.has(batch.status)) seenActive.add(chunk.n);
          log(
            `sluice: chunk ${chunk.n}: batch ${batch.id} ${batch.status} (${chunk.requests.toLocaleString('en-US')} requests, ${chunk.records.toLocaleString('en-US')} records${chunk.round > 1 ? `, submission ${chunk.round}` : ''})`,
          );
        }
      }
      for (const chunk of inPhase('created')) {
        if (control.reason) break;
        const batchId = chunk.batchId;
        const { event, batch } = await pollChunk(chunk, deps.poll);
        if (ACTIVE.has(batch.status)) seenActive.add(chunk.n);
        if ((batch.status === 'cancelling' || batch.status === 'cancelled') && seenActive.has(chunk.n) && !cancelling) {
          cancelling = true;
          log(
            `sluice: batch ${batch.id} was cancelled: submitting nothing more; cancelling the job's other batches and keeping what they finished`,
          );
          await cancelOthers(chunk, deps);
        }
        if (event === 'token_limit') {
          const failures = chunk.tokenLimitFailures?.length ?? 1;
          if (failures >= MAX_TOKEN_LIMIT_FAILURES) {
            throw new SluiceError(
              'token_limit',
              `chunk ${chunk.n} was refused ${failures} times for the enqueued-token limit (${tokenLimitMessage(batch)}); set batch.maxTokens below the limit, then resume with --resume`,
            );
          }
          const wait = Math.min(MAX_TOKEN_WAIT_MS, deps.pollMs * 2 ** (failures - 1));
          tokenWaitUntil.set(chunk.n, Date.now() + wait);
          const alone = inPhase('created').every((c) => c === chunk || !ACTIVE.has(c.status ?? ''));
          log(
            `sluice: chunk ${chunk.n}: batch ${batchId} refused: ${tokenLimitMessage(batch)} — creating it again in ${(wait / 1000).toFixed(1)}s or when one of this job's batches ends` +
              (alone
                ? " (none of this job's batches is running: if this chunk alone passes the limit, set batch.maxTokens below it)"
                : ''),
          );
        } else if (event === 'ended') {
          const counts = batch.request_counts;
          log(
            `sluice: chunk ${chunk.n}: batch ${batch.id} ${batch.status}${counts ? ` (${counts.completed.toLocaleString('en-US')} answered, ${counts.failed.toLocaleString('en-US')} failed of ${counts.total.toLocaleString('en-US')})` : ''}`,
          );
        }
      }
      for (const chunk of inPhase('ended')) {
        if (control.reason) break;
        const result = await deps.ingest(chunk);
        if (!result.completed) break;
        if (result.resubmitted > 0)
          log(
            `sluice: chunk ${chunk.n}: ${result.resubmitted.toLocaleString('en-US')} records to send again in chunk ${state.chunks.length}`,
          );
        tokenWaitUntil.clear(); // a batch of this job ended: the model's enqueued tokens have room again
      }
      deps.progress.update(state);
      const stop = stopped();
      if (stop) return stop;
      if (state.preparedAll && state.chunks.every((c) => c.phase === 'ingested')) return { kind: 'done' };
      if (cancelling && inPhase('creating', 'created', 'ended').length === 0)
        return { kind: 'stopped', reason: { kind: 'cancelled' } };
      // A chunk of records to send again is uploaded at once; otherwise the batches get time to progress.
      if (cancelling || inPhase('written').length === 0)
        await sleep(deps.pollMs, undefined, { signal: control.signal });
    }
  } catch (error) {
    // A stop aborts whatever was waiting (a poll, an upload, the sleep): that is the stop, not a failure.
    const stop = stopped();
    if (stop && control.signal.aborted) return stop;
    throw error;
  }
}

/** After the user cancelled one batch of the job: cancels the job's other running batches (they finish as cancelled). */
async function cancelOthers(cancelled: ChunkState, deps: BatchLoopDeps): Promise<void> {
  for (const chunk of deps.state.chunks) {
    if (chunk === cancelled || chunk.phase !== 'created' || !chunk.batchId || !ACTIVE.has(chunk.status ?? '')) continue;
    // One that ended meanwhile stays as it is: its results are ingested as usual.
    const batch = await cancelBatchIfRunning(deps.submit.api, chunk.batchId, deps.submit.retry);
    deps.log(`sluice: chunk ${chunk.n}: batch ${batch.id} ${batch.status}`);
  }
}
