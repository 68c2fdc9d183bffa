import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AimdLimit } from '../../../src/limiter/aimd-limit.ts';
import { GradientLimit } from '../../../src/limiter/gradient-limit.ts';
import { FixedLimit, type LimitSample } from '../../../src/limiter/limit.ts';

/** A success; `admittedInFlight` (the load its latency was measured under) defaults to `inFlight`. */
const ok = (
  now: number,
  inFlight: number,
  latencyMs = 1000,
  outputTokens?: number,
  admittedInFlight?: number,
): LimitSample => ({ now, latencyMs, inFlight, admittedInFlight, outputTokens, dropped: false });
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

test('gradient: slow start doubles per window while latency stays near the baseline (size-normalised); quadruples below 16 after the first window', () => {
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000 });
  for (let i = 0; i < 4; i++) limit.update(ok(i, 4, 900, 100));
  assert.equal(limit.limit, 8, 'the first window (connections opening) only doubles');
  assert.equal(limit.baseline, undefined, 'and, with 4 samples, is no baseline (BASELINE_MIN_SAMPLES)');
  for (let i = 0; i < 8; i++) limit.update(ok(10 + i, 8, 2000, 200));
  assert.equal(limit.baseline, 10, "the second window is, in ms per output token (not the first window's 9)");
  assert.equal(limit.limit, 32, 'twice the latency for twice the tokens is not congestion: ratio 1 below 16 → ×4');
  for (let i = 0; i < 32; i++) limit.update(ok(100 + i, 32, 1000, 100));
  assert.equal(limit.limit, 64, 'at 32: ×2');
  // A first window of 8 samples is a baseline.
  const rising = new GradientLimit({ initialLimit: 4, maxLimit: 1000, minWindowSamples: 8 });
  for (let i = 0; i < 8; i++) rising.update(ok(i, 4, 1000, 100));
  assert.equal(rising.baseline, 10);
  // admitted at 4 in flight: a latency rise at the same load (no slope to extrapolate the no-load latency along)
  for (let i = 0; i < 8; i++) rising.update(ok(10 + i, 8, 1300, 100, 4));
  assert.equal(rising.limit, 16, 'ratio 1.3 ≥ 1.2: only ×2');
});

test('gradient: past slow start, moves half-way to limit·T/r per window', () => {
  const limit = new GradientLimit({ initialLimit: 10, tolerance: 2.5 });
  // admitted at 4 in flight, so that the next window's latency rise comes with a 5× load rise: throughput grew
  // (batching, efficiency 0.375), which the queue detector leaves to the gradient.
  for (let i = 0; i < 10; i++) limit.update(ok(i, 10, 1000, undefined, 4));
  assert.equal(limit.limit, 20);
  // ratio 2 ≥ 0.6·2.5: slow start over; target 20·2.5/2 = 25, half-way → 22.5
  for (let i = 0; i < 20; i++) limit.update(ok(100 + i, 20, 2000));
  assert.equal(limit.limit, 22.5);
  assert.equal(limit.lastRatio, 2);
  assert.equal(limit.queueCeiling, Number.POSITIVE_INFINITY);
});

test('gradient: suggest() lifts a slow-starting limit at once, never lowers it, and is ignored after slow start', () => {
  const limit = new GradientLimit({ initialLimit: 4, tolerance: 2.5, maxLimit: 1000 });
  limit.suggest(3);
  assert.equal(limit.limit, 4, 'a lower suggestion changes nothing');
  limit.suggest(300);
  assert.equal(limit.limit, 300);
  limit.suggest(5000);
  assert.equal(limit.limit, 1000, 'clamped to the maximum');
  // latency rises (ratio 3 after a baseline window): slow start ends, the gradient shrinks, suggestions are ignored
  const shrinking = new GradientLimit({ initialLimit: 10, tolerance: 2.5 });
  for (let i = 0; i < 10; i++) shrinking.update(ok(i, 10, 1000));
  for (let i = 0; i < 20; i++) shrinking.update(ok(100 + i, 20, 3000));
  assert.ok(shrinking.limit < 20, String(shrinking.limit));
  const before = shrinking.limit;
  shrinking.suggest(500);
  assert.equal(shrinking.limit, before);
});

/** vllm-gpu's latency below its knee (docs/profiles.md): L(n) = L0·(1 + n/n½), L0 = 1000 ms here, n½ = 33. */
const batchedLatency = (n: number) => 1000 * (1 + n / 33);

/**
 * Slow start on vllm-gpu's latency line: windows at 4 (of 8 samples, so that it is a baseline), 8 and 16 in flight,
 * then one at limit 32 whose calls were admitted at 16 (the pool fills a round trip late). `limit` has
 * minWindowSamples 8.
 */
function slowStartOnALine(limit: GradientLimit): void {
  for (let i = 0; i < 8; i++) limit.update(ok(i, 4, batchedLatency(4)));
  assert.equal(limit.baseline, batchedLatency(4), 'until then the reference is the baseline, measured at 4 in flight');
  for (let i = 0; i < 8; i++) limit.update(ok(10 + i, 8, batchedLatency(8)));
  assert.ok(Math.abs((limit.baseline ?? 0) - 1000) < 1e-9, `no-load latency ${limit.baseline}, expected L0 = 1000`);
  assert.equal(limit.limit, 16, 'ratio L(8)/L0 = 1.24 ≥ 1.2: ×2, not ×4');
  for (let i = 0; i < 16; i++) limit.update(ok(20 + i, 16, batchedLatency(16)));
  assert.equal(limit.limit, 32);
  for (let i = 0; i < 32; i++) limit.update(ok(40 + i, 32, batchedLatency(16), undefined, 16));
}

test('gradient: in slow start, the no-load latency is extrapolated along the line through the baseline window and one at ≥ 2× its load', () => {
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000, minWindowSamples: 8 });
  slowStartOnALine(limit);
  assert.ok(Math.abs((limit.baseline ?? 0) - 1000) < 1e-9, `no-load latency ${limit.baseline}, expected L0 = 1000`);
  assert.ok(Math.abs(limit.lastRatio - batchedLatency(16) / 1000) < 1e-9, 'ratios are measured against it');
  // Kept past slow start: a window beyond the exit ratio (the knee, where latency leaves the line) does not move it.
  for (let i = 0; i < 49; i++) limit.update(ok(100 + i, 49, 2 * batchedLatency(49)));
  assert.ok(Math.abs((limit.baseline ?? 0) - 1000) < 1e-9, String(limit.baseline));
  // A latency jump that merely coincides with the load doubling (+40%, below the exit ratio) lowers it by at most a
  // quarter.
  const brownout = new GradientLimit({ initialLimit: 10, maxLimit: 1000 });
  for (let i = 0; i < 10; i++) brownout.update(ok(i, 10, 1000));
  for (let i = 0; i < 20; i++) brownout.update(ok(10 + i, 20, 1400));
  assert.equal(brownout.baseline, 750, 'the line says 600; the floor is 0.75 × 1000');
  // Noise is no slope: a rise within twice the window mean's standard error leaves the baseline as the reference.
  const noisy = new GradientLimit({ initialLimit: 10, maxLimit: 1000 });
  for (let i = 0; i < 10; i++) noisy.update(ok(i, 10, 1000));
  for (let i = 0; i < 20; i++) noisy.update(ok(10 + i, 20, i % 2 === 0 ? 600 : 1600));
  assert.equal(noisy.baseline, 1000, 'mean 1100 ± 115 (standard error): not a measurable rise');
});

test('gradient: slow start stops where the line through the baseline window and this one reaches the tolerance', () => {
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000, minWindowSamples: 8 });
  // The last window: ratio L(16)/L0 = 1.48 < 1.5 keeps slow start, but doubling to 64 would pass the load where the
  // line reaches tolerance 2.5: L(n) = 2.5·L0 at n = 1.5·n½ = 49.5.
  slowStartOnALine(limit);
  assert.ok(Math.abs(limit.limit - 49.5) < 1e-9, `limit ${limit.limit}, expected 49.5 (not 64)`);
});

test('gradient: slow start ends on the rise over the baseline window, not on the ratio to the extrapolated no-load latency', () => {
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000, minWindowSamples: 8 });
  for (let i = 0; i < 8; i++) limit.update(ok(i, 4, batchedLatency(4)));
  for (let i = 0; i < 8; i++) limit.update(ok(10 + i, 8, batchedLatency(8)));
  assert.equal(limit.limit, 16);
  // Admitted at 18 in flight: L(18)/L0 = 1.55 is past the exit ratio 0.6 × 2.5 = 1.5 measured from zero load, but the
  // rise over the baseline window (4 in flight) is 1.38 — the pool is still at a third of the load where the line
  // reaches the tolerance, so slow start goes on. Exiting here left the damped gradient to climb from 23 to the knee,
  // ≈ 10 round trips (one sluice-auto-only vllm-gpu run: 0.95 overall, 0.99 steady; with this, 0.97 / 1.00).
  for (let i = 0; i < 16; i++) limit.update(ok(20 + i, 16, batchedLatency(18), undefined, 18));
  assert.equal(limit.limit, 32);
  for (let i = 0; i < 32; i++) limit.update(ok(40 + i, 32, batchedLatency(18), undefined, 18));
  assert.ok(Math.abs(limit.limit - 49.5) < 1e-9, `limit ${limit.limit}, expected the line's 49.5`);
});

test('gradient: the target scales the load the window was admitted under, not the limit that moved since', () => {
  // Every window here is measured at the same load (100 admitted in flight), so the queue detector, which needs
  // windows at different loads, has nothing to compare: these are the gradient's own steps.
  const limit = new GradientLimit({ initialLimit: 100, maxLimit: 1000 });
  for (let i = 0; i < 100; i++) limit.update(ok(i, 100, 1000));
  assert.equal(limit.limit, 200, 'slow start');
  // The calls finishing now were admitted at 100 in flight (before the raise) and ran at ratio 4: the load for
  // ratio 2.5 is 100·2.5/4 = 62.5, so the limit moves half-way there from 200 — scaling the limit instead would
  // aim at 200·2.5/4 = 125 and keep a load the server has just shown it cannot take.
  for (let i = 0; i < 200; i++) limit.update(ok(100 + i, 200, 4000, undefined, 100));
  assert.equal(limit.limit, 200 + 0.5 * (62.5 - 200));
  // Growth likewise: calls admitted at 100 that ran at ratio 2 put ratio 2.5 at 125 — the limit moves half-way up
  // to it, where scaling the limit (131.25·2.5/2 = 164) grew it past any load it has measured.
  for (let i = 0; i < 131; i++) limit.update(ok(500 + i, 131, 2000, undefined, 100));
  assert.equal(limit.limit, 131.25 + 0.5 * (125 - 131.25));
  assert.equal(limit.queueCeiling, Number.POSITIVE_INFINITY);
});

test('gradient: no growth when the pool is barely used; no samples, no change', () => {
  const limit = new GradientLimit({ initialLimit: 20 });
  for (let i = 0; i < 20; i++) limit.update(ok(i, 3, 1000));
  assert.equal(limit.limit, 20);
});

test('gradient: shrinks toward the tolerance when latency rises, holds at ratio = tolerance', () => {
  const limit = new GradientLimit({ initialLimit: 10, tolerance: 2 });
  for (let i = 0; i < 10; i++) limit.update(ok(i, 10, 1000));
  assert.equal(limit.limit, 20, 'slow start');
  // latency ×4 over baseline at the same load (calls admitted at 10): target = 10 · 2/4 = 5, half-way → 12.5
  for (let i = 0; i < 20; i++) limit.update(ok(100 + i, 20, 4000, undefined, 10));
  assert.equal(limit.limit, 12.5);
  assert.equal(limit.lastRatio, 4);
  // latency exactly at tolerance, at the limit's own load: hold
  for (let i = 0; i < 12; i++) limit.update(ok(200 + i, 12, 2000, undefined, 12.5));
  assert.equal(limit.limit, 12.5);
});

test('gradient: a window counts restarted calls (×2) in full and caps stragglers at 3× its median', () => {
  const limit = new GradientLimit({ initialLimit: 10, tolerance: 2.5 });
  for (let i = 0; i < 10; i++) limit.update(ok(i, 10, 1000));
  assert.equal(limit.limit, 20, 'slow start; baseline 1000 ms');
  // 14 calls at 2000 ms and 6 preempted ones at 4000 ms: the median (2000) says r = 2, the mean says 2.6 — past
  // the tolerance, so the limit must not grow (a median would have taken it to 22.5).
  for (let i = 0; i < 20; i++) limit.update(ok(100 + i, 20, i < 6 ? 4000 : 2000));
  assert.equal(limit.lastRatio, 2.6);
  assert.ok(limit.limit < 20, String(limit.limit));
  // one 60 s straggler among 1000 ms calls counts as 3000 ms: r = (39·1000 + 3000)/40/1000 = 1.05
  const flaky = new GradientLimit({ initialLimit: 20, tolerance: 2.5 });
  for (let i = 0; i < 20; i++) flaky.update(ok(i, 20, 1000));
  for (let i = 0; i < 40; i++) flaky.update(ok(100 + i, 40, i === 7 ? 60_000 : 1000));
  assert.equal(flaky.lastRatio, (39 * 1000 + 3000) / 40 / 1000);
  assert.equal(flaky.limit, 80, 'still slow start: the straggler did not end it');
});

test('gradient: losses within the tolerated share of outcomes (random overloaded answers) change nothing; a burst does', () => {
  const limit = new GradientLimit({ initialLimit: 100, maxLimit: 1000 });
  // 1 loss in 50 outcomes (2%), for 2,000 outcomes: never shrinks (windows of 100 samples at a used pool grow it)
  for (let i = 0; i < 2000; i++) limit.update(i % 50 === 49 ? loss(i * 10, 100) : ok(i * 10, 100, 1000));
  assert.ok(limit.limit >= 100, String(limit.limit));
  const before = limit.limit;
  // a capacity overshoot rejects a burst: the share passes 5% within a few losses and the limit shrinks
  let at = 30_000;
  while (limit.limit === before && at < 31_000) limit.update(loss(at++, 80));
  assert.equal(limit.limit, Math.min(before, 80) * 0.9);
  // the share moves by 1/limit per outcome (about one round trip): from 2% to 5% takes ≈ 3% of the limit in losses
  assert.ok(at - 30_000 <= Math.ceil(0.04 * before), `shrank after ${at - 30_000} losses at limit ${before}`);
});

test('gradient: fast losses with only a Retry-After (a brownout) shrink once per successful round trip and set no threshold', () => {
  const limit = new GradientLimit({ initialLimit: 100, backoffRatio: 0.9, lossTolerance: 0 });
  limit.update(ok(0, 100, 2000)); // round trip 2 s
  const hinted = (now: number) => limit.update({ now, latencyMs: 100, inFlight: 100, dropped: true, retryHint: true });
  assert.equal(hinted(5000), 90);
  for (let t = 5100; t < 7000; t += 100) assert.equal(hinted(t), 90, `t=${t}: within the 2 s round trip`);
  assert.equal(hinted(7000), 81);
  // no threshold: once latency is back at the baseline, slow start doubles again (a capacity loss would allow +1)
  for (let i = 0; i < 81; i++) limit.update(ok(8000 + i, 81, 2000));
  assert.equal(limit.limit, 162);
});

test('gradient: a congestion loss multiplies min(limit, in-flight) by the backoff once per congestion event', () => {
  const limit = new GradientLimit({ initialLimit: 40, backoffRatio: 0.9, lossTolerance: 0 });
  limit.update(ok(0, 40, 2000));
  assert.equal(limit.update(loss(5000, 40)), 36);
  assert.equal(limit.update(loss(5010, 40)), 36, 'within the 30 ms round trip of the rejected call: same event');
  assert.equal(limit.update(loss(5100, 20)), 18, 'rejections persist: shrink again, from the in-flight count');
  const slow = new GradientLimit({ initialLimit: 40, backoffRatio: 0.9, lossTolerance: 0 });
  slow.update(ok(0, 40, 2000));
  assert.equal(slow.update({ now: 5000, latencyMs: 10_000, inFlight: 40, dropped: true }), 36);
  assert.equal(
    slow.update({ now: 6000, latencyMs: 10_000, inFlight: 40, dropped: true }),
    36,
    'timeouts: one event per successful round trip (2 s)',
  );
  assert.equal(slow.update({ now: 7000, latencyMs: 10_000, inFlight: 40, dropped: true }), 32.4);
});

/** Feeds one window of `limit` successes at a full pool with the given latency; returns the new limit. */
function fullWindow(limit: GradientLimit, from: number, latencyMs: number): number {
  const size = Math.floor(limit.limit);
  for (let i = 0; i < size; i++) limit.update(ok(from + i, size, latencyMs));
  return limit.limit;
}

test('gradient: after a capacity refusal, grows half-way to the largest accepted in-flight count, holds there for 8 windows, then +1', () => {
  const limit = new GradientLimit({ initialLimit: 100, backoffRatio: 0.9, lossTolerance: 0 });
  limit.update(ok(0, 100, 1000)); // round trip 1 s; a 30 ms rejection is a refusal at the door
  assert.equal(limit.update(loss(5000, 100)), 90, 'refused at 100 in flight: threshold 90, 99 accepted');
  // latency stays at the baseline (the gradient alone would take 90 → 135): half the gap to 99, at least +1
  const grown = Array.from({ length: 15 }, (_, i) => fullWindow(limit, 10_000 * (i + 1), 1000));
  assert.deepEqual(grown, [94.5, 96.75, 97.875, 98.875, 99, 99, 99, 99, 99, 99, 99, 99, 99, 100, 101]);
  // A new refusal at 100 starts the climb and the hold over.
  assert.equal(limit.update(loss(200_000, 100)), 90);
  const again = Array.from({ length: 6 }, (_, i) => fullWindow(limit, 210_000 + 10_000 * i, 1000));
  assert.deepEqual(again, [94.5, 96.75, 97.875, 98.875, 99, 99]);
});

test('gradient: below the threshold, a window back at the refusal-time latency doubles the limit (brownout recovery)', () => {
  /** Refused at 100 in flight with latency at its baseline, then four windows of a brownout (latency ×4 at any load). */
  const afterBrownout = (): GradientLimit => {
    const limit = new GradientLimit({ initialLimit: 100, backoffRatio: 0.9, lossTolerance: 0 });
    fullWindow(limit, 0, 1000); // baseline 1000 ms, slow start → 200
    assert.equal(limit.update(loss(5000, 100)), 90, 'threshold 90, refusal-time ratio 1');
    for (const at of [10_000, 20_000, 30_000, 40_000]) fullWindow(limit, at, 4000);
    return limit;
  };
  const recovering = afterBrownout();
  const low = recovering.limit;
  // gradient: half-way to ⌊limit⌋ (the window's load) · 2.5/4 per window
  let expected = 90;
  for (let i = 0; i < 4; i++) expected += 0.5 * (Math.floor(expected) * 0.625 - expected);
  assert.ok(Math.abs(low - expected) < 1e-9, `${low} vs ${expected}`);
  // latency back within 1.1× the refusal-time ratio: ×2 (the damped gradient would give ×1.5)
  assert.equal(fullWindow(recovering, 50_000, 1050), low * 2);
  assert.equal(fullWindow(recovering, 60_000, 1050), 90, 'doubling stops at the threshold');
  // a window at ratio 1.3 (above 1.1× the refusal's) follows the damped gradient: half-way to ⌊low⌋·2.5/1.3
  const damped = afterBrownout();
  assert.ok(
    Math.abs(fullWindow(damped, 50_000, 1300) - (low + 0.5 * ((Math.floor(low) * 2.5) / 1.3 - low))) < 1e-9,
    String(damped.limit),
  );
});

/** A success that says how long it waited in the server's queue (llama.cpp's `timings`). */
const waited = (now: number, inFlight: number, queuedMs: number, latencyMs = 1000): LimitSample => ({
  ...ok(now, inFlight, latencyMs, 20),
  queuedMs,
});

test('gradient: calls that waited in the server queue cap the pool at the calls it served at once (not from the first window, nor from windows admitted before the cut)', () => {
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000 });
  // The first window waited 16 % (a cold llama-server): no verdict; slow start doubles.
  for (let i = 0; i < 4; i++) limit.update(waited(i, 4, 160));
  assert.equal(limit.limit, 8);
  assert.equal(limit.queueCeiling, Number.POSITIVE_INFINITY);
  // At 8 in flight half the wire time was waiting for a slot: the server served 8 × 0.5 = 4 at once.
  for (let i = 0; i < 8; i++) limit.update(waited(10 + i, 8, i % 2 === 0 ? 1000 : 0));
  assert.equal(limit.queueCeiling, 4 * 1.25, 'served load × SERVED_HEADROOM');
  assert.equal(limit.limit, 5);
  // The calls admitted at 8 before the cut finish waiting even longer: they ran above the ceiling and change nothing.
  for (let i = 0; i < 5; i++) limit.update(waited(20 + i, 8, 900));
  assert.equal(limit.queueCeiling, 5);
  // Calls at the ceiling that still wait (a quarter of the time) lower it: 5 × 0.75 × 1.25.
  for (let i = 0; i < 5; i++) limit.update(waited(30 + i, 5, 250));
  assert.equal(limit.queueCeiling, 5 * 0.75 * 1.25);
});

test('gradient: waits below 15 % of the wire time are no verdict; samples without the server’s account change nothing', () => {
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000 });
  for (let i = 0; i < 4; i++) limit.update(waited(i, 4, 0));
  for (let i = 0; i < 8; i++) limit.update(waited(10 + i, 8, 140));
  assert.equal(limit.queueCeiling, Number.POSITIVE_INFINITY, '14 % waiting');
  assert.ok(limit.limit > 8);
  const silent = new GradientLimit({ initialLimit: 4, maxLimit: 1000 });
  for (let i = 0; i < 4; i++) silent.update(ok(i, 4, 1000, 20));
  for (let i = 0; i < 8; i++) silent.update(ok(10 + i, 8, 1000, 20));
  assert.equal(silent.queueCeiling, Number.POSITIVE_INFINITY);
});

test('gradient: a load the server served with no call waiting is a floor for the ceiling that later waits set', () => {
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000 });
  for (let i = 0; i < 4; i++) limit.update(waited(i, 4, 0)); // the first window: no verdict either way
  for (let i = 0; i < 8; i++) limit.update(waited(10 + i, 4, 30)); // 3 % waiting at 4: the server serves 4 at once
  const size = Math.floor(limit.limit);
  for (let i = 0; i < size; i++) limit.update(waited(100 + i, 8, i % 2 === 0 ? 1000 : 0));
  assert.equal(limit.queueCeiling, 5, 'half waiting at 8: 4 served × 1.25');
  for (let i = 0; i < 5; i++) limit.update(waited(200 + i, 4, 400));
  assert.equal(
    limit.queueCeiling,
    4,
    'waits at 4 (a long prompt) would say 4 × 0.6 × 1.25 = 3: floored at the 4 served',
  );
});

test('gradient: latencies under 5 ms (a cache, the null simulator) count as 5 ms: sluice’s own pace sets no queue ceiling', () => {
  // Latency proportional to the load at flat throughput, as when sluice's own event loop is what the calls wait
  // for: read as a server's queue, it set a ceiling that downward probes walked to 1.
  const limit = new GradientLimit({ initialLimit: 4, maxLimit: 1000 });
  let now = 0;
  for (let round = 0; round < 8; round++) {
    const inFlight = Math.floor(limit.limit);
    for (let i = 0; i < inFlight; i++) limit.update(ok((now += 1), inFlight, Math.min(4.9, 0.08 * inFlight), 10));
  }
  assert.equal(limit.queueCeiling, Number.POSITIVE_INFINITY);
  assert.ok(limit.limit >= 32, `limit ${limit.limit}`);
});
