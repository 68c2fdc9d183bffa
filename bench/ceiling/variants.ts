/**
 * The clients compared by bench/client-ceiling.ts, each run over the same records against the same endpoint at
 * the same concurrency. Each resolves to the number of records that got a valid answer (checked by the caller).
 *
 * - pipeline: the assembled stages in-process, as `sluice run` builds them (build-job.ts): file source →
 *   read-lines → parse-json → llm-map (LangChain client, limiter, retry layer, the same no-op telemetry observers)
 *   → serialize-json → routing sink (file output + dead-letter file), under `stream.pipeline`; with the LangChain
 *   client (default) or the lean undici client (`model.client: undici`).
 * - langchain: `ChatOpenAI(...).withStructuredOutput(schema, { method: 'jsonSchema', includeRaw: true })`
 *   invoked once per record with the same rendered prompt, p-limit at the same concurrency.
 * - undici: an undici Pool (keep-alive, `connections` = concurrency) posting the same JSON bodies the OpenAI SDK
 *   sends, parsing the answer JSON — the floor of what any Node client has to pay.
 */
import { pipeline as streamPipeline } from 'node:stream/promises';
import { metrics } from '@opentelemetry/api';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import pLimit from 'p-limit';
import { Pool } from 'undici';
import type { PipelineConfig } from '../../src/config/pipeline-schema.ts';
import { RunStats } from '../../src/core/run-stats.ts';
import { createLimiter } from '../../src/limiter/create-limiter.ts';
import { createLangChainClient } from '../../src/llm/langchain-client.ts';
import { createUndiciClient } from '../../src/llm/undici-client.ts';
import type { ChatMessage } from '../../src/llm/model-client.ts';
import { createPromptRenderer } from '../../src/llm/prompt.ts';
import { deadLetterSink } from '../../src/sinks/dead-letter.ts';
import { fileSink } from '../../src/sinks/file.ts';
import { routingSink } from '../../src/sinks/routing.ts';
import { fileSource } from '../../src/sources/file.ts';
import { llmMap } from '../../src/stages/llm-map.ts';
import { parseJsonLines } from '../../src/stages/parse-json.ts';
import { readLines } from '../../src/stages/read-lines.ts';
import { serializeJson } from '../../src/stages/serialize-json.ts';
import { combineCallObservers } from '../../src/telemetry/combine-call-observers.ts';
import { createCallMetricsObserver } from '../../src/telemetry/call-metrics-observer.ts';
import { createOtelCallObserver } from '../../src/telemetry/otel-call-observer.ts';

export interface CeilingInput {
  readonly pipeline: PipelineConfig;
  /** Base URL of the simulator, ending in /v1. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** JSON Lines file with the records (the pipeline reads it); the same records parsed, for the loops. */
  readonly inputPath: string;
  readonly records: readonly Record<string, unknown>[];
}

export type Concurrency = number | 'auto';

/** The whole pipeline, in-process. Resolves to the records written to the output (dead letters excluded). */
export async function runPipeline(input: CeilingInput, concurrency: Concurrency, outputPath: string, deadLetterPath: string, backend: 'langchain' | 'undici' = 'langchain'): Promise<number> {
  const config: PipelineConfig = { ...input.pipeline, concurrency, model: { ...input.pipeline.model, baseUrl: input.baseUrl, client: backend } };
  const stats = new RunStats();
  const undici = backend === 'undici' ? createUndiciClient({ model: config.model, baseUrl: input.baseUrl, apiKey: input.apiKey }) : undefined;
  const client = undici ?? createLangChainClient({ model: config.model, baseUrl: input.baseUrl, apiKey: input.apiKey });
  const limiter =
    concurrency === 'auto'
      ? createLimiter({ algorithm: 'auto', maxLimit: config.maxConcurrency })
      : createLimiter({ algorithm: 'fixed', initialLimit: concurrency, maxLimit: concurrency, pacing: true });
  const observer = combineCallObservers(
    createOtelCallObserver({ serverAddress: input.baseUrl }),
    createCallMetricsObserver(metrics.getMeter('sluice-bench'), { serverAddress: input.baseUrl }),
  );
  const limit = concurrency === 'auto' ? config.maxConcurrency : concurrency;
  const origin = { kind: 'file', path: input.inputPath } as const;
  const run = streamPipeline as (...args: unknown[]) => Promise<void>;
  try {
    await run(
      fileSource(input.inputPath),
      readLines({ maxLineBytes: config.input.maxLineBytes, origin, stats }),
      parseJsonLines({ idField: config.input.idField }),
      // Same read-ahead window as build-job.ts (4× the limit ordered).
      llmMap({ pipeline: config, client, limiter, observer, stats, ordered: config.ordered, window: (config.ordered ? 4 : 2) * limit }),
      serializeJson(),
      routingSink({ output: fileSink(outputPath), deadLetter: deadLetterSink(deadLetterPath), stats }),
    );
  } finally {
    await undici?.close();
  }
  if (stats.deadLetters > 0) throw new Error(`pipeline: ${stats.deadLetters} dead letters against the null simulator`);
  return stats.recordsOut;
}

function toLangChain(messages: readonly ChatMessage[]): BaseMessage[] {
  return messages.map((m) => (m.role === 'system' ? new SystemMessage(m.content) : m.role === 'user' ? new HumanMessage(m.content) : new AIMessage(m.content)));
}

/** A bare LangChain loop: structured output, includeRaw, p-limit. Resolves to the answers that parsed. */
export async function runBareLangChain(input: CeilingInput, concurrency: number): Promise<number> {
  const { pipeline } = input;
  const renderer = createPromptRenderer(pipeline.prompt);
  const chat = new ChatOpenAI({
    model: pipeline.model.name,
    apiKey: input.apiKey,
    temperature: pipeline.model.temperature,
    maxTokens: pipeline.model.maxTokens,
    maxRetries: 0,
    timeout: pipeline.model.timeoutMs,
    configuration: { baseURL: input.baseUrl },
  });
  const structured = chat.withStructuredOutput(pipeline.output.schema, { name: pipeline.output.schemaName, method: 'jsonSchema', includeRaw: true });
  const limit = pLimit(concurrency);
  let ok = 0;
  await Promise.all(
    input.records.map((record) =>
      limit(async () => {
        const rendered = renderer.render(record);
        if (!rendered.ok) throw new Error('record lacks a prompt field');
        const answer = (await structured.invoke(toLangChain(rendered.messages))) as { parsed?: unknown };
        if (answer.parsed !== undefined && answer.parsed !== null) ok++;
      }),
    ),
  );
  return ok;
}

/** A raw undici Pool loop posting the chat-completions body the SDK would send. */
export async function runRawUndici(input: CeilingInput, concurrency: number): Promise<number> {
  const { pipeline } = input;
  const renderer = createPromptRenderer(pipeline.prompt);
  const url = new URL(input.baseUrl.replace(/\/?$/, '/') + 'chat/completions');
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${input.apiKey}` };
  const responseFormat = { type: 'json_schema', json_schema: { name: pipeline.output.schemaName, schema: pipeline.output.schema, strict: true } };
  const limit = pLimit(concurrency);
  let ok = 0;
  try {
    await Promise.all(
      input.records.map((record) =>
        limit(async () => {
          const rendered = renderer.render(record);
          if (!rendered.ok) throw new Error('record lacks a prompt field');
          const body = JSON.stringify({
            model: pipeline.model.name,
            messages: rendered.messages,
            temperature: pipeline.model.temperature,
            max_tokens: pipeline.model.maxTokens,
            response_format: responseFormat,
          });
          const response = await pool.request({ path: url.pathname, method: 'POST', headers, body });
          const completion = (await response.body.json()) as { choices?: Array<{ message?: { content?: string } }> };
          if (response.statusCode !== 200) throw new Error(`undici: HTTP ${response.statusCode}`);
          const content = completion.choices?.[0]?.message?.content;
          if (content && JSON.parse(content)) ok++;
        }),
      ),
    );
  } finally {
    await pool.close();
  }
  return ok;
}
