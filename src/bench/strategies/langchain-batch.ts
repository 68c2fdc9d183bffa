/**
 * `langchain-batch`: the peer a LangChain user writes by hand — `ChatOpenAI(...).batch(inputs, { maxConcurrency:
 * 50 }, { returnExceptions: true })` with LangChain's own retries (its AsyncCaller), not sluice's retry layer
 * (`runLangChainBatch` in bench/langchain-batch-run.ts; this file does not import LangChain, docs/architecture.md house rule 6).
 *
 * Measured like the others, from the outside: every HTTP attempt LangChain makes (retries included) is counted
 * by the recorder at the fetch level; an item's latency runs from its first HTTP attempt to the end of
 * LangChain's model run for it (its answer exists in the process; `.batch` itself returns every answer only at
 * the end). An item is successful when LangChain returned an answer that is valid JSON; one that ends as an
 * Error (returnExceptions) is a failed record.
 *
 * Time scale: LangChain's backoff (1 s·2ⁿ × [1, 2), at least the Retry-After hint) is the real library's and is
 * NOT scaled by the simulator's time scale, so against a time-scaled simulator it waits relatively longer than
 * the scaled strategies; the per-attempt timeout is the pipeline's (scaled).
 */
import { runLangChainBatch } from '../langchain-batch-run.ts';
import type { ChatMessage } from '../../llm/model-client.ts';
import { createPromptRenderer } from '../../llm/prompt.ts';
import type { Strategy, StrategyContext } from '../strategy.ts';

/** The bench simulator accepts any key; the same placeholder the harness gives its clients. */
const BENCH_API_KEY = 'sk-bench-0000000000';

export function langchainBatchStrategy(maxConcurrency = 50): Strategy {
  return {
    name: 'langchain-batch',
    description: `LangChain .batch with maxConcurrency ${maxConcurrency}, LangChain's own retries (backoff not time-scaled)`,
    async run(ctx: StrategyContext) {
      const renderer = createPromptRenderer(ctx.pipeline.prompt);
      const inputs: ChatMessage[][] = ctx.reviews.map((review) => {
        const rendered = renderer.render({ ...review });
        if (!rendered.ok) throw new Error(`bench review ${review.id} misses ${rendered.missing.join(', ')}`);
        return rendered.messages;
      });
      const idOf = (index: number): string => {
        const review = ctx.reviews[index];
        if (!review) throw new RangeError(`langchain-batch: no review at index ${index}`);
        return review.id;
      };
      await runLangChainBatch(
        {
          model: ctx.pipeline.model,
          baseUrl: ctx.pipeline.model.baseUrl,
          apiKey: BENCH_API_KEY,
          schema: ctx.pipeline.output.schema,
          schemaName: ctx.pipeline.output.schemaName,
          maxConcurrency,
          signal: ctx.signal,
          onAttempt: (index) => {
            const ended = ctx.recorder.attemptStarted([idOf(index)]);
            // A 2xx whose body broke off (reset mid-body) is a failed attempt too.
            return (exchange) =>
              ended({
                ok: exchange.status >= 200 && exchange.status < 300 && exchange.transportError === undefined,
                status: exchange.status,
              });
          },
          onSettled: (index, outcome) =>
            ctx.recorder.itemDone(idOf(index), outcome.ok && outcome.answer.parsed !== undefined),
        },
        inputs,
      );
      ctx.signal.throwIfAborted();
    },
    limit: () => maxConcurrency,
    cap: () => maxConcurrency,
  };
}
