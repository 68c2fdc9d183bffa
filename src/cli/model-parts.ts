/**
 * The online model stack of a job, shared by `sluice run` online (build-job.ts) and the batch mode's online work
 * (re-asks, fallback: src/batch): the API key, the endpoint, the model client (LangChain, or undici when
 * `model.client: undici`), the limiter (adaptive, or fixed with pacing) and the telemetry observer of model calls.
 * The client and the telemetry modules are imported only when the job uses them: LangChain alone takes longer to
 * load than the rest of the CLI together, and a job on the undici client never needs it.
 */
import { metrics, type Context } from '@opentelemetry/api';
import { resolveApiKey } from '../config/api-key.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { createLimiter } from '../limiter/create-limiter.ts';
import type { Limiter } from '../limiter/limiter.ts';
import { noopObserver, type CallObserver } from '../llm/call-observer.ts';
import type { ModelClient } from '../llm/model-client.ts';
import { telemetryRequested } from '../telemetry/sdk.ts';

export interface ModelParts {
  readonly apiKey: string;
  /** `model.baseUrl`, else OPENAI_BASE_URL, else undefined (OpenAI itself). */
  readonly baseUrl: string | undefined;
  readonly client: ModelClient;
  readonly limiter: Limiter;
  readonly observer: CallObserver;
}

export interface ModelPartsOptions {
  readonly recordContent?: boolean;
  /** `--otel`: telemetry on without OTEL_* variables. */
  readonly otel?: boolean;
  readonly traceParent?: Context;
}

/** `closers` receives what must be released when the job ends (the undici pool). */
export async function createModelParts(
  config: PipelineConfig,
  options: ModelPartsOptions,
  closers: Array<() => Promise<void>>,
): Promise<ModelParts> {
  const apiKey = resolveApiKey(config.model, process.env);
  const baseUrl = config.model.baseUrl ?? (process.env.OPENAI_BASE_URL || undefined);
  const client = await createModelClient(config, baseUrl, apiKey, closers);
  const limiter =
    config.concurrency === 'auto'
      ? createLimiter({ algorithm: 'auto', maxLimit: config.maxConcurrency })
      : createLimiter({
          algorithm: 'fixed',
          initialLimit: config.concurrency,
          maxLimit: config.concurrency,
          pacing: true,
        });
  const observer = telemetryRequested(process.env, options.otel === true)
    ? await telemetryObserver(options, baseUrl)
    : noopObserver;
  return { apiKey, baseUrl, client, limiter, observer };
}

async function createModelClient(
  config: PipelineConfig,
  baseUrl: string | undefined,
  apiKey: string,
  closers: Array<() => Promise<void>>,
): Promise<ModelClient> {
  if (config.model.client === 'undici') {
    const { createUndiciClient } = await import('../llm/undici-client.ts');
    const client = createUndiciClient({ model: config.model, baseUrl, apiKey, connections: config.maxConcurrency });
    closers.push(() => client.close());
    return client;
  }
  const { createLangChainClient } = await import('../llm/langchain-client.ts');
  return createLangChainClient({ model: config.model, baseUrl, apiKey });
}

/**
 * Spans and metrics of every model call, when telemetry is on (the same rule as telemetry/sdk's start). When it is
 * off the OpenTelemetry API is a no-op, and the observers' per-call work (attributes, no-op spans and histograms)
 * would be pure cost: the job gets `noopObserver`, and these modules are not even loaded.
 */
async function telemetryObserver(options: ModelPartsOptions, baseUrl: string | undefined): Promise<CallObserver> {
  const [{ combineCallObservers }, { createCallMetricsObserver }, { createOtelCallObserver }] = await Promise.all([
    import('../telemetry/combine-call-observers.ts'),
    import('../telemetry/call-metrics-observer.ts'),
    import('../telemetry/otel-call-observer.ts'),
  ]);
  return combineCallObservers(
    createOtelCallObserver({
      recordContent: options.recordContent,
      serverAddress: baseUrl,
      parentContext: options.traceParent,
    }),
    createCallMetricsObserver(metrics.getMeter('sluice'), { serverAddress: baseUrl }),
  );
}
