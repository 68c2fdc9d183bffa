import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_RUN_ITEMS, alignWaitS, runItems, runTimeBoxed } from '../../../src/bench/harness.ts';
import {
  BENCH_ATTEMPT_TIMEOUT_SIMULATED_S,
  benchAttemptTimeoutMs,
  benchPipeline,
} from '../../../src/bench/workload.ts';

test('runItems: without runS every strategy runs its own cap of items', () => {
  assert.equal(runItems(55_000, 500, { timeScale: 1 }), 55_000);
  assert.equal(runItems(50, 500, { timeScale: 1 }), 50);
});

test('runItems: with runS a strategy runs X*(C)·runS items (runS simulated, X* real: divided by the time scale)', () => {
  // saas-tier5 ×1: seed-async at C = 50 has X*(50) = 50 / 2.2 s ≈ 22.7/s → 110 s ≈ 2,500 items; sluice-auto is capped by items.
  assert.equal(runItems(55_000, 22.7, { timeScale: 1, runS: 110 }), 2497);
  assert.equal(runItems(55_000, 500, { timeScale: 1, runS: 110 }), 55_000);
  // flaky-tail ×3: X*(256) = 393/s real; 130 simulated s = 43.3 real s → 17,030 items.
  assert.equal(runItems(30_000, 393, { timeScale: 3, runS: 130 }), 17_030);
  // The sequential sample (maxItems 50) stays 50; a tiny X*(C) still gets MIN_RUN_ITEMS, never more than its cap.
  assert.equal(runItems(50, 0.45, { timeScale: 1, runS: 110 }), 50);
  assert.equal(runItems(1000, 0.1, { timeScale: 1, runS: 110 }), MIN_RUN_ITEMS);
  assert.equal(runItems(1000, null, { timeScale: 1, runS: 110 }), 1000);
});

test('bench pipeline: the attempt timeout τ is 60 simulated seconds at every time scale, and names the client', () => {
  assert.equal(BENCH_ATTEMPT_TIMEOUT_SIMULATED_S, 60);
  assert.equal(benchAttemptTimeoutMs(1), 60_000);
  assert.equal(benchAttemptTimeoutMs(3), 20_000);
  assert.equal(benchAttemptTimeoutMs(600), 1000);
  const pipeline = benchPipeline({
    baseUrl: 'http://127.0.0.1:1/v1',
    timeScale: 3,
    maxTokens: 256,
    maxAttempts: 6,
    client: 'undici',
  });
  assert.equal(pipeline.model.timeoutMs, 20_000);
  assert.equal(pipeline.model.client, 'undici');
  assert.equal(
    benchPipeline({ baseUrl: 'http://127.0.0.1:1/v1', timeScale: 1, maxTokens: 256, maxAttempts: 6 }).model.client,
    undefined,
  );
});

test('runTimeBoxed: no box runs to the end on the parent signal and returns null', async () => {
  const parent = new AbortController();
  let seen: AbortSignal | undefined;
  assert.equal(
    await runTimeBoxed(undefined, parent.signal, async (signal) => {
      seen = signal;
    }),
    null,
  );
  assert.equal(seen, parent.signal);
});

test('runTimeBoxed: a run that outlives the box is stopped through its signal and reported as stopped', async () => {
  const parent = new AbortController();
  const stopped = await runTimeBoxed(
    0.001,
    parent.signal,
    (signal) =>
      new Promise<void>((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  );
  assert.equal(stopped, 0.001);
});

test('runTimeBoxed: a run that finishes inside the box returns null; errors and the parent abort still propagate', async () => {
  const parent = new AbortController();
  assert.equal(await runTimeBoxed(60, parent.signal, async () => {}), null);
  await assert.rejects(
    runTimeBoxed(60, parent.signal, async () => {
      throw new Error('broken strategy');
    }),
    /broken strategy/,
  );
  const run = runTimeBoxed(
    60,
    parent.signal,
    (signal) =>
      new Promise<void>((_, reject) => {
        signal.addEventListener('abort', () => reject(new Error('interrupted')), { once: true });
      }),
  );
  parent.abort();
  await assert.rejects(run, /interrupted/);
});

test('alignWaitS: waits until the simulated clock reaches the phase of the next period', () => {
  const align = { periodS: 120, phaseS: 45 };
  // ×3: 10 real s = 30 simulated s → 15 simulated s to go = 5 real s.
  assert.equal(alignWaitS(10_000, 3, align), 5);
  // Just past the phase: almost a whole period (119 simulated s = 39.67 real s).
  assert.ok(Math.abs(alignWaitS(15_333.333, 3, align) - 119 / 3) < 1e-3);
  // Exactly at the phase: no wait.
  assert.equal(alignWaitS(15_000, 3, align), 0);
  // Several periods in: 200 s real ×1 = 200 → phase 80 → 85 s to 45 of the next period.
  assert.equal(alignWaitS(200_000, 1, align), 85);
});
