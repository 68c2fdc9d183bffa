/**
 * A tiny stand-in for `sluice run` used by the OTLP integration test: starts telemetry exactly as the CLI does
 * (only from OTEL_* variables, or `--otel`), emits a run span with one model call (a retry, then success) through
 * the real observers, registers the run metrics, and — as the very last thing before shutdown — ends a span named
 * `last-span` and bumps the counters, so the test can tell whether the final spans and metrics survive exit.
 * Usage: node --import tsx test/support/otel-emitter.ts [--otel] [--skip-shutdown]
 * `--skip-shutdown` omits the flush: the negative control showing the test can tell the difference.
 */
import { context, metrics } from '@opentelemetry/api';
import { RunStats } from '../../src/core/run-stats.ts';
import { combineCallObservers } from '../../src/telemetry/combine-call-observers.ts';
import { createCallMetricsObserver } from '../../src/telemetry/call-metrics-observer.ts';
import { createOtelCallObserver } from '../../src/telemetry/otel-call-observer.ts';
import { registerRunMetrics } from '../../src/telemetry/run-metrics.ts';
import { startRunSpan } from '../../src/telemetry/run-span.ts';
import { startTelemetry } from '../../src/telemetry/sdk.ts';
import { INSTRUMENTATION_SCOPE } from '../../src/telemetry/attributes.ts';

const telemetry = await startTelemetry({ serviceName: 'sluice-emitter', force: process.argv.includes('--otel') });
const stats = new RunStats();
const unregister = registerRunMetrics(metrics.getMeter(INSTRUMENTATION_SCOPE), stats);
const run = startRunSpan({ pipeline: 'emitter' });
// As the CLI does: the run span's context is passed explicitly (the SDK registers no async context manager).
const observer = combineCallObservers(
  createOtelCallObserver({ serverAddress: 'http://127.0.0.1:9/v1', parentContext: run.context }),
  createCallMetricsObserver(metrics.getMeter(INSTRUMENTATION_SCOPE)),
);
await context.with(run.context, async () => {
  stats.recordsIn = 1;
  const call = observer.startCall({
    model: 'gpt-4o-mini',
    provider: 'openai',
    recordIds: ['r-1'],
    schemaName: 'insight',
    maxTokens: 200,
  });
  await call.run(async () => {
    call.permitWaited(25);
    call.attemptStarted(1);
    call.attemptEnded({ attempt: 1, status: 429, reason: 'rate_limited', latencyMs: 3, backoffMs: 10 });
    stats.countRetry('rate_limited');
    call.permitWaited(0);
    call.attemptStarted(2);
    call.attemptEnded({
      attempt: 2,
      status: 200,
      latencyMs: 4,
      usage: { inputTokens: 50, outputTokens: 20 },
      finishReason: 'stop',
      responseModel: 'gpt-4o-mini-2024',
    });
  });
  call.end({
    ok: true,
    attempts: 2,
    usage: { inputTokens: 50, outputTokens: 20 },
    finishReason: 'stop',
    responseModel: 'gpt-4o-mini-2024',
  });
  stats.attempts = 2;
  stats.recordsOut = 1;
});
run.end({ ok: true, stats });
// The last things before shutdown: they must still reach the collector.
const last = startRunSpan({ pipeline: 'last-span' });
last.end({ ok: true });
stats.recordsIn = 7;
stats.recordsOut = 7;
if (!process.argv.includes('--skip-shutdown')) await telemetry?.shutdown();
unregister();
