import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectedExporters, telemetryRequested } from '../../../src/telemetry/sdk.ts';

test('telemetry starts on an OTLP endpoint variable, a non-none exporter, or --otel; never when disabled', () => {
  assert.equal(telemetryRequested({}), false);
  assert.equal(telemetryRequested({}, true), true);
  assert.equal(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
  assert.equal(telemetryRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://h:4318/v1/traces' }), true);
  assert.equal(telemetryRequested({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://h:4318/v1/metrics' }), true);
  assert.equal(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), false);
  assert.equal(telemetryRequested({ OTEL_TRACES_EXPORTER: 'console' }), true);
  assert.equal(telemetryRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' }), false);
  assert.equal(telemetryRequested({ OTEL_SERVICE_NAME: 'x' }), false, 'a service name alone does not turn export on');
  assert.equal(telemetryRequested({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h' }, true), false);
});

test('selectedExporters follows sdk-node 0.223 list rules, so `console` is recognised wherever sdk-node would use it', () => {
  const traces = (value: string) => selectedExporters({ OTEL_TRACES_EXPORTER: value }).traces;
  const metrics = (value: string) => selectedExporters({ OTEL_METRICS_EXPORTER: value }).metrics;
  assert.deepEqual(selectedExporters({}), { traces: ['otlp'], metrics: ['otlp'] }, 'unset: otlp for both');
  assert.deepEqual(traces('console'), ['console']);
  assert.deepEqual(traces(' otlp , console,otlp,'), ['otlp', 'console'], 'trimmed, empty items dropped, deduplicated');
  assert.deepEqual(traces('null,console'), ['console'], 'traces ignore null');
  assert.deepEqual(traces('none,console'), [], 'traces: a leading none wins');
  assert.deepEqual(traces('console,none'), ['otlp'], 'traces: none among others falls back to otlp');
  assert.deepEqual(traces(' '), ['otlp']);
  assert.deepEqual(metrics('console,prometheus'), ['console', 'prometheus']);
  assert.deepEqual(metrics('console,none'), [], 'metrics: none anywhere wins');
  assert.deepEqual(metrics('null'), ['null'], 'metrics do not ignore null (sdk-node warns about it)');
});
