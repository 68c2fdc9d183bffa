/**
 * Ordered vs unordered llm-map, measured in the same run as the other stages (bench/stages.ts):
 *
 * - over a fake zero-latency ModelClient (answers on the next macrotask): the stage's own cost per record
 *   (prompt rendering, limiter, retry layer, validation, window bookkeeping);
 * - over a fake client with stragglers (every 100th record answers after 20 ms): what head-of-line blocking
 *   costs the ordered mode;
 * - over the simulator's `null` profile in its own process, through the LangChain client: the real per-record
 *   cost including HTTP.
 *
 * Same limiter (fixed 64) and the read-ahead windows build-job.ts ships (4× the limit ordered, 2× unordered).
 * Subsets of the records keep each case to a few seconds; rates stay comparable within a pair.
 */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import type { PipelineConfig } from '../../src/config/pipeline-schema.ts';
import { parsePipeline } from '../../src/config/load-pipeline.ts';
import type { Envelope } from '../../src/core/envelope.ts';
import { RunStats } from '../../src/core/run-stats.ts';
import { fromArray } from '../../src/core/stage.ts';
import { createLimiter } from '../../src/limiter/create-limiter.ts';
import { createLangChainClient } from '../../src/llm/langchain-client.ts';
import type { ModelClient, ModelRequest, ModelResponse } from '../../src/llm/model-client.ts';
import { llmMap } from '../../src/stages/llm-map.ts';
import type { BenchCase, BenchRow } from './measure.ts';
import { lazySimulator } from './lazy-simulator.ts';

export interface LlmMapBenchInput {
  /** Parsed review envelopes, ready for llm-map. */
  readonly envelopes: readonly Envelope<Record<string, unknown>>[];
  readonly bytes: number;
}

const CONCURRENCY = 64;
const FAKE_RECORDS = 20_000;
const STRAGGLER_RECORDS = 5_000;
const SIM_RECORDS = 1_000;
const ANSWER = { sentiment: 'positive', features: ['quality'], suggestion: '' };
const API_KEY = 'sk-bench-stages';

function loadPipeline(baseUrl?: string): PipelineConfig {
  const text = readFileSync(fileURLToPath(new URL('../../pipelines/review-insights.yaml', import.meta.url)), 'utf8');
  return parsePipeline(
    text,
    { OPENAI_API_KEY: API_KEY, ...(baseUrl && { SLUICE_BASE_URL: baseUrl }) },
    'pipelines/review-insights.yaml',
  );
}

/** Answers every request with a valid review analysis after `delayMs(request)` (0: next macrotask). */
function fakeClient(delayMs: (request: ModelRequest) => number): ModelClient {
  const raw = JSON.stringify(ANSWER);
  return {
    model: 'fake',
    provider: 'fake',
    call(request: ModelRequest): Promise<ModelResponse> {
      const response: ModelResponse = {
        raw,
        parsed: { ...ANSWER },
        usage: { inputTokens: request.promptTokenEstimate, outputTokens: 20 },
        model: 'fake',
        finishReason: 'stop',
        headers: {},
        latencyMs: 0,
      };
      const delay = delayMs(request);
      return new Promise((resolve) =>
        delay > 0 ? setTimeout(resolve, delay, response) : setImmediate(resolve, response),
      );
    },
  };
}

async function runLlmMap(
  envelopes: readonly Envelope<Record<string, unknown>>[],
  pipeline: PipelineConfig,
  client: ModelClient,
  ordered: boolean,
): Promise<number> {
  const limiter = createLimiter({ algorithm: 'fixed', initialLimit: CONCURRENCY, maxLimit: CONCURRENCY, pacing: true });
  const stage = llmMap({
    pipeline,
    client,
    limiter,
    stats: new RunStats(),
    ordered,
    window: (ordered ? 4 : 2) * CONCURRENCY,
  });
  let n = 0;
  for await (const envelope of stage(fromArray(envelopes), { signal: new AbortController().signal })) {
    if (envelope.failure)
      throw new Error(`llm-map bench: ${envelope.id} failed: ${envelope.failure.reason} ${envelope.failure.message}`);
    n++;
  }
  return n;
}

export function llmMapCases(input: LlmMapBenchInput): BenchCase[] {
  const pipeline = loadPipeline();
  const sim = lazySimulator();
  const subset = (count: number) => input.envelopes.slice(0, Math.min(count, input.envelopes.length));
  const bytesOf = (count: number) =>
    Math.round((input.bytes * Math.min(count, input.envelopes.length)) / input.envelopes.length);
  const zero = fakeClient(() => 0);
  const straggling = fakeClient((request) => (hash(request.recordIds[0] ?? '') % 100 === 0 ? 20 : 0));
  let simClient: { client: ModelClient; pipeline: PipelineConfig } | undefined;
  const overSim = async () => {
    if (!simClient) {
      const url = await sim.url();
      const simPipeline = loadPipeline(url);
      simClient = {
        pipeline: simPipeline,
        client: createLangChainClient({ model: simPipeline.model, baseUrl: url, apiKey: API_KEY }),
      };
    }
    return simClient;
  };
  const cases: BenchCase[] = [];
  for (const ordered of [true, false]) {
    const mode = ordered ? 'ordered' : 'unordered';
    const window = `window ${(ordered ? 4 : 2) * CONCURRENCY}`;
    cases.push(
      {
        group: 'llm-map (fake zero-latency client)',
        name: `llm-map ${mode}, fixed ${CONCURRENCY}, ${window}`,
        chosen: ordered,
        records: subset(FAKE_RECORDS).length,
        bytes: bytesOf(FAKE_RECORDS),
        notes: 'the stage’s own cost: render, limiter, retry layer, zod validation',
        run: () => runLlmMap(subset(FAKE_RECORDS), pipeline, zero, ordered),
      },
      {
        group: 'llm-map (fake client, 1% stragglers of 20 ms)',
        name: `llm-map ${mode}, fixed ${CONCURRENCY}, ${window}`,
        chosen: ordered,
        records: subset(STRAGGLER_RECORDS).length,
        bytes: bytesOf(STRAGGLER_RECORDS),
        notes: 'head-of-line blocking behind slow records',
        run: () => runLlmMap(subset(STRAGGLER_RECORDS), pipeline, straggling, ordered),
      },
      {
        group: 'llm-map (LangChain client, null simulator)',
        name: `llm-map ${mode}, fixed ${CONCURRENCY}, ${window}`,
        chosen: ordered,
        records: subset(SIM_RECORDS).length,
        bytes: bytesOf(SIM_RECORDS),
        notes: 'simulator in its own process; HTTP + LangChain per record',
        run: async () => {
          const { client, pipeline: simPipeline } = await overSim();
          return runLlmMap(subset(SIM_RECORDS), simPipeline, client, ordered);
        },
      },
    );
  }
  // Group the pairs: ordered and unordered of one client next to each other.
  return cases.sort((a, b) => a.group.localeCompare(b.group));
}

/** FNV-1a: a stable pick of the straggling records (independent of run order). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Placeholder rows shown while `llmMapCases` returns nothing (kept for bench/stages.ts; unused now). */
export function llmMapPlaceholderRows(): BenchRow[] {
  return [];
}
