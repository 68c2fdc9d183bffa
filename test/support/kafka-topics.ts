/**
 * Test helpers that talk to the broker directly with kafkajs (independently of the source and sink under test):
 * create topics, produce input, read offsets, and collect everything a topic receives.
 */
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { uniqueName } from './kafka-env.ts';

export function testClient(brokers: string[]): Kafka {
  return new kafkajs.Kafka({ clientId: 'sluice-test', brokers, logLevel: kafkajs.logLevel.NOTHING });
}

export async function withAdmin<T>(brokers: string[], use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testClient(brokers).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopics(
  brokers: string[],
  topics: Array<{ topic: string; partitions: number }>,
): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.createTopics({
      topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions })),
      waitForLeaders: true,
    });
  });
}

/** Produces `values` round-robin over `partitions` (explicit partitions: the spread is deterministic). */
/** Fresh names for one job's topics and group (every test gets its own). */
export function jobTopicNames(): { inputTopic: string; outputTopic: string; deadLetterTopic: string; groupId: string } {
  return {
    inputTopic: uniqueName('reviews'),
    outputTopic: uniqueName('insights'),
    deadLetterTopic: uniqueName('dead'),
    groupId: uniqueName('group'),
  };
}

/** Creates a job's input and output topics with `partitions` each, and a one-partition dead-letter topic. */
export async function createJobTopics(
  brokers: string[],
  topics: { input: string; output: string; dead: string },
  partitions: number,
): Promise<void> {
  await createTopics(brokers, [
    { topic: topics.input, partitions },
    { topic: topics.output, partitions },
    { topic: topics.dead, partitions: 1 },
  ]);
}

export async function produce(brokers: string[], topic: string, values: string[], partitions: number): Promise<void> {
  const producer = testClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let start = 0; start < values.length; start += 1000) {
      const messages = values
        .slice(start, start + 1000)
        .map((value, i) => ({ value, partition: (start + i) % partitions }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Partition → next offset to be written (the high watermark). */
export async function endOffsets(brokers: string[], topic: string): Promise<Map<number, bigint>> {
  const offsets = await withAdmin(brokers, (admin) => admin.fetchTopicOffsets(topic));
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

/** Partition → the group's committed offset (-1 when none). */
export async function committedOffsets(
  brokers: string[],
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const result = await withAdmin(brokers, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return new Map((result[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
}

export interface CollectedMessage {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Record<string, string>;
}

/** Reads a topic from its beginning with its own group, for as long as it runs; `waitFor` polls what arrived. */
export class TopicCollector {
  readonly messages: CollectedMessage[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], topic: string): Promise<TopicCollector> {
    const consumer = testClient(brokers).consumer({ groupId: uniqueName('collector'), maxWaitTimeInMs: 200 });
    const collector = new TopicCollector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {}))
          if (value !== undefined) headers[name] = String(value);
        collector.messages.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          partition,
          offset: message.offset,
          headers,
        });
      },
    });
    return collector;
  }

  distinctKeys(): Set<string> {
    return new Set(this.messages.map((m) => m.key));
  }

  /** Resolves when `done()` holds (checked every 100 ms); rejects after `timeoutMs` saying what was reached. */
  async waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (have ${this.messages.length} messages)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
