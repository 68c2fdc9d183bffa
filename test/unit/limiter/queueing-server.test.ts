import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAutoLimiter } from '../../../src/limiter/auto-limiter.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { runClosedLoop } from './closed-loop.ts';
import { createRng } from '../../../src/sim/rng.ts';
import { FifoServer } from './fifo-server.ts';

/**
 * Servers that queue what they cannot serve (llama.cpp's slots): latency rises with in-flight while throughput
 * stays flat. The auto limiter must keep about as many calls in flight as there are slots — more only wait — and
 * never let calls wait into the attempt deadline. Service times as a small CPU model answers: 20–256 output
 * tokens at 27 tokens/s per slot (0.7–9.5 s, mean ≈ 5.1 s).
 */
const TOKENS_PER_S = 27;
function smallModel(seed: number): () => { ms: number; outputTokens: number } {
  const random = createRng(seed);
  return () => {
    const outputTokens = 20 + Math.floor(random() * 237);
    return { ms: (1000 * outputTokens) / TOKENS_PER_S, outputTokens };
  };
}
const MEAN_SERVICE_MS = (1000 * (20 + 256)) / 2 / TOKENS_PER_S;

for (const slots of [4, 8]) {
  test(`FIFO server with ${slots} slots: in flight settles near the slots, throughput ≥ 0.9 of the slots' capacity, no timeout`, async () => {
    const clock = new FakeClock();
    const limiter = createAutoLimiter({ clock, maxLimit: 256 });
    const server = new FifoServer({ clock, slots, service: smallModel(slots), timeoutMs: 60_000 });
    const result = await runClosedLoop({
      clock,
      limiter,
      callers: 200,
      durationMs: 1_800_000,
      measureMs: 900_000,
      call: () => server.call(),
    });
    const capacity = (1000 * slots) / MEAN_SERVICE_MS;
    assert.equal(server.timeouts, 0, 'no call waited into the deadline');
    assert.ok(
      result.throughput >= 0.9 * capacity,
      `throughput ${result.throughput.toFixed(3)}/s vs capacity ${capacity.toFixed(3)}/s`,
    );
    assert.ok(
      result.meanInFlight <= 1.5 * slots,
      `mean in flight ${result.meanInFlight.toFixed(1)} for ${slots} slots`,
    );
    const tail = result.limits.slice(-600);
    assert.ok(
      tail.filter((l) => l <= 2 * slots).length >= 0.9 * tail.length,
      `limit in the tail ${Math.min(...tail)}..${Math.max(...tail)}, slots ${slots}`,
    );
  });
}

test('FIFO server with 2 slots and the default initial limit of 4: the limit comes back to ≤ 2 × slots, no timeout', async () => {
  const clock = new FakeClock();
  const limiter = createAutoLimiter({ clock, maxLimit: 256 });
  const server = new FifoServer({ clock, slots: 2, service: smallModel(2), timeoutMs: 60_000 });
  const result = await runClosedLoop({
    clock,
    limiter,
    callers: 50,
    durationMs: 600_000,
    measureMs: 300_000,
    call: () => server.call(),
  });
  assert.equal(server.timeouts, 0);
  // Settled: the limit stays at ≤ 2 × slots but for the short probes above the ceiling (every ≈ 18 windows).
  const tail = result.limits.slice(-300);
  assert.ok(tail.filter((l) => l <= 4).length >= 0.9 * tail.length, `limit ${tail.join(',')}`);
  assert.ok(result.throughput >= 0.9 * ((1000 * 2) / MEAN_SERVICE_MS), `throughput ${result.throughput.toFixed(3)}/s`);
});

test('timeouts on a slow queueing server shrink the pool at once, before the calls are retried', async () => {
  const clock = new FakeClock();
  // Starting far too wide (as a fixed 32 would): 32 calls on 4 slots of ≈ 5 s wait ≈ 40 s, many past a 20 s deadline.
  const limiter = createAutoLimiter({ clock, maxLimit: 256, initialLimit: 32 });
  const server = new FifoServer({ clock, slots: 4, service: smallModel(7), timeoutMs: 20_000 });
  const result = await runClosedLoop({
    clock,
    limiter,
    callers: 100,
    durationMs: 900_000,
    measureMs: 600_000,
    call: () => server.call(),
  });
  assert.ok(server.timeouts > 0, 'the start timed out, as it would with a fixed 32');
  const firstShrink = result.limits.findIndex((l) => l < 32);
  assert.ok(
    firstShrink >= 0 && firstShrink <= 30,
    `the first timeouts (≈ 20 s in) shrink the pool within a round trip: ${result.limits.slice(0, 40).join(',')}`,
  );
  assert.equal(result.congestions, 0, 'no timeout once the pool fits the slots (the last 10 minutes)');
  assert.ok(result.meanInFlight <= 2 * 4, `mean in flight ${result.meanInFlight.toFixed(1)} on 4 slots`);
  assert.ok(result.throughput >= 0.9 * ((1000 * 4) / MEAN_SERVICE_MS), `throughput ${result.throughput.toFixed(3)}/s`);
});
