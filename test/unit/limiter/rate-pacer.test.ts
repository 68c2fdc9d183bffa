import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallCost } from '../../../src/limiter/limiter.ts';
import { RatePacer } from '../../../src/limiter/rate-pacer.ts';
import { readRateHeaders } from '../../../src/llm/provider-headers.ts';

/** Feeds raw response headers the way execute-call does: through the one header reader. */
function observe(pacer: RatePacer, headers: Record<string, string>, now: number, congested?: CallCost): void {
  pacer.observe(readRateHeaders(headers, now), now, { congested });
}

const T0 = 1_700_000_000_000;
const call = { requests: 1, tokens: 350 };
const tier1 = (remainingRequests: number, resetRequests: string, remainingTokens: number, resetTokens: string) => ({
  'x-ratelimit-limit-requests': '500',
  'x-ratelimit-remaining-requests': String(remainingRequests),
  'x-ratelimit-reset-requests': resetRequests,
  'x-ratelimit-limit-tokens': '200000',
  'x-ratelimit-remaining-tokens': String(remainingTokens),
  'x-ratelimit-reset-tokens': resetTokens,
});

test('no headers seen: imposes nothing', () => {
  const pacer = new RatePacer();
  pacer.charge(call, T0);
  observe(pacer, { 'content-type': 'application/json' }, T0);
  assert.equal(pacer.active, false);
  assert.equal(pacer.waitMs(call, T0), 0);
  assert.equal(pacer.sustainedRate(350), undefined);
});

test('tier1 request bucket empty: one request refills in 60 s / 500 = 120 ms (planned at 99%)', () => {
  const pacer = new RatePacer();
  observe(pacer, tier1(0, '59.94s', 150_000, '15s'), T0);
  assert.equal(pacer.waitMs(call, T0), Math.ceil(1 / ((500 / 60_000) * 0.99)));
  assert.equal(pacer.waitMs(call, T0 + 60), 62, 'refills continuously: (1 − 60·r)/r, r = 0.99·500/60 s');
  assert.equal(pacer.waitMs(call, T0 + 122), 0);
  pacer.charge(call, T0 + 122);
  assert.ok(pacer.waitMs(call, T0 + 122) > 115, 'charged one request');
});

test('token bucket binds: wait for prompt estimate + max_tokens worth of refill', () => {
  const pacer = new RatePacer();
  observe(pacer, tier1(300, '24s', 100, '59.97s'), T0);
  // need 250 tokens at 200,000/60 s × 0.99 per ms
  assert.equal(pacer.waitMs(call, T0), Math.ceil(250 / ((200_000 / 60_000) * 0.99)));
  assert.equal(pacer.waitMs({ requests: 1, tokens: 90 }, T0), 0, 'a small call fits now');
  assert.equal(
    pacer.waitMs({ requests: 1, tokens: 250_000 }, T0),
    0,
    'larger than the bucket: let the provider reject it',
  );
});

test('limit is the per-minute rate; capacity = remaining + rate × reset (a time-scaled simulator announces both)', () => {
  const pacer = new RatePacer();
  // 10× time scale: 5,000 requests per real minute, a bucket of one model minute = 500, empty, full again in 6 s
  observe(
    pacer,
    { ...tier1(0, '6s', 100_000, '3s'), 'x-ratelimit-limit-requests': '5000', 'x-ratelimit-limit-tokens': '2000000' },
    T0,
  );
  const snapshot = pacer.snapshot(T0);
  assert.equal(snapshot.requests?.capacity, 500);
  assert.equal(snapshot.tokens?.capacity, 200_000);
  assert.equal(pacer.waitMs(call, T0), Math.ceil(1 / ((5000 / 60_000) * 0.99)));
  const rate = pacer.sustainedRate(350) ?? 0;
  assert.ok(Math.abs(rate - (0.99 * 5000) / 60) < 1e-9, String(rate));
});

test('re-syncs with the provider: down at once, up by a tenth of the gap (a header read late misses our latest charges)', () => {
  const pacer = new RatePacer();
  observe(pacer, tier1(100, '48s', 200_000, '0s'), T0);
  pacer.charge(call, T0);
  assert.equal(pacer.snapshot(T0).requests?.level, 99);
  observe(pacer, tier1(10, '58.8s', 200_000, '0s'), T0);
  assert.equal(pacer.snapshot(T0).requests?.level, 10);
  observe(pacer, tier1(30, '56.4s', 200_000, '0s'), T0);
  assert.equal(pacer.snapshot(T0).requests?.level, 12);
});

test('calls admitted after the answered one may not have reached the provider: the re-sync keeps their charges', () => {
  const pacer = new RatePacer();
  const answered = pacer.charge(call, T0);
  for (let i = 0; i < 5; i++) pacer.charge(call, T0);
  // The answer counted itself but none of the five admitted after it: 10 left as it left, 5 of them ours already.
  pacer.observe(readRateHeaders(tier1(10, '58.8s', 200_000, '0s'), T0), T0, { admitted: answered });
  assert.equal(pacer.snapshot(T0).requests?.level, 5);
  const last = pacer.charge(call, T0);
  // An empty bucket with one call still on its way: the next request waits for two refills, not one.
  pacer.observe(readRateHeaders(tier1(0, '1m0s', 200_000, '0s'), T0), T0, { admitted: answered });
  assert.equal(pacer.snapshot(T0).requests?.level, -6);
  pacer.observe(readRateHeaders(tier1(0, '1m0s', 200_000, '0s'), T0), T0, { admitted: last });
  const level = pacer.snapshot(T0).requests?.level ?? 0;
  assert.ok(Math.abs(level - -5.4) < 1e-9, `a higher figure is trusted a tenth at a time: ${level}`);
  assert.equal(pacer.waitMs(call, T0), Math.ceil(6.4 / ((500 / 60_000) * 0.99)));
});

test('a rate 429 while the minute buckets had room reveals per-second enforcement: requests get smoothed', () => {
  const pacer = new RatePacer();
  for (let i = 0; i < 4; i++) observe(pacer, tier1(400, '12s', 190_000, '3s'), T0 + i * 100, call);
  assert.equal(pacer.snapshot(T0).second, undefined, 'four could be random 503s');
  observe(pacer, tier1(400, '12s', 190_000, '3s'), T0 + 900, call);
  assert.ok(pacer.snapshot(T0).second, 'the fifth within one second: smoothing bucket created');
  assert.equal(pacer.snapshot(T0).second?.capacity, 2, '4% of a second of 500 RPM, at least 2');
  assert.ok(pacer.waitMs(call, T0 + 900) > 0, 'starts empty after the 429');
  // over one second at most 4% + 95% of a second's worth can pass
  let admitted = 0;
  for (let t = T0 + 900; t < T0 + 1900; t++) {
    while (pacer.waitMs(call, t) === 0) {
      pacer.charge(call, t);
      admitted++;
      if (admitted > 1000) break;
    }
  }
  assert.ok(admitted <= Math.floor(500 / 60), `admitted ${admitted} in one second`);
  const other = new RatePacer();
  observe(other, tier1(0, '60s', 190_000, '3s'), T0, call);
  assert.equal(other.snapshot(T0).second, undefined, 'an empty minute bucket explains the 429 by itself');
});

test('a rate rejection cuts the planned share of the refill ×0.7 (once per second); successes give back 0.33%/share each', () => {
  const pacer = new RatePacer();
  const full = 1 / ((500 / 60_000) * 0.99);
  observe(pacer, tier1(0, '59.94s', 150_000, '15s'), T0);
  assert.equal(pacer.waitMs(call, T0), Math.ceil(full));
  observe(pacer, tier1(0, '59.94s', 150_000, '15s'), T0, call);
  assert.equal(pacer.waitMs(call, T0), Math.ceil(full / 0.7), 'someone else spends these buckets: plan with 70%');
  observe(pacer, tier1(0, '59.94s', 150_000, '15s'), T0 + 500, call);
  assert.equal(pacer.waitMs(call, T0 + 500), Math.ceil(full / 0.7), 'the same second: one cut');
  assert.ok(Math.abs(pacer.sustainedRate(350)! - (0.7 * 0.99 * 500) / 60) < 1e-9);
  let share = 0.7;
  for (let i = 0; i < 20; i++) {
    observe(pacer, tier1(0, '59.94s', 150_000, '15s'), T0 + 600);
    share = Math.min(1, share + 0.0033 / share);
  }
  assert.ok(Math.abs(pacer.sustainedRate(350)! - (share * 0.99 * 500) / 60) < 1e-9, `share ${share}`);
  for (let i = 0; i < 100; i++) observe(pacer, tier1(0, '59.94s', 150_000, '15s'), T0 + 700);
  assert.ok(Math.abs(pacer.sustainedRate(350)! - (0.99 * 500) / 60) < 1e-9, 'back to the whole refill, never above');
});

test('shares grow by the same amount per second whatever their size: successes arrive in proportion to the share', () => {
  /** A pacer planning with 0.7^cuts of the refill (one cut per second). */
  const cutPacer = (cuts: number): RatePacer => {
    const pacer = new RatePacer();
    observe(pacer, tier1(0, '59.94s', 150_000, '15s'), T0);
    for (let i = 0; i < cuts; i++) observe(pacer, tier1(0, '59.94s', 150_000, '15s'), T0 + 1000 * i, call);
    return pacer;
  };
  const shareOf = (pacer: RatePacer) => pacer.sustainedRate(350)! / ((0.99 * 500) / 60);
  const large = cutPacer(1);
  const small = cutPacer(3);
  const [largeBefore, smallBefore] = [shareOf(large), shareOf(small)];
  assert.ok(Math.abs(largeBefore - 0.7) < 1e-9 && Math.abs(smallBefore - 0.343) < 1e-9);
  // Over the same second the larger share (2.04×) completes twice the calls: 20 against 10.
  for (let i = 0; i < 20; i++) observe(large, tier1(0, '59.94s', 150_000, '15s'), T0 + 5000);
  for (let i = 0; i < 10; i++) observe(small, tier1(0, '59.94s', 150_000, '15s'), T0 + 5000);
  const [largeGain, smallGain] = [shareOf(large) - largeBefore, shareOf(small) - smallBefore];
  // A fixed step per success would give 0.2 against 0.1, keeping the 2:1 ratio (multiplicative growth).
  assert.ok(Math.abs(largeGain / smallGain - 1) < 0.1, `gains ${largeGain.toFixed(4)} vs ${smallGain.toFixed(4)}`);
});
