import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStats } from '../../../src/core/run-stats.ts';
import { registerRunMetrics } from '../../../src/telemetry/run-metrics.ts';
import { findMetric, memoryMetrics, pointValue } from './otel-test-kit.ts';

test('run metrics observe RunStats at each collection, with reasons and token types as attributes', async () => {
  const { meter, collect } = memoryMetrics();
  const stats = new RunStats();
  const unregister = registerRunMetrics(meter, stats, { 'sluice.pipeline': 'p' });
  stats.recordsIn = 12;
  stats.recordsOut = 9;
  stats.deadLetters = 2;
  stats.emptyLines = 1;
  stats.inFlight = 5;
  stats.retrying = 1;
  stats.concurrencyLimit = 16;
  stats.attempts = 15;
  stats.countRetry('rate_limited');
  stats.countRetry('rate_limited');
  stats.countRetry('server_error');
  stats.inputTokens = 1200;
  stats.outputTokens = 300;
  stats.costUsd = 0.25;
  let m = await collect();
  assert.equal(pointValue(findMetric(m, 'sluice.records.in'), { 'sluice.pipeline': 'p' }), 12);
  assert.equal(pointValue(findMetric(m, 'sluice.records.out')), 9);
  assert.equal(pointValue(findMetric(m, 'sluice.records.dead_lettered')), 2);
  assert.equal(pointValue(findMetric(m, 'sluice.records.skipped'), { 'sluice.skip.reason': 'empty_line' }), 1);
  assert.equal(pointValue(findMetric(m, 'sluice.records.skipped'), { 'sluice.skip.reason': 'resumed' }), 0);
  assert.equal(pointValue(findMetric(m, 'sluice.calls.in_flight')), 5);
  assert.equal(pointValue(findMetric(m, 'sluice.calls.retrying')), 1);
  assert.equal(pointValue(findMetric(m, 'sluice.limiter.limit')), 16);
  assert.equal(pointValue(findMetric(m, 'sluice.model.attempts')), 15);
  assert.equal(pointValue(findMetric(m, 'sluice.model.retries'), { 'sluice.retry.reason': 'rate_limited' }), 2);
  assert.equal(pointValue(findMetric(m, 'sluice.model.retries'), { 'sluice.retry.reason': 'server_error' }), 1);
  assert.equal(pointValue(findMetric(m, 'sluice.tokens'), { 'gen_ai.token.type': 'input' }), 1200);
  assert.equal(pointValue(findMetric(m, 'sluice.tokens'), { 'gen_ai.token.type': 'output' }), 300);
  assert.equal(pointValue(findMetric(m, 'sluice.cost')), 0.25);

  // Later collections see later values (the final export at shutdown carries the final counts).
  stats.recordsOut = 10;
  stats.inFlight = 0;
  m = await collect();
  assert.equal(pointValue(findMetric(m, 'sluice.records.out')), 10);
  assert.equal(pointValue(findMetric(m, 'sluice.calls.in_flight')), 0);

  unregister();
  stats.recordsOut = 99;
  m = await collect();
  assert.notEqual(pointValue(findMetric(m, 'sluice.records.out')), 99, 'unregistered: no longer observed');
});
