/**
 * `sluice batch cancel OUT`: cancels the provider batches of a `--mode batch` job (docs/batch.md).
 */
import type { Command } from 'commander';

export function registerBatchCommand(program: Command): void {
  const batch = program.command('batch').description('manage the provider batches of a --mode batch job');
  batch
    .command('cancel')
    .description('cancel the running batches of the --mode batch job writing OUTPUT')
    .argument('<output>', "the job's output file (its -o)")
    .option('--base-url <url>', "the endpoint, when the job's state does not say it")
    .action(async (output: string, options: { baseUrl?: string }) => {
      const { cancelBatchJob } = await import('../../batch/cancel-batch-job.ts');
      process.exitCode = await cancelBatchJob(output, options);
    });
}
