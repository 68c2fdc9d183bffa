/**
 * A CallObserver that records latency and token histograms for every model call — the "model latency
 * histogram" of the run metrics. Combine it with the span observer via `combineCallObservers`.
 *
 *   gen_ai.client.operation.duration  s        per logical call: every attempt, limiter wait and backoff
 *                                               (GenAI convention; `error.type` set when the call failed)
 *   sluice.model.latency              s        per attempt: model time only (`error.type` = reason on failure)
 *   sluice.limiter.wait               s        per permit wait, including zero waits
 *
 * The GenAI `gen_ai.client.token.usage` histogram is NOT recorded: two more hashed samples per call for a
 * distribution nobody acts on — token totals are the `sluice.tokens` counter (run-metrics.ts) and each call's
 * tokens are on its span (`gen_ai.usage.*`).
 *
 * Bucket boundaries are the ones the GenAI conventions recommend (attributes.ts), given as instrument advice
 * so no SDK view is needed.
 *
 * Attributes are deliberately few: the SDK hashes every attribute set on every `record` (sort + JSON of the
 * keys — the largest single telemetry cost in a --cpu-prof of `sluice run`), and one run talks to one model. The
 * GenAI metrics carry the conventions' required attributes (operation, provider, request model, `error.type` on
 * failure); `sluice.model.latency` carries only `error.type` on failed attempts; `sluice.limiter.wait` none.
 * `serverAddress` is accepted for symmetry with the span observer and not recorded on metrics.
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type { AttemptResult, CallEnd, CallInfo, CallObserver, CallScope } from '../llm/call-observer.ts';
import * as A from './attributes.ts';

export interface CallMetricsObserverOptions {
  /** Accepted for symmetry with the span observer; not recorded on metrics (see the header). */
  readonly serverAddress?: string;
  /** Monotonic-enough clock in ms, injectable for tests. */
  readonly now?: () => number;
}

interface Instruments {
  readonly operationDuration: Histogram;
  readonly modelLatency: Histogram;
  readonly limiterWait: Histogram;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

export function createCallMetricsObserver(meter: Meter, options: CallMetricsObserverOptions = {}): CallObserver {
  const now = options.now ?? Date.now;
  /** Attribute sets by provider + model (+ error type): built once, not per call. */
  const attributeSets = new Map<string, Attributes>();
  const baseFor = (provider: string, model: string, errorType?: string): Attributes => {
    const key = `${provider}\u0000${model}\u0000${errorType ?? ''}`;
    let set = attributeSets.get(key);
    if (!set) {
      set = {
        [A.GEN_AI_OPERATION_NAME]: A.GEN_AI_OPERATION_CHAT,
        [A.GEN_AI_PROVIDER_NAME]: provider,
        [A.GEN_AI_REQUEST_MODEL]: model,
      };
      if (errorType !== undefined) set[A.ERROR_TYPE] = errorType;
      attributeSets.set(key, set);
    }
    return set;
  };
  const latencyAttributes = new Map<string, Attributes>();
  const latencyFor = (reason: string | undefined): Attributes => {
    if (reason === undefined) return NO_ATTRIBUTES;
    let set = latencyAttributes.get(reason);
    if (!set) latencyAttributes.set(reason, (set = { [A.ERROR_TYPE]: reason }));
    return set;
  };
  const instruments: Instruments = {
    operationDuration: meter.createHistogram(A.METRIC_GEN_AI_OPERATION_DURATION, {
      unit: 's',
      description: 'GenAI operation duration: the logical call, all retries and waits included.',
      advice: { explicitBucketBoundaries: A.DURATION_BUCKETS_S },
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
  const sets: AttributeSets = { base: baseFor, latency: latencyFor };
  return {
    startCall(info: CallInfo): CallScope {
      return new CallMetricsScope(instruments, sets, info, now);
    },
  };
}

interface AttributeSets {
  base(provider: string, model: string, errorType?: string): Attributes;
  latency(reason: string | undefined): Attributes;
}

class CallMetricsScope implements CallScope {
  readonly #instruments: Instruments;
  readonly #sets: AttributeSets;
  readonly #info: CallInfo;
  readonly #now: () => number;
  readonly #startedAt: number;
  #ended = false;

  constructor(instruments: Instruments, sets: AttributeSets, info: CallInfo, now: () => number) {
    this.#instruments = instruments;
    this.#sets = sets;
    this.#info = info;
    this.#now = now;
    this.#startedAt = info.startedAt ?? now();
  }

  permitWaited(ms: number): void {
    if (this.#ended) return;
    this.#instruments.limiterWait.record(Math.max(0, ms) / 1000, NO_ATTRIBUTES);
  }

  attemptStarted(): void {}

  attemptEnded(result: AttemptResult): void {
    if (this.#ended) return;
    this.#instruments.modelLatency.record(Math.max(0, result.latencyMs) / 1000, this.#sets.latency(result.reason));
  }

  end(result: CallEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const base = this.#sets.base(
      this.#info.provider,
      this.#info.model,
      result.ok ? undefined : (result.errorType ?? 'unknown'),
    );
    this.#instruments.operationDuration.record(Math.max(0, this.#now() - this.#startedAt) / 1000, base);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
}
