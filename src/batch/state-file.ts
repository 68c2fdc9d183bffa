/**
 * The batch job's state file: what was prepared, uploaded, created and finished, so a job killed at any moment
 * re-attaches to its batches with `--resume` instead of submitting a record twice.
 *
 * Crash safety: the file is replaced atomically — the new content is written to `state.json.tmp`, fsynced, renamed
 * over `state.json`, and the directory is fsynced — so a reader finds the previous state or the next, never half
 * of one. Every step that talks to the provider records its intent before it acts and its result after:
 *   written ─upload─▶ uploaded ─(intent: creating)─create─▶ created ─poll─▶ ended ─ingest─▶ ingested
 * A crash between intent and result is resolved on resume: an upload is done again (a file that was stored anyway
 * costs nothing and runs nothing), a creation is looked up first (`GET /v1/batches`, by input file id) and only
 * made when the provider holds no batch for that file.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SluiceError } from '../core/errors.ts';

export const STATE_VERSION = 1;

export type ChunkPhase = 'written' | 'uploaded' | 'creating' | 'created' | 'ended' | 'ingested';

export interface RequestCounts {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
}

export interface ChunkState {
  /** 1, 2, …: names its files (work-dir.ts) and says submission order. */
  readonly n: number;
  /** The input chunk its records were first sent in (itself, for a chunk of input records). */
  readonly origin: number;
  /** How many times its records have been submitted, this chunk included. */
  readonly round: number;
  readonly requests: number;
  readonly records: number;
  readonly bytes: number;
  phase: ChunkPhase;
  fileId?: string;
  /** Unix seconds the creation was attempted (a lookup after a crash stops at batches older than this). */
  creatingSince?: number;
  batchId?: string;
  /** Batches created for this file that failed token_limit_exceeded (they ran nothing). */
  tokenLimitFailures?: string[];
  /** The batch as last seen. */
  status?: string;
  counts?: RequestCounts;
  createdAt?: number;
  endedAt?: number;
  outputFileId?: string | null;
  errorFileId?: string | null;
  /** A failed batch's errors (`code: message`, first few), for the records' dead letters. */
  errors?: string[];
}

export interface BatchJobState {
  readonly version: typeof STATE_VERSION;
  /** The pipeline fingerprint: a resume with another model, prompt or schema cannot reuse these batches. */
  readonly fingerprint: string;
  /** Absolute path of the pipeline file (`sluice batch cancel` reads the key settings from it). */
  readonly pipeline: string;
  /** The input file as it was: a resume refuses a changed input (records are numbered by position). */
  readonly input: { readonly path: string; readonly size: number; readonly mtimeMs: number };
  /** The endpoint, credentials removed. */
  readonly baseUrl: string | null;
  readonly model: string;
  /** Input records numbered below this are in a chunk (or were finished before they needed one). */
  preparedUpTo: number;
  /** Every input record has been read and placed. */
  preparedAll: boolean;
  /** Number of the next request (custom ids are unique within the job). */
  nextRequest: number;
  chunks: ChunkState[];
}

/** The state, or undefined when the job has none. A file that cannot be read as one is an error (exit 2). */
export async function readState(path: string): Promise<BatchJobState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let state: BatchJobState;
  try {
    state = JSON.parse(text) as BatchJobState;
  } catch (error) {
    throw new SluiceError(
      'invalid_state',
      `${path}: not a batch state file (${(error as Error).message}); remove it to start afresh`,
      2,
    );
  }
  if (state?.version !== STATE_VERSION || !Array.isArray(state.chunks)) {
    throw new SluiceError(
      'invalid_state',
      `${path}: not a batch state file of this sluice version; remove it to start afresh`,
      2,
    );
  }
  return state;
}

/** Replaces the state file atomically (write, fsync, rename, fsync the directory). */
export async function writeState(path: string, state: BatchJobState): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 1)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Chunks whose batch may be running at the provider (created, or whose creation may have happened). */
export function liveChunks(state: BatchJobState): ChunkState[] {
  return state.chunks.filter((c) => c.phase === 'creating' || c.phase === 'created');
}

/** `http://user:pass@host/v1` → `http://host/v1`: the state file holds no credentials. */
export function publicBaseUrl(baseUrl: string | undefined): string | null {
  if (!baseUrl) return null;
  try {
    const url = new URL(baseUrl);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch (error) {
    void error; // not a URL: the schema validated it; keep nothing rather than something possibly secret
    return null;
  }
}
