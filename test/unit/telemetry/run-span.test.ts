import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { startKafkaBatchSpan, startRunSpan, withSpan } from '../../../src/telemetry/run-span.ts';
import { createOtelCallObserver } from '../../../src/telemetry/otel-call-observer.ts';
import { enableContext, memoryTracing } from './otel-test-kit.ts';

enableContext();

const up = (n: number) => `00-${'ab'.repeat(16)}-${n.toString(16).padStart(16, '0')}-01`;

test('run span: a new trace named `sluice run {pipeline}`, linked from the call spans made inside it, with final counts', async () => {
  const tracing = memoryTracing();
  const outer = tracing.tracer.startSpan('unrelated');
  const run = context.with(trace.setSpan(context.active(), outer), () =>
    startRunSpan({ pipeline: 'reviews', tracer: tracing.tracer }),
  );
  await withSpan(run, async () => {
    const call = createOtelCallObserver({ tracer: tracing.tracer }).startCall({
      model: 'm',
      provider: 'p',
      recordIds: ['r'],
      schemaName: 's',
      maxTokens: 1,
    });
    call.end({ ok: true, attempts: 1 });
  });
  run.end({ ok: true, stats: { recordsIn: 10, recordsOut: 8, deadLetters: 2 } });
  run.end({ ok: false, errorType: 'late' });
  outer.end();
  const runSpan = tracing.named('sluice run reviews')[0]!;
  assert.equal(runSpan.parentSpanContext, undefined, 'root span even when another span is active');
  assert.equal(runSpan.kind, SpanKind.INTERNAL);
  assert.equal(runSpan.status.code, SpanStatusCode.UNSET, 'only the first end counts');
  assert.deepEqual(
    { ...runSpan.attributes },
    {
      'sluice.pipeline': 'reviews',
      'sluice.records.in': 10,
      'sluice.records.out': 8,
      'sluice.records.dead_lettered': 2,
    },
  );
  const call = tracing.named('chat m')[0]!;
  assert.equal(call.parentSpanContext, undefined, 'each call is a trace of its own');
  assert.deepEqual(
    call.links.map((l) => l.context.spanId),
    [runSpan.spanContext().spanId],
    'linked to the run span',
  );
});

test('failed run: error status and error.type', () => {
  const tracing = memoryTracing();
  startRunSpan({ pipeline: 'p', tracer: tracing.tracer }).end({ ok: false, errorType: 'quota_exhausted' });
  const span = tracing.spans()[0]!;
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  assert.equal(span.attributes['error.type'], 'quota_exhausted');
});

test('Kafka batch span: its own trace, CONSUMER, messaging attributes, links to the run and to distinct upstream spans', () => {
  const tracing = memoryTracing();
  const run = startRunSpan({ pipeline: 'kafka', tracer: tracing.tracer });
  const batch = startKafkaBatchSpan({
    topic: 'reviews',
    partition: 3,
    consumerGroup: 'sluice',
    messageHeaders: [
      { traceparent: up(1) },
      undefined,
      { traceparent: up(2) },
      { traceparent: up(1) },
      { traceparent: 'bad' },
    ],
    runContext: run.context,
    tracer: tracing.tracer,
  });
  batch.end({ ok: true });
  run.end({ ok: true });
  const span = tracing.named('process reviews')[0]!;
  assert.equal(span.kind, SpanKind.CONSUMER);
  assert.equal(span.parentSpanContext, undefined);
  assert.notEqual(span.spanContext().traceId, run.span.spanContext().traceId);
  assert.deepEqual(
    { ...span.attributes },
    {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'reviews',
      'messaging.destination.partition.id': '3',
      'messaging.batch.message_count': 5,
      'messaging.consumer.group.name': 'sluice',
    },
  );
  assert.deepEqual(
    span.links.map((l) => [l.context.spanId, l.attributes?.['sluice.link.kind']]),
    [
      [run.span.spanContext().spanId, 'run'],
      ['0000000000000001', 'upstream'],
      ['0000000000000002', 'upstream'],
    ],
  );
});
