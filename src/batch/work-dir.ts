/**
 * Where a batch job keeps its work, beside the output: `insights.jsonl` → `insights.batch/`, holding the state file
 * (`state.json`) and, per chunk, the request file that was uploaded, the records it carries, and the downloaded
 * output and error files. Removed once every record is finished.
 */
import { basename, dirname, join } from 'node:path';

export interface WorkDir {
  readonly dir: string;
  readonly state: string;
}

export interface ChunkFiles {
  /** The uploaded JSONL: one Batch API request per line. */
  readonly requests: string;
  /** One line per record the chunk carries (id, position, input, request it belongs to). */
  readonly records: string;
  readonly output: string;
  readonly errors: string;
}

export function workDirFor(outputPath: string): WorkDir {
  const name = basename(outputPath).replace(/\.jsonl?$/i, '');
  const dir = join(dirname(outputPath), `${name}.batch`);
  return { dir, state: join(dir, 'state.json') };
}

/** Chunk n's files; `tag` names a chunk still being written apart (`resubmit`) so a crash never leaves it half-named. */
export function chunkFiles(work: WorkDir, n: number, tag = ''): ChunkFiles {
  const base = join(work.dir, `chunk-${String(n).padStart(4, '0')}${tag ? `.${tag}` : ''}`);
  return {
    requests: `${base}.requests.jsonl`,
    records: `${base}.records.jsonl`,
    output: `${base}.output.jsonl`,
    errors: `${base}.errors.jsonl`,
  };
}
