/**
 * Runs the CLI's job (cli/build-job.ts) in-process over a JSON Lines file against an OpenAI-compatible endpoint, once,
 * and prints CPU µs per record — a target for `node --cpu-prof` / `--heap-prof` without the CLI's start-up:
 *
 *   node --import tsx --cpu-prof bench/ceiling/profile-job.ts INPUT.jsonl BASE_URL [langchain|undici] [concurrency|auto]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildJob } from '../../src/cli/build-job.ts';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startPipeline } from '../../src/core/run-pipeline.ts';
import { RunStats } from '../../src/core/run-stats.ts';

const [inputPath, baseUrl, client = 'undici', concurrencyArg = 'auto'] = process.argv.slice(2);
if (!inputPath || !baseUrl)
  throw new Error('usage: profile-job.ts INPUT.jsonl BASE_URL [langchain|undici] [concurrency|auto]');
process.env.OPENAI_API_KEY ??= 'sk-profile-job';
const pipelinePath = fileURLToPath(new URL('../../pipelines/review-insights.yaml', import.meta.url));
const { config } = await loadPipelineFile(pipelinePath);
const concurrency = concurrencyArg === 'auto' ? 'auto' : Number(concurrencyArg);
const dir = await mkdtemp(join(tmpdir(), 'sluice-profile-job-'));
try {
  const stats = new RunStats();
  const job = await buildJob(
    {
      ...config,
      concurrency,
      maxConcurrency: Number(process.env.H19_MAXC ?? config.maxConcurrency),
      model: { ...config.model, baseUrl, client: client as 'langchain' | 'undici' },
    },
    {
      pipeline: pipelinePath,
      input: inputPath,
      output: join(dir, 'out.jsonl'),
      deadLetter: join(dir, 'dead.jsonl'),
      grace: 30,
      progress: false,
    },
    stats,
  );
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await startPipeline(job.parts, { graceMs: 30_000 }).done;
  } finally {
    await job.close();
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${stats.recordsOut} records (${stats.deadLetters} dead letters) in ${(performance.now() - started).toFixed(0)} ms, ${((used.user + used.system) / stats.recordsOut).toFixed(0)} CPU µs/record\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
