import type { AIMessage } from '@langchain/core/messages';
import type { ChatGeneration, LLMResult } from '@langchain/core/outputs';
import { setMaxListeners } from 'node:events';
import { ChatOpenAI, type ChatOpenAICallOptions } from '@langchain/openai';
import type { ModelConfig } from '../config/pipeline-schema.ts';
import { answerFromMessage, type Answer } from '../llm/answer.ts';
import { structuredOutputFields } from '../llm/chat-body.ts';
import { describeChain, makeRedactor } from '../llm/error-text.ts';
import { createHeaderCapture, type CapturedExchange } from '../llm/header-capture.ts';
import { toLangChainMessages } from '../llm/langchain-client.ts';
import type { ChatMessage, JsonSchema } from '../llm/model-client.ts';

/**
 * `langchain-batch`, the bench's LangChain peer (bench/strategies/langchain-batch.ts): what a LangChain user writes by hand —
 * `new ChatOpenAI({ model, apiKey, configuration: { baseURL } }).batch(inputs, { maxConcurrency, response_format },
 * { returnExceptions: true })` — with LangChain's own defaults: its AsyncCaller retries (6 retries, p-retry backoff
 * 1 s·2ⁿ × [1, 2) honouring Retry-After, no retry on 400/401/402/403/404/405/406/407/409/413, insufficient_quota,
 * or a 429 without Retry-After — core 1.4's AsyncCaller treats that as capacity pressure and gives up at once),
 * NOT sluice's retry layer. Same request body as the ModelClient (model, temperature, max_tokens, the same
 * `response_format`/tools for the schema) and the same per-attempt timeout (`model.timeoutMs`, the SDK's `timeout`).
 *
 * Measurement only, not a second retry layer: each item carries its own header-capture tag (per-item batch
 * config `options.headers`), so `onAttempt(index)` sees every HTTP attempt LangChain makes for it, retries
 * included; `onSettled(index, outcome)` runs once per item when LangChain's model run for it ended (the run's
 * `handleLLMEnd`/`handleLLMError` callbacks, i.e. when the answer exists in the process — `.batch` itself hands
 * all answers back only when the last one is in). Items that settled without a callback (abort) are settled from
 * the batch's own result.
 *
 * Bench only: it imports LangChain directly because what it measures is LangChain's own `.batch` and retries,
 * which sluice's port (llm/langchain-client.ts) deliberately turns off (docs/architecture.md, house rule 6).
 */
export interface LangChainBatchOptions {
  readonly model: ModelConfig;
  /** OpenAI-compatible base URL (`…/v1`). Absent: OpenAI itself. */
  readonly baseUrl?: string;
  readonly apiKey: string;
  readonly fetch?: typeof globalThis.fetch;
  readonly schema: JsonSchema;
  readonly schemaName: string;
  /** `.batch`'s `maxConcurrency`: items in LangChain's model runs at once (retry backoffs included). */
  readonly maxConcurrency: number;
  readonly signal?: AbortSignal;
  /** An HTTP attempt for item `index` is about to be sent; returns what to call once it ended (status 0: no response). */
  readonly onAttempt?: (index: number) => (exchange: CapturedExchange) => void;
  /** Item `index` settled: called exactly once per item, before `runLangChainBatch` resolves. */
  readonly onSettled?: (index: number, outcome: LangChainBatchOutcome) => void;
}

/** An item's fate: the answer (`parsed` only when it is valid JSON), or the error LangChain gave up with (redacted). */
export type LangChainBatchOutcome =
  | { readonly ok: true; readonly answer: Answer }
  | { readonly ok: false; readonly message: string; readonly status?: number };

export async function runLangChainBatch(
  options: LangChainBatchOptions,
  inputs: readonly (readonly ChatMessage[])[],
): Promise<LangChainBatchOutcome[]> {
  const { model, apiKey } = options;
  const redact = makeRedactor(apiKey);
  const capture = createHeaderCapture(options.fetch ?? globalThis.fetch);
  // LangChain's defaults on purpose (no maxRetries: its AsyncCaller retries); the request body matches the ModelClient's.
  const chat = new ChatOpenAI({
    model: model.name,
    apiKey,
    temperature: model.temperature,
    maxTokens: model.maxTokens,
    timeout: model.timeoutMs,
    configuration: { baseURL: options.baseUrl, fetch: capture.fetch },
  });
  const structured = structuredOutputFields(model.structuredOutput, options.schema, options.schemaName);
  // `.batch` hands the signal to every item's run, one abort listener each: a child signal without the default
  // cap of 10 listeners (Node warns of a leak otherwise).
  const signal = options.signal ? AbortSignal.any([options.signal]) : undefined;
  if (signal) setMaxListeners(0, signal);
  const outcomes: (LangChainBatchOutcome | undefined)[] = Array.from({ length: inputs.length }, () => undefined);
  const exchanges = inputs.map((_, index) =>
    capture.begin(options.onAttempt ? { onAttempt: () => options.onAttempt!(index) } : undefined),
  );
  const settle = (index: number, outcome: LangChainBatchOutcome): void => {
    if (outcomes[index] !== undefined) return;
    outcomes[index] = outcome;
    exchanges[index]?.end();
    options.onSettled?.(index, outcome);
  };
  const failure = (error: unknown): LangChainBatchOutcome => {
    const status = (error as { status?: unknown } | null)?.status;
    return { ok: false, message: redact(describeChain(error)), ...(typeof status === 'number' ? { status } : {}) };
  };
  const success = (message: AIMessage): LangChainBatchOutcome => ({
    ok: true,
    answer: answerFromMessage(message, model.structuredOutput),
  });
  const configs = inputs.map(
    (_, index) =>
      ({
        ...structured,
        maxConcurrency: options.maxConcurrency,
        signal,
        options: { headers: exchanges[index]?.tagHeaders },
        callbacks: [
          {
            handleLLMEnd: (result: LLMResult) => {
              const generation = result.generations[0]?.[0] as ChatGeneration | undefined;
              settle(
                index,
                generation?.message
                  ? success(generation.message as AIMessage)
                  : failure(new Error('LangChain returned no generation')),
              );
            },
            handleLLMError: (error: unknown) => settle(index, failure(error)),
          },
        ],
      }) as Partial<ChatOpenAICallOptions>,
  );
  let results: (AIMessage | Error)[];
  try {
    results = (await chat.batch(inputs.map(toLangChainMessages), configs, { returnExceptions: true })) as (
      | AIMessage
      | Error
    )[];
  } finally {
    for (const exchange of exchanges) exchange.end();
  }
  return results.map((result, index) => {
    settle(index, result instanceof Error ? failure(result) : success(result));
    return outcomes[index]!;
  });
}
