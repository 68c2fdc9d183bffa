/**
 * A ModelClient decorator that puts every HTTP attempt under the BudgetGuard: reserve the worst case before the
 * request starts, settle with the real usage after (0 for a failed attempt).
 *
 * Prompt tokens of the worst case: the larger of the provider-style estimate (chars/4, `promptTokenEstimate`) and
 * the real tokenizer's count (js-tiktoken; Chinese text runs ~2.5× chars/4), plus the answer schema's tokens
 * (structured-output schemas are part of the prompt the provider bills).
 *
 * A refused request never reaches the provider: the guard trips (the job stops reading and starting calls) and
 * the call fails at once with CallNotStarted. Its record comes out of llm-map not started, and `dropNotStarted`
 * removes it before the sinks: it is neither written nor acked, so `--resume` does it later, while the answers
 * already paid for drain and are written normally (core/admission-gate).
 */
import { CallNotStarted } from '../core/admission-gate.ts';
import type { ModelClient, ModelRequest, ModelResponse } from '../llm/model-client.ts';
import type { BudgetGuard } from './budget-guard.ts';
import type { TokenCounter } from './token-count.ts';

export function budgetClient(inner: ModelClient, guard: BudgetGuard, counter: TokenCounter): ModelClient {
  const schemaTokens = new WeakMap<object, number>();
  const tokensOfSchema = (schema: object): number => {
    let n = schemaTokens.get(schema);
    if (n === undefined) schemaTokens.set(schema, (n = counter.count(JSON.stringify(schema))));
    return n;
  };
  return {
    model: inner.model,
    provider: inner.provider,
    async call(request: ModelRequest): Promise<ModelResponse> {
      const prompt =
        Math.max(request.promptTokenEstimate, counter.countMessages(request.messages)) + tokensOfSchema(request.schema);
      const reservation = await guard.reserve(guard.worstCaseUsd(prompt, request.maxTokens), request.signal);
      if (!reservation) throw new CallNotStarted(`budget of $${guard.capUsd} reached, request not started`);
      let response: ModelResponse | undefined;
      try {
        response = await inner.call(request);
        return response;
      } finally {
        guard.settle(reservation, response?.usage ?? { inputTokens: 0, outputTokens: 0 });
      }
    },
  };
}
