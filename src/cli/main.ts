/**
 * The `sluice` command line. Each sub-command lives in its own file under `commands/` and registers itself here.
 * Data goes to stdout only; logs, progress and errors go to stderr. Exit codes: see core/errors.ts and README.
 */
import { Command } from 'commander';
import { ExitCode, SluiceError } from '../core/errors.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerValidateCommand } from './commands/validate.ts';
import { registerSimCommand } from './commands/sim.ts';
import { registerBenchCommand } from './commands/bench.ts';
import { registerBatchCommand } from './commands/batch.ts';

const program = new Command('sluice')
  .description('Stream JSON records through LLMs at the provider\'s real limit, without losing one.')
  .showHelpAfterError()
  .exitOverride();

// Sub-commands register themselves: one import and one call per command file.
registerRunCommand(program);
registerReplayCommand(program);
registerValidateCommand(program);
registerSimCommand(program);
registerBenchCommand(program);
registerBatchCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeOf(error);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof SluiceError) {
    process.stderr.write(`sluice: ${error.message}\n`);
    return error.exitCode;
  }
  // commander already printed its own message for usage errors; help and version exit 0.
  if (error && typeof error === 'object' && 'exitCode' in error && typeof error.exitCode === 'number') {
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  process.stderr.write(`sluice: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.fatal;
}
