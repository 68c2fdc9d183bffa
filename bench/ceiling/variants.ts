/**
 * The clients compared by bench/client-ceiling.ts, each run over the same records against the same endpoint at
 * the same concurrency. Each resolves to the number of records that got a valid answer (checked by the caller).
 *
 * - pipeline: the job `sluice run` builds (cli/build-job.ts), in-process: file source → read-lines → parse-json →
 *   llm-map (client, limiter, retry layer, the CLI's telemetry observers) → stamp → serialize-json → routing sink
 *   (file output + dead-letter file), under the CLI's runner; with the LangChain client (default) or the lean
 *   undici client (`model.client: undici`).
 * - langchain: `ChatOpenAI(...).withStructuredOutput(schema, { method: 'jsonSchema', includeRaw: true })`
 *   invoked once per record with the same rendered prompt, p-limit at the same concurrency.
 * - undici: an undici Pool (keep-alive, `connections` = concurrency) posting the same JSON bodies the OpenAI SDK
 *   sends, parsing the answer JSON — the floor of what any Node client has to pay.
 * The two bare loops do the same job as the pipeline around their client (bareJob): the input file is read and
 * parsed, the answers written to a file — so "pipeline minus bare loop" is what sluice adds, not the job's own I/O.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { ChatOpenAI } from '@langchain/openai';
import pLimit from 'p-limit';
import { Pool } from 'undici';
import { buildJob } from '../../src/cli/build-job.ts';
import type { RunOptions } from '../../src/cli/run-job.ts';
import type { PipelineConfig } from '../../src/config/pipeline-schema.ts';
import { startPipeline } from '../../src/core/run-pipeline.ts';
import { RunStats } from '../../src/core/run-stats.ts';
import { toLangChainMessages } from '../../src/llm/langchain-client.ts';
import type { ChatMessage } from '../../src/llm/model-client.ts';
import { createPromptRenderer } from '../../src/llm/prompt.ts';

export interface CeilingInput {
  readonly pipeline: PipelineConfig;
  /** Base URL of the simulator, ending in /v1. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The pipeline file `pipeline` was loaded from (dead letters record it). */
  readonly pipelinePath: string;
  /** JSON Lines file with the records: the pipeline and the bare loops read it. */
  readonly inputPath: string;
}

export type Concurrency = number | 'auto';

/**
 * The whole pipeline, in-process, assembled by the CLI's own `buildJob` (cli/build-job.ts) and run by
 * `startPipeline` exactly as `sluice run -i INPUT -o OUTPUT` runs it — same stages, limiter, window, observers and
 * sinks — without the CLI's start-up, progress line and summary. Resolves to the records written to the output.
 */
export async function runPipeline(
  input: CeilingInput,
  concurrency: Concurrency,
  outputPath: string,
  deadLetterPath: string,
  backend: 'langchain' | 'undici' = 'langchain',
): Promise<number> {
  const config: PipelineConfig = {
    ...input.pipeline,
    concurrency,
    model: { ...input.pipeline.model, baseUrl: input.baseUrl, client: backend },
  };
  const stats = new RunStats();
  const options: RunOptions = {
    pipeline: input.pipelinePath,
    input: input.inputPath,
    output: outputPath,
    deadLetter: deadLetterPath,
    grace: 30,
    progress: false,
  };
  const job = await buildJob(config, options, stats);
  try {
    await startPipeline(job.parts, { graceMs: 30_000 }).done;
  } finally {
    await job.close();
  }
  if (stats.deadLetters > 0) throw new Error(`pipeline: ${stats.deadLetters} dead letters against the null simulator`);
  return stats.recordsOut;
}

/**
 * What every bare loop does around its client, as a user's script over the same job would: read the JSON Lines
 * input line by line, parse each record, render the prompt, call through p-limit at `concurrency`, write
 * `{"id","result"}` per answer to the output file (as answers come). Resolves to the answers that parsed.
 */
async function bareJob(
  input: CeilingInput,
  concurrency: number,
  outputPath: string,
  answer: (messages: ChatMessage[]) => Promise<unknown>,
): Promise<number> {
  const renderer = createPromptRenderer(input.pipeline.prompt);
  const limit = pLimit(concurrency);
  const output = createWriteStream(outputPath);
  const calls: Promise<void>[] = [];
  let ok = 0;
  for await (const line of createInterface({ input: createReadStream(input.inputPath), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    calls.push(
      limit(async () => {
        const rendered = renderer.render(record);
        if (!rendered.ok) throw new Error('record lacks a prompt field');
        const result = await answer(rendered.messages);
        if (result === undefined || result === null) return;
        ok++;
        output.write(`${JSON.stringify({ id: record.id, result })}\n`);
      }),
    );
  }
  await Promise.all(calls);
  output.end();
  await finished(output);
  return ok;
}

/** A bare LangChain loop: structured output, includeRaw, p-limit, file in and out (bareJob). */
export async function runBareLangChain(input: CeilingInput, concurrency: number, outputPath: string): Promise<number> {
  const { pipeline } = input;
  const chat = new ChatOpenAI({
    model: pipeline.model.name,
    apiKey: input.apiKey,
    temperature: pipeline.model.temperature,
    maxTokens: pipeline.model.maxTokens,
    maxRetries: 0,
    timeout: pipeline.model.timeoutMs,
    configuration: { baseURL: input.baseUrl },
  });
  const structured = chat.withStructuredOutput(pipeline.output.schema, {
    name: pipeline.output.schemaName,
    method: 'jsonSchema',
    includeRaw: true,
  });
  return bareJob(
    input,
    concurrency,
    outputPath,
    async (messages) => ((await structured.invoke(toLangChainMessages(messages))) as { parsed?: unknown }).parsed,
  );
}

/** A raw undici Pool loop posting the chat-completions body the SDK would send, file in and out (bareJob). */
export async function runRawUndici(input: CeilingInput, concurrency: number, outputPath: string): Promise<number> {
  const { pipeline } = input;
  const url = new URL(`${input.baseUrl.replace(/\/?$/, '/')}chat/completions`);
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${input.apiKey}` };
  const responseFormat = {
    type: 'json_schema',
    json_schema: { name: pipeline.output.schemaName, schema: pipeline.output.schema, strict: true },
  };
  try {
    return await bareJob(input, concurrency, outputPath, async (messages) => {
      const body = JSON.stringify({
        model: pipeline.model.name,
        messages,
        temperature: pipeline.model.temperature,
        max_tokens: pipeline.model.maxTokens,
        response_format: responseFormat,
      });
      const response = await pool.request({ path: url.pathname, method: 'POST', headers, body });
      const completion = (await response.body.json()) as { choices?: Array<{ message?: { content?: string } }> };
      if (response.statusCode !== 200) throw new Error(`undici: HTTP ${response.statusCode}`);
      const content = completion.choices?.[0]?.message?.content;
      return content ? (JSON.parse(content) as unknown) : undefined;
    });
  } finally {
    await pool.close();
  }
}
