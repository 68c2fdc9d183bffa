/**
 * sluice's own machinery as bench strategies: the real llm-map stage (the retry layer, error classification,
 * pool-wide pauses, output validation) over a limiter —
 * - `sluice-auto`: createAutoLimiter (header pacing + gradient + loss), no tuning;
 * - `best-fixed`: a fixed limit chosen by a sweep (the hand-tuned optimum), same stage and retry layer.
 */
import { createEnvelope } from '../../core/envelope.ts';
import { RunStats } from '../../core/run-stats.ts';
import { createLimiter } from '../../limiter/create-limiter.ts';
import type { Limiter } from '../../limiter/limiter.ts';
import { llmMap } from '../../stages/llm-map.ts';
import { Recorder } from '../recorder.ts';
import type { Strategy, StrategyContext } from '../strategy.ts';
import type { Review } from '../workload.ts';

async function runThroughLlmMap(ctx: StrategyContext, limiter: Limiter, reviews: readonly Review[], recorder: Recorder, client = ctx.client): Promise<void> {
  const stage = llmMap({ pipeline: ctx.pipeline, client, limiter, stats: new RunStats(), ordered: false });
  const source = (async function* () {
    for (const [index, review] of reviews.entries()) {
      yield createEnvelope({ id: review.id, value: { ...review } as Record<string, unknown>, meta: { kind: 'memory', index } });
    }
  })();
  for await (const envelope of stage(source, { signal: ctx.signal })) recorder.itemDone(envelope.id, envelope.failure === undefined);
}

export function sluiceAutoStrategy(maxLimit = 1000): Strategy {
  let limiter: Limiter | undefined;
  return {
    name: 'sluice-auto',
    description: 'llm-map + createAutoLimiter (header pacing, latency gradient, loss), no tuning',
    async run(ctx) {
      limiter = createLimiter({ algorithm: 'auto', maxLimit });
      await runThroughLlmMap(ctx, limiter, ctx.reviews, ctx.recorder);
    },
    limit: () => limiter?.limit ?? 0,
    cap: () => maxLimit,
  };
}

export function bestFixedStrategy(candidates: readonly number[] = [4, 8, 16, 32, 48, 64, 128, 256], sweepItems = 300): Strategy {
  let chosen = candidates[0] ?? 1;
  return {
    name: 'best-fixed',
    description: `fixed limit from a sweep over ${candidates.join('/')} (${sweepItems} items each), same llm-map and retry layer`,
    // The sweep must score steady states, not the burst a full bucket allows: a warm-up at the largest
    // candidate drains the rate buckets first, then candidates run largest first without a reset (each one
    // leaves the buckets drained for the next). A hand-tuner keeps only settings that lost no record.
    async prepare(ctx) {
      await ctx.resetSimulator();
      const largest = Math.max(...candidates);
      const warmUp = new Recorder();
      const warmItems = ctx.reviews.slice(0, Math.min(ctx.reviews.length, 3 * sweepItems));
      await runThroughLlmMap(ctx, createLimiter({ algorithm: 'fixed', initialLimit: largest, maxLimit: largest }), warmItems, warmUp, warmUp.wrap(ctx.makeClient()));
      warmUp.finish(Number.POSITIVE_INFINITY, largest);
      const scores: string[] = [];
      let best = -1;
      let bestAny = -1;
      let chosenAny = chosen;
      for (const c of [...candidates].sort((a, b) => b - a)) {
        const recorder = new Recorder();
        const client = recorder.wrap(ctx.makeClient());
        const items = ctx.reviews.slice(0, Math.min(ctx.reviews.length, Math.max(sweepItems, 2 * c)));
        await runThroughLlmMap(ctx, createLimiter({ algorithm: 'fixed', initialLimit: c, maxLimit: c }), items, recorder, client);
        const m = recorder.finish(Number.POSITIVE_INFINITY, c);
        const goodput = m.succeeded / m.durationS;
        scores.push(`${c}: ${goodput.toFixed(1)}/s${m.failed > 0 ? ` (${m.failed} failed)` : ''}`);
        if (m.failed === 0 && goodput > best) {
          best = goodput;
          chosen = c;
        }
        if (goodput > bestAny) {
          bestAny = goodput;
          chosenAny = c;
        }
      }
      if (best < 0) chosen = chosenAny;
      return `sweep (after a warm-up that drains the buckets) ${scores.join(', ')} → ${chosen}`;
    },
    async run(ctx) {
      await runThroughLlmMap(ctx, createLimiter({ algorithm: 'fixed', initialLimit: chosen, maxLimit: chosen }), ctx.reviews, ctx.recorder);
    },
    limit: () => chosen,
    cap: () => chosen,
  };
}
