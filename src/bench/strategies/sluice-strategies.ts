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

async function runThroughLlmMap(
  ctx: StrategyContext,
  limiter: Limiter,
  reviews: readonly Review[],
  recorder: Recorder,
  client = ctx.client,
): Promise<void> {
  const stage = llmMap({ pipeline: ctx.pipeline, client, limiter, stats: new RunStats(), ordered: false });
  const source = (async function* () {
    for (const [index, review] of reviews.entries()) {
      yield createEnvelope({
        id: review.id,
        value: { ...review } as Record<string, unknown>,
        meta: { kind: 'memory', index },
      });
    }
  })();
  for await (const envelope of stage(source, { signal: ctx.signal }))
    recorder.itemDone(envelope.id, envelope.failure === undefined);
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

export function bestFixedStrategy(candidates: readonly number[] = [8, 16, 32, 48, 64, 128]): Strategy {
  let chosen = candidates[0] ?? 1;
  return {
    name: 'best-fixed',
    description: `fixed limit from a sweep over ${candidates.join('/')} on the same workload, same llm-map and retry layer`,
    // What a hand-tuner does: run the real workload at each setting (from full buckets, like the measured run)
    // and keep the fastest that lost no record. A candidate is stopped once it is slower than the best so far.
    async prepare(ctx) {
      const scores: string[] = [];
      let bestS = Number.POSITIVE_INFINITY;
      for (const c of [...candidates].sort((a, b) => b - a)) {
        await ctx.resetSimulator();
        const recorder = new Recorder();
        const stop = new AbortController();
        const deadline = Number.isFinite(bestS)
          ? setTimeout(() => stop.abort(new Error('slower than the best so far')), bestS * 1000)
          : undefined;
        const signal = AbortSignal.any([ctx.signal, stop.signal]);
        try {
          await runThroughLlmMap(
            { ...ctx, signal },
            createLimiter({ algorithm: 'fixed', initialLimit: c, maxLimit: c }),
            ctx.reviews,
            recorder,
            recorder.wrap(ctx.makeClient()),
          );
        } catch (error) {
          if (!stop.signal.aborted || ctx.signal.aborted) throw error;
          scores.push(`${c}: stopped (slower)`);
          continue;
        } finally {
          clearTimeout(deadline);
        }
        const m = recorder.finish(Number.POSITIVE_INFINITY, c);
        scores.push(`${c}: ${m.durationS.toFixed(1)} s${m.failed > 0 ? `, ${m.failed} failed` : ''}`);
        if (m.failed === 0 && m.durationS < bestS) {
          bestS = m.durationS;
          chosen = c;
        }
      }
      return `sweep ${scores.join('; ')} → ${chosen}`;
    },
    async run(ctx) {
      await runThroughLlmMap(
        ctx,
        createLimiter({ algorithm: 'fixed', initialLimit: chosen, maxLimit: chosen }),
        ctx.reviews,
        ctx.recorder,
      );
    },
    limit: () => chosen,
    cap: () => chosen,
  };
}
