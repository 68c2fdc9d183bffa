/**
 * `sluice sim [--profile NAME] [--port N] [--host H] [--time-scale X] [--seed N] [--set key=value ...]`: runs the
 * OpenAI-compatible simulator. Prints its base URL (`http://127.0.0.1:PORT/v1`) as one line on stdout, logs on
 * stderr, and stops cleanly (exit 0) on SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { parseSetOptions, PROFILE_NAMES } from '../../sim/profiles.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function numberOption(
  name: string,
  raw: string | undefined,
  check: (n: number) => boolean,
  rule: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!check(n)) throw new ConfigError(name, `must be ${rule}, got '${raw}'`);
  return n;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run the OpenAI-compatible simulator (profiles, rate limits, latency, faults)')
    .option('--profile <name>', `one of ${PROFILE_NAMES.join(', ')}`, 'null')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--time-scale <x>', 'divide every duration and multiply every rate by x', '1')
    .option('--seed <n>', 'seed of the random draws', '1')
    .option('--set <key=value>', 'override a profile parameter (repeatable)', collect, [] as string[])
    .action(
      async (opts: { profile: string; port: string; host: string; timeScale: string; seed: string; set: string[] }) => {
        const port = numberOption(
          '--port',
          opts.port,
          (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
          'an integer port 0..65535',
        );
        const timeScale = numberOption(
          '--time-scale',
          opts.timeScale,
          (n) => Number.isFinite(n) && n > 0,
          'a number > 0',
        );
        const seed = numberOption('--seed', opts.seed, (n) => Number.isInteger(n), 'an integer');
        // Loaded on use: `sluice --help` and the other commands do not pay for the simulator.
        const { startSimulator } = await import('../../sim/index.ts');
        const sim = await startSimulator({
          profile: opts.profile,
          port,
          host: opts.host,
          timeScale,
          seed,
          overrides: parseSetOptions(opts.set),
          log: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${sim.url}\n`);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        process.stderr.write(`sim: ${signal}, stopping; ${JSON.stringify(sim.stats())}\n`);
        await sim.close();
      },
    );
}
