/**
 * The balance point against servers nobody here wrote, through the real CLI (`sluice run … --summary-json`):
 * - llama.cpp's `llama-server` (SmolLM2-135M, CPU) with `-np 4` and `-np 8` slots: requests beyond the slots wait
 *   in its FIFO queue (no 429, no 503). `auto` against fixed limits 1, 2, 4, 8, 16.
 * - the LiteLLM proxy in front of the simulator's `saas-tier1` (time-scaled): one CPU-heavy Python worker
 *   relaying rate-limit headers. `auto` against fixed limits 8, 16, 32, 64; on a quiet machine and with a CPU
 *   hog beside it (`--busy N`: N busy-looping processes, started and stopped by this script).
 * Per run: records/s (records finished — output or dead letter — per wall second), model latency p50/p95 of the
 * successful attempts, timeouts, model calls per record, the most calls in flight. Each run starts from a fresh
 * server process (llama-server) or fresh simulator buckets (LiteLLM); runs are sequential.
 *
 *   npx tsx bench/real-servers.ts [--only llama,litellm] [--llama-items 60] [--litellm-items 1500]
 *     [--time-scale 10] [--busy 2] [--pipeline FILE] [--out DIR]
 *
 * Needs scripts/llama/fetch-and-build.sh and scripts/litellm/install.sh to have run. Writes real-servers.json and
 * real-servers.md into DIR (default bench/results).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLlamaServer } from '../scripts/real-servers/llama-server.mjs';
import { startLiteLLM } from '../scripts/real-servers/litellm-proxy.mjs';
import { machineLine } from '../src/bench/report.ts';
import { startSimProcess } from '../src/bench/sim-process.ts';

const argText = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const arg = (name: string, fallback: number) => {
  const v = Number(argText(name) ?? NaN);
  return Number.isFinite(v) && v >= 0 ? v : fallback;
};
const ONLY = (argText('only') ?? 'llama,litellm').split(',');
const LLAMA_ITEMS = arg('llama-items', 60);
const LITELLM_ITEMS = arg('litellm-items', 1500);
const TIME_SCALE = arg('time-scale', 10);
const BUSY = arg('busy', 2);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PIPELINE = argText('pipeline') ?? join(ROOT, 'pipelines/review-insights.yaml');
const RESULTS = argText('out') ?? join(ROOT, 'bench/results');
const BIN = join(ROOT, 'bin/sluice.js');
const SAMPLE = join(ROOT, 'examples/reviews-en.sample.jsonl');
const work = mkdtempSync(join(tmpdir(), 'sluice-real-bench-'));
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Summary {
  recordsIn: number;
  recordsOut: number;
  deadLetters: number;
  wallMs: number;
  recordsPerSecond: number;
  latencyP50Ms?: number;
  latencyP95Ms?: number;
  attempts: number;
  maxInFlight: number;
  concurrencyLimit: number;
  retriesByReason: Record<string, number>;
}

interface RunResult {
  readonly server: string;
  readonly condition: string;
  readonly concurrency: string;
  readonly records: number;
  readonly recordsPerSecond: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly timeouts: number;
  readonly callsPerRecord: number;
  readonly maxInFlight: number;
  readonly finalLimit: number;
  readonly deadLetters: number;
}

/** `n` reviews from the bundled sample (repeated with distinct ids past its 300). */
function inputFile(n: number): string {
  const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean);
  const path = join(work, `reviews-${n}.jsonl`);
  const out = Array.from({ length: n }, (_, i) => {
    const record = JSON.parse(lines[i % lines.length] as string) as Record<string, unknown>;
    return JSON.stringify({ ...record, id: `${String(record.id)}#${Math.floor(i / lines.length)}` });
  });
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

async function runJob(name: string, input: string, concurrency: string, env: Record<string, string>): Promise<Summary> {
  const dir = mkdtempSync(join(work, `${name}-`));
  const summaryFile = join(dir, 'summary.json');
  const args = [
    BIN,
    'run',
    PIPELINE,
    '-i',
    input,
    '-o',
    join(dir, 'out.jsonl'),
    '--summary-json',
    summaryFile,
    '--no-progress',
    '--unordered',
    '-c',
    concurrency,
  ];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 && code !== 3) throw new Error(`${name}: sluice exited ${code}: ${stderr}`);
  return JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary;
}

function result(server: string, condition: string, concurrency: string, s: Summary): RunResult {
  const finished = s.recordsOut + s.deadLetters;
  const r: RunResult = {
    server,
    condition,
    concurrency,
    records: finished,
    recordsPerSecond: s.recordsPerSecond,
    p50Ms: s.latencyP50Ms ?? null,
    p95Ms: s.latencyP95Ms ?? null,
    timeouts: s.retriesByReason.timeout ?? 0,
    callsPerRecord: s.attempts / Math.max(1, finished),
    maxInFlight: s.maxInFlight,
    finalLimit: s.concurrencyLimit,
    deadLetters: s.deadLetters,
  };
  log(
    `  ${server} ${condition} -c ${concurrency.padEnd(4)} ${r.recordsPerSecond.toFixed(2)} rec/s  p50 ${((r.p50Ms ?? 0) / 1000).toFixed(2)} s  p95 ${((r.p95Ms ?? 0) / 1000).toFixed(2)} s  timeouts ${r.timeouts}  calls/record ${r.callsPerRecord.toFixed(2)}  max in flight ${r.maxInFlight}  limit ${r.finalLimit}  dead letters ${r.deadLetters}`,
  );
  return r;
}

/** `count` busy-looping processes (a CPU-heavy neighbour), stopped by their pids. */
function startHogs(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

async function llamaRuns(): Promise<RunResult[]> {
  const input = inputFile(LLAMA_ITEMS);
  const results: RunResult[] = [];
  for (const slots of [4, 8]) {
    for (const concurrency of ['auto', '1', '2', '4', '8', '16']) {
      // A fresh server per run: no slot's prompt cache or queue left over from the previous one.
      const server = await startLlamaServer({ slots, threads: 2, log });
      try {
        const summary = await runJob(`llama-${slots}-${concurrency}`, input, concurrency, {
          SLUICE_BASE_URL: server.baseUrl,
          SLUICE_MODEL: server.model,
          OPENAI_API_KEY: 'sk-not-checked',
        });
        results.push(result(`llama-server -np ${slots}`, 'quiet', concurrency, summary));
      } finally {
        await server.stop();
      }
    }
  }
  return results;
}

async function litellmRuns(): Promise<RunResult[]> {
  const input = inputFile(LITELLM_ITEMS);
  const results: RunResult[] = [];
  const sim = await startSimProcess({ profile: 'saas-tier1', timeScale: TIME_SCALE, seed: 1 });
  const proxy = await startLiteLLM({ upstream: sim.url, model: 'gpt-4o-mini', log });
  const env = { SLUICE_BASE_URL: proxy.baseUrl, OPENAI_API_KEY: proxy.apiKey, SLUICE_MODEL: proxy.model };
  try {
    for (const condition of ['quiet', `busy (${BUSY} CPU hogs)`]) {
      const hogs = condition === 'quiet' ? [] : startHogs(BUSY);
      try {
        // The unloaded latency: a few calls one at a time, from full buckets.
        await sim.reset();
        results.push(
          result('litellm → saas-tier1', condition, '1', await runJob('litellm-unloaded', inputFile(20), '1', env)),
        );
        for (const concurrency of ['auto', '8', '16', '32', '64']) {
          await sim.reset();
          results.push(
            result(
              'litellm → saas-tier1',
              condition,
              concurrency,
              await runJob(`litellm-${concurrency}`, input, concurrency, env),
            ),
          );
        }
      } finally {
        for (const hog of hogs) hog.kill('SIGKILL');
      }
    }
  } finally {
    await proxy.stop();
    await sim.stop();
  }
  return results;
}

function markdown(results: readonly RunResult[], startedAt: Date): string {
  const fmt = (x: number | null, d = 2) => (x === null ? '–' : x.toFixed(d));
  const lines = [
    `# Real servers — ${startedAt.toISOString()}`,
    '',
    `Machine: ${machineLine()}. Runs are sequential; ratios within one table compare like with like. Pipeline: \`${PIPELINE.replace(ROOT, '')}\`, unordered. ` +
      `llama-server: SmolLM2-135M-Instruct Q4_1, 2 threads, ${LLAMA_ITEMS} reviews, a fresh server per run. LiteLLM: one proxy in front of the simulator's saas-tier1 ×${TIME_SCALE}, ` +
      `${LITELLM_ITEMS} reviews, buckets reset before each run; "-c 1" on 20 reviews is the unloaded latency.`,
    '',
    '| server | machine | concurrency | records | records/s | p50 s | p95 s | timeouts | calls per record | max in flight | final limit | dead letters |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.server} | ${r.condition} | ${r.concurrency} | ${r.records} | ${fmt(r.recordsPerSecond)} | ${fmt(r.p50Ms === null ? null : r.p50Ms / 1000)} | ${fmt(r.p95Ms === null ? null : r.p95Ms / 1000)} | ${r.timeouts} | ${fmt(r.callsPerRecord)} | ${r.maxInFlight} | ${r.finalLimit} | ${r.deadLetters} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

const startedAt = new Date();
const results: RunResult[] = [];
if (ONLY.includes('llama')) results.push(...(await llamaRuns()));
if (ONLY.includes('litellm')) results.push(...(await litellmRuns()));
mkdirSync(RESULTS, { recursive: true });
writeFileSync(
  join(RESULTS, 'real-servers.json'),
  `${JSON.stringify({ startedAt, machine: machineLine(), results }, null, 1)}\n`,
);
writeFileSync(join(RESULTS, 'real-servers.md'), markdown(results, startedAt));
log(`wrote ${join(RESULTS, 'real-servers.md')}`);
