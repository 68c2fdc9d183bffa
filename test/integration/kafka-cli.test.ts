/**
 * `sluice run` on Kafka, through the real CLI (a child process) against the simulator: reviews topic → insights
 * topic, poison to a dead-letter topic; SIGTERM commits what is done and exits with 143; a SIGKILLed run restarted
 * leaves every id in the output.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { ExitCode } from '../../src/core/errors.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, startCli } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { kafkaBrokers, kafkaSkip, uniqueName } from '../support/kafka-env.ts';
import { committedOffsets, createJobTopics, endOffsets, produce, TopicCollector } from '../support/kafka-topics.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const SAMPLES = readFileSync(join(ROOT, 'examples/reviews-en.sample.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const PARTITIONS = 3;

/** Awaits `waiting`; if it fails, stops the CLI run and adds the end of its stderr to the error (what it said). */
async function withStderrOf(cli: ReturnType<typeof startCli>, waiting: Promise<unknown>): Promise<void> {
  try {
    await waiting;
  } catch (error) {
    cli.child.kill('SIGTERM');
    const result = await cli.result;
    throw new Error(
      `${(error as Error).message}\nthe run exited ${result.code ?? result.signal}; its stderr ends:\n${result.stderr.slice(-4000)}`,
    );
  }
}

/** `count` reviews with unique ids, texts cycled from the English samples. */
function reviews(count: number, prefix: string): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({ ...SAMPLES[i % SAMPLES.length], id: `${prefix}-${i}` }));
}

describe('sluice run with kafka:// input and output (CLI, simulator)', { skip: kafkaSkip() }, () => {
  const brokers = kafkaBrokers() ?? [];
  const bootstrap = brokers.join(',');
  let sim: Simulator;
  let expected: (record: Record<string, unknown>) => unknown;
  const env = (): Record<string, string> => ({ SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-kafka-cli-0000' });
  const collectors: TopicCollector[] = [];
  const collect = async (topic: string) => {
    const collector = await TopicCollector.start(brokers, topic);
    collectors.push(collector);
    return collector;
  };
  const children: Array<{ kill(signal: NodeJS.Signals): boolean }> = [];

  before(async () => {
    sim = await startSimulator({ profile: 'null', seed: 3 });
    expected = expectedAnswerFor((await loadPipelineFile(PIPELINE, {})).config);
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(collectors.map((c) => c.stop()));
    await sim?.close();
  });

  const topicsFor = async (name: string) => {
    const t = {
      input: uniqueName(`${name}-in`),
      output: uniqueName(`${name}-out`),
      dead: uniqueName(`${name}-dead`),
      group: uniqueName(`${name}-g`),
    };
    await createJobTopics(brokers, { input: t.input, output: t.output, dead: t.dead }, PARTITIONS);
    return t;
  };
  const runArgs = (t: { input: string; output: string; dead: string; group: string }) => [
    'run',
    PIPELINE,
    '--no-progress',
    '-c',
    '32',
    // A short session timeout lets the restarted run take over a SIGKILLed run's partitions sooner.
    '-i',
    `kafka://${bootstrap}/${t.input}?group=${t.group}&sessionTimeoutMs=6000`,
    '-o',
    `kafka://${bootstrap}/${t.output}`,
    '--dead-letter',
    `kafka://${bootstrap}/${t.dead}`,
  ];
  const assertOwnAnswers = (collector: TopicCollector, inputs: Array<Record<string, unknown>>) => {
    const byId = new Map(inputs.map((r) => [String(r.id), r]));
    for (const message of collector.messages) {
      const input = byId.get(message.key);
      assert.ok(input, `unexpected key ${message.key}`);
      const record = JSON.parse(message.value) as { id: string; result: unknown; category: unknown };
      assert.equal(record.id, message.key);
      assert.deepEqual(record.result, expected(input), `result of ${message.key} is the answer to its own input`);
      assert.equal(record.category, input.category);
    }
  };

  it('5,000 reviews → 5,000 insights, each id once with its own answer; poison → dead letters; SIGTERM → 143, committed', async () => {
    const t = await topicsFor('cli');
    const inputs = reviews(5000, 'k');
    const lines = inputs.map((r) => JSON.stringify(r));
    lines.splice(1000, 0, 'this is not json');
    lines.splice(4000, 0, '{"id": "broken"');
    await produce(brokers, t.input, lines, PARTITIONS);
    const output = await collect(t.output);
    const dead = await collect(t.dead);

    const cli = startCli(runArgs(t), { env: env() });
    children.push(cli.child);
    await output.waitFor(() => output.distinctKeys().size >= inputs.length, 180_000, 'every id in the output');
    await dead.waitFor(() => dead.messages.length >= 2, 60_000, 'both dead letters');
    cli.child.kill('SIGTERM');
    const result = await cli.result;
    assert.equal(result.code, ExitCode.sigterm, result.stderr);

    const total = [...(await endOffsets(brokers, t.output)).values()].reduce((a, b) => a + b, 0n);
    assert.equal(total, BigInt(inputs.length), 'each id exactly once');
    await output.waitFor(() => output.messages.length >= inputs.length, 30_000, 'the whole output topic');
    assertOwnAnswers(output, inputs);
    for (const message of output.messages) {
      assert.equal(message.headers['sluice-source-topic'], t.input);
      assert.match(message.headers['sluice-source-offset'] ?? '', /^\d+$/);
    }
    assert.deepEqual(dead.messages.map((m) => (JSON.parse(m.value) as { reason: string }).reason).sort(), [
      'invalid_json',
      'invalid_json',
    ]);

    const committed = await committedOffsets(brokers, t.group, t.input);
    assert.deepEqual([...committed.entries()].sort(), [...(await endOffsets(brokers, t.input)).entries()].sort());
  });

  it('a run killed with SIGKILL and started again leaves every id in the output', async () => {
    const t = await topicsFor('kill');
    const inputs = reviews(1500, 'x');
    await produce(
      brokers,
      t.input,
      inputs.map((r) => JSON.stringify(r)),
      PARTITIONS,
    );
    const output = await collect(t.output);

    const first = startCli(runArgs(t), { env: env() });
    children.push(first.child);
    await output.waitFor(() => output.messages.length >= 300, 120_000, 'some outputs');
    first.child.kill('SIGKILL');
    assert.equal((await first.result).signal, 'SIGKILL');
    const beforeRestart = output.distinctKeys().size;

    const second = startCli(runArgs(t), { env: env() });
    children.push(second.child);
    await withStderrOf(
      second,
      output.waitFor(() => output.distinctKeys().size >= inputs.length, 180_000, 'every id in the output'),
    );
    second.child.kill('SIGTERM');
    assert.equal((await second.result).code, ExitCode.sigterm);

    const total = Number([...(await endOffsets(brokers, t.output)).values()].reduce((a, b) => a + b, 0n));
    await output.waitFor(() => output.messages.length >= total, 30_000, 'the whole output topic');
    assert.equal(output.distinctKeys().size, inputs.length);
    assertOwnAnswers(output, inputs);
    process.stderr.write(`kafka-cli: ${beforeRestart} ids before the kill, ${total - inputs.length} duplicates\n`);
  });

  it('a second process joining mid-run redoes only calls in flight at the rebalance, not the records read ahead', async () => {
    // ≈ 0.7 s per call at a 25/s request limit (a full first bucket lets the pool reach maxConcurrency = 64), while
    // the source hands llm-map up to 2 × 64 = 128 records. Before superseded records stopped starting calls, the
    // first process still called the model for every record it had read from the partitions it lost: 151
    // duplicates in two runs, against 52–78 in four runs since.
    const slow = await startSimulator({ profile: 'saas-tier1', timeScale: 3, seed: 5 });
    try {
      const t = await topicsFor('scale');
      const inputs = reviews(900, 's');
      await produce(
        brokers,
        t.input,
        inputs.map((r) => JSON.stringify(r)),
        PARTITIONS,
      );
      const output = await collect(t.output);
      const args = [...runArgs(t), '--max-concurrency', '64'];
      const slowEnv = { ...env(), SLUICE_BASE_URL: slow.url };

      const first = startCli(args, { env: slowEnv });
      children.push(first.child);
      await output.waitFor(() => output.messages.length >= 150, 120_000, 'the first process under way');
      const second = startCli(args, { env: slowEnv });
      children.push(second.child);
      await withStderrOf(
        second,
        output.waitFor(() => output.distinctKeys().size >= inputs.length, 180_000, 'every id in the output'),
      );
      for (const cli of [first, second]) cli.child.kill('SIGTERM');
      for (const cli of [first, second]) assert.equal((await cli.result).code, ExitCode.sigterm);

      const total = Number([...(await endOffsets(brokers, t.output)).values()].reduce((a, b) => a + b, 0n));
      await output.waitFor(() => output.messages.length >= total, 30_000, 'the whole output topic');
      assertOwnAnswers(output, inputs);
      const duplicates = total - inputs.length;
      process.stderr.write(`kafka-cli: scale-out to two processes, ${duplicates} duplicates of ${inputs.length}\n`);
      // Redone: the calls in flight at the rebalance (≤ 64) and the answers written since the last commit (≤ 1 s,
      // 25), plus a margin; not the records read ahead.
      assert.ok(duplicates <= 110, `${duplicates} duplicates: more than the calls in flight and one commit interval`);
    } finally {
      await slow.close();
    }
  });
});
