/**
 * Start-up: how long the `sluice` command takes to be useful, against `node -e 0` on the same machine in the same
 * run (the floor of any Node command). In ONE run, interleaved rounds (order rotated each round), each variant a
 * fresh child process under GNU time:
 *   - `node -e 0`;
 *   - `sluice --help`;
 *   - `sluice run` of a one-record job, with the default LangChain client and with `model.client: undici`:
 *     launch → first model request, i.e. the simulator's `firstRequestAt` stamp (GET /sim/stats, epoch ms; the
 *     simulator runs in its own process and is reset before each run) minus the epoch ms just before the spawn.
 * Reports medians of wall time (spawn → exit), CPU time and peak RSS, and each as a ratio of `node -e 0`'s.
 *
 *   npx tsx bench/startup.ts [--rounds 10] [--before-bin OTHER_CHECKOUT/bin/sluice.js] [--no-write]
 *
 * Runs bin/sluice.js, i.e. the bundled CLI (`npm run build` first). Writes bench/results/startup.{json,md}.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimProcess } from '../src/bench/sim-process.ts';
import { machineDescription } from './stages/measure.ts';
import { median, requireGnuTime, timedRun } from './process/timed-run.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROUNDS = Number(flag('--rounds') ?? 10);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds must be a positive integer');
const WRITE_RESULTS = !args.includes('--no-write');
/** `--before-bin PATH`: another build's bin/sluice.js (e.g. a checkout of an earlier commit) measured in the same run. */
const BEFORE_BIN = flag('--before-bin');
const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const PIPELINE = fileURLToPath(new URL('../pipelines/review-insights.yaml', import.meta.url));

interface Sample {
  readonly variant: string;
  readonly round: number;
  readonly elapsedMs: number;
  readonly cpuMs: number;
  readonly maxRssMb: number;
  /** Launch → first model request, ms (run variants only). */
  readonly firstRequestMs?: number;
}

interface Variant {
  readonly name: string;
  run(round: number): Promise<Sample>;
}

async function main(): Promise<void> {
  requireGnuTime();
  const machine = machineDescription();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-startup-'));
  const sim = await startSimProcess({ profile: 'null', timeScale: 1 });
  try {
    const input = join(dir, 'one.jsonl');
    await writeFile(
      input,
      `${JSON.stringify({ id: 'r1', text: 'The battery lasts all day and the screen is bright.' })}\n`,
    );
    const undiciPipeline = join(dir, 'review-insights-undici.yaml');
    await writeFile(
      undiciPipeline,
      (await readFile(PIPELINE, 'utf8')).replace(/^model:\n/m, 'model:\n  client: undici\n'),
    );
    const env = { ...process.env, OPENAI_API_KEY: 'sk-bench-startup' };

    const plain = (name: string, command: string, commandArgs: string[]): Variant => ({
      name,
      async run(round) {
        const r = await timedRun(command, commandArgs, { env });
        if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stderr}`);
        return { variant: name, round, elapsedMs: r.elapsedMs, cpuMs: r.cpuS * 1000, maxRssMb: r.maxRssMb };
      },
    });
    const job = (name: string, pipeline: string, bin = BIN): Variant => ({
      name,
      async run(round) {
        await sim.reset();
        const output = join(dir, `out-${round}.jsonl`);
        const r = await timedRun(
          process.execPath,
          [bin, 'run', pipeline, '-i', input, '-o', output, '--base-url', sim.url, '--no-progress'],
          { env },
        );
        if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stderr}`);
        const first = (await sim.stats()).firstRequestAt;
        if (typeof first !== 'number') throw new Error(`${name}: the simulator saw no request`);
        return {
          variant: name,
          round,
          elapsedMs: r.elapsedMs,
          cpuMs: r.cpuS * 1000,
          maxRssMb: r.maxRssMb,
          firstRequestMs: first - r.launchedAt,
        };
      },
    });
    const variants: Variant[] = [
      plain('node -e 0', process.execPath, ['-e', '0']),
      plain('sluice --help', process.execPath, [BIN, '--help']),
      job('sluice run, 1 record (default LangChain client)', PIPELINE),
      job('sluice run, 1 record (model.client: undici)', undiciPipeline),
    ];
    if (BEFORE_BIN) {
      variants.push(
        plain('before: sluice --help', process.execPath, [BEFORE_BIN, '--help']),
        job('before: sluice run, 1 record (default LangChain client)', PIPELINE, BEFORE_BIN),
        job('before: sluice run, 1 record (model.client: undici)', undiciPipeline, BEFORE_BIN),
      );
    }

    const samples: Sample[] = [];
    for (let round = -1; round < ROUNDS; round++) {
      // Round -1 warms the file cache and the simulator's connection handling; it is not counted.
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + Math.max(0, round)) % variants.length] as Variant;
        const sample = await variant.run(round);
        if (round >= 0) samples.push(sample);
        process.stderr.write(
          `startup: round ${round + 1}/${ROUNDS} ${variant.name}: ${sample.elapsedMs.toFixed(0)} ms${sample.firstRequestMs === undefined ? '\n' : `, first request at ${sample.firstRequestMs} ms\n`}`,
        );
      }
    }
    const rows = variants.map((v) => {
      const mine = samples.filter((s) => s.variant === v.name);
      const firsts = mine.flatMap((s) => (s.firstRequestMs === undefined ? [] : [s.firstRequestMs]));
      return {
        variant: v.name,
        elapsedMs: median(mine.map((s) => s.elapsedMs)),
        cpuMs: median(mine.map((s) => s.cpuMs)),
        maxRssMb: median(mine.map((s) => s.maxRssMb)),
        ...(firsts.length > 0 && { firstRequestMs: median(firsts) }),
      };
    });
    const result = {
      bench: 'startup',
      generatedAt: new Date().toISOString(),
      machine,
      command: `npx tsx bench/startup.ts --rounds ${ROUNDS}${BEFORE_BIN ? ' --before-bin …' : ''}`,
      // Not the path: results are committed, and a path names one machine.
      beforeBin: BEFORE_BIN ? 'another build, --before-bin' : null,
      rounds: ROUNDS,
      rows,
      samples,
    };
    const markdown = startupMarkdown(result);
    process.stdout.write(markdown);
    if (WRITE_RESULTS) {
      const results = fileURLToPath(new URL('./results/', import.meta.url));
      await mkdir(results, { recursive: true });
      await writeFile(join(results, 'startup.json'), `${JSON.stringify(result, null, 2)}\n`);
      await writeFile(join(results, 'startup.md'), markdown);
    }
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

type Row = { variant: string; elapsedMs: number; cpuMs: number; maxRssMb: number; firstRequestMs?: number };

function startupMarkdown(result: {
  machine: string;
  command: string;
  rounds: number;
  generatedAt: string;
  rows: readonly Row[];
}): string {
  const base = result.rows[0] as Row;
  const ratio = (v: number, of: number) => `${(v / of).toFixed(2)}×`;
  const lines = [
    '# Start-up',
    '',
    `Measured ${result.generatedAt} on ${result.machine}.`,
    `Command: \`${result.command}\`. Each variant a fresh child process under GNU time; one warm-up round, then ${result.rounds} interleaved rounds (order rotated); medians. Wall = spawn → exit as the benchmark saw it; first request = the simulator's stamp of its first chat request (own process, \`null\` profile) minus the time just before the spawn. Ratios are against \`node -e 0\` in the same run.`,
    '',
    '| variant | wall ms | × node -e 0 | first model request ms | × node -e 0 | CPU ms | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...result.rows.map(
      (r) =>
        `| ${r.variant} | ${r.elapsedMs.toFixed(0)} | ${ratio(r.elapsedMs, base.elapsedMs)} | ${r.firstRequestMs === undefined ? '—' : r.firstRequestMs.toFixed(0)} | ${r.firstRequestMs === undefined ? '—' : ratio(r.firstRequestMs, base.elapsedMs)} | ${r.cpuMs.toFixed(0)} | ${r.maxRssMb.toFixed(0)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

await main();
