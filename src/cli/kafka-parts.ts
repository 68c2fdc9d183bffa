/**
 * The Kafka ends of a job: a consumer-group source (records are its messages' JSON values) and producer sinks
 * for results and dead letters. Each registers its `close` (final offset commit, producer disconnect), which
 * the job runs after the pipeline has settled — so the last acks are committed and nothing acked is lost.
 */
import type { Context } from '@opentelemetry/api';
import type { Envelope } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { Sink } from '../core/stage.ts';
import type { KafkaUrl } from '../config/kafka-url.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { deadLetterRecord } from '../sinks/dead-letter.ts';
import { createKafkaDeadLetterSink, createKafkaSink } from '../sinks/kafka-sink.ts';
import { createKafkaSource } from '../sources/kafka-source.ts';
import { parseJsonLines } from '../stages/parse-json.ts';

type Closers = Array<() => Promise<void>>;
const log = (line: string) => process.stderr.write(`sluice: kafka: ${line}\n`);

export async function kafkaInput(url: KafkaUrl, config: PipelineConfig, stats: RunStats, closers: Closers, runContext?: Context) {
  const kafka = createKafkaSource({
    brokers: url.brokers,
    topic: url.topic,
    groupId: url.groupId!, // parseInput requires ?group= for inputs
    clientId: url.clientId,
    sessionTimeoutMs: url.sessionTimeoutMs,
    runContext,
    // Room for the model stage's window plus what sits in the sinks' buffers.
    maxInFlight: config.maxConcurrency * 2,
    idField: config.input.idField,
    logger: log,
  });
  closers.push(() => kafka.close());
  const countRecords = async function* countRecordsStage(source: AsyncIterable<Envelope<string>>) {
    for await (const envelope of source) {
      stats.recordsIn++;
      yield envelope;
    }
  };
  return { source: kafka.source, framing: [countRecords, parseJsonLines({ idField: config.input.idField })] };
}

export async function kafkaOutputSink(url: KafkaUrl, closers: Closers): Promise<Sink<string>> {
  const sink = createKafkaSink({ brokers: url.brokers, topic: url.topic, clientId: url.clientId, logger: log });
  closers.push(() => sink.close());
  return sink;
}

export async function kafkaDeadLetterSink(url: KafkaUrl, fields: Readonly<Record<string, unknown>>, closers: Closers): Promise<Sink<unknown>> {
  const sink = createKafkaDeadLetterSink<unknown>({
    brokers: url.brokers,
    topic: url.topic,
    clientId: url.clientId,
    logger: log,
    format: (envelope) => JSON.stringify({ ...deadLetterRecord(envelope), ...fields }),
  });
  closers.push(() => sink.close());
  return sink;
}
