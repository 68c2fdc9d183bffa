/**
 * `sluice run PIPELINE`: the main job. Reads records (file, stdin, Kafka), calls the model for each, writes
 * results (file, stdout, Kafka) and dead letters. Options override the pipeline file; see README "CLI".
 */
import { Option, type Command } from 'commander';
import { tuneHeapForJob } from '../heap-tuning.ts';
import { addJobOptions } from '../job-options.ts';
import { addBatchOptions } from '../../batch/cli-options.ts';
import type { RunOptions } from '../run-job.ts';

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('run a pipeline over records from a file, stdin or Kafka')
    .argument('<pipeline>', 'pipeline file (YAML), e.g. pipelines/review-insights.yaml')
    .option('-i, --input <source>', 'input: a file, - for stdin, or kafka://host:port/topic?group=G', '-')
    .option('--dead-letter <sink>', 'dead letters: a file or kafka://host:port/topic (default: next to the output)')
    .addOption(
      new Option('--format <format>', 'input format (overrides input.format)').choices(['jsonl', 'json-array']),
    );
  addBatchOptions(command);
  addJobOptions(command).action(async (pipeline: string, options: Omit<RunOptions, 'pipeline'>) => {
    tuneHeapForJob(); // before the job loads and allocates anything (cli/heap-tuning says why)
    // Loaded on use: the model stack is heavy, and `sluice sim` / `validate` should start fast without it.
    const { runJob } = await import('../run-job.ts');
    process.exitCode = await runJob({ ...options, pipeline });
  });
}
