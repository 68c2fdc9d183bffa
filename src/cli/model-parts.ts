/**
 * The online model stack of a job, shared by `sluice run` online (build-job.ts) and the batch mode's online work
 * (re-asks, fallback: src/batch): the API key, the endpoint, the model client (LangChain, or undici when
 * `model.client: undici`), the limiter (adaptive, or fixed with pacing) and the telemetry observer of model calls.
 */
import { metrics, type Context } from '@opentelemetry/api';
import { resolveApiKey } from '../config/api-key.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { createLimiter } from '../limiter/create-limiter.ts';
import type { Limiter } from '../limiter/limiter.ts';
import type { CallObserver } from '../llm/call-observer.ts';
import { createLangChainClient } from '../llm/langchain-client.ts';
import type { ModelClient } from '../llm/model-client.ts';
import { createUndiciClient } from '../llm/undici-client.ts';
import { combineCallObservers } from '../telemetry/combine-call-observers.ts';
import { createCallMetricsObserver } from '../telemetry/call-metrics-observer.ts';
import { createOtelCallObserver } from '../telemetry/otel-call-observer.ts';

export interface ModelParts {
  readonly apiKey: string;
  /** `model.baseUrl`, else OPENAI_BASE_URL, else undefined (OpenAI itself). */
  readonly baseUrl: string | undefined;
  readonly client: ModelClient;
  readonly limiter: Limiter;
  readonly observer: CallObserver;
}

/** `closers` receives what must be released when the job ends (the undici pool). */
export function createModelParts(config: PipelineConfig, options: { recordContent?: boolean; traceParent?: Context }, closers: Array<() => Promise<void>>): ModelParts {
  const apiKey = resolveApiKey(config.model, process.env);
  const baseUrl = config.model.baseUrl ?? (process.env.OPENAI_BASE_URL || undefined);
  const undiciClient = config.model.client === 'undici' ? createUndiciClient({ model: config.model, baseUrl, apiKey, connections: config.maxConcurrency }) : undefined;
  if (undiciClient) closers.push(() => undiciClient.close());
  const client = undiciClient ?? createLangChainClient({ model: config.model, baseUrl, apiKey });
  const limiter =
    config.concurrency === 'auto'
      ? createLimiter({ algorithm: 'auto', maxLimit: config.maxConcurrency })
      : createLimiter({ algorithm: 'fixed', initialLimit: config.concurrency, maxLimit: config.concurrency, pacing: true });
  const observer = combineCallObservers(
    createOtelCallObserver({ recordContent: options.recordContent, serverAddress: baseUrl, parentContext: options.traceParent }),
    createCallMetricsObserver(metrics.getMeter('sluice'), { serverAddress: baseUrl }),
  );
  return { apiKey, baseUrl, client, limiter, observer };
}
