/**
 * Kafka source + sink against the real broker, in-process: every input record comes out exactly once with its
 * own result, poison messages go to the dead-letter topic while their partitions keep flowing, and the group's
 * committed offsets end at the end of every partition.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaBrokers, kafkaSkip, uniqueName } from '../support/kafka-env.ts';
import { expectedResult, review, startKafkaJob, type Review } from '../support/kafka-pipeline.ts';
import { committedOffsets, createJobTopics, endOffsets, produce, TopicCollector } from '../support/kafka-topics.ts';

const RECORDS = 5000;
const PARTITIONS = 3;
const POISON_AT = new Set([100, 2500, 4000]);

describe('kafka source → pipeline → kafka sink', { skip: kafkaSkip() }, () => {
  const brokers = kafkaBrokers() ?? [];
  const input = uniqueName('reviews');
  const output = uniqueName('insights');
  const deadLetters = uniqueName('dead');
  const groupId = uniqueName('group');
  // Message i of the input goes to partition i % 3, so its offset there is floor(i / 3).
  const inputs: string[] = [];
  const byPosition = new Map<string, string>();
  const reviews = new Map<string, Review>();
  let collector: TopicCollector;
  let deadCollector: TopicCollector;

  before(async () => {
    for (let i = 0, n = 0; n < RECORDS; i++) {
      const line = POISON_AT.has(i) ? `{"id": "poison-${i}", not json` : JSON.stringify(review(n++));
      if (!POISON_AT.has(i)) reviews.set(`r-${n - 1}`, review(n - 1));
      byPosition.set(`${i % PARTITIONS}@${Math.floor(i / PARTITIONS)}`, line);
      inputs.push(line);
    }
    await createJobTopics(brokers, { input: input, output: output, dead: deadLetters }, PARTITIONS);
    await produce(brokers, input, inputs, PARTITIONS);
    collector = await TopicCollector.start(brokers, output);
    deadCollector = await TopicCollector.start(brokers, deadLetters);
  });

  after(async () => {
    await collector?.stop();
    await deadCollector?.stop();
  });

  it('writes every record exactly once with its own result, and dead-letters the poison', async () => {
    const job = startKafkaJob({
      brokers,
      inputTopic: input,
      outputTopic: output,
      deadLetterTopic: deadLetters,
      groupId,
      maxInFlight: 256,
      concurrency: 16,
      commitIntervalMs: 200,
      stopAfter: inputs.length,
    });
    await job.done;
    assert.equal(job.stats.recordsIn, inputs.length);
    assert.equal(job.stats.recordsOut, RECORDS);
    assert.equal(job.stats.deadLetters, POISON_AT.size);
    assert.equal(job.source.status().groupJoins, 1);

    // The output topic holds exactly RECORDS messages (its end offsets), one per id.
    const written = [...(await endOffsets(brokers, output)).values()].reduce((a, b) => a + b, 0n);
    assert.equal(written, BigInt(RECORDS));
    await collector.waitFor(() => collector.messages.length >= RECORDS, 30_000, 'all outputs');
    assert.equal(collector.distinctKeys().size, RECORDS);
    for (const message of collector.messages) {
      const source = reviews.get(message.key);
      assert.ok(source, `unexpected key ${message.key}`);
      assert.deepEqual(JSON.parse(message.value), expectedResult({ ...source }));
      assert.equal(message.headers['sluice-source-topic'], input);
      const line = byPosition.get(
        `${message.headers['sluice-source-partition']}@${message.headers['sluice-source-offset']}`,
      );
      assert.equal(line, JSON.stringify(source), `headers of ${message.key} point at another input message`);
    }

    await deadCollector.waitFor(() => deadCollector.messages.length >= POISON_AT.size, 30_000, 'dead letters');
    assert.equal(deadCollector.messages.length, POISON_AT.size);
    for (const message of deadCollector.messages) {
      const record = JSON.parse(message.value) as {
        reason: string;
        raw: string;
        source: { kind: string; topic: string };
      };
      assert.equal(record.reason, 'invalid_json');
      assert.match(record.raw, /^\{"id": "poison-\d+", not json$/);
      assert.equal(record.source.topic, input);
    }

    // Every partition (including those holding poison) was committed to its end.
    const committed = await committedOffsets(brokers, groupId, input);
    const ends = await endOffsets(brokers, input);
    assert.deepEqual([...committed.entries()].sort(), [...ends.entries()].sort());
  });
});
