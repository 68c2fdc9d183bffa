/**
 * `sluice replay DEAD_LETTER_FILE [PIPELINE]`: re-runs dead letters — after fixing a prompt, raising a limit or
 * waiting out an outage. Results go where `-o` says (stdout by default); records that fail again go to a new
 * dead-letter file (never the one being read: cli/job-paths refuses any two of the replayed, output and
 * dead-letter files being one file). The pipeline defaults to the one recorded in the dead letters.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { tuneHeapForJob } from '../heap-tuning.ts';
import { addJobOptions } from '../job-options.ts';
import type { RunOptions } from '../run-job.ts';

export function registerReplayCommand(program: Command): void {
  const command = program
    .command('replay')
    .description('re-run the records of a dead-letter file')
    .argument('<dead-letters>', 'a dead-letter file written by sluice run')
    .argument('[pipeline]', 'pipeline file (default: the one recorded in the dead letters)')
    .option('--dead-letter <file>', 'where records that fail again go (default: <dead-letters>.remaining.jsonl)');
  addJobOptions(command).action(
    async (deadLetters: string, pipeline: string | undefined, options: Omit<RunOptions, 'pipeline' | 'input'>) => {
      const remaining =
        options.deadLetter ??
        join(dirname(deadLetters), `${basename(deadLetters).replace(/\.jsonl?$/i, '')}.remaining.jsonl`);
      tuneHeapForJob(); // before the job loads and allocates anything (cli/heap-tuning says why)
      const { runJob } = await import('../run-job.ts');
      process.exitCode = await runJob({
        ...options,
        pipeline: pipeline ?? recordedPipeline(deadLetters),
        input: '-',
        replayFrom: deadLetters,
        deadLetter: remaining,
      });
    },
  );
}

/** The `pipeline` field sluice writes into each dead letter (first line that has one). */
function recordedPipeline(deadLetters: string): string {
  let text: string;
  try {
    text = readFileSync(deadLetters, 'utf8');
  } catch (error) {
    throw new ConfigError(
      '<dead-letters>',
      `cannot read ${deadLetters}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const pipeline = (JSON.parse(line) as { pipeline?: unknown }).pipeline;
    if (typeof pipeline === 'string') return pipeline;
  }
  throw new ConfigError(
    '[pipeline]',
    `${deadLetters} does not record its pipeline: give the pipeline file as the second argument`,
  );
}
