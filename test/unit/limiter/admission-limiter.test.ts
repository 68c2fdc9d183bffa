import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionLimiter } from '../../../src/limiter/admission-limiter.ts';
import { FakeClock, flushPromises } from '../../support/fake-clock.ts';
import type { Limit, LimitSample } from '../../../src/limiter/limit.ts';
import type { Permit } from '../../../src/limiter/limiter.ts';
import { RatePacer } from '../../../src/limiter/rate-pacer.ts';
import { createAutoLimiter } from '../../../src/limiter/auto-limiter.ts';
import { readRateHeaders } from '../../../src/llm/provider-headers.ts';

/** A limit the test sets by hand; records the samples it is fed. */
class ManualLimit implements Limit {
  readonly samples: LimitSample[] = [];
  constructor(public limit: number) {}
  update(sample: LimitSample): number {
    this.samples.push(sample);
    return this.limit;
  }
}

const cost = { requests: 1, tokens: 100 };
const success = { kind: 'success', latencyMs: 1000, outputTokens: 100 } as const;

/** Starts `n` acquisitions, recording the order in which permits are granted. */
function acquireMany(limiter: AdmissionLimiter, n: number, signal = new AbortController().signal) {
  const granted: Array<{ index: number; permit: Permit }> = [];
  const settled = Array.from({ length: n }, (_, index) =>
    limiter.acquire(cost, signal).then((permit) => {
      granted.push({ index, permit });
    }),
  );
  return { granted, settled };
}

test('never admits above the limit; FIFO as permits come back', async () => {
  const clock = new FakeClock();
  const limiter = new AdmissionLimiter({ limit: new ManualLimit(3), maxLimit: 10, clock });
  const { granted } = acquireMany(limiter, 8);
  await flushPromises();
  assert.deepEqual(
    granted.map((g) => g.index),
    [0, 1, 2],
  );
  assert.equal(limiter.inFlight, 3);
  assert.equal(limiter.waiting, 5);
  let peak = 0;
  for (let released = 0; released < 8; released++) {
    const next = granted[released];
    assert.ok(next, `permit ${released} granted`);
    next.permit.release(success);
    await flushPromises();
    peak = Math.max(peak, limiter.inFlight);
  }
  assert.equal(peak, 3);
  assert.deepEqual(
    granted.map((g) => g.index),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
});

test('retries wait ahead of first attempts, in FIFO order among themselves', async () => {
  const clock = new FakeClock();
  const limiter = new AdmissionLimiter({ limit: new ManualLimit(1), maxLimit: 10, clock });
  const granted: Array<{ name: string; permit: Permit }> = [];
  const signal = new AbortController().signal;
  const take = (name: string, retry: boolean) =>
    limiter.acquire(cost, signal, { retry }).then((permit) => granted.push({ name, permit }));
  await take('holder', false);
  for (const [name, retry] of [
    ['first-1', false],
    ['first-2', false],
    ['retry-1', true],
    ['first-3', false],
    ['retry-2', true],
  ] as const) {
    void take(name, retry);
  }
  await flushPromises();
  assert.equal(limiter.waiting, 5);
  for (let i = 0; i < 6; i++) {
    granted[i]?.permit.release(success);
    await flushPromises();
  }
  assert.deepEqual(
    granted.map((g) => g.name),
    ['holder', 'retry-1', 'retry-2', 'first-1', 'first-2', 'first-3'],
  );
  assert.equal(limiter.inFlight, 0);
});

test('live resize: a shrink admits nothing until in-flight falls below; a grow starts waiters at once', async () => {
  const clock = new FakeClock();
  const limit = new ManualLimit(4);
  const limiter = new AdmissionLimiter({ limit, maxLimit: 10, clock });
  const { granted } = acquireMany(limiter, 10);
  await flushPromises();
  assert.equal(granted.length, 4);
  limit.limit = 2;
  granted[0]?.permit.release(success);
  granted[1]?.permit.release(success);
  await flushPromises();
  assert.equal(limiter.inFlight, 2, 'two released, none admitted: in-flight is not below 2');
  assert.equal(granted.length, 4);
  granted[2]?.permit.release(success);
  await flushPromises();
  assert.equal(granted.length, 5, 'in-flight fell to 1 < 2: one admitted');
  limit.limit = 7;
  limiter.refresh();
  await flushPromises();
  assert.equal(limiter.inFlight, 7);
  assert.equal(granted.length, 10);
  assert.equal(limiter.limit, 7);
  limit.limit = 50;
  assert.equal(limiter.limit, 10, 'never above maxLimit');
});

test('releasing twice frees one slot; only success and congestion are samples', async () => {
  const clock = new FakeClock();
  const limit = new ManualLimit(2);
  const limiter = new AdmissionLimiter({ limit, maxLimit: 10, clock });
  const { granted } = acquireMany(limiter, 4);
  await flushPromises();
  granted[0]?.permit.release({ kind: 'ignore' });
  granted[0]?.permit.release(success);
  await flushPromises();
  assert.equal(granted.length, 3);
  assert.equal(limiter.inFlight, 2);
  assert.equal(limit.samples.length, 0, 'a random 500/reset says nothing about congestion');
  granted[1]?.permit.release({ kind: 'congestion', latencyMs: 30 });
  granted[2]?.permit.release(success);
  assert.deepEqual(
    limit.samples.map((s) => [s.dropped, s.inFlight]),
    [
      [true, 2],
      [false, 2],
    ],
  );
});

test('abort while waiting: rejects with the reason, leaves the queue, leaks no permit', async () => {
  const clock = new FakeClock();
  const limiter = new AdmissionLimiter({ limit: new ManualLimit(1), maxLimit: 1, clock });
  const first = await limiter.acquire(cost, new AbortController().signal);
  const controller = new AbortController();
  const aborted = limiter.acquire(cost, controller.signal);
  const { granted } = acquireMany(limiter, 1);
  controller.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  assert.equal(limiter.waiting, 1);
  first.release(success);
  await flushPromises();
  assert.equal(granted.length, 1, 'the next waiter got the slot');
  assert.equal(limiter.inFlight, 1);
  await assert.rejects(limiter.acquire(cost, AbortSignal.abort(new Error('already'))), /already/);
  assert.equal(limiter.waiting, 0);
});

test('pool-wide pause holds every admission until the hint, then admits in order', async () => {
  const clock = new FakeClock();
  const limiter = new AdmissionLimiter({ limit: new ManualLimit(10), maxLimit: 10, clock });
  limiter.pauseUntil(clock.now() + 5000);
  limiter.pauseUntil(clock.now() + 1000); // an earlier hint never shortens the pause
  const { granted } = acquireMany(limiter, 3);
  await clock.advance(4999);
  assert.equal(granted.length, 0);
  assert.equal(limiter.snapshot().pausedUntil, clock.now() + 1);
  await clock.advance(1);
  assert.deepEqual(
    granted.map((g) => g.index),
    [0, 1, 2],
  );
  assert.equal(clock.pendingTimers, 0, 'no timer left behind');
});

test('pacing from tier1 headers: an empty request bucket admits one call every 60 s / 500', async () => {
  const clock = new FakeClock();
  const pacer = new RatePacer();
  const limiter = new AdmissionLimiter({ limit: new ManualLimit(100), maxLimit: 100, clock, pacer });
  const first = await limiter.acquire(cost, new AbortController().signal);
  first.release({
    ...success,
    rate: readRateHeaders(
      {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '1m0s',
        'x-ratelimit-limit-tokens': '200000',
        'x-ratelimit-remaining-tokens': '199000',
        'x-ratelimit-reset-tokens': '300ms',
      },
      clock.now(),
    ),
  });
  const start = clock.now();
  const times: number[] = [];
  const settled = Array.from({ length: 5 }, () =>
    limiter.acquire(cost, new AbortController().signal).then((p) => {
      times.push(clock.now() - start);
      return p;
    }),
  );
  await clock.advance(1000);
  await Promise.all(settled);
  const step = 1 / ((500 / 60_000) * 0.99); // limit/60 s, planned at 99%
  assert.equal(times.length, 5);
  times.forEach((t, i) =>
    assert.ok(Math.abs(t - (i + 1) * step) <= 1, `admission ${i} at ${t} ms, expected ≈${((i + 1) * step).toFixed(1)}`),
  );
});

test('auto: random errors never shrink it; congestion does', async () => {
  const clock = new FakeClock();
  const limiter = createAutoLimiter({ clock, initialLimit: 20 });
  const { granted } = acquireMany(limiter as AdmissionLimiter, 20);
  await flushPromises();
  for (const g of granted.splice(0, 10)) g.permit.release({ kind: 'ignore' });
  assert.equal(limiter.limit, 20);
  granted[0]?.permit.release({ kind: 'congestion', latencyMs: 30 });
  assert.equal(limiter.limit, 20, 'one loss in 20 outcomes: within the 5% loss tolerance');
  granted[1]?.permit.release({ kind: 'congestion', latencyMs: 30 });
  assert.equal(Math.floor(limiter.limit), 8, 'a second one: min(limit 20, in-flight 9) × 0.9');
});

test("auto: a cold first answer does not lift the pool; Little's law waits for four calls and takes the fastest", async () => {
  const clock = new FakeClock();
  const limiter = createAutoLimiter({ clock }) as AdmissionLimiter;
  // saas-tier1 at ×10 through a gateway: 5,000 requests per minute (83/s), buckets full.
  const rate = () =>
    readRateHeaders(
      {
        'x-ratelimit-limit-requests': '5000',
        'x-ratelimit-remaining-requests': '490',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '2000000',
        'x-ratelimit-remaining-tokens': '190000',
        'x-ratelimit-reset-tokens': '300ms',
      },
      clock.now(),
    );
  const { granted } = acquireMany(limiter, 4);
  await flushPromises();
  assert.equal(granted.length, 4, 'the initial limit');
  const answer = (latencyMs: number) => ({ kind: 'success', latencyMs, outputTokens: 100, rate: rate() }) as const;
  granted[0]?.permit.release(answer(1000));
  assert.equal(limiter.limit, 4, 'one cold answer (1 s, the gateway warming up) lifts nothing');
  granted[1]?.permit.release(answer(300));
  granted[2]?.permit.release(answer(270));
  assert.equal(limiter.limit, 4);
  granted[3]?.permit.release(answer(290));
  // 5,000/60 s × 0.99 × 0.27 s × 1.25 = 27.8: from the fastest of the four, not their mean (465 ms: 48).
  assert.equal(Math.floor(limiter.limit), 28);
});
