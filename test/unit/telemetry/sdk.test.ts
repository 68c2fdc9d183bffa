import assert from 'node:assert/strict';
import { test } from 'node:test';
import { telemetryRequested } from '../../../src/telemetry/sdk.ts';

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
