/**
 * What a previous run already finished: the ids in the output and dead-letter files whose fingerprint matches
 * the pipeline's. A crash can leave the last line of a file torn (no trailing newline); `repairTornTail`
 * truncates it before the file is appended to, and its record is simply done again.
 */
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import split2 from 'split2';
import { failedAtEndpoint } from '../llm/failure-streak.ts';

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

/**
 * The dead letters of a previous run, for `--resume`: like `readDoneRecords`, except that a dead letter whose last
 * attempt failed at the endpoint (llm/failure-streak `failedAtEndpoint`: key refused, unknown model or path,
 * unreachable host) is not finished — the record never got an answer for a reason of its own. Those lines are
 * taken out of the file (`taken`), so that the record, done again, ends in exactly one place. The file is
 * rewritten through a temporary file and a rename: a crash leaves either the old file or the new one, and in both
 * cases every record is in the output, in the dead letters or done again by the next resume.
 */
export async function takeBackEndpointFailures(
  path: string,
  fingerprint: string,
): Promise<DoneRecords & { readonly taken: number }> {
  const ids = new Map<string, number>();
  let count = 0;
  let staleLines = 0;
  let unreadableLines = 0;
  let taken = 0;
  if (!(await exists(path))) return { ids, count, staleLines, unreadableLines, taken };
  const kept: string[] = [];
  const temporary = `${path}.resume-${process.pid}.tmp`;
  const out = await open(temporary, 'w');
  try {
    for await (const line of createReadStream(path).pipe(split2()) as AsyncIterable<string>) {
      if (!line.trim()) continue;
      const record = parseRecord(line);
      if (record && record.fingerprint === fingerprint && record.endpointFailure) {
        taken++;
        continue;
      }
      if (!record) unreadableLines++;
      else if (record.fingerprint !== fingerprint) staleLines++;
      else {
        ids.set(record.id, (ids.get(record.id) ?? 0) + 1);
        count++;
      }
      kept.push(`${line}\n`);
      if (kept.length >= 512) await out.write(kept.splice(0).join(''));
    }
    if (kept.length > 0) await out.write(kept.join(''));
    await out.sync();
  } finally {
    await out.close();
  }
  if (taken === 0) await rm(temporary, { force: true });
  else if (count + staleLines + unreadableLines === 0)
    await rm(temporary, { force: true }).then(() => rm(path, { force: true }));
  else await rename(temporary, path);
  return { ids, count, staleLines, unreadableLines, taken };
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

function parseRecord(line: string): { id: string; fingerprint?: string; endpointFailure: boolean } | undefined {
  try {
    const value = JSON.parse(line) as { id?: unknown; fingerprint?: unknown; attempts?: unknown };
    if (typeof value?.id !== 'string') return undefined;
    const last = Array.isArray(value.attempts)
      ? (value.attempts.at(-1) as { reason?: unknown; error?: unknown } | undefined)
      : undefined;
    const endpointFailure =
      typeof last?.reason === 'string' &&
      failedAtEndpoint(last.reason, typeof last.error === 'string' ? last.error : '');
    return {
      id: value.id,
      fingerprint: typeof value.fingerprint === 'string' ? value.fingerprint : undefined,
      endpointFailure,
    };
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
