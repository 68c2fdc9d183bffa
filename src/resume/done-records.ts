/**
 * What a previous run already finished: the ids in the output and dead-letter files whose fingerprint matches
 * the pipeline's. A crash can leave the last line of a file torn (no trailing newline); `repairTornTail`
 * truncates it before the file is appended to, and its record is simply done again.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import split2 from 'split2';

export interface DoneRecords {
  /**
   * How many finished lines each id has. A count, not a set: input ids need not be unique, and with a set a
   * duplicate id whose first record was done skipped the second, never done (skipDone takes one per record).
   */
  readonly ids: Map<string, number>;
  /** Finished lines in all (the sum of `ids`). */
  readonly count: number;
  /** Lines whose fingerprint differs (prompt or model changed): those records are done again. */
  readonly staleLines: number;
  readonly unreadableLines: number;
}

/** Reads ids of finished records (`{"id": …, "fingerprint": …}` per line) from the given JSONL files, if they exist. */
export async function readDoneRecords(paths: readonly string[], fingerprint: string): Promise<DoneRecords> {
  const ids = new Map<string, number>();
  let count = 0;
  let staleLines = 0;
  let unreadableLines = 0;
  for (const path of paths) {
    if (!(await exists(path))) continue;
    for await (const line of createReadStream(path).pipe(split2()) as AsyncIterable<string>) {
      if (!line.trim()) continue;
      const record = parseRecord(line);
      if (!record) unreadableLines++;
      else if (record.fingerprint !== fingerprint) staleLines++;
      else {
        ids.set(record.id, (ids.get(record.id) ?? 0) + 1);
        count++;
      }
    }
  }
  return { ids, count, staleLines, unreadableLines };
}

/** Truncates a trailing partial line (a crash mid-write). Returns the number of bytes removed. */
export async function repairTornTail(path: string): Promise<number> {
  if (!(await exists(path))) return 0;
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    if (size === 0) return 0;
    const chunkSize = 64 * 1024;
    let end = size;
    // Scan backwards for the last newline; everything after it is a torn line.
    while (end > 0) {
      const start = Math.max(0, end - chunkSize);
      const buffer = Buffer.alloc(end - start);
      await handle.read(buffer, 0, buffer.length, start);
      const newline = buffer.lastIndexOf(0x0a);
      if (newline !== -1) {
        const keep = start + newline + 1;
        if (keep < size) await handle.truncate(keep);
        return size - keep;
      }
      end = start;
    }
    await handle.truncate(0);
    return size;
  } finally {
    await handle.close();
  }
}

function parseRecord(line: string): { id: string; fingerprint?: string } | undefined {
  try {
    const value = JSON.parse(line) as { id?: unknown; fingerprint?: unknown };
    if (typeof value?.id !== 'string') return undefined;
    return { id: value.id, fingerprint: typeof value.fingerprint === 'string' ? value.fingerprint : undefined };
  } catch {
    // A line that is not JSON is not a finished record: it is counted and its record done again.
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
