/**
 * The seed's way of calling the model: render the prompt, call, and on ANY error retry after base·2^(n−1)
 * (no jitter, no Retry-After, no classification), up to the attempt cap. `base` is 1 s divided by the time scale.
 */
import { createPromptRenderer, type PromptRenderer } from '../../llm/prompt.ts';
import type { ModelResponse } from '../../llm/model-client.ts';
import type { StrategyContext } from '../strategy.ts';
import type { Review } from '../workload.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** Calls until success or the attempt cap; reports the item to the recorder; returns the response or undefined. */
export type SeedCaller = (review: Review) => Promise<ModelResponse | undefined>;

export function seedCaller(ctx: StrategyContext, maxAttempts = 6): SeedCaller {
  const renderer: PromptRenderer = createPromptRenderer(ctx.pipeline.prompt);
  const baseMs = 1000 / ctx.timeScale;
  return async (review) => {
    const rendered = renderer.render({ ...review });
    if (!rendered.ok) throw new Error(`bench review ${review.id} misses ${rendered.missing.join(', ')}`);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const response = await ctx.client.call({
          recordIds: [review.id],
          messages: rendered.messages,
          schema: ctx.pipeline.output.schema,
          schemaName: ctx.pipeline.output.schemaName,
          maxTokens: ctx.pipeline.model.maxTokens,
          promptTokenEstimate: rendered.promptTokenEstimate,
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.pipeline.model.timeoutMs)]),
        });
        ctx.recorder.itemDone(review.id, true);
        return response;
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        // The seed retried every error the same way; the recorder already counted this failed attempt.
        if (attempt < maxAttempts) await sleep(baseMs * 2 ** (attempt - 1), undefined, { signal: ctx.signal });
      }
    }
    ctx.recorder.itemDone(review.id, false);
    return undefined;
  };
}
