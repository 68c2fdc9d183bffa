import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineCallObservers } from '../../../src/telemetry/combine-call-observers.ts';
import { createCallMetricsObserver } from '../../../src/telemetry/call-metrics-observer.ts';
import { createOtelCallObserver } from '../../../src/telemetry/otel-call-observer.ts';
import { noopObserver } from '../../../src/llm/call-observer.ts';
import { trace } from '@opentelemetry/api';
import { enableContext, findMetric, histogramPoint, memoryMetrics, memoryTracing } from './otel-test-kit.ts';

enableContext();

const info = { model: 'gpt-4o-mini', provider: 'openai', recordIds: ['r'], schemaName: 's', maxTokens: 100 };

test('latency histograms: operation duration per call, model latency per attempt, limiter wait', async () => {
  const { meter, collect } = memoryMetrics();
  let t = 0;
  const observer = createCallMetricsObserver(meter, { now: () => t, serverAddress: 'http://127.0.0.1:8080' });
  const ok = observer.startCall(info);
  ok.permitWaited(200);
  t += 200;
  ok.attemptStarted(1);
  t += 300;
  ok.attemptEnded({ attempt: 1, status: 503, reason: 'overloaded', latencyMs: 300, backoffMs: 500 });
  t += 500;
  ok.permitWaited(0);
  ok.attemptStarted(2);
  t += 1000;
  ok.attemptEnded({ attempt: 2, status: 200, latencyMs: 1000, usage: { inputTokens: 40, outputTokens: 8 } });
  ok.end({ ok: true, attempts: 2, usage: { inputTokens: 40, outputTokens: 8 }, responseModel: 'gpt-4o-mini-x' });
  const bad = observer.startCall(info);
  bad.end({ ok: false, attempts: 1, errorType: 'bad_request' });

  const m = await collect();
  const duration = findMetric(m, 'gen_ai.client.operation.duration');
  assert.equal(duration?.descriptor.unit, 's');
  const okDuration = duration?.dataPoints.find((p) => p.attributes['error.type'] === undefined)?.value as
    | { count: number; sum: number; buckets: { boundaries: number[] } }
    | undefined;
  assert.deepEqual(
    { ...duration?.dataPoints.find((p) => p.attributes['error.type'] === undefined)?.attributes },
    { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' },
    'the GenAI required attributes, nothing per call',
  );
  assert.equal(okDuration?.count, 1);
  assert.equal(okDuration?.sum, 2.0);
  assert.deepEqual(okDuration?.buckets.boundaries.slice(0, 3), [0.01, 0.02, 0.04], 'GenAI recommended buckets');
  assert.equal(histogramPoint(duration, { 'error.type': 'bad_request' })?.count, 1);

  const latency = findMetric(m, 'sluice.model.latency');
  assert.equal(histogramPoint(latency, { 'error.type': 'overloaded' })?.sum, 0.3);
  const okLatency = latency?.dataPoints.find((p) => p.attributes['error.type'] === undefined);
  assert.equal((okLatency?.value as { sum: number } | undefined)?.sum, 1.0);
  assert.deepEqual({ ...okLatency?.attributes }, {}, 'model latency: no attributes on success');

  const wait = histogramPoint(findMetric(m, 'sluice.limiter.wait'));
  assert.equal(wait?.count, 2);
  assert.equal(wait?.sum, 0.2);

  assert.equal(
    findMetric(m, 'gen_ai.client.token.usage'),
    undefined,
    'token totals are a RunStats counter, not a per-call histogram',
  );
});

test('combineCallObservers forwards every hook to each observer; the span observer context is active in run', async () => {
  const tracing = memoryTracing();
  const { meter, collect } = memoryMetrics();
  const combined = combineCallObservers(
    createOtelCallObserver({ tracer: tracing.tracer, attemptSpans: 'all' }),
    createCallMetricsObserver(meter),
    noopObserver,
  );
  const scope = combined.startCall(info);
  scope.permitWaited(10);
  scope.attemptStarted(1);
  const activeInside = await scope.run(async () => trace.getActiveSpan()?.spanContext().spanId);
  scope.attemptEnded({ attempt: 1, latencyMs: 5 });
  scope.end({ ok: true, attempts: 1 });
  const call = tracing.named('chat gpt-4o-mini')[0]!;
  assert.equal(activeInside, call.spanContext().spanId);
  assert.equal(tracing.named('sluice.attempt').length, 1);
  assert.equal(histogramPoint(findMetric(await collect(), 'sluice.model.latency'))?.count, 1);
  assert.equal(combineCallObservers(), noopObserver);
  assert.equal(combineCallObservers(noopObserver, noopObserver), noopObserver);
});

test('recordsContent tells the caller whether to pass prompt and answer text', () => {
  const { meter } = memoryMetrics();
  assert.equal(createOtelCallObserver().recordsContent, false);
  assert.equal(createOtelCallObserver({ recordContent: true }).recordsContent, true);
  assert.equal(combineCallObservers(createOtelCallObserver(), createCallMetricsObserver(meter)).recordsContent, false);
  assert.equal(
    combineCallObservers(createOtelCallObserver({ recordContent: true }), createCallMetricsObserver(meter))
      .recordsContent,
    true,
  );
});
