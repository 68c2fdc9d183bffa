/**
 * Telemetry end to end: a child process configured ONLY by OTEL_* variables exports spans and metrics over
 * OTLP/HTTP (json) to a real receiver on loopback, and the last span and the final metric values — produced
 * right before shutdown, with the batch delay and metric interval set far beyond the process's life — still
 * arrive, so they can only have been sent by the shutdown flush.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedMetric } from '../support/otlp-receiver.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let receiver: OtlpReceiver;

before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver.close();
});

function runEmitter(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/otel-emitter.ts', ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const point = (metrics: ReceivedMetric[], name: string, match: Record<string, unknown> = {}) =>
  metrics
    .filter((m) => m.name === name)
    .flatMap((m) => m.points)
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .at(-1);

test('only OTEL_* variables: spans and metrics reach the OTLP receiver, and the last ones survive exit', async () => {
  const { code, stderr } = await runEmitter({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'sluice-it',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    OTEL_BSP_SCHEDULE_DELAY: '600000',
    OTEL_METRIC_EXPORT_INTERVAL: '600000',
  });
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '', 'no export errors or warnings');
  assert.ok(
    receiver.requests.every((r) => r.status === 200 && r.contentType.includes('json')),
    JSON.stringify(receiver.requests),
  );

  const spans = receiver.spans.filter((s) => s.resource['service.name'] === 'sluice-it');
  const run = spans.find((s) => s.name === 'sluice run emitter');
  const call = spans.find((s) => s.name === 'chat gpt-4o-mini');
  assert.ok(run && call, `spans received: ${spans.map((s) => s.name).join(', ')}`);
  assert.equal(run.parentSpanId, undefined);
  assert.equal(call.parentSpanId, undefined, 'each call is a trace of its own');
  assert.deepEqual(
    call.links.map((l) => l.spanId),
    [run.spanId],
    'linked to the run span',
  );
  assert.equal(call.kind, 3, 'SPAN_KIND_CLIENT in OTLP numbering');
  assert.equal(call.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(call.attributes['gen_ai.provider.name'], 'openai');
  assert.equal(call.attributes['sluice.attempt.count'], 2);
  assert.equal(call.attributes['sluice.record.id'], 'r-1');
  assert.deepEqual(call.attributes['gen_ai.response.finish_reasons'], ['stop']);
  assert.equal(call.attributes['server.port'], 9);
  const children = spans.filter((s) => s.parentSpanId === call.spanId).map((s) => s.name);
  assert.deepEqual(children.sort(), ['sluice.attempt', 'sluice.attempt']);
  assert.deepEqual(
    call.events.map((e) => e.name),
    ['sluice.limiter.wait', 'sluice.retry'],
  );
  assert.equal(call.attributes['sluice.limiter.wait_ms'], 25);
  assert.ok(
    spans.some((s) => s.name === 'sluice run last-span'),
    'the span ended right before shutdown was flushed',
  );

  assert.equal(run.resource['deployment.environment.name'], 'test');
  assert.equal(run.resource['process.command_args'], undefined, 'the command line is not exported');
  assert.equal(typeof run.resource['process.pid'], 'number');

  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === 'sluice-it');
  assert.equal(point(metrics, 'sluice.records.in')?.value, 7, 'the final value, set right before shutdown');
  assert.equal(point(metrics, 'sluice.records.out')?.value, 7);
  assert.equal(point(metrics, 'sluice.model.retries', { 'sluice.retry.reason': 'rate_limited' })?.value, 1);
  assert.equal(point(metrics, 'gen_ai.client.operation.duration')?.count, 1);
  assert.equal(point(metrics, 'sluice.model.latency', { 'error.type': 'rate_limited' })?.count, 1);
  assert.equal(
    point(metrics, 'sluice.tokens', { 'gen_ai.token.type': 'input' })?.value,
    0,
    'the emitter never fills RunStats tokens',
  );
});

test('negative control: without the shutdown flush the same run loses its spans and metrics', async () => {
  const { code, stderr } = await runEmitter(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'sluice-it-no-flush',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_METRIC_EXPORT_INTERVAL: '600000',
    },
    ['--skip-shutdown'],
  );
  assert.equal(code, 0, stderr);
  assert.equal(receiver.spans.filter((s) => s.resource['service.name'] === 'sluice-it-no-flush').length, 0);
  assert.equal(receiver.metrics.filter((m) => m.resource['service.name'] === 'sluice-it-no-flush').length, 0);
});

test('--otel with a traces-only endpoint variable: spans arrive at that exact URL', async () => {
  const before = receiver.requests.length;
  const { code, stderr } = await runEmitter(
    {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_SERVICE_NAME: 'sluice-it-traces',
    },
    ['--otel'],
  );
  assert.equal(code, 0, stderr);
  const paths = receiver.requests.slice(before).map((r) => r.path);
  assert.ok(paths.length > 0 && paths.every((p) => p === '/v1/traces'), paths.join(','));
  assert.ok(
    receiver.spans.some((s) => s.resource['service.name'] === 'sluice-it-traces' && s.name === 'chat gpt-4o-mini'),
  );
});
