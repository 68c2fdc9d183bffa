/**
 * `npm run bench`: the stage comparisons as ONE Markdown table (bench/stages.ts, quick settings by default, about
 * a minute or two on a 2-core machine), then, behind flags, the longer benchmarks:
 *
 *   npm run bench                      stage table (--records 30000 --runs 3 unless given)
 *   npm run bench -- --records 200000 --runs 5
 *   npm run bench -- --ceiling         + client ceiling (bench/client-ceiling.ts)
 *   npm run bench -- --memory          + memory, 1,000,000 records (bench/memory.ts; long: tens of minutes)
 *   npm run bench -- --all             both
 *
 * Each benchmark runs as its own child process (so one's heap and JIT state never colour the next) and writes
 * its results under bench/results/ — the stage table refreshes bench/results/stages.{md,json} with whatever
 * settings it ran with. Exits non-zero when any benchmark fails.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const has = (name: string) => args.includes(name);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};

async function runBench(file: string, benchArgs: readonly string[]): Promise<void> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  process.stderr.write(`bench: ${file} ${benchArgs.join(' ')}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', path, ...benchArgs], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`${file} failed (${code ?? signal})`);
}

async function main(): Promise<void> {
  await runBench('./stages.ts', ['--records', value('--records', '30000'), '--runs', value('--runs', '3')]);
  if (has('--ceiling') || has('--all')) {
    process.stdout.write('\n');
    await runBench('./client-ceiling.ts', []);
  }
  if (has('--memory') || has('--all')) {
    process.stdout.write('\n');
    await runBench('./memory.ts', ['--records', '1000000']);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
