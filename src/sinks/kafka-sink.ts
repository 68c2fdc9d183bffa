/**
 * Kafka sinks: output records, and dead letters, written to a topic by an idempotent producer.
 *
 * Contract:
 * - Envelopes are grouped into batches (up to `batchSize`, or whatever arrived within `lingerMs` of the first) and
 *   sent with `acks: -1` (all in-sync replicas); each envelope is acked only after the broker acknowledged its
 *   batch. One send at a time, so the producer's order is the pipeline's order.
 * - Message key = envelope id (so every version of a record lands in one partition and downstream can dedupe);
 *   headers: `sluice-source-topic`, `sluice-source-partition`, `sluice-source-offset` for Kafka input (else
 *   `sluice-source-position`, e.g. `reviews.jsonl:12`), plus `traceparent`/`tracestate` found in the input headers.
 * - The output sink accepts only successful envelopes: failed ones must have been routed to the dead-letter sink
 *   (docs/architecture.md: every envelope ends in exactly one place). Receiving one is a wiring bug and fails the stream.
 * - A failed send fails the stream; its envelopes stay unacked, so their input is not committed and is read again.
 * - `close()` disconnects the producer; call it after the pipeline settled.
 */
import kafkajs from 'kafkajs';
import type { Message, Producer } from 'kafkajs';
import { describePosition, type Envelope } from '../core/envelope.ts';
import type { Sink, StageContext } from '../core/stage.ts';
import { createKafkaClient } from '../sources/kafka-client.ts';
import { deadLetterRecord } from './dead-letter.ts';
import { untilAborted } from '../core/until-aborted.ts';

export interface KafkaSinkOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly clientId?: string;
  readonly logger?: (line: string) => void;
  /** kafkajs' own log (kafka-client.ts). */
  readonly clientLog?: (line: string) => void;
  /** Most envelopes in one send. Default 500. */
  readonly batchSize?: number;
  /** How long a batch waits for more envelopes after its first one, in ms. Default 5. */
  readonly lingerMs?: number;
}

export type KafkaSink<T = string> = Sink<T> & {
  /** Connects the producer now (the sink does it on its first run otherwise); rejects when the broker is unreachable. */
  connect(): Promise<void>;
  /** Disconnects the producer. */
  close(): Promise<void>;
};

/** Input headers copied to the output: W3C trace context, so a consumer of the output can join the trace. */
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/** Output records: each success envelope's value (a JSON line from serialize-json) becomes one message. */
export function createKafkaSink(options: KafkaSinkOptions): KafkaSink<string> {
  return createProducerSink<string>(options, (envelope) => {
    if (envelope.failure) {
      throw new Error(
        `kafka sink ${options.topic}: record ${envelope.id} failed (${envelope.failure.reason}) but reached the output sink; route failures to the dead-letter sink`,
      );
    }
    return envelope.value;
  });
}

export interface KafkaDeadLetterSinkOptions<T = unknown> extends KafkaSinkOptions {
  /** Fields added to every dead letter (the run's pipeline `fingerprint`), as the file dead-letter sink does. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Message value of a failed envelope. Default: the JSON of `deadLetterRecord(envelope)` plus `fields`. */
  readonly format?: (envelope: Envelope<T>) => string;
}

/** Dead letters: each failed envelope becomes one message (same key and headers as the output sink). */
export function createKafkaDeadLetterSink<T = unknown>(options: KafkaDeadLetterSinkOptions<T>): KafkaSink<T> {
  const format =
    options.format ?? ((envelope: Envelope<T>) => JSON.stringify({ ...deadLetterRecord(envelope), ...options.fields }));
  return createProducerSink<T>(options, format);
}

function createProducerSink<T>(options: KafkaSinkOptions, encode: (envelope: Envelope<T>) => string): KafkaSink<T> {
  const batchSize = options.batchSize ?? 500;
  const lingerMs = options.lingerMs ?? 5;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  const producer: Producer = createKafkaClient(options).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Java's partitioner (murmur2 of the key), so Java consumers and Kafka Streams agree on a key's partition.
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  let connected: Promise<void> | undefined;

  const send = async (batch: Envelope<T>[], ctx: StageContext | undefined) => {
    if (batch.length === 0) return;
    const messages = batch.map((envelope) => toMessage(envelope, encode(envelope)));
    // kafkajs sends cannot be cancelled; on abort the stream stops waiting (the batch stays unacked).
    await untilAborted(producer.send({ topic: options.topic, acks: -1, messages }), ctx?.signal);
    for (const envelope of batch) envelope.ack();
  };

  const connect = (): Promise<void> => (connected ??= producer.connect());
  const sink = async (source: AsyncIterable<Envelope<T>>, ctx?: StageContext): Promise<void> => {
    await connect();
    const iterator = source[Symbol.asyncIterator]();
    let batch: Envelope<T>[] = [];
    let next = iterator.next();
    for (;;) {
      // The first envelope of a batch is awaited without limit; later ones only until the linger ends.
      const result = batch.length === 0 ? await next : await raceTimeout(next, lingerMs);
      if (result === 'timeout') {
        await send(batch, ctx);
        batch = [];
        continue;
      }
      if (result.done) break;
      batch.push(result.value);
      next = iterator.next();
      if (batch.length >= batchSize) {
        await send(batch, ctx);
        batch = [];
      }
    }
    await send(batch, ctx);
  };

  return Object.assign(sink, {
    connect,
    async close() {
      await producer.disconnect();
    },
  });
}

function toMessage<T>(envelope: Envelope<T>, value: string): Message {
  const meta = envelope.meta;
  const headers: Record<string, string> = {};
  if (meta.kind === 'kafka') {
    headers['sluice-source-topic'] = meta.topic;
    headers['sluice-source-partition'] = String(meta.partition);
    headers['sluice-source-offset'] = meta.offset;
    for (const name of TRACE_HEADERS) {
      const trace = meta.headers?.[name];
      if (trace !== undefined) headers[name] = trace;
    }
  } else {
    headers['sluice-source-position'] = describePosition(meta);
  }
  return { key: envelope.id, value, headers };
}

async function raceTimeout<R>(promise: Promise<R>, ms: number): Promise<R | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
