/**
 * The files a job reads and writes, checked before any of them is opened, truncated or removed (run, replay and
 * --dry-run alike): a bad path is a usage error (exit 2) with one line naming the flag — never a stack trace after
 * the output was already truncated, or after every model call was already paid for.
 *
 * Checked: the input (or the dead-letter file being replayed) is a readable file; the output, dead-letter and
 * --summary-json files can be written (the file, or its directory when it does not exist yet); and no two of them
 * are the same file (distinct-files.ts). Kafka, stdin and stdout endpoints have nothing to check here.
 */
import { assertDistinctFiles, type JobFile } from './distinct-files.ts';
import { parseDeadLetter, parseInput, parseOutput } from './endpoints.ts';
import type { RunOptions } from './run-job.ts';
import { assertReadableFile, assertWritableFile } from './usable-paths.ts';

const OVERWRITTEN = 'it would be overwritten';
const SHARED = 'both would write to it, overwriting each other';

export async function checkJobPaths(options: RunOptions): Promise<void> {
  const input = parseInput(options.input);
  const output = parseOutput(options.output);
  const deadLetter = parseDeadLetter(options.deadLetter, output);
  const read: JobFile[] = [];
  if (options.replayFrom)
    read.push({
      flag: '<dead-letters>',
      path: options.replayFrom,
      role: 'the dead-letter file being replayed',
      harm: OVERWRITTEN,
    });
  else if (input.kind === 'file')
    read.push({ flag: '-i', path: input.path, role: 'the input file', harm: OVERWRITTEN });
  const written: JobFile[] = [];
  if (output.kind === 'file') written.push({ flag: '-o', path: output.path, role: 'the output file', harm: SHARED });
  if (deadLetter.kind === 'file') {
    // The user may never have typed this path (next to -o, or ./sluice-dead-letters.jsonl): say it is the default.
    const flag = options.deadLetter === undefined ? '--dead-letter (default)' : '--dead-letter';
    written.push({ flag, path: deadLetter.path, role: 'the dead-letter file', harm: SHARED });
  }
  if (options.summaryJson !== undefined)
    written.push({ flag: '--summary-json', path: options.summaryJson, role: 'the summary file', harm: SHARED });

  for (const file of read) await assertReadableFile(file.flag, file.path);
  for (const file of written) await assertWritableFile(file.flag, file.path);
  await assertDistinctFiles([...read, ...written]);
}
