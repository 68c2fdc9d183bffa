/**
 * A small Kafka → parse → compute → serialize → Kafka pipeline for the Kafka tests, run in-process or in a child
 * process (kafka-worker.ts). The compute stage stands in for the model: a deterministic result per review, an
 * optional delay per record, a bounded concurrent window with ordered output (like llm-map's default).
 */
import { pipeline } from 'node:stream/promises';
import { withValue, type Envelope } from '../../src/core/envelope.ts';
import { RunStats } from '../../src/core/run-stats.ts';
import type { Stage } from '../../src/core/stage.ts';
import { createKafkaDeadLetterSink, createKafkaSink } from '../../src/sinks/kafka-sink.ts';
import { routingSink } from '../../src/sinks/routing.ts';
import { createKafkaSource, type KafkaSource } from '../../src/sources/kafka-source.ts';
import { parseJsonLines, type JsonRecord } from '../../src/stages/parse-json.ts';
import { serializeJson } from '../../src/stages/serialize-json.ts';

export interface KafkaJobConfig {
  readonly brokers: string[];
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly deadLetterTopic: string;
  readonly groupId: string;
  readonly maxInFlight: number;
  readonly commitIntervalMs?: number;
  readonly sessionTimeoutMs?: number;
  /** Records processed at once by the compute stage. */
  readonly concurrency: number;
  /** Per-record delay in ms (default 0); `slowIds` get `slowMs` instead. */
  readonly delayMs?: number;
  readonly slowIds?: readonly string[];
  readonly slowMs?: number;
  /** Stop the source after this many records were read (in-process tests). */
  readonly stopAfter?: number;
}

export interface Review {
  readonly id: string;
  readonly text: string;
}

export function review(i: number): Review {
  return { id: `r-${i}`, text: `review number ${i} says the product is ${['fine', 'great', 'awful'][i % 3]}` };
}

/** The deterministic "model answer" for a review: what the output must hold for its own input. */
export function expectedResult(record: JsonRecord): JsonRecord {
  const text = String(record.text);
  return {
    id: record.id,
    words: text.split(' ').length,
    sentiment: text.endsWith('great') ? 'positive' : text.endsWith('awful') ? 'negative' : 'neutral',
  };
}

export interface RunningKafkaJob {
  readonly source: KafkaSource;
  readonly stats: RunStats;
  /** Resolves once the pipeline drained and the source committed and disconnected. */
  readonly done: Promise<void>;
}

export function startKafkaJob(config: KafkaJobConfig, logger?: (line: string) => void): RunningKafkaJob {
  const { brokers } = config;
  const source = createKafkaSource({
    brokers,
    topic: config.inputTopic,
    groupId: config.groupId,
    maxInFlight: config.maxInFlight,
    ...(config.commitIntervalMs !== undefined && { commitIntervalMs: config.commitIntervalMs }),
    ...(config.sessionTimeoutMs !== undefined && {
      sessionTimeoutMs: config.sessionTimeoutMs,
      rebalanceTimeoutMs: config.sessionTimeoutMs,
    }),
    ...(logger && { logger }),
  });
  const output = createKafkaSink({ brokers, topic: config.outputTopic, ...(logger && { logger }) });
  const deadLetter = createKafkaDeadLetterSink({ brokers, topic: config.deadLetterTopic, ...(logger && { logger }) });
  const stats = new RunStats();
  const slow = new Set(config.slowIds ?? []);
  const delayOf = (id: string) => (slow.has(id) ? (config.slowMs ?? 0) : (config.delayMs ?? 0));

  const countIn = async function* (records: AsyncIterable<Envelope<string>>) {
    for await (const envelope of records) {
      stats.recordsIn++;
      yield envelope;
      if (config.stopAfter !== undefined && stats.recordsIn >= config.stopAfter) source.stop();
    }
  };
  const compute: Stage<JsonRecord, JsonRecord> = (records) =>
    mapOrdered(records, config.concurrency, async (envelope) => {
      if (envelope.failure) return envelope;
      const ms = delayOf(envelope.id);
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      return withValue(envelope, expectedResult(envelope.value));
    });

  const run = pipeline as (...args: unknown[]) => Promise<void>;
  const done = run(
    source.source,
    countIn,
    parseJsonLines({ idField: 'id' }),
    compute,
    serializeJson(),
    routingSink({ output, deadLetter, stats }),
  ).finally(async () => {
    await source.close();
    await Promise.all([output.close(), deadLetter.close()]);
  });
  return { source, stats, done };
}

const HEAD_DONE = Symbol('head done');

/**
 * Applies `fn` to up to `window` items at once and yields results in input order, as soon as the oldest is done
 * (it does not wait for the window to fill: a quiet source must not hold finished records back).
 */
export async function* mapOrdered<T, U>(
  source: AsyncIterable<T>,
  window: number,
  fn: (item: T) => Promise<U>,
): AsyncGenerator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const pending: Array<Promise<U>> = [];
  let next: Promise<IteratorResult<T>> | undefined;
  let ended = false;
  while (!ended || pending.length > 0) {
    const head = pending[0];
    if (ended || pending.length >= window) {
      pending.shift();
      yield await head!;
      continue;
    }
    next ??= iterator.next();
    const result = head ? await Promise.race([next, head.then((): typeof HEAD_DONE => HEAD_DONE)]) : await next;
    if (result === HEAD_DONE) {
      pending.shift();
      yield await head!;
      continue;
    }
    next = undefined;
    if (result.done) ended = true;
    else pending.push(fn(result.value));
  }
}
