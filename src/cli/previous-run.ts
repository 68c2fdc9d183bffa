/**
 * What earlier runs left in the files a job appends to, read before the job starts:
 *
 * - `--resume`: the ids the output and dead-letter files already hold for this pipeline's fingerprint are skipped.
 *   Dead letters that failed only because the endpoint was unusable (key refused, unknown model or path, host
 *   unreachable — the failures that stop a job with exit 6) are taken out of the dead-letter file and done again:
 *   fixing the endpoint and resuming completes the job.
 * - `sluice replay` into an existing output file (the output the dead letters came from, typically): the output is
 *   appended to, never truncated, and records it already holds are skipped, so replaying the same dead letters
 *   twice writes nothing twice. The replay's own dead-letter file (`….remaining.jsonl`) starts afresh.
 *
 * A torn last line (a crash mid-write) is removed from each file before it is appended to; its record is done again.
 */
import { ConfigError } from '../core/errors.ts';
import { readDoneRecords, repairTornTail, takeBackEndpointFailures } from '../resume/done-records.ts';
import type { FinishedRecords } from '../resume/skip-done.ts';
import type { OutputEndpoint } from './endpoints.ts';

export interface PreviousRunQuery {
  readonly output: OutputEndpoint;
  /** The dead-letter file, when dead letters go to a file. */
  readonly deadLetterPath?: string;
  readonly fingerprint: string;
  readonly resume: boolean;
  /** The job replays a dead-letter file. */
  readonly replay: boolean;
  readonly log: (line: string) => void;
}

/** True when the job appends to its output file instead of starting it afresh. */
export function appendsToOutput(query: Pick<PreviousRunQuery, 'output' | 'resume' | 'replay'>): boolean {
  return query.resume || (query.replay && query.output.kind === 'file');
}

/** The records to skip, or undefined when the job starts afresh (nothing to skip). */
export async function readPreviousRun(query: PreviousRunQuery): Promise<FinishedRecords | undefined> {
  const { output, fingerprint, log } = query;
  if (query.resume) {
    if (output.kind !== 'file') {
      throw new ConfigError(
        '--resume',
        'needs -o FILE: resuming reads the previous output (Kafka input resumes from committed offsets without it)',
      );
    }
    await repairTornLine(output.path, log);
    const finished = await readDoneRecords([output.path], fingerprint);
    let deadLetters = new Map<string, number>();
    let deadCount = 0;
    let stale = finished.staleLines;
    let taken = 0;
    if (query.deadLetterPath) {
      await repairTornLine(query.deadLetterPath, log);
      const letters = await takeBackEndpointFailures(query.deadLetterPath, fingerprint);
      ({ ids: deadLetters, count: deadCount, taken } = letters);
      stale += letters.staleLines;
    }
    log(
      `sluice: resuming: ${finished.count + deadCount} records already done` +
        (deadCount ? ` (${deadCount} of them as dead letters)` : '') +
        (taken ? `, ${taken} that failed only at the endpoint will be done again` : '') +
        (stale ? `, ${stale} done with another model/prompt/schema will be done again` : ''),
    );
    return { output: finished.ids, deadLetters };
  }
  if (query.replay && output.kind === 'file') {
    await repairTornLine(output.path, log);
    const finished = await readDoneRecords([output.path], fingerprint);
    const lines = finished.count + finished.staleLines + finished.unreadableLines;
    if (lines > 0)
      log(
        `sluice: replay: appending to ${output.path} (${lines} lines already there; records it holds for this pipeline are skipped)`,
      );
    return { output: finished.ids, deadLetters: new Map() };
  }
  return undefined;
}

/** Removes a partial last line (a crash mid-write) from a file we will append to, and says so. */
export async function repairTornLine(file: string, log: (line: string) => void): Promise<void> {
  const removed = await repairTornTail(file);
  if (removed > 0) log(`sluice: ${file}: removed a torn last line (${removed} bytes); its record is done again`);
}
