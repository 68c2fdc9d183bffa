/**
 * `known-limits`: the best planner a user could write who knows the account's limits — the algorithm of the
 * openai-cookbook's `api_request_parallel_processor.py`, given the profile's TRUE limits (its best case):
 * - two token buckets, requests and tokens, each starting full with one minute of limit and refilling
 *   continuously at limit/60 per second (time-scaled like the simulator);
 * - a call starts as soon as both buckets hold its cost — 1 request, and the prompt estimate (chars/4, what the
 *   simulator charges) + max_tokens — with no cap on calls in flight;
 * - every error is retried from a retry queue that goes first, up to 5 attempts;
 * - after a 429 the whole loop pauses 15 s (divided by the time scale) from that error before it starts anything.
 * The cookbook's own loop polls every 1 ms; this one wakes when the buckets can pay for the next call.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPromptRenderer } from '../../llm/prompt.ts';
import { ModelCallError } from '../../llm/model-client.ts';
import type { Strategy, StrategyContext } from '../strategy.ts';
import type { Review } from '../workload.ts';

const MAX_ATTEMPTS = 5;
const PAUSE_AFTER_RATE_LIMIT_S = 15;

interface Bucket {
  readonly capacity: number;
  /** Refill per ms. */
  readonly rate: number;
  level: number;
}

export function knownLimitsStrategy(): Strategy {
  let inFlight = 0;
  return {
    name: 'known-limits',
    description:
      'openai-cookbook parallel processor at the true RPM/TPM: two token buckets, no in-flight cap, 15 s pause after a 429',
    needsRateLimits: true,
    async run(ctx) {
      const { rpm, tpm } = ctx.limits ?? {};
      if (!rpm || !tpm)
        throw new Error('known-limits needs a profile with request and token limits (saas-*, seed-blog)');
      const renderer = createPromptRenderer(ctx.pipeline.prompt);
      // One simulated minute of limit, refilled in real time timeScale× faster (as the simulator's buckets are).
      const bucket = (perMinute: number): Bucket => ({
        capacity: perMinute,
        rate: (perMinute * ctx.timeScale) / 60_000,
        level: perMinute,
      });
      const requests = bucket(rpm);
      const tokens = bucket(tpm);
      let refilledAt = performance.now();
      const refill = () => {
        const now = performance.now();
        for (const b of [requests, tokens]) b.level = Math.min(b.capacity, b.level + b.rate * (now - refilledAt));
        refilledAt = now;
      };
      const pauseMs = (PAUSE_AFTER_RATE_LIMIT_S * 1000) / ctx.timeScale;
      let lastRateLimitAt = Number.NEGATIVE_INFINITY;
      const queue: Array<{ review: Review; attempt: number }> = ctx.reviews.map((review) => ({ review, attempt: 1 }));
      const retries: typeof queue = [];
      const running = new Set<Promise<void>>();
      inFlight = 0;

      const attempt = async (
        item: { review: Review; attempt: number },
        messages: Parameters<StrategyContext['client']['call']>[0]['messages'],
        estimate: number,
      ) => {
        try {
          await ctx.client.call({
            recordIds: [item.review.id],
            messages,
            schema: ctx.pipeline.output.schema,
            schemaName: ctx.pipeline.output.schemaName,
            maxTokens: ctx.pipeline.model.maxTokens,
            promptTokenEstimate: estimate,
            signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.pipeline.model.timeoutMs)]),
          });
          ctx.recorder.itemDone(item.review.id, true);
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          if (error instanceof ModelCallError && error.status === 429) lastRateLimitAt = performance.now();
          if (item.attempt < MAX_ATTEMPTS) retries.push({ review: item.review, attempt: item.attempt + 1 });
          else ctx.recorder.itemDone(item.review.id, false);
        }
      };

      while (queue.length > 0 || retries.length > 0 || running.size > 0) {
        ctx.signal.throwIfAborted();
        const next = retries[0] ?? queue[0];
        const sinceRateLimit = performance.now() - lastRateLimitAt;
        if (!next || sinceRateLimit < pauseMs) {
          // Nothing to start (wait for a call to end, which may queue a retry), or cooling down after a 429.
          await Promise.race([
            ...running,
            sleep(next ? pauseMs - sinceRateLimit : 1_000, undefined, { signal: ctx.signal }),
          ]);
          continue;
        }
        const rendered = renderer.render({ ...next.review });
        if (!rendered.ok) throw new Error(`bench review ${next.review.id} misses ${rendered.missing.join(', ')}`);
        const cost = rendered.promptTokenEstimate + ctx.pipeline.model.maxTokens;
        refill();
        if (requests.level < 1 || tokens.level < cost) {
          const waitMs = Math.max((1 - requests.level) / requests.rate, (cost - tokens.level) / tokens.rate, 1);
          await sleep(Math.ceil(waitMs), undefined, { signal: ctx.signal });
          continue;
        }
        requests.level -= 1;
        tokens.level -= cost;
        (retries[0] === next ? retries : queue).shift();
        inFlight++;
        const call: Promise<void> = attempt(next, rendered.messages, rendered.promptTokenEstimate).finally(() => {
          inFlight--;
          running.delete(call);
        });
        running.add(call);
      }
    },
    limit: () => inFlight,
    cap: () => 100_000,
  };
}
