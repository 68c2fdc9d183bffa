/** `sluice run` options of the Batch API mode (docs/batch.md); each overrides the pipeline file's `mode` / `batch`. */
import { Option, type Command } from 'commander';
import { parseNonNegative } from '../cli/job-options.ts';

export function addBatchOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--mode <mode>',
        "online, batch (the provider's Batch API: half the price, within 24 h) or auto (by --deadline)",
      ).choices(['online', 'batch', 'auto']),
    )
    .option(
      '--deadline <duration>',
      'with --mode auto: the time the job may take (90s, 30m, 2h, 1h30m); online when the estimate fits it',
    )
    .addOption(
      new Option('--fallback <where>', 'requests a batch did not finish: sent in a new batch, or done online').choices([
        'batch',
        'online',
      ]),
    )
    .option(
      '--poll-interval <seconds>',
      'seconds between two looks at the running batches (default 30)',
      parseNonNegative,
    );
}
