import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateBuckets, type RateLimits } from '../../../src/sim/rate-buckets.ts';

const limits = (over: Partial<RateLimits>): RateLimits => ({
  rpm: 0,
  tpm: 0,
  rpd: 0,
  perSecond: false,
  quotaRequests: 0,
  ...over,
});

test('request bucket admits one minute of limit from full, then refills continuously at rpm/60 per second', () => {
  const b = new RateBuckets(limits({ rpm: 60 }), 0);
  for (let i = 0; i < 60; i++) assert.equal(b.tryAdmit(0, 0), undefined, `request ${i}`);
  const r = b.tryAdmit(0, 0);
  assert.ok(r && r.kind === 'requests');
  assert.equal(r.window, 'requests');
  assert.equal(r.limit, 60);
  assert.equal(r.used, 60);
  // the rejected request consumed a request, floored at 0: one request refills in exactly 1 s
  assert.equal(r.waitS, 1);
  assert.ok(b.tryAdmit(0.5, 0), 'half a request refilled is not enough');
  // the rejection at 0.5 s took the 0.5 refilled back to 0: a full request needs 1 s more
  assert.ok(b.tryAdmit(1.4, 0));
  assert.equal(b.tryAdmit(2.5, 0), undefined);
  const view = b.view(2.5);
  assert.equal(view.requests?.remaining, 0);
  assert.equal(view.requests?.limit, 60);
});

test('rejected requests are charged: hammering delays recovery compared to waiting', () => {
  const patient = new RateBuckets(limits({ rpm: 60 }), 0);
  const hammer = new RateBuckets(limits({ rpm: 60 }), 0);
  for (let i = 0; i < 60; i++) {
    patient.tryAdmit(0, 0);
    hammer.tryAdmit(0, 0);
  }
  for (let t = 0.1; t < 0.95; t += 0.1) assert.ok(hammer.tryAdmit(t, 0));
  assert.equal(patient.tryAdmit(1, 0), undefined);
  assert.ok(hammer.tryAdmit(1, 0), 'the hammering client is still limited at 1 s');
});

test('token bucket charges prompt + max_tokens at admission and reports the wait for the missing tokens', () => {
  const b = new RateBuckets(limits({ tpm: 6000 }), 0);
  assert.equal(b.tryAdmit(0, 3500), undefined);
  const r = b.tryAdmit(0, 3000);
  assert.ok(r && r.kind === 'tokens');
  assert.equal(r.used, 3500);
  assert.equal(r.requested, 3000);
  assert.equal(r.waitS, 5); // 500 missing tokens at 100 tokens/s
  assert.equal(r.tooLarge, false);
  assert.equal(b.tryAdmit(5, 3000), undefined);
  assert.equal(b.view(5).tokens?.remaining, 0);
  assert.equal(b.view(5).tokens?.resetS, 60);
});

test('a request larger than the TPM is rejected outright', () => {
  const b = new RateBuckets(limits({ tpm: 1000 }), 0);
  const r = b.tryAdmit(0, 1001);
  assert.ok(r && r.kind === 'tokens' && r.tooLarge);
});

test('per-second quantization: at most rpm/60 requests in each whole second', () => {
  const b = new RateBuckets(limits({ rpm: 600, perSecond: true }), 0);
  for (let i = 0; i < 10; i++) assert.equal(b.tryAdmit(0.2, 0), undefined);
  const r = b.tryAdmit(0.7, 0);
  assert.ok(r && r.kind === 'requests' && r.window === 'second');
  assert.ok(Math.abs(r.waitS - 0.3) < 1e-9);
  // the next second opens a new window although the minute bucket still holds 589
  for (let i = 0; i < 10; i++) assert.equal(b.tryAdmit(1.0, 0), undefined);
  assert.ok(b.tryAdmit(1.5, 0));
});

test('quota exhaustion after N admitted requests, forever', () => {
  const b = new RateBuckets(limits({ quotaRequests: 3 }), 0);
  for (let i = 0; i < 3; i++) assert.equal(b.tryAdmit(i, 0), undefined);
  assert.deepEqual(b.tryAdmit(3, 0), { kind: 'quota' });
  assert.deepEqual(b.tryAdmit(1e6, 0), { kind: 'quota' });
});

test('daily request bucket limits after rpd requests', () => {
  const b = new RateBuckets(limits({ rpm: 1000, rpd: 5 }), 0);
  for (let i = 0; i < 5; i++) assert.equal(b.tryAdmit(i, 0), undefined);
  const r = b.tryAdmit(10, 0);
  assert.ok(r && r.kind === 'requests' && r.window === 'day');
  assert.equal(r.limit, 5);
});

test('unlimited buckets admit everything and are not "limited"', () => {
  const b = new RateBuckets(limits({}), 0);
  assert.equal(b.limited, false);
  for (let i = 0; i < 1000; i++) assert.equal(b.tryAdmit(0, 1e9), undefined);
});
