/**
 * The seed's three ways, reproduced as baselines (docs/profiles.md "What the seed's own limiter gets wrong"):
 * - `sequential`: one call at a time (the seed's sync loop);
 * - `seed-async`: a fixed 50 in flight, exponential retry on every error;
 * - `seed-dynamic`: the seed's limiter — after each response ×0.8 if it took over 2 s (scaled by the time
 *   scale), else ×1.2, clamped to [5, 100]; no equilibrium, shrinks at zero load, 429s look healthy.
 */
import pLimit from 'p-limit';
import type { Strategy, StrategyContext } from '../strategy.ts';
import { seedCaller } from './seed-call.ts';

export function sequentialStrategy(maxItems = 100): Strategy {
  return {
    name: 'sequential',
    description: "one call at a time, exponential retry on every error (the seed's sync loop)",
    maxItems,
    async run(ctx: StrategyContext) {
      const call = seedCaller(ctx);
      for (const review of ctx.reviews) await call(review);
    },
    limit: () => 1,
    cap: () => 1,
  };
}

export function seedAsyncStrategy(concurrency = 50): Strategy {
  return {
    name: 'seed-async',
    description: `fixed ${concurrency} in flight, exponential retry on every error`,
    async run(ctx) {
      const call = seedCaller(ctx);
      const gate = pLimit(concurrency);
      await Promise.all(ctx.reviews.map((review) => gate(() => call(review))));
    },
    limit: () => concurrency,
    cap: () => concurrency,
  };
}

export function seedDynamicStrategy(): Strategy {
  let limit = 50;
  return {
    name: 'seed-dynamic',
    description: '×0.8 when a response took > 2 s (time-scaled) else ×1.2, clamped to [5, 100]',
    async run(ctx) {
      limit = 50;
      const call = seedCaller(ctx);
      const gate = pLimit(limit);
      const slowMs = 2000 / ctx.timeScale;
      await Promise.all(
        ctx.reviews.map((review) =>
          gate(async () => {
            const started = performance.now();
            await call(review);
            limit = Math.min(100, Math.max(5, performance.now() - started > slowMs ? limit * 0.8 : limit * 1.2));
            gate.concurrency = Math.round(limit);
          }),
        ),
      );
    },
    limit: () => Math.round(limit),
    cap: () => 100,
  };
}
