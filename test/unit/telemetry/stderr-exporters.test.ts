import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { StderrMetricExporter, StderrSpanExporter } from '../../../src/telemetry/stderr-exporters.ts';

function collect() {
  const writes: string[] = [];
  return {
    writes,
    write: (text: string) => void writes.push(text),
    lines: () =>
      writes
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

test('StderrSpanExporter writes one JSON line per ended span, with the fields of the SDK console exporter', async () => {
  const out = collect();
  const exporter = new StderrSpanExporter(out.write);
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('unit');
  const parent = tracer.startSpan('sluice run p');
  const child = tracer.startSpan(
    'chat m',
    { attributes: { 'sluice.record.id': 'r-1' } },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  child.addEvent('sluice.retry', { 'sluice.attempt.number': 1 });
  child.end();
  parent.end();
  await provider.forceFlush();

  const lines = out.lines();
  assert.equal(lines.length, 2);
  const [call, run] = lines.map((l) => JSON.parse(l) as Record<string, any>);
  assert.equal(call!.name, 'chat m');
  assert.equal(run!.name, 'sluice run p');
  assert.deepEqual(call!.attributes, { 'sluice.record.id': 'r-1' });
  assert.equal(call!.traceId, parent.spanContext().traceId);
  assert.equal(call!.id, child.spanContext().spanId);
  assert.equal(call!.parentSpanContext.spanId, parent.spanContext().spanId);
  assert.equal(call!.instrumentationScope.name, 'unit');
  assert.equal(call!.events[0].name, 'sluice.retry');
  assert.equal(typeof call!.timestamp, 'number');
  assert.equal(typeof call!.duration, 'number');
  assert.ok('resource' in call! && 'attributes' in call!.resource);
  // traceState is left out by JSON when the span has none, as here.
  assert.deepEqual(Object.keys(call!).sort(), [
    'attributes',
    'duration',
    'events',
    'id',
    'instrumentationScope',
    'kind',
    'links',
    'name',
    'parentSpanContext',
    'resource',
    'status',
    'timestamp',
    'traceId',
  ]);

  await provider.shutdown();
  const results: number[] = [];
  exporter.export([], (r) => results.push(r.code));
  assert.deepEqual(results, [1], 'FAILED after shutdown');
});

test('StderrMetricExporter writes one JSON line per metric, with its descriptor and data points', async () => {
  const out = collect();
  const reader = new PeriodicExportingMetricReader({
    exporter: new StderrMetricExporter(out.write),
    exportIntervalMillis: 3_600_000,
  });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('unit');
  meter.createCounter('sluice.records.out').add(3);
  meter.createHistogram('sluice.model.latency', { unit: 's' }).record(0.25);
  await provider.forceFlush();
  await provider.shutdown();

  const metrics = out
    .lines()
    .map((l) => JSON.parse(l) as { descriptor: { name: string; unit: string }; dataPoints: { value: any }[] });
  const counter = metrics.filter((m) => m.descriptor.name === 'sluice.records.out');
  assert.ok(counter.length >= 1);
  assert.equal(counter.at(-1)!.dataPoints[0]!.value, 3);
  const latency = metrics.find((m) => m.descriptor.name === 'sluice.model.latency')!;
  assert.equal(latency.descriptor.unit, 's');
  assert.equal(latency.dataPoints[0]!.value.count, 1);
  assert.equal(latency.dataPoints[0]!.value.sum, 0.25);
});
