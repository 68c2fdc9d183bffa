/**
 * Batch mode at scale, against the simulator in its own process and sluice as a process (as users run them):
 *   1. N reviews through `--mode batch` and through online: every id once, the same result for every id, the cost
 *      of each (summary) and of the dry-run estimate, batches created;
 *   2. K SIGKILLs at seeded random moments of a batch job (counted from when each run opened the job), each run
 *      resumed with --resume: ids lost, ids twice, batches created vs chunks, requests answered twice (the
 *      simulator's counters);
 *   3. one batch expiring with 30% of its requests not run: how many requests the second batch carries (fallback
 *      batch), how many online calls are made (fallback online).
 *
 *   npx tsx bench/batch.ts [--records 10000] [--kills 10]
 *
 * Writes bench/results/batch.json and batch.md. Counts, not timings, are the results; wall times are reported with
 * the machine's load for context only.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startSimProcess, type SimProcess } from '../src/bench/sim-process.ts';
import { loadPipelineFile } from '../src/config/load-pipeline.ts';
import { createPromptRenderer } from '../src/llm/prompt.ts';
import { createRng } from '../src/sim/rng.ts';
import { simulatedAnswer } from '../src/sim/index.ts';
import { generateReviews } from './data/generate-reviews.ts';
import { machineDescription } from './stages/measure.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RECORDS = option('--records', 10_000);
const KILLS = option('--kills', 10);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/sluice.js');
const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  wallMs: number;
}

function sluice(
  cliArgs: string[],
  env: Record<string, string>,
): { kill(signal: NodeJS.Signals): void; done: Promise<Run> } {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...cliArgs], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr, wallMs: performance.now() - started })),
  );
  return { kill: (signal) => child.kill(signal), done };
}

function readRecords(path: string): Array<Record<string, any>> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l));
}

async function batchStats(sim: SimProcess): Promise<Record<string, any>> {
  return ((await sim.stats()) as { batch: Record<string, any> }).batch;
}

function check(
  records: Array<Record<string, any>>,
  expected: Map<string, unknown>,
): { lost: number; twice: number; wrong: number } {
  const seen = new Map<string, number>();
  let wrong = 0;
  for (const r of records) {
    seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    if (JSON.stringify(r.result) !== JSON.stringify(expected.get(r.id))) wrong++;
  }
  return {
    lost: [...expected.keys()].filter((id) => !seen.has(id)).length,
    twice: [...seen.values()].filter((n) => n > 1).length,
    wrong,
  };
}

async function main(): Promise<void> {
  const machine = machineDescription();
  const work = await mkdtemp(join(tmpdir(), 'sluice-bench-batch-'));
  const input = join(work, 'reviews.jsonl');
  const lines = [...generateReviews(RECORDS, 7)];
  await writeFile(input, `${lines.join('\n')}\n`);
  const { config } = await loadPipelineFile(PIPELINE, {});
  const renderer = createPromptRenderer(config.prompt);
  const expected = new Map<string, unknown>();
  for (const line of lines) {
    const record = JSON.parse(line) as Record<string, unknown>;
    const rendered = renderer.render(record);
    if (!rendered.ok) throw new Error('unrenderable bench record');
    expected.set(
      String(record.id),
      simulatedAnswer({ lastUserMessage: rendered.messages.at(-1)!.content, schema: config.output.schema }),
    );
  }
  const results: Record<string, unknown> = {
    machine,
    records: RECORDS,
    input: 'bench/data/generate-reviews.ts seed 7',
  };

  // 1. Batch vs online.
  {
    const sim = await startSimProcess({
      profile: 'null',
      timeScale: 1000,
      set: ['batchValidateS=2', 'batchRequestsPerS=1000', 'batchFinalizeS=2'],
    });
    try {
      const env = { SLUICE_BASE_URL: sim.url };
      const batchOut = join(work, 'batch.jsonl');
      const onlineOut = join(work, 'online.jsonl');
      const batch = await sluice(
        [
          'run',
          PIPELINE,
          '-i',
          input,
          '-o',
          batchOut,
          '--mode',
          'batch',
          '--poll-interval',
          '0.05',
          '--no-progress',
          '--summary-json',
          join(work, 'batch.json'),
        ],
        env,
      ).done;
      const afterBatch = await sim.stats();
      const online = await sluice(
        ['run', PIPELINE, '-i', input, '-o', onlineOut, '--no-progress', '--summary-json', join(work, 'online.json')],
        env,
      ).done;
      const dryOnline = await sluice(
        ['run', PIPELINE, '-i', input, '--dry-run', '--summary-json', join(work, 'dry-online.json')],
        env,
      ).done;
      const dryBatch = await sluice(
        ['run', PIPELINE, '-i', input, '--dry-run', '--mode', 'batch', '--summary-json', join(work, 'dry-batch.json')],
        env,
      ).done;
      for (const run of [batch, online, dryOnline, dryBatch])
        if (run.code !== 0) throw new Error(`a run failed (${run.code}):\n${run.stderr}`);
      const batchRecords = readRecords(batchOut);
      const onlineById = new Map(readRecords(onlineOut).map((r) => [r.id, r]));
      const differing = batchRecords.filter(
        (r) => JSON.stringify(r.result) !== JSON.stringify(onlineById.get(r.id)?.result),
      ).length;
      const summary = (f: string) => JSON.parse(readFileSync(join(work, f), 'utf8')) as Record<string, any>;
      results.sameAsOnline = {
        ...check(batchRecords, expected),
        recordsOut: batchRecords.length,
        differingFromOnline: differing,
        chatCallsByBatchRun: (afterBatch as { received: number }).received,
        batchesCreated: (afterBatch as { batch: { batchesCreated: number } }).batch.batchesCreated,
        costUsd: {
          batch: summary('batch.json').costUsd,
          online: summary('online.json').costUsd,
          ratio: summary('batch.json').costUsd / summary('online.json').costUsd,
        },
        inputTokens: { batch: summary('batch.json').inputTokens, online: summary('online.json').inputTokens },
        outputTokens: { batch: summary('batch.json').outputTokens, online: summary('online.json').outputTokens },
        dryRunCostUsdMax: {
          batch: summary('dry-batch.json').costUsdMax,
          online: summary('dry-online.json').costUsdMax,
          ratio: summary('dry-batch.json').costUsdMax / summary('dry-online.json').costUsdMax,
        },
        wallMs: { batch: Math.round(batch.wallMs), online: Math.round(online.wallMs) },
      };
    } finally {
      await sim.stop();
    }
  }

  // 2. Kills and resumes. Four chunks run in parallel at 50 requests/s each: ~50 s at the provider.
  {
    const chunk = Math.ceil(RECORDS / 4);
    const sim = await startSimProcess({
      profile: 'null',
      timeScale: 10,
      set: [
        'batchValidateS=10',
        `batchRequestsPerS=${Math.max(1, chunk / 500)}`,
        'batchFinalizeS=5',
        'batchCreateDelayS=5',
      ],
    });
    try {
      const pipeline = join(work, 'kill.yaml');
      await writeFile(pipeline, `${readFileSync(PIPELINE, 'utf8')}\nbatch:\n  maxRequests: ${chunk}\n`);
      const output = join(work, 'kill.jsonl');
      const state = join(work, 'kill.batch', 'state.json');
      const runArgs = [
        'run',
        pipeline,
        '-i',
        input,
        '-o',
        output,
        '--mode',
        'batch',
        '--poll-interval',
        '0.1',
        '--no-progress',
        '--resume',
      ];
      const env = { SLUICE_BASE_URL: sim.url };
      const random = createRng(2026);
      const kills: string[] = [];
      const savedAt = () => (existsSync(state) ? statSync(state).mtimeMs : 0);
      const phases = () => {
        try {
          return (
            (JSON.parse(readFileSync(state, 'utf8')) as { chunks: Array<{ phase: string }> }).chunks
              .map((c) => c.phase)
              .join(',') || 'preparing'
          );
        } catch {
          return '?';
        }
      };
      for (let i = 0; i < KILLS; i++) {
        const before = savedAt();
        const run = sluice(runArgs, env);
        let ended = false;
        void run.done.then(() => (ended = true));
        while (savedAt() === before && !ended) await sleep(5);
        await sleep(Math.floor(random() * 5_000));
        if (ended) break;
        const at = `${phases()} [${readRecords(output).length} written]`;
        run.kill('SIGKILL');
        await run.done;
        kills.push(at);
      }
      const final = await sluice(runArgs, env).done;
      if (final.code !== 0) throw new Error(`the final resume failed (${final.code}):\n${final.stderr}`);
      const stats = await batchStats(sim);
      results.killAndResume = {
        kills: kills.length,
        killedAt: kills,
        ...check(readRecords(output), expected),
        chunks: 4,
        batchesCreated: stats.batchesCreated,
        requestsAnswered: stats.requestsAnswered,
        requestsAnsweredTwice: stats.customIdsAnsweredTwice,
        filesUploaded: stats.filesUploaded,
      };
    } finally {
      await sim.stop();
    }
  }

  // 3. Expiry with 30% unfinished: one batch of N, 100 requests/s of model time for 70% of N / 100 seconds.
  for (const fallback of ['batch', 'online'] as const) {
    const window = 1 + (0.7 * RECORDS) / 100;
    const sim = await startSimProcess({
      profile: 'null',
      timeScale: 100,
      set: ['batchValidateS=1', 'batchRequestsPerS=100', 'batchFinalizeS=1', `batchWindowS=${window}`],
    });
    try {
      const output = join(work, `expire-${fallback}.jsonl`);
      const run = await sluice(
        [
          'run',
          PIPELINE,
          '-i',
          input,
          '-o',
          output,
          '--mode',
          'batch',
          '--fallback',
          fallback,
          '--poll-interval',
          '0.05',
          '--no-progress',
        ],
        { SLUICE_BASE_URL: sim.url },
      ).done;
      if (run.code !== 0) throw new Error(`the expiry run failed (${run.code}):\n${run.stderr}`);
      const all = (await (await fetch(`${sim.url}/batches?limit=100`)).json()) as {
        data: Array<{ status: string; request_counts: { total: number; completed: number } }>;
      };
      const stats = (await sim.stats()) as { received: number; batch: Record<string, number> };
      results[`expiry-${fallback}`] = {
        ...check(readRecords(output), expected),
        batches: all.data
          .reverse()
          .map((b) => ({ status: b.status, total: b.request_counts.total, completed: b.request_counts.completed })),
        onlineCalls: stats.received,
        requestsAnsweredTwice: stats.batch.customIdsAnsweredTwice,
      };
    } finally {
      await sim.stop();
    }
  }

  await rm(work, { recursive: true, force: true });
  const outDir = join(ROOT, 'bench/results');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'batch.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, 'batch.md'), markdown(results));
  process.stdout.write(markdown(results));
}

function markdown(r: Record<string, any>): string {
  const same = r.sameAsOnline;
  const kill = r.killAndResume;
  const exp = (k: string) => r[k];
  const batches = (k: string) =>
    exp(k)
      .batches.map((b: { status: string; total: number; completed: number }) => `${b.status} ${b.completed}/${b.total}`)
      .join(' → ');
  return [
    `# Batch mode at ${r.records.toLocaleString('en-US')} records`,
    '',
    `Machine: ${r.machine}. Input: ${r.input}. Simulator in its own process, sluice as a process (\`npx tsx bench/batch.ts\`).`,
    '',
    '| check | result |',
    '|---|---|',
    `| batch vs online: ids lost / twice / wrong answer | ${same.lost} / ${same.twice} / ${same.wrong} (${same.recordsOut.toLocaleString('en-US')} written; ${same.differingFromOnline} results differ from the online run) |`,
    `| batch run: chat calls, batches created | ${same.chatCallsByBatchRun}, ${same.batchesCreated} |`,
    `| cost (summary) batch / online | $${same.costUsd.batch.toFixed(4)} / $${same.costUsd.online.toFixed(4)} = ${same.costUsd.ratio.toFixed(3)} (input tokens ${same.inputTokens.batch} / ${same.inputTokens.online}; output tokens ${same.outputTokens.batch} / ${same.outputTokens.online}, drawn at random by the simulator) |`,
    `| cost (dry-run estimate) batch / online | $${same.dryRunCostUsdMax.batch.toFixed(4)} / $${same.dryRunCostUsdMax.online.toFixed(4)} = ${same.dryRunCostUsdMax.ratio.toFixed(3)} |`,
    `| wall time batch / online (context only) | ${(same.wallMs.batch / 1000).toFixed(1)} s / ${(same.wallMs.online / 1000).toFixed(1)} s |`,
    `| ${kill.kills} SIGKILLs + --resume: ids lost / twice / wrong | ${kill.lost} / ${kill.twice} / ${kill.wrong} |`,
    `| batches created for ${kill.chunks} chunks; requests answered; answered twice | ${kill.batchesCreated}; ${kill.requestsAnswered}; ${kill.requestsAnsweredTwice} (files uploaded ${kill.filesUploaded}) |`,
    `| kills landed at (chunk phases) | ${kill.killedAt.join('<br>')} |`,
    `| expiry, fallback batch: batches; online calls; lost / twice | ${batches('expiry-batch')}; ${exp('expiry-batch').onlineCalls}; ${exp('expiry-batch').lost} / ${exp('expiry-batch').twice} |`,
    `| expiry, fallback online: batches; online calls; lost / twice | ${batches('expiry-online')}; ${exp('expiry-online').onlineCalls}; ${exp('expiry-online').lost} / ${exp('expiry-online').twice} |`,
    '',
  ].join('\n');
}

await main();
