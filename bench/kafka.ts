/**
 * Kafka → sluice → Kafka, through the real CLI (`sluice run -i kafka://… -o kafka://…`):
 *   1. records/s of one consumer against the `null` simulator (no latency, no limits: the client's own cost);
 *   2. one vs three consumers in one group against ONE shared rate-limited simulator (saas-tier1, time-scaled):
 *      aggregate achieved/X* (target ≥ 0.9) and each consumer's share (target within ±20% of fair), with no
 *      coordinator beyond Kafka itself (each process runs its own adaptive limiter). Pipelines run unordered, so
 *      the output topic receives each consumer's records as they finish (see the comment at benchPipeline below).
 *
 *   npx tsx bench/kafka.ts [--items 1500] [--null-items 2000] [--time-scale 6] [--only null-1,tier1-1,tier1-3] [--out dir]
 *
 * Uses KAFKA_BROKERS when set, else starts a broker (scripts/kafka/broker.mjs; needs Java 17 + Maven).
 * Writes bench/results/kafka.json and kafka.md. Rates count outputs and dead letters alike (both finish a record). Rates are measured on the output topic as it fills, after the
 * first simulated minute (60 s / time scale real), as bench/limiter does; ratios compare within one run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { stringify } from 'yaml';
import { startBroker } from '../scripts/kafka/broker.mjs';
import { machineLine } from '../src/bench/report.ts';
import { startSimProcess } from '../src/bench/sim-process.ts';
import { benchPipeline, makeReviews } from '../src/bench/workload.ts';
import { createPromptRenderer } from '../src/llm/prompt.ts';
import { uniqueName } from '../test/support/kafka-env.ts';
import { createTopics, produce, TopicCollector, withAdmin } from '../test/support/kafka-topics.ts';

/** The word after `--name`, if given. */
const argText = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const arg = (name: string, fallback: number) => {
  const v = Number(argText(name) ?? NaN);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const ITEMS = arg('items', 1500);
const NULL_ITEMS = arg('null-items', 2000);
const TIME_SCALE = arg('time-scale', 6);
const PARTITIONS = 6;
/** `--only tier1-3` (comma-separated scenario names) runs those alone. */
const ONLY = argText('only')?.split(',');
const wanted = (name: string) => ONLY === undefined || ONLY.includes(name);
const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
/** `--out <dir>`: where kafka.json and kafka.md go (default bench/results). */
const RESULTS = argText('out') ?? fileURLToPath(new URL('./results/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'sluice-kafka-bench-'));
const log = (line: string) => process.stderr.write(`${line}\n`);

interface ScenarioResult {
  readonly name: string;
  readonly profile: string;
  readonly timeScale: number;
  readonly consumers: number;
  readonly items: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly steadyRecordsPerSecond: number;
  readonly xStar: number | null;
  readonly achievedOverXStar: number | null;
  /** Each consumer's fraction of the records written while all of them had work (fair = 1 / consumers). */
  readonly shares: number[];
  /** Records the provider's faults (content faults, errors past the retries) sent to the dead letters. */
  readonly deadLetters: number;
  readonly deadReasons: Record<string, number>;
  readonly duplicates: number;
  /** Group joins logged by the consumers after the input was produced (a rebalance mid-run: each member rejoins). */
  readonly joinsAfterInput: number;
}

/** A consumer's group join, from its `kafka: joined group … partitions {"topic":[…]}` log line. */
interface Join {
  readonly at: number;
  readonly consumer: number;
  readonly partitions: readonly number[];
}

function joinedPartitions(line: string): number[] | undefined {
  const match = /kafka: joined group .* partitions (\{.*\})\s*$/.exec(line);
  if (!match) return undefined;
  return Object.values(JSON.parse(match[1]!) as Record<string, number[]>).flat();
}

/** The consumer whose latest join before `at` includes the partition (-1 if none). */
function ownerAt(joins: readonly Join[], partition: number, at: number): number {
  let owner = -1;
  for (const j of joins) if (j.at <= at && j.partitions.includes(partition)) owner = j.consumer;
  return owner;
}

const broker = process.env.KAFKA_BROKERS ? undefined : await startBroker({ log });
const brokers = (process.env.KAFKA_BROKERS ?? broker!.brokers).split(',');
const bootstrap = brokers.join(',');

async function scenario(
  name: string,
  profile: string,
  timeScale: number,
  items: number,
  consumers: number,
): Promise<ScenarioResult> {
  const sim = await startSimProcess({ profile, timeScale, seed: 1 });
  const collectors: TopicCollector[] = [];
  const children: Array<{ kill(signal: NodeJS.Signals): boolean; exited: Promise<number | null> }> = [];
  const joins: Join[] = [];
  try {
    // Unordered: in input order, a record waiting out a 429's retry hint holds every later answer of its process
    // back, and the output topic then receives each consumer's records in bursts — shares measured over a window of
    // arrivals measured those bursts, not the consumers' rates (one consumer's done count stood still for 20 s
    // while it kept calling the model, then jumped by 512).
    const pipeline = {
      ...benchPipeline({ baseUrl: sim.url, timeScale, maxTokens: 256, maxAttempts: 6 }),
      ordered: false,
    };
    const pipelineFile = join(work, `${name}.yaml`);
    writeFileSync(pipelineFile, stringify(pipeline));
    const reviews = makeReviews(items);
    const renderer = createPromptRenderer(pipeline.prompt);
    let promptTotal = 0;
    for (const r of reviews) {
      const rendered = renderer.render({ ...r });
      if (rendered.ok) promptTotal += rendered.promptTokenEstimate;
    }
    const promptTokens = Math.round(promptTotal / items);
    const xStar = (await sim.limit({ concurrency: 100_000, promptTokens, maxTokens: 256 })).xStar;

    const t = {
      input: uniqueName(`${name}-in`),
      output: uniqueName(`${name}-out`),
      dead: uniqueName(`${name}-dead`),
      group: uniqueName(`${name}-g`),
    };
    await createTopics(brokers, [
      { topic: t.input, partitions: PARTITIONS },
      { topic: t.output, partitions: PARTITIONS },
      { topic: t.dead, partitions: 1 },
    ]);
    const output = await TopicCollector.start(brokers, t.output);
    const dead = await TopicCollector.start(brokers, t.dead);
    collectors.push(output, dead);
    for (let i = 0; i < consumers; i++) {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'run',
          pipelineFile,
          '--no-progress',
          '-i',
          `kafka://${bootstrap}/${t.input}?group=${t.group}`,
          '-o',
          `kafka://${bootstrap}/${t.output}`,
          '--dead-letter',
          `kafka://${bootstrap}/${t.dead}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OPENAI_API_KEY: 'sk-bench-kafka-0000' } },
      );
      let stderr = '';
      let partial = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-2000);
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const partitions = joinedPartitions(line);
          if (partitions) joins.push({ at: Date.now(), consumer: i, partitions });
        }
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      exited.then((code) => code !== 143 && code !== 0 && log(`consumer ${i} exited ${code}: ${stderr}`));
      children.push({ kill: (s) => child.kill(s), exited });
    }
    // Every consumer holds partitions before the input exists, so the shares measure the limiter, not join order.
    await waitFor(
      async () => (await assignments(t.group)).length === consumers,
      120_000,
      `${consumers} members with partitions`,
    );
    const joinsBeforeInput = joins.length;
    await sim.reset();
    const start = Date.now();
    await produce(
      brokers,
      t.input,
      reviews.map((r) => JSON.stringify(r)),
      PARTITIONS,
    );
    // Every finished record (output or dead letter) with when it arrived and which consumer finished it.
    const arrivals: Array<{ at: number; consumer: number }> = [];
    const taken = [0, 0];
    const take = (collector: TopicCollector, k: 0 | 1) => {
      for (; taken[k]! < collector.messages.length; taken[k]!++) {
        const partition = Number(collector.messages[taken[k]!]?.headers['sluice-source-partition']);
        arrivals.push({ at: Date.now(), consumer: ownerAt(joins, partition, Date.now()) });
      }
    };
    await waitFor(
      () => {
        take(output, 0);
        take(dead, 1);
        return output.distinctKeys().size + dead.distinctKeys().size >= items;
      },
      30 * 60_000,
      'every record in the output or the dead letters',
    );
    const seconds = (Date.now() - start) / 1000;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));

    // Steady state: after the first simulated minute (the rate buckets start full) until the last record.
    const steadyFrom = start + (60 / timeScale) * 1000;
    const last = Math.max(...arrivals.map((a) => a.at));
    const steady =
      last > steadyFrom
        ? arrivals.filter((a) => a.at >= steadyFrom).length / ((last - steadyFrom) / 1000)
        : items / seconds;
    // Shares: records each consumer finished while all of them still had work (until the first one ran out), after
    // the first simulated minute when that window is long enough. Consumer = the process that owned the source
    // partition when the record arrived (its latest group join, from its own log line: a rebalance mid-run moves
    // partitions, and attributing by the first owner would credit one consumer with another's records).
    const lastOf = Array.from({ length: consumers }, (_, c) =>
      Math.max(...arrivals.filter((a) => a.consumer === c).map((a) => a.at)),
    );
    const windowEnd = Math.min(...lastOf);
    const windowStart = windowEnd - steadyFrom > 5000 ? steadyFrom : start;
    const counts = Array.from(
      { length: consumers },
      (_, c) => arrivals.filter((a) => a.at >= windowStart && a.at <= windowEnd && a.consumer === c).length,
    );
    const countTotal = counts.reduce((a, b) => a + b, 0);
    const result: ScenarioResult = {
      name,
      profile,
      timeScale,
      consumers,
      items,
      seconds: round(seconds),
      recordsPerSecond: round(items / seconds),
      steadyRecordsPerSecond: round(steady),
      xStar,
      achievedOverXStar: xStar ? round(steady / xStar, 3) : null,
      shares: counts.map((n) => round(n / countTotal, 3)),
      deadLetters: dead.distinctKeys().size,
      deadReasons: countReasons(dead),
      duplicates: output.messages.length + dead.messages.length - items,
      joinsAfterInput: joins.length - joinsBeforeInput,
    };
    log(`${name}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(collectors.map((c) => c.stop()));
    await sim.stop();
  }
}

/** Partitions of each member of a Stable group (members without partitions left out). */
async function assignments(groupId: string): Promise<number[][]> {
  const { groups } = await withAdmin(brokers, (admin) => admin.describeGroups([groupId]));
  const group = groups[0];
  if (group?.state !== 'Stable') return [];
  const partitionsOf = (buffer: Buffer) =>
    Object.values(kafkajs.AssignerProtocol.MemberAssignment.decode(buffer)?.assignment ?? {}).flat();
  return group.members.map((m) => partitionsOf(m.memberAssignment)).filter((p) => p.length > 0);
}

async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function countReasons(dead: TopicCollector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of dead.messages) {
    const reason = (JSON.parse(m.value) as { reason?: string }).reason ?? 'unknown';
    out[reason] = (out[reason] ?? 0) + 1;
  }
  return out;
}

function round(x: number, digits = 1): number {
  return Number(x.toFixed(digits));
}

const startedAt = new Date();
const results: ScenarioResult[] = [];
try {
  if (wanted('null-1')) results.push(await scenario('null-1', 'null', 1, NULL_ITEMS, 1));
  if (wanted('tier1-1')) results.push(await scenario('tier1-1', 'saas-tier1', TIME_SCALE, ITEMS, 1));
  if (wanted('tier1-3')) results.push(await scenario('tier1-3', 'saas-tier1', TIME_SCALE, ITEMS, 3));
} finally {
  await broker?.stop();
  rmSync(work, { recursive: true, force: true });
}

const md = [
  `# Kafka → sluice → Kafka — ${startedAt.toISOString()}`,
  '',
  `Machine: ${machineLine()} (shared and noisy: compare ratios within a run). Broker: Apache Kafka 4.1.1, one KRaft node on the same machine. Command: \`npx tsx bench/kafka.ts\`.`,
  '',
  '| scenario | profile | consumers | items | wall s | records/s | steady records/s | X* /s | achieved/X* | shares (fair = 1/n) | group joins after the input | dead letters | duplicates |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.profile} ×${r.timeScale} | ${r.consumers} | ${r.items} | ${r.seconds} | ${r.recordsPerSecond} | ${r.steadyRecordsPerSecond} | ${r.xStar ?? '–'} | ${r.achievedOverXStar ?? '–'} | ${r.shares.join(' / ')} | ${r.joinsAfterInput} | ${r.deadLetters}${
        r.deadLetters
          ? ` (${Object.entries(r.deadReasons)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      } | ${r.duplicates} |`,
  ),
  '',
  'Targets: achieved/X* ≥ 0.9 with three consumers sharing one rate-limited endpoint; each share within ±20% of fair.',
  "The pipelines run `ordered: false`, so each consumer writes a record when it is done (in input order, a record waiting out a retry hint holds its process's later answers back and they arrive in bursts).",
  '',
];
mkdirSync(RESULTS, { recursive: true });
writeFileSync(
  join(RESULTS, 'kafka.json'),
  `${JSON.stringify({ startedAt, machine: machineLine(), results }, null, 2)}\n`,
);
writeFileSync(join(RESULTS, 'kafka.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
