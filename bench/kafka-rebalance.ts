/**
 * Duplicates when several consumers start together on a topic that already holds messages — the first member to
 * join takes every partition and starts on them, then gives most of them up when the others join (a rebalance):
 * whatever it had done and not yet committed is done again by the new owners.
 *
 *   npx tsx bench/kafka-rebalance.ts [--items 3000] [--consumers 3] [--runs 2] [--profile saas-tier1] [--time-scale 20]
 *                                    [--initial-rebalance-delay-ms 0]
 *
 * Each run: a fresh 6-partition input topic holding `items` reviews, a simulator process, then `consumers` × `sluice
 * run -i kafka://…?group=G -o kafka://…` started at the same moment (the real CLI, default pipeline settings:
 * ordered, maxConcurrency 256 — a Kafka input fetches up to 2 × 256 = 512 messages ahead). When every id is in the
 * output, each process gets SIGTERM; duplicates = output messages − items. Uses KAFKA_BROKERS when set, else starts
 * a broker (scripts/kafka/broker.mjs). Prints one JSON line per run and writes bench/results/kafka-rebalance.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../scripts/kafka/broker.mjs';
import { machineLine } from '../src/bench/report.ts';
import { startSimProcess } from '../src/bench/sim-process.ts';
import { uniqueName } from '../test/support/kafka-env.ts';
import { createTopics, produce, TopicCollector } from '../test/support/kafka-topics.ts';
import { reviewRecords } from '../test/support/review-records.ts';

const argText = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const arg = (name: string, fallback: number) => {
  const v = Number(argText(name) ?? NaN);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const ITEMS = arg('items', 3000);
const CONSUMERS = arg('consumers', 3);
const RUNS = arg('runs', 2);
const PROFILE = argText('profile') ?? 'saas-tier1';
const TIME_SCALE = arg('time-scale', 20);
const PARTITIONS = 6;
const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const PIPELINE = fileURLToPath(new URL('../pipelines/review-insights.yaml', import.meta.url));
const RESULTS = argText('out') ?? fileURLToPath(new URL('./results/', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

/** `--initial-rebalance-delay-ms N`: the broker's group.initial.rebalance.delay.ms (the tests' broker: 0; Kafka's default: 3000). */
const INITIAL_DELAY_MS = argText('initial-rebalance-delay-ms') ?? '0';
const broker = process.env.KAFKA_BROKERS
  ? undefined
  : await startBroker({ log, properties: { 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS } });
const brokers = (process.env.KAFKA_BROKERS ?? broker!.brokers).split(',');

interface RunResult {
  readonly run: number;
  readonly items: number;
  readonly consumers: number;
  readonly duplicates: number;
  readonly seconds: number;
  /** `joined group` log lines of all consumers (each rebalance: one per member). */
  readonly groupJoins: number;
  /** `committed before the rebalance` log lines (the commit made when a member learns of a rebalance). */
  readonly rebalanceCommits: number;
}

async function run(n: number): Promise<RunResult> {
  const sim = await startSimProcess({ profile: PROFILE, timeScale: TIME_SCALE, seed: n });
  const children: Array<{ kill(signal: NodeJS.Signals): boolean; exited: Promise<number | null> }> = [];
  let output: TopicCollector | undefined;
  try {
    const t = {
      input: uniqueName('rebalance-in'),
      output: uniqueName('rebalance-out'),
      dead: uniqueName('rebalance-dead'),
      group: uniqueName('rebalance-g'),
    };
    await createTopics(brokers, [
      { topic: t.input, partitions: PARTITIONS },
      { topic: t.output, partitions: PARTITIONS },
      { topic: t.dead, partitions: 1 },
    ]);
    await produce(
      brokers,
      t.input,
      reviewRecords(ITEMS, `b${n}`).map((r) => JSON.stringify(r)),
      PARTITIONS,
    );
    output = await TopicCollector.start(brokers, t.output);
    let groupJoins = 0;
    let rebalanceCommits = 0;
    const start = Date.now();
    for (let i = 0; i < CONSUMERS; i++) {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'run',
          PIPELINE,
          '--no-progress',
          '-i',
          `kafka://${brokers.join(',')}/${t.input}?group=${t.group}`,
          '-o',
          `kafka://${brokers.join(',')}/${t.output}`,
          '--dead-letter',
          `kafka://${brokers.join(',')}/${t.dead}`,
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-bench-rebalance-0000' },
        },
      );
      let tail = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        groupJoins += chunk.match(/kafka: joined group/g)?.length ?? 0;
        rebalanceCommits += chunk.match(/committed before the rebalance/g)?.length ?? 0;
        tail = (tail + chunk).slice(-2000);
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      exited.then((code) => code !== 143 && log(`consumer ${i} exited ${code}: ${tail}`));
      children.push({ kill: (s) => child.kill(s), exited });
    }
    await output.waitFor(() => output!.distinctKeys().size >= ITEMS, 20 * 60_000, 'every id in the output');
    const seconds = (Date.now() - start) / 1000;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    // Let the last messages of the stopping consumers arrive.
    const settled = Date.now() + 2000;
    await output.waitFor(() => Date.now() > settled, 10_000, 'the last messages');
    const result = {
      run: n,
      items: ITEMS,
      consumers: CONSUMERS,
      duplicates: output.messages.length - ITEMS,
      seconds: Math.round(seconds * 10) / 10,
      groupJoins,
      rebalanceCommits,
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await output?.stop();
    await sim.stop();
  }
}

const results: RunResult[] = [];
try {
  for (let n = 1; n <= RUNS; n++) results.push(await run(n));
} finally {
  await broker?.stop();
}
mkdirSync(RESULTS, { recursive: true });
writeFileSync(
  join(RESULTS, 'kafka-rebalance.json'),
  `${JSON.stringify({ machine: machineLine(), profile: PROFILE, timeScale: TIME_SCALE, initialRebalanceDelayMs: Number(INITIAL_DELAY_MS), results }, null, 2)}\n`,
);
