/**
 * Starts or resumes a batch job's bookkeeping before anything is read or sent:
 * - fresh (no --resume): a previous job's work directory is removed — unless it names batches that may still be
 *   running or results not yet ingested, which would be paid for and lost (refused, exit 2: resume or cancel them);
 *   the output and dead-letter files start empty, as online;
 * - --resume: the state must belong to this pipeline (fingerprint) and this input (path, size, modification time:
 *   records are numbered by position); the output and dead-letter files are repaired (a torn last line) and read
 *   for the records they already hold, as online --resume does.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { readDoneRecords, repairTornTail } from '../resume/done-records.ts';
import type { FinishedRecords } from '../resume/skip-done.ts';
import { readState, STATE_VERSION, writeState, type BatchJobState } from './state-file.ts';
import type { WorkDir } from './work-dir.ts';

export interface OpenBatchJobOptions {
  readonly work: WorkDir;
  readonly pipelinePath: string;
  readonly fingerprint: string;
  readonly model: string;
  readonly baseUrl: string | null;
  readonly inputPath: string;
  readonly outputPath: string;
  readonly deadLetterPath: string;
  readonly resume: boolean;
  /** How to say the output's name in messages (`sluice batch cancel OUT`). */
  readonly outputArg: string;
  readonly log: (line: string) => void;
}

export interface OpenedBatchJob {
  readonly state: BatchJobState;
  save(): Promise<void>;
  /** --resume: how many finished lines each id already has, in the output and in the dead letters. */
  readonly done?: FinishedRecords;
}

export async function openBatchJob(options: OpenBatchJobOptions): Promise<OpenedBatchJob> {
  const { work } = options;
  const previous = await readState(work.state);
  const input = await stat(options.inputPath);
  const inputId = { path: resolve(options.inputPath), size: input.size, mtimeMs: input.mtimeMs };
  let state: BatchJobState | undefined;
  let done: FinishedRecords | undefined;

  if (!options.resume) {
    const pending = previous
      ? previous.chunks.filter((c) => c.phase === 'creating' || c.phase === 'created' || c.phase === 'ended').length
      : 0;
    if (pending > 0) {
      throw new ConfigError(
        '--mode batch',
        `${work.dir} holds ${pending} batch${pending === 1 ? '' : 'es'} of an earlier run that may still be running or not yet written: ` +
          `add --resume to continue them, or cancel them (sluice batch cancel ${options.outputArg}) and remove ${work.dir} to start afresh`,
      );
    }
    await rm(work.dir, { recursive: true, force: true });
    await writeFile(options.outputPath, '');
    await rm(options.deadLetterPath, { force: true });
  } else {
    if (previous) {
      if (previous.fingerprint !== options.fingerprint) {
        throw new ConfigError(
          '--resume',
          `${work.dir} belongs to a job with another model, prompt or schema; its batches cannot serve this one. ` +
            `Cancel them (sluice batch cancel ${options.outputArg}) and run without --resume to start afresh`,
        );
      }
      if (
        previous.input.path !== inputId.path ||
        previous.input.size !== inputId.size ||
        previous.input.mtimeMs !== inputId.mtimeMs
      ) {
        throw new ConfigError(
          '--resume',
          `the input is not the one this batch job started with (${previous.input.path}, ${previous.input.size} bytes): records are matched by their position in it`,
        );
      }
      state = previous;
    }
    for (const file of [options.outputPath, options.deadLetterPath]) {
      const removed = await repairTornTail(file);
      if (removed > 0)
        options.log(`sluice: ${file}: removed a torn last line (${removed} bytes); its record is done again`);
    }
    const written = await readDoneRecords([options.outputPath], options.fingerprint);
    const dead = await readDoneRecords([options.deadLetterPath], options.fingerprint);
    const stale = written.staleLines + dead.staleLines;
    options.log(
      `sluice: resuming: ${written.count + dead.count} records already done` +
        (dead.count ? ` (${dead.count} of them as dead letters)` : '') +
        (stale ? `, ${stale} done with another model/prompt/schema will be done again` : '') +
        (state ? `; re-attaching to the batch job in ${work.dir}` : ''),
    );
    done = { output: written.ids, deadLetters: dead.ids };
  }

  state ??= {
    version: STATE_VERSION,
    fingerprint: options.fingerprint,
    pipeline: resolve(options.pipelinePath),
    input: inputId,
    baseUrl: options.baseUrl,
    model: options.model,
    preparedUpTo: 0,
    preparedAll: false,
    nextRequest: 1,
    chunks: [],
  };
  await mkdir(work.dir, { recursive: true });
  const current = state;
  const save = () => writeState(work.state, current);
  await save();
  return { state, save, ...(done && { done }) };
}
