/**
 * Traces across Kafka, through the real CLI and broker: each fetched batch gets a `process {topic}` CONSUMER span;
 * a message without a `traceparent` has its model call under that batch span and its output message carries the
 * batch's trace; a message with one has its call continue the upstream trace, and the output keeps that trace.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { createKafkaClient } from '../../src/sources/kafka-client.ts';
import { ROOT, startCli } from '../support/cli.ts';
import { kafkaBrokers, kafkaSkip, uniqueName } from '../support/kafka-env.ts';
import { createJobTopics, TopicCollector } from '../support/kafka-topics.ts';
import { waitUntil } from '../support/kafka-worker-process.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const UPSTREAM = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };

describe('trace context through Kafka (CLI, simulator, OTLP receiver)', { skip: kafkaSkip() }, () => {
  const brokers = kafkaBrokers() ?? [];
  let sim: Simulator;
  let receiver: OtlpReceiver;
  let collector: TopicCollector | undefined;
  before(async () => {
    sim = await startSimulator({ profile: 'null', seed: 5 });
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await collector?.stop();
    await sim?.close();
    await receiver?.close();
  });

  it('batch spans parent calls of untraced messages; traced messages continue their upstream trace', async () => {
    const t = {
      input: uniqueName('otel-in'),
      output: uniqueName('otel-out'),
      dead: uniqueName('otel-dead'),
      group: uniqueName('otel-g'),
    };
    await createJobTopics(brokers, { input: t.input, output: t.output, dead: t.dead }, 1);
    const producer = createKafkaClient({ brokers, clientId: 'otel-test' }).producer();
    await producer.connect();
    await producer.send({
      topic: t.input,
      messages: [
        ...Array.from({ length: 5 }, (_, i) => ({
          value: JSON.stringify({ id: `plain-${i}`, text: `Nice mug number ${i}` }),
        })),
        {
          value: JSON.stringify({ id: 'traced', text: 'Arrived broken' }),
          headers: { traceparent: `00-${UPSTREAM.traceId}-${UPSTREAM.spanId}-01` },
        },
      ],
    });
    await producer.disconnect();
    collector = await TopicCollector.start(brokers, t.output);

    const { child, result } = startCli(
      [
        'run',
        PIPELINE,
        '--no-progress',
        '-i',
        `kafka://${brokers.join(',')}/${t.input}?group=${t.group}`,
        '-o',
        `kafka://${brokers.join(',')}/${t.output}`,
        '--dead-letter',
        `kafka://${brokers.join(',')}/${t.dead}`,
      ],
      {
        env: {
          SLUICE_BASE_URL: sim.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_SERVICE_NAME: 'sluice-kafka-otel',
        },
      },
    );
    await waitUntil(() => collector!.messages.length >= 6, 60_000, 'six output messages');
    child.kill('SIGTERM');
    const exited = await result;
    assert.equal(exited.code, 143, exited.stderr);

    const spans = receiver.spans.filter((s) => s.resource['service.name'] === 'sluice-kafka-otel');
    const batches = spans.filter((s) => s.name === `process ${t.input}`);
    assert.ok(batches.length >= 1, 'a batch span was exported');
    assert.ok(
      batches.every((b) => b.kind === 5),
      'CONSUMER',
    );
    const calls = new Map(
      spans.filter((s) => s.name === 'chat gpt-4o-mini').map((s) => [String(s.attributes['sluice.record.id']), s]),
    );
    for (let i = 0; i < 5; i++) {
      const call = calls.get(`plain-${i}`);
      assert.ok(call, `call span of plain-${i}`);
      const batch = batches.find((b) => b.spanId === call.parentSpanId);
      assert.ok(batch, `plain-${i}'s call is a child of a batch span`);
      assert.equal(call.traceId, batch.traceId);
      const output = collector.messages.find((m) => m.key === `plain-${i}`)!;
      assert.match(
        output.headers.traceparent ?? '',
        new RegExp(`^00-${batch.traceId}-`),
        'the output carries the batch trace',
      );
    }
    const traced = calls.get('traced');
    assert.ok(traced);
    assert.equal(traced.traceId, UPSTREAM.traceId, 'the call continues the upstream trace');
    assert.equal(traced.parentSpanId, UPSTREAM.spanId);
    assert.ok(
      batches.some((b) => b.links.some((l) => l.spanId === UPSTREAM.spanId)),
      'the batch span links the upstream span',
    );
    assert.match(
      collector.messages.find((m) => m.key === 'traced')!.headers.traceparent ?? '',
      new RegExp(`^00-${UPSTREAM.traceId}-`),
    );
  });
});
