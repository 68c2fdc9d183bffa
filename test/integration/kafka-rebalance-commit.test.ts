/**
 * A member that gives up partitions in a rebalance first commits what it finished (real broker, the Kafka source
 * in-process). Member A reads and acks every message while its periodic commit is an hour away; member B joins the
 * group. Without the commit at the rebalance, B's partition restarted from nothing committed and B received all of
 * its messages again (the 512 duplicates of three consumers starting together); with it, the group's committed
 * offsets reach the end of the topic and B receives nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createKafkaSource, type KafkaSource } from '../../src/sources/kafka-source.ts';
import { kafkaBrokers, kafkaSkip, uniqueName } from '../support/kafka-env.ts';
import { committedOffsets, createTopics, endOffsets, produce } from '../support/kafka-topics.ts';

const PARTITIONS = 2;
const MESSAGES = 40;

async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('kafka source: commit before a rebalance', { skip: kafkaSkip() }, () => {
  const brokers = kafkaBrokers() ?? [];
  const sources: KafkaSource[] = [];
  after(async () => {
    for (const source of sources) await source.close().catch(() => undefined);
  });

  it('what a member acked is committed when it learns of the rebalance; the new owner gets none of it again', async () => {
    const topic = uniqueName('rebalance-commit');
    const groupId = uniqueName('rebalance-commit-g');
    await createTopics(brokers, [{ topic, partitions: PARTITIONS }]);
    await produce(
      brokers,
      topic,
      Array.from({ length: MESSAGES }, (_, i) => JSON.stringify({ id: `m${i}` })),
      PARTITIONS,
    );
    const logA: string[] = [];
    const member = (logger?: (line: string) => void) => {
      const source = createKafkaSource({
        brokers,
        topic,
        groupId,
        maxInFlight: 100,
        logger,
        commitIntervalMs: 3_600_000, // no periodic commit within the test: only the rebalance can commit
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 300,
        fetchMaxWaitMs: 100,
      });
      sources.push(source);
      return source;
    };

    const a = member((line) => logA.push(line));
    const readByA: string[] = [];
    const aReading = (async () => {
      for await (const envelope of a.source) {
        readByA.push(envelope.id);
        envelope.ack();
      }
    })();
    await until(() => readByA.length >= MESSAGES, `member A to read all ${MESSAGES} messages`);
    const before = await committedOffsets(brokers, groupId, topic);
    assert.ok(
      [...before.values()].every((offset) => offset < 0n),
      `nothing committed yet: ${[...before.entries()]}`,
    );

    // B joins; it never acks, so it never commits: every commit of the group is A's.
    const b = member();
    const readByB: string[] = [];
    const bReading = (async () => {
      for await (const envelope of b.source) readByB.push(envelope.id);
    })();
    await until(
      () => b.status().groupJoins >= 1 && Object.values(b.status().assignment).flat().length > 0,
      'member B to get a partition',
    );
    const end = await endOffsets(brokers, topic);
    await until(async () => {
      const committed = await committedOffsets(brokers, groupId, topic);
      return [...end.entries()].every(([partition, offset]) => committed.get(partition) === offset);
    }, 'the group to have committed the end of every partition');
    assert.ok(
      logA.some((line) => /committed before the rebalance/.test(line)),
      logA.join('\n'),
    );

    // B fetches from the committed offsets: nothing is left for it. (It keeps fetching; a message it received would
    // arrive within a few fetch rounds of its join.)
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(readByB, [], 'no message read twice');

    a.stop();
    b.stop();
    await Promise.all([aReading, bReading]);
  });
});
