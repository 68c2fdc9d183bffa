/**
 * A simulated batch as the store keeps it, and OpenAI's `batch` object it is served as (null for what has not
 * happened yet, as the API does).
 */
import type { BatchError } from './batch-input.ts';
import type { LineOutcome } from './batch-lines.ts';

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

export type Stamp =
  | 'created_at'
  | 'in_progress_at'
  | 'finalizing_at'
  | 'completed_at'
  | 'failed_at'
  | 'expired_at'
  | 'cancelling_at'
  | 'cancelled_at'
  | 'expires_at';

export interface SimBatch {
  readonly id: string;
  readonly seq: number;
  readonly inputFileId: string;
  readonly endpoint: string;
  readonly completionWindow: string;
  readonly metadata: Record<string, string> | null;
  status: BatchStatus;
  model: string | undefined;
  /** Real-clock ms of each moment (computed from the profile when the batch is created or changes state). */
  readonly createdMs: number;
  readonly validateEndMs: number;
  readonly expiresMs: number;
  inProgressMs: number;
  completeMs: number;
  finalizeEndMs: number;
  cancelEndMs: number;
  readonly stamps: Partial<Record<Stamp, number>>;
  outcomes: LineOutcome[] | undefined;
  /** failedBefore[i]: requests among the first i that failed. */
  failedBefore: Int32Array | undefined;
  tokens: number;
  /** Requests run when running stopped (cancel, expiry, completion). */
  doneCount: number;
  errors: BatchError[] | undefined;
  outputFileId: string | undefined;
  errorFileId: string | undefined;
}

/** OpenAI's `batch` object. */
export function batchObject(
  batch: SimBatch,
  requestCounts: { total: number; completed: number; failed: number },
): Record<string, unknown> {
  const s = batch.stamps;
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    model: batch.model ?? null,
    errors: batch.errors ? { object: 'list', data: batch.errors } : null,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: batch.status,
    output_file_id: batch.outputFileId ?? null,
    error_file_id: batch.errorFileId ?? null,
    created_at: s.created_at,
    in_progress_at: s.in_progress_at ?? null,
    expires_at: s.expires_at ?? null,
    finalizing_at: s.finalizing_at ?? null,
    completed_at: s.completed_at ?? null,
    failed_at: s.failed_at ?? null,
    expired_at: s.expired_at ?? null,
    cancelling_at: s.cancelling_at ?? null,
    cancelled_at: s.cancelled_at ?? null,
    request_counts: requestCounts,
    metadata: batch.metadata,
  };
}
