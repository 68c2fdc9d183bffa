/**
 * Memory benchmark of the main job: `sluice run pipelines/review-insights.yaml` as a child process over N
 * generated reviews (default 1,000,000, streamed to a temp file, never held in memory) against the simulator's
 * `null` profile in its own process, output to a temp file. Samples the child's RSS (/proc/PID/status VmRSS)
 * and its output line count every 200 ms, and reports peak RSS over the first 100k records and over the whole
 * run (targets: ≤ 256 MB, and 100k vs all within 20%).
 *
 *   npx tsx bench/memory.ts [--records 1000000] [--max-minutes 30] [--concurrency N|auto] [--interval-ms 200]
 *                           [--node-options "--max-old-space-size=160"]
 *
 * --node-options is passed to the child as NODE_OPTIONS (e.g. to cap V8's heap and compare RSS with the default).
 *
 * When the run would take longer than --max-minutes on this machine, the child is stopped with SIGTERM (graceful:
 * in-flight calls finish, the summary is written) and the report states how far it got and at what rate — it is
 * never extrapolated. Writes bench/results/memory.json and memory.md.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimProcess } from '../src/bench/sim-process.ts';
import { generateReviews } from './data/generate-reviews.ts';
import { startSampler, type Sample } from './memory/process-sampler.ts';
import { memoryMarkdown, summarizeSamples } from './memory/memory-report.ts';
import { machineDescription } from './stages/measure.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RECORDS = Number(flag('--records') ?? 1_000_000);
const MAX_MINUTES = Number(flag('--max-minutes') ?? 30);
const CONCURRENCY = flag('--concurrency');
const INTERVAL_MS = Number(flag('--interval-ms') ?? 200);
const NODE_OPTIONS = flag('--node-options');
const WRITE_RESULTS = !args.includes('--no-write');
const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const PIPELINE = fileURLToPath(new URL('../pipelines/review-insights.yaml', import.meta.url));

async function writeInput(path: string, count: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk = '';
  for (const line of generateReviews(count)) {
    chunk += `${line}\n`;
    if (chunk.length >= 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(out, 'finish');
  return bytes;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-memory-'));
  const input = join(dir, 'reviews.jsonl');
  const output = join(dir, 'insights.jsonl');
  const summaryPath = join(dir, 'summary.json');
  const sim = await startSimProcess({ profile: 'null', timeScale: 1 });
  try {
    process.stderr.write(`memory: generating ${RECORDS} reviews into ${input}\n`);
    const inputBytes = await writeInput(input, RECORDS);
    const runArgs = [
      BIN,
      'run',
      PIPELINE,
      '-i',
      input,
      '-o',
      output,
      '--base-url',
      sim.url,
      '--no-progress',
      '--summary-json',
      summaryPath,
      '--grace',
      '60',
    ];
    if (CONCURRENCY) runArgs.push('--concurrency', CONCURRENCY);
    const child = spawn(process.execPath, runArgs, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, OPENAI_API_KEY: 'sk-bench-memory', ...(NODE_OPTIONS && { NODE_OPTIONS }) },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const sampler = startSampler(child.pid as number, output, INTERVAL_MS);
    const progress = setInterval(() => {
      const s = sampler.latest();
      if (s) process.stderr.write(`memory: ${s.t.toFixed(0)} s, ${s.records} records, RSS ${s.rssMb.toFixed(0)} MB\n`);
    }, 30_000);
    let stoppedEarly = false;
    const deadline = setTimeout(() => {
      stoppedEarly = true;
      process.stderr.write(`memory: --max-minutes ${MAX_MINUTES} reached: stopping the run (SIGTERM)\n`);
      child.kill('SIGTERM');
    }, MAX_MINUTES * 60_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(deadline);
    clearInterval(progress);
    const samples: Sample[] = await sampler.stop();
    const summary = JSON.parse(await readFile(summaryPath, 'utf8').catch(() => 'null')) as Record<
      string,
      unknown
    > | null;
    if (!summary) throw new Error(`sluice run wrote no summary (exit ${code ?? signal}): ${stderr}`);
    const result = {
      bench: 'memory',
      generatedAt: new Date().toISOString(),
      machine: machineDescription(),
      command: `npx tsx bench/memory.ts --records ${RECORDS} --max-minutes ${MAX_MINUTES}${CONCURRENCY ? ` --concurrency ${CONCURRENCY}` : ''}${NODE_OPTIONS ? ` --node-options "${NODE_OPTIONS}"` : ''}`,
      nodeOptions: NODE_OPTIONS ?? null,
      pipeline: 'pipelines/review-insights.yaml',
      concurrency: CONCURRENCY ?? 'pipeline default (auto, maxConcurrency 256)',
      records: RECORDS,
      inputMb: inputBytes / 1e6,
      exit: code ?? signal,
      stoppedEarly,
      maxMinutes: MAX_MINUTES,
      summary,
      ...summarizeSamples(samples),
      samples: thin(samples, 400),
    };
    process.stdout.write(`${JSON.stringify({ ...result, samples: undefined })}\n`);
    if (WRITE_RESULTS) {
      const results = fileURLToPath(new URL('./results/', import.meta.url));
      await mkdir(results, { recursive: true });
      // One file pair per configuration: the default run and a capped-heap run are compared in docs/benchmarks.md.
      const suffix = NODE_OPTIONS ? '-node-options' : '';
      await writeFile(join(results, `memory${suffix}.json`), `${JSON.stringify(result, null, 2)}\n`);
      await writeFile(join(results, `memory${suffix}.md`), memoryMarkdown(result));
    }
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Keeps at most `max` samples, evenly spaced, plus the peak. */
function thin(samples: readonly Sample[], max: number): Sample[] {
  if (samples.length <= max) return [...samples];
  const step = samples.length / max;
  const kept = Array.from({ length: max }, (_, i) => samples[Math.floor(i * step)] as Sample);
  const peak = samples.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
  return [...kept, peak].sort((a, b) => a.t - b.t);
}

await main();
