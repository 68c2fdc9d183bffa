/**
 * The Batch API port: the provider's Files and Batches endpoints as the batch job uses them (OpenAI's shapes; any
 * OpenAI-compatible endpoint that implements them). `undici-batch-api.ts` is the adapter. Every method makes one
 * HTTP exchange — retries are the caller's (api-retry.ts) — and rejects with a ModelCallError (llm/model-client),
 * so failures are classified in the one place they all are (llm/classify-error).
 */

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

/** Statuses after which a batch changes no more. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['failed', 'completed', 'expired', 'cancelled']);

export interface BatchErrorEntry {
  readonly code?: string;
  readonly message?: string;
  readonly param?: string | null;
  readonly line?: number | null;
}

/** The fields of OpenAI's `batch` object sluice reads. */
export interface BatchObject {
  readonly id: string;
  readonly status: BatchStatus;
  readonly input_file_id: string;
  readonly created_at: number;
  readonly output_file_id?: string | null;
  readonly error_file_id?: string | null;
  readonly request_counts?: { readonly total: number; readonly completed: number; readonly failed: number } | null;
  readonly errors?: { readonly data?: readonly BatchErrorEntry[] } | null;
  readonly completed_at?: number | null;
  readonly expired_at?: number | null;
  readonly failed_at?: number | null;
  readonly cancelled_at?: number | null;
  readonly metadata?: Readonly<Record<string, string>> | null;
}

export interface FileObject {
  readonly id: string;
  readonly bytes: number;
  readonly filename: string;
  readonly purpose: string;
}

export interface BatchPage {
  readonly data: readonly BatchObject[];
  readonly has_more: boolean;
  readonly last_id?: string | null;
}

export interface BatchApi {
  /** `POST /files` (multipart, purpose `batch`): the local file, uploaded under `filename` (must end in .jsonl). */
  uploadFile(path: string, filename: string, signal: AbortSignal): Promise<FileObject>;
  /** `POST /batches`, endpoint `/v1/chat/completions`, completion window `24h`. */
  createBatch(inputFileId: string, metadata: Record<string, string>, signal: AbortSignal): Promise<BatchObject>;
  getBatch(id: string, signal: AbortSignal): Promise<BatchObject>;
  /** `GET /batches?limit=100&after=…`: one page, newest first. */
  listBatches(after: string | undefined, signal: AbortSignal): Promise<BatchPage>;
  cancelBatch(id: string, signal: AbortSignal): Promise<BatchObject>;
  /** `GET /files/{id}/content` into a local file (replaced); resolves with its size. */
  downloadFile(id: string, path: string, signal: AbortSignal): Promise<number>;
  close(): Promise<void>;
}
