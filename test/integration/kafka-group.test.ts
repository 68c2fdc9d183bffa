/**
 * Scale-out by consumer group: three processes share a 6-partition topic (each gets partitions), one is SIGKILLed
 * midway, its partitions move to the others (after its session times out), and the output is still complete.
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
import { waitUntil, WorkerProcess } from '../support/kafka-worker-process.ts';

const RECORDS = 3000;
const PARTITIONS = 6;

describe('three consumers in one group', { skip: kafkaSkip() }, () => {
  const brokers = kafkaBrokers() ?? [];
  const config: KafkaJobConfig = {
    brokers,
    ...jobTopicNames(),
    maxInFlight: 16,
    concurrency: 8,
    // Slow enough that the work outlasts the kill and the partition move.
    delayMs: 20,
    commitIntervalMs: 200,
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
    collector = await TopicCollector.start(brokers, config.outputTopic);
  });

  after(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await collector?.stop();
  });

  it('spreads the partitions, survives a member killed midway, and completes the output', async () => {
    workers.push(WorkerProcess.start(config), WorkerProcess.start(config), WorkerProcess.start(config));
    const topic = config.inputTopic;
    const covered = (members: WorkerProcess[]) => {
      const all = members.flatMap((w) => w.partitions(topic));
      return (
        members.every((w) => w.partitions(topic).length > 0) &&
        all.length === PARTITIONS &&
        new Set(all).size === PARTITIONS
      );
    };
    // Every member holds partitions of one and the same assignment before any input exists.
    await waitUntil(() => covered(workers), 90_000, 'three members sharing six partitions');
    assert.deepEqual(
      workers.map((w) => w.partitions(topic).length),
      [2, 2, 2],
    );

    await produce(
      brokers,
      topic,
      Array.from({ length: RECORDS }, (_, i) => JSON.stringify(review(i))),
      PARTITIONS,
    );
    await collector.waitFor(() => collector.messages.length >= RECORDS / 3, 90_000, 'a third of the outputs');
    const [first, second, victim] = workers as [WorkerProcess, WorkerProcess, WorkerProcess];
    victim.kill('SIGKILL');
    assert.equal((await victim.exited).signal, 'SIGKILL');
    assert.ok(collector.distinctKeys().size < RECORDS, 'the kill came too late to test anything');

    await collector.waitFor(() => collector.distinctKeys().size >= RECORDS, 120_000, 'every id in the output');
    // The survivors took over the victim's partitions.
    assert.ok(
      covered([first, second]),
      `survivors hold ${JSON.stringify([first.partitions(topic), second.partitions(topic)])}`,
    );

    for (const worker of [first, second]) worker.kill('SIGTERM');
    for (const worker of [first, second])
      assert.equal((await worker.exited).code, 0, `worker did not exit cleanly:\n${worker.log}`);

    for (const message of collector.messages) {
      assert.deepEqual(JSON.parse(message.value), expectedResult({ ...review(Number(message.key.slice(2))) }));
    }
    const total = [...(await endOffsets(brokers, config.outputTopic)).values()].reduce((a, b) => a + b, 0n);
    process.stderr.write(`kafka-group: ${RECORDS} records, ${total - BigInt(RECORDS)} duplicates after the kill\n`);
    const committed = await committedOffsets(brokers, config.groupId, topic);
    assert.deepEqual([...committed.entries()].sort(), [...(await endOffsets(brokers, topic)).entries()].sort());
  });
});
