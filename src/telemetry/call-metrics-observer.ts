/**
 * A CallObserver that records latency and token histograms for every model call — the "model latency
 * histogram" of the run metrics. Combine it with the span observer via `combineCallObservers`.
 *
 *   gen_ai.client.operation.duration  s        per logical call: every attempt, limiter wait and backoff
 *                                               (GenAI convention; `error.type` set when the call failed)
 *   gen_ai.client.token.usage         {token}  per call, `gen_ai.token.type` = input | output (GenAI convention)
 *   sluice.model.latency              s        per attempt: model time only (`error.type` = reason on failure)
 *   sluice.limiter.wait               s        per permit wait, including zero waits
 *
 * Bucket boundaries are the ones the GenAI conventions recommend (attributes.ts), given as instrument advice
 * so no SDK view is needed. Attributes are low-cardinality (no record ids).
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type { AttemptResult, CallEnd, CallInfo, CallObserver, CallScope } from '../llm/call-observer.ts';
import * as A from './attributes.ts';
import { parseServerAddress } from './otel-call-observer.ts';

export interface CallMetricsObserverOptions {
  /** The model endpoint (base URL or host[:port]); only host and port become attributes. */
  readonly serverAddress?: string;
  /** Monotonic-enough clock in ms, injectable for tests. */
  readonly now?: () => number;
}

interface Instruments {
  readonly operationDuration: Histogram;
  readonly tokenUsage: Histogram;
  readonly modelLatency: Histogram;
  readonly limiterWait: Histogram;
}

export function createCallMetricsObserver(meter: Meter, options: CallMetricsObserverOptions = {}): CallObserver {
  const now = options.now ?? Date.now;
  const server = options.serverAddress === undefined ? undefined : parseServerAddress(options.serverAddress);
  const instruments: Instruments = {
    operationDuration: meter.createHistogram(A.METRIC_GEN_AI_OPERATION_DURATION, {
      unit: 's',
      description: 'GenAI operation duration: the logical call, all retries and waits included.',
      advice: { explicitBucketBoundaries: A.DURATION_BUCKETS_S },
    }),
    tokenUsage: meter.createHistogram(A.METRIC_GEN_AI_TOKEN_USAGE, {
      unit: '{token}',
      description: 'Number of input and output tokens used per call.',
      advice: { explicitBucketBoundaries: A.TOKEN_BUCKETS },
    }),
    modelLatency: meter.createHistogram(A.METRIC_MODEL_LATENCY, {
      unit: 's',
      description: 'Model time of one attempt, limiter wait and backoff excluded.',
      advice: { explicitBucketBoundaries: A.DURATION_BUCKETS_S },
    }),
    limiterWait: meter.createHistogram(A.METRIC_LIMITER_WAIT, {
      unit: 's',
      description: 'Time one attempt waited for a limiter permit.',
      advice: { explicitBucketBoundaries: [0, ...A.DURATION_BUCKETS_S] },
    }),
  };
  return {
    startCall(info: CallInfo): CallScope {
      const base: Attributes = {
        [A.GEN_AI_OPERATION_NAME]: A.GEN_AI_OPERATION_CHAT,
        [A.GEN_AI_PROVIDER_NAME]: info.provider,
        [A.GEN_AI_REQUEST_MODEL]: info.model,
      };
      if (server) {
        base[A.SERVER_ADDRESS] = server.address;
        if (server.port !== undefined) base[A.SERVER_PORT] = server.port;
      }
      return new CallMetricsScope(instruments, base, now);
    },
  };
}

class CallMetricsScope implements CallScope {
  readonly #instruments: Instruments;
  readonly #base: Attributes;
  readonly #now: () => number;
  readonly #startedAt: number;
  #ended = false;

  constructor(instruments: Instruments, base: Attributes, now: () => number) {
    this.#instruments = instruments;
    this.#base = base;
    this.#now = now;
    this.#startedAt = now();
  }

  permitWaited(ms: number): void {
    if (this.#ended) return;
    this.#instruments.limiterWait.record(Math.max(0, ms) / 1000, this.#base);
  }

  attemptStarted(): void {}

  attemptEnded(result: AttemptResult): void {
    if (this.#ended) return;
    const attributes = result.reason === undefined ? this.#base : { ...this.#base, [A.ERROR_TYPE]: result.reason };
    this.#instruments.modelLatency.record(Math.max(0, result.latencyMs) / 1000, attributes);
  }

  end(result: CallEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const attributes: Attributes = { ...this.#base };
    if (result.responseModel !== undefined) attributes[A.GEN_AI_RESPONSE_MODEL] = result.responseModel;
    if (!result.ok) attributes[A.ERROR_TYPE] = result.errorType ?? 'unknown';
    this.#instruments.operationDuration.record(Math.max(0, this.#now() - this.#startedAt) / 1000, attributes);
    if (result.usage) {
      this.#instruments.tokenUsage.record(result.usage.inputTokens, { ...attributes, [A.GEN_AI_TOKEN_TYPE]: 'input' });
      this.#instruments.tokenUsage.record(result.usage.outputTokens, { ...attributes, [A.GEN_AI_TOKEN_TYPE]: 'output' });
    }
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
}
