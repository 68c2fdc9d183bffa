/**
 * Pipeline metrics read from a run's RunStats (src/core/run-stats.ts) at each collection, so the hot path pays
 * nothing: the stages keep incrementing plain fields, and the SDK's metric reader observes them when it exports
 * (every OTEL_METRIC_EXPORT_INTERVAL ms, and once more at shutdown — which is how the final counts get out).
 *
 * Instruments (all names in attributes.ts, described in docs/telemetry.md):
 *   sluice.records.in / .out / .dead_lettered   observable counters  {record}
 *   sluice.records.skipped {sluice.skip.reason} observable counter   {record}  (empty_line, resumed)
 *   sluice.calls.in_flight                      observable gauge     {call}    calls holding a permit
 *   sluice.calls.retrying                       observable gauge     {call}    calls sleeping in a backoff
 *   sluice.limiter.limit                        observable gauge     {call}    current concurrency limit
 *   sluice.model.attempts                       observable counter   {attempt} first attempts and retries
 *   sluice.model.retries {sluice.retry.reason}  observable counter   {retry}
 *   sluice.tokens {gen_ai.token.type}           observable counter   {token}   input / output
 *   sluice.cost                                 observable counter   USD       estimated spend
 * Per-call latency histograms come from `createCallMetricsObserver` (call-metrics-observer.ts).
 *
 * Contract: the returned function unregisters the callback. Call it only AFTER the SDK's shutdown (which
 * performs the final collection) — calling it before would drop the last values of the run.
 */
import type { Attributes, Meter, Observable } from '@opentelemetry/api';
import type { RunStats } from '../core/run-stats.ts';
import * as A from './attributes.ts';

export function registerRunMetrics(meter: Meter, stats: RunStats, attributes: Attributes = {}): () => void {
  const recordsIn = meter.createObservableCounter(A.METRIC_RECORDS_IN, {
    unit: '{record}',
    description: 'Records read from the source.',
  });
  const recordsOut = meter.createObservableCounter(A.METRIC_RECORDS_OUT, {
    unit: '{record}',
    description: 'Records written to the output sink.',
  });
  const deadLettered = meter.createObservableCounter(A.METRIC_RECORDS_DEAD_LETTERED, {
    unit: '{record}',
    description: 'Records written to the dead-letter sink.',
  });
  const skipped = meter.createObservableCounter(A.METRIC_RECORDS_SKIPPED, {
    unit: '{record}',
    description: 'Records skipped: empty lines, or completed by a previous run (--resume).',
  });
  const inFlight = meter.createObservableGauge(A.METRIC_CALLS_IN_FLIGHT, {
    unit: '{call}',
    description: 'Model calls holding a limiter permit.',
  });
  const retrying = meter.createObservableGauge(A.METRIC_CALLS_RETRYING, {
    unit: '{call}',
    description: 'Model calls waiting in a retry backoff.',
  });
  const limit = meter.createObservableGauge(A.METRIC_CONCURRENCY_LIMIT, {
    unit: '{call}',
    description: 'Current concurrency limit of the limiter.',
  });
  const attempts = meter.createObservableCounter(A.METRIC_ATTEMPTS, {
    unit: '{attempt}',
    description: 'Model HTTP attempts, first tries and retries.',
  });
  const retries = meter.createObservableCounter(A.METRIC_RETRIES, {
    unit: '{retry}',
    description: 'Retries of model calls, by classified reason.',
  });
  const tokens = meter.createObservableCounter(A.METRIC_TOKENS, {
    unit: '{token}',
    description: 'Tokens reported by the provider, by type.',
  });
  const cost = meter.createObservableCounter(A.METRIC_COST, {
    unit: 'USD',
    description: 'Estimated spend from the price table.',
  });

  const observables: Observable[] = [
    recordsIn,
    recordsOut,
    deadLettered,
    skipped,
    inFlight,
    retrying,
    limit,
    attempts,
    retries,
    tokens,
    cost,
  ];
  const callback = (result: {
    observe(observable: Observable, value: number, attributes?: Attributes): void;
  }): void => {
    result.observe(recordsIn, stats.recordsIn, attributes);
    result.observe(recordsOut, stats.recordsOut, attributes);
    result.observe(deadLettered, stats.deadLetters, attributes);
    result.observe(skipped, stats.emptyLines, { ...attributes, [A.SLUICE_SKIP_REASON]: 'empty_line' });
    result.observe(skipped, stats.resumedSkipped, { ...attributes, [A.SLUICE_SKIP_REASON]: 'resumed' });
    result.observe(inFlight, stats.inFlight, attributes);
    result.observe(retrying, stats.retrying, attributes);
    result.observe(limit, stats.concurrencyLimit, attributes);
    result.observe(attempts, stats.attempts, attributes);
    for (const [reason, count] of stats.retriesByReason) {
      result.observe(retries, count, { ...attributes, [A.SLUICE_RETRY_REASON]: reason });
    }
    result.observe(tokens, stats.inputTokens, { ...attributes, [A.GEN_AI_TOKEN_TYPE]: 'input' });
    result.observe(tokens, stats.outputTokens, { ...attributes, [A.GEN_AI_TOKEN_TYPE]: 'output' });
    result.observe(cost, stats.costUsd, attributes);
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
