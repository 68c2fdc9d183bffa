/**
 * A consumer process SIGKILLed mid-run and restarted: every record is in the output, and every duplicate is a
 * record whose input offset was not yet committed at the kill (nothing committed is redone, nothing is lost).
 * The restarted process then gets SIGTERM: it finishes what it holds, commits, and exits 0.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaBrokers, kafkaSkip } from '../support/kafka-env.ts';
import { expectedResult, review, type KafkaJobConfig } from '../support/kafka-pipeline.ts';
import {
  committedOffsets,
  createJobTopics,
  endOffsets,
  jobTopicNames,
  produce,
  TopicCollector,
} from '../support/kafka-topics.ts';
import { WorkerProcess } from '../support/kafka-worker-process.ts';

const RECORDS = 5000;
const PARTITIONS = 3;

describe('kafka consumer killed with SIGKILL and restarted', { skip: kafkaSkip() }, () => {
  const brokers = kafkaBrokers() ?? [];
  const config: KafkaJobConfig = {
    brokers,
    ...jobTopicNames(),
    maxInFlight: 32,
    concurrency: 16,
    delayMs: 5,
    commitIntervalMs: 100,
    sessionTimeoutMs: 6000,
  };
  let collector: TopicCollector;
  const workers: WorkerProcess[] = [];

  before(async () => {
    await createJobTopics(
      brokers,
      { input: config.inputTopic, output: config.outputTopic, dead: config.deadLetterTopic },
      PARTITIONS,
    );
    await produce(
      brokers,
      config.inputTopic,
      Array.from({ length: RECORDS }, (_, i) => JSON.stringify(review(i))),
      PARTITIONS,
    );
    collector = await TopicCollector.start(brokers, config.outputTopic);
  });

  after(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await collector?.stop();
  });

  it('loses nothing, and duplicates only what was not committed', async () => {
    const first = WorkerProcess.start(config);
    workers.push(first);
    await collector.waitFor(() => collector.messages.length >= RECORDS / 4, 60_000, 'a quarter of the outputs');
    first.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    assert.ok(collector.messages.length < RECORDS, 'the kill came too late to test anything');

    // Nothing writes or commits now: this is the state the restart begins from.
    const committedAtKill = await committedOffsets(brokers, config.groupId, config.inputTopic);
    const outputEndAtKill = await endOffsets(brokers, config.outputTopic);

    const second = WorkerProcess.start(config);
    workers.push(second);
    await collector.waitFor(() => collector.distinctKeys().size >= RECORDS, 90_000, 'every id in the output');
    second.kill('SIGTERM');
    const exit = await second.exited;
    assert.equal(exit.code, 0, `restarted worker did not exit cleanly:\n${second.log}`);
    assert.equal(second.events.at(-1)?.event, 'closed');

    // Completeness and correctness.
    const outputEnd = await endOffsets(brokers, config.outputTopic);
    const total = Number([...outputEnd.values()].reduce((a, b) => a + b, 0n));
    await collector.waitFor(() => collector.messages.length >= total, 30_000, 'the whole output topic');
    assert.equal(collector.distinctKeys().size, RECORDS);
    for (const message of collector.messages) {
      const i = Number(message.key.slice(2));
      assert.deepEqual(JSON.parse(message.value), expectedResult({ ...review(i) }));
    }

    // Every duplicate is explained: written by the first run from an offset at or above the committed one.
    const firstRun = collector.messages.filter((m) => BigInt(m.offset) < (outputEndAtKill.get(m.partition) ?? 0n));
    const secondRun = collector.messages.filter((m) => BigInt(m.offset) >= (outputEndAtKill.get(m.partition) ?? 0n));
    const uncommittedAtKill = (m: { headers: Record<string, string> }) =>
      BigInt(m.headers['sluice-source-offset'] ?? -1) >=
      (committedAtKill.get(Number(m.headers['sluice-source-partition'])) ?? -1n);
    for (const message of secondRun)
      assert.ok(uncommittedAtKill(message), `${message.key} was committed before the kill but processed again`);
    const firstKeys = new Set(firstRun.map((m) => m.key));
    const duplicates = secondRun.filter((m) => firstKeys.has(m.key)).length;
    assert.equal(duplicates, total - RECORDS);
    assert.equal(duplicates, firstRun.filter(uncommittedAtKill).length);
    // The window bound: un-acked records (maxInFlight) plus those acked since the last commit (≤ one interval of work).
    process.stderr.write(
      `kafka-crash: ${firstRun.length} outputs before the kill, ${duplicates} duplicates after the restart\n`,
    );

    // SIGTERM committed everything the second run did.
    const committed = await committedOffsets(brokers, config.groupId, config.inputTopic);
    assert.deepEqual(
      [...committed.entries()].sort(),
      [...(await endOffsets(brokers, config.inputTopic)).entries()].sort(),
    );
  });
});
