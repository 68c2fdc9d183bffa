/**
 * The `sluice` command line. Each sub-command lives in its own file under `commands/` and registers itself here.
 * Data goes to stdout only; logs, progress and errors go to stderr. Exit codes: see core/errors.ts and README.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ExitCode, SluiceError } from '../core/errors.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerValidateCommand } from './commands/validate.ts';
import { registerSimCommand } from './commands/sim.ts';
import { registerBenchCommand } from './commands/bench.ts';
import { registerBatchCommand } from './commands/batch.ts';

const program = new Command('sluice')
  .description("Stream JSON records through LLMs at the provider's real limit, without losing one.")
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  // After a usage error, one pointer to the help: the whole help text scrolled the error away.
  .showHelpAfterError('(sluice --help lists the commands)')
  .exitOverride();

// Sub-commands register themselves: one import and one call per command file.
registerRunCommand(program);
registerReplayCommand(program);
registerValidateCommand(program);
registerSimCommand(program);
registerBenchCommand(program);
registerBatchCommand(program);
for (const command of program.commands)
  command.showHelpAfterError(`(sluice ${command.name()} --help lists the options)`);

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
  // An unexpected failure: one line; the stack trace only on request.
  const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');
  const text = error instanceof Error ? (verbose ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`sluice: ${text}\n${verbose ? '' : 'sluice: (run again with --verbose for the stack trace)\n'}`);
  return ExitCode.fatal;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
