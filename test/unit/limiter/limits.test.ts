import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AimdLimit } from '../../../src/limiter/aimd-limit.ts';
import { GradientLimit } from '../../../src/limiter/gradient-limit.ts';
import { FixedLimit, type LimitSample } from '../../../src/limiter/limit.ts';

const ok = (now: number, inFlight: number, latencyMs = 1000, outputTokens?: number): LimitSample => ({ now, latencyMs, inFlight, outputTokens, dropped: false });
const loss = (now: number, inFlight: number): LimitSample => ({ now, latencyMs: 30, inFlight, dropped: true });

test('fixed: never moves, whatever the samples', () => {
  const limit = new FixedLimit(7);
  assert.equal(limit.update(loss(0, 7)), 7);
  assert.equal(limit.update(ok(1, 7)), 7);
  assert.throws(() => new FixedLimit(0), RangeError);
});

test('aimd: +1/limit per success while the pool is used, nothing when in-flight is far below the limit', () => {
  const limit = new AimdLimit({ initialLimit: 10, maxLimit: 100 });
  assert.equal(limit.update(ok(0, 10)), 10.1);
  assert.equal(limit.update(ok(1, 2)), 10.1, 'in-flight 2 of 10: application-limited, no growth');
  // one full window of successes at a full pool adds about 1
  for (let i = 0; i < 10; i++) limit.update(ok(2 + i, 10));
  assert.ok(Math.abs(limit.limit - 11.05) < 0.01, String(limit.limit));
});

test('aimd: multiplicative decrease on loss, once per round trip, within floor and ceiling', () => {
  const limit = new AimdLimit({ initialLimit: 20, minLimit: 5, maxLimit: 21, backoffRatio: 0.5 });
  limit.update(ok(0, 20, 1000)); // round trip 1000 ms
  assert.equal(limit.update(loss(10_000, 20)), 10.025);
  assert.equal(limit.update(loss(10_500, 20)), 10.025, 'second 429 of the same burst: same congestion event');
  assert.equal(limit.update(loss(11_000, 20)), 5.0125);
  assert.equal(limit.update(loss(12_000, 20)), 5, 'floor');
  for (let i = 0; i < 2000; i++) limit.update(ok(20_000 + i, 21));
  assert.equal(limit.limit, 21, 'ceiling');
});

test('gradient: grows by at most (1 + smoothing) per window while latency stays at the baseline and the pool is used', () => {
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000 });
  for (let i = 0; i < 4; i++) limit.update(ok(i, 4, 1000, 100));
  assert.equal(limit.limit, 6, 'ratio 1, factor capped at 2, half the way: 4 → 6');
  assert.equal(limit.baseline, 10, 'baseline is ms per output token');
  for (let i = 0; i < 6; i++) limit.update(ok(10 + i, 6, 2000, 200));
  assert.equal(limit.limit, 9, 'twice the latency for twice the tokens is not congestion');
});

test('gradient: no growth when the pool is barely used; no samples, no change', () => {
  const limit = new GradientLimit({ initialLimit: 20 });
  for (let i = 0; i < 20; i++) limit.update(ok(i, 3, 1000));
  assert.equal(limit.limit, 20);
});

test('gradient: shrinks toward the tolerance when latency rises, settles at ratio = tolerance', () => {
  const limit = new GradientLimit({ initialLimit: 10, tolerance: 2 });
  for (let i = 0; i < 10; i++) limit.update(ok(i, 10, 1000));
  assert.equal(limit.limit, 15);
  // latency ×4 over baseline: target = 15 · 2/4 = 7.5, half-way → 11.25
  for (let i = 0; i < 15; i++) limit.update(ok(100 + i, 15, 4000));
  assert.equal(limit.limit, 11.25);
  assert.equal(limit.lastRatio, 4);
  // latency exactly at tolerance: hold
  for (let i = 0; i < 11; i++) limit.update(ok(200 + i, 11, 2000));
  assert.equal(limit.limit, 11.25);
});

test('gradient: a congestion loss multiplies by the backoff once per round trip', () => {
  const limit = new GradientLimit({ initialLimit: 40, backoffRatio: 0.9 });
  limit.update(ok(0, 40, 2000));
  assert.equal(limit.update(loss(5000, 40)), 36);
  assert.equal(limit.update(loss(5100, 40)), 36);
  assert.equal(limit.update(loss(7000, 40)), 32.4);
});
