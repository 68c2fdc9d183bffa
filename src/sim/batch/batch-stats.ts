/** Counters of the simulator's Files and Batch APIs, served under `batch` by `GET /sim/stats`; zeroed by `POST /sim/reset`. */

export interface BatchSimStats {
  /** `POST /v1/files` that stored a file. */
  filesUploaded: number;
  /** `POST /v1/batches` that created a batch (whatever became of it). */
  batchesCreated: number;
  /** Batches that reached an end: completed, expired, cancelled, failed. */
  batchesByStatus: Record<string, number>;
  /** Batches failed with token_limit_exceeded (their validation found the model's enqueued tokens full). */
  tokenLimitFailures: number;
  /** Requests answered with status 200, refused with another status, and never run (expired or cancelled first). */
  requestsAnswered: number;
  requestsFailed: number;
  requestsUnfinished: number;
  /** Answers (status 200) given to a custom_id that had been answered before, in any batch: a request paid twice. */
  customIdsAnsweredTwice: number;
  /** Content faults served in batch answers, by kind. */
  faults: Record<string, number>;
}

export function emptyBatchStats(): BatchSimStats {
  return {
    filesUploaded: 0,
    batchesCreated: 0,
    batchesByStatus: {},
    tokenLimitFailures: 0,
    requestsAnswered: 0,
    requestsFailed: 0,
    requestsUnfinished: 0,
    customIdsAnsweredTwice: 0,
    faults: {},
  };
}
