/**
 * The Kafka ends of a job: a consumer-group source (records are its messages' JSON values) and producer sinks
 * for results and dead letters. Each registers its `close` (final offset commit, producer disconnect), which
 * the job runs after the pipeline has settled — so the last acks are committed and nothing acked is lost.
 *
 * Each end connects here, before the job touches any file: a broker that cannot be reached (or a topic that does
 * not exist) ends the job with one line naming the flag and the cause, and nothing read or written. kafkajs' own
 * log lines (one per connection retry) are shown with --verbose only.
 */
import type { Context } from '@opentelemetry/api';
import type { Envelope } from '../core/envelope.ts';
import { ExitCode, SluiceError } from '../core/errors.ts';
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

/** kafkajs' own log: with --verbose only. */
export interface KafkaLogOptions {
  readonly verbose?: boolean;
}

export async function kafkaInput(
  url: KafkaUrl,
  config: PipelineConfig,
  stats: RunStats,
  closers: Closers,
  runContext?: Context,
  logOptions: KafkaLogOptions = {},
) {
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
    clientLog: logOptions.verbose ? log : undefined,
  });
  closers.push(() => kafka.close());
  await connectOrExplain('-i', url, () => kafka.connect());
  const countRecords = async function* countRecordsStage(source: AsyncIterable<Envelope<string>>) {
    for await (const envelope of source) {
      stats.recordsIn++;
      yield envelope;
    }
  };
  return { source: kafka.source, framing: [countRecords, parseJsonLines({ idField: config.input.idField })] };
}

export async function kafkaOutputSink(
  url: KafkaUrl,
  closers: Closers,
  logOptions: KafkaLogOptions = {},
): Promise<Sink<string>> {
  const sink = createKafkaSink({
    brokers: url.brokers,
    topic: url.topic,
    clientId: url.clientId,
    logger: log,
    clientLog: logOptions.verbose ? log : undefined,
  });
  closers.push(() => sink.close());
  await connectOrExplain('-o', url, () => sink.connect());
  return sink;
}

export async function kafkaDeadLetterSink(
  url: KafkaUrl,
  fields: Readonly<Record<string, unknown>>,
  closers: Closers,
  logOptions: KafkaLogOptions = {},
): Promise<Sink<unknown>> {
  const sink = createKafkaDeadLetterSink<unknown>({
    brokers: url.brokers,
    topic: url.topic,
    clientId: url.clientId,
    logger: log,
    clientLog: logOptions.verbose ? log : undefined,
    format: (envelope) => JSON.stringify({ ...deadLetterRecord(envelope), ...fields }),
  });
  closers.push(() => sink.close());
  await connectOrExplain('--dead-letter', url, () => sink.connect());
  return sink;
}

/**
 * Runs a Kafka end's connect (kafkajs retries for about 15 s first); its failure becomes one line naming the flag,
 * the broker and the cause. Exit 1: the command may be right and the broker down for now (a restart can help).
 */
async function connectOrExplain(flag: string, url: KafkaUrl, connect: () => Promise<void>): Promise<void> {
  try {
    await connect();
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new SluiceError(
      'kafka_unreachable',
      `${flag} kafka://${url.brokers.join(',')}/${url.topic}: ${cause} — is the broker running and the topic created? nothing was read or written`,
      ExitCode.fatal,
      { cause: error },
    );
  }
}
