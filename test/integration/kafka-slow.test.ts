/**
 * Model calls slower than the session timeout cause no rebalance: two records take 20 s against a 6 s session
 * timeout, the window fills behind them and the topic is paused, kafkajs keeps heartbeating, and the member joins
 * the group exactly once. Everything completes and is committed.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaBrokers, kafkaSkip } from '../support/kafka-env.ts';
import { review, startKafkaJob, type KafkaJobConfig } from '../support/kafka-pipeline.ts';
import { committedOffsets, createJobTopics, endOffsets, jobTopicNames, produce } from '../support/kafka-topics.ts';

const RECORDS = 200;
const SESSION_TIMEOUT_MS = 6000;
const SLOW_MS = 20_000;

describe('kafka source under slow processing', { skip: kafkaSkip() }, () => {
  const brokers = kafkaBrokers() ?? [];
  const config: KafkaJobConfig = {
    brokers,
    ...jobTopicNames(),
    maxInFlight: 20,
    concurrency: 20,
    commitIntervalMs: 500,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    slowIds: ['r-10', 'r-12'], // both on partition 0, in one window: they overlap
    slowMs: SLOW_MS,
    stopAfter: RECORDS,
  };

  before(async () => {
    await createJobTopics(
      brokers,
      { input: config.inputTopic, output: config.outputTopic, dead: config.deadLetterTopic },
      2,
    );
    await produce(
      brokers,
      config.inputTopic,
      Array.from({ length: RECORDS }, (_, i) => JSON.stringify(review(i))),
      2,
    );
  });

  it(`keeps its group membership through ${SLOW_MS / 1000} s records (session timeout ${SESSION_TIMEOUT_MS / 1000} s)`, async () => {
    assert.ok(SLOW_MS > 3 * SESSION_TIMEOUT_MS);
    const lines: string[] = [];
    const job = startKafkaJob(config, (line) => lines.push(line));
    let maxInFlight = 0;
    let pausedSeen = false;
    const sample = setInterval(() => {
      const status = job.source.status();
      maxInFlight = Math.max(maxInFlight, status.inFlight);
      pausedSeen ||= status.paused;
    }, 50);
    try {
      await job.done;
    } finally {
      clearInterval(sample);
    }
    const status = job.source.status();
    // One join, no REBALANCING: each of those would have started a new tracker generation.
    assert.equal(status.groupJoins, 1, lines.join('\n'));
    assert.equal(status.generation, 1, lines.join('\n'));
    assert.equal(pausedSeen, true, 'the window never filled: the test did not exercise the paused path');
    assert.ok(maxInFlight <= config.maxInFlight, `in flight reached ${maxInFlight}`);
    assert.equal(job.stats.recordsOut, RECORDS);
    const written = [...(await endOffsets(brokers, config.outputTopic)).values()].reduce((a, b) => a + b, 0n);
    assert.equal(written, BigInt(RECORDS));
    const committed = await committedOffsets(brokers, config.groupId, config.inputTopic);
    assert.deepEqual(
      [...committed.entries()].sort(),
      [...(await endOffsets(brokers, config.inputTopic)).entries()].sort(),
    );
  });
});
