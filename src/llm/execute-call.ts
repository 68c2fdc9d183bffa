import type { RetriesConfig } from '../config/pipeline-schema.ts';
import { CallNotStarted, NOT_STARTED, type AdmissionGate } from '../core/admission-gate.ts';
import type { Attempt } from '../core/envelope.ts';
import { JobStop } from '../core/errors.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { CallOutcome, Limiter, Permit } from '../limiter/limiter.ts';
import { deferredCallScope, type CallObserver, type CallScope } from './call-observer.ts';
import { classifyError, type Classification } from './classify-error.ts';
import type { FailureStreak } from './failure-streak.ts';
import { ModelCallError, type ModelClient, type ModelRequest, type ModelResponse } from './model-client.ts';
import { readRateHeaders } from './provider-headers.ts';
import type { RetryBudget } from './retry-budget.ts';

/**
 * The one retry layer (docs/architecture.md, house rules 3 and 5). One logical model call = up to `retries.maxAttempts`
 * attempts; each attempt:
 *   1. acquires a limiter permit charged like the provider charges (1 request + prompt estimate + max_tokens;
 *      a retry after congestion waits ahead of first attempts),
 *   2. calls the client once,
 *   3. releases the permit with the outcome (success / congestion / ignore) — always BEFORE any backoff, so a
 *      sleeping retry never holds capacity,
 *   4. classifies the error (llm/classify-error, the only place errors get a meaning) and either gives up or
 *      waits: a 429 with a hint pauses the whole pool (`limiter.pauseUntil`) and waits the hint; anything else
 *      waits full-jitter exponential backoff `random() · min(maxDelay, base · 2^(n-1))` (AWS Architecture Blog,
 *      "Exponential Backoff And Jitter", 2015), never less than a Retry-After the server sent.
 * Non-congestion retries also stop when the job-wide budget is empty (`retry_budget_exhausted`, retriable);
 * congestion retries are left to the limiter, which shrinks on them.
 *
 * Outcomes: a record-level failure is returned as data; an exhausted quota closes `deps.gate` (or, without one,
 * throws JobStop: the job stops, resumable); an attempt the closed gate kept from starting returns NOT_STARTED;
 * an abort of `request.signal` rethrows the signal's reason (the pipeline is tearing down).
 * Server hints are honoured in full, however long (the provider knows its buckets; retrying earlier only burns
 * attempts).
 */

export interface ExecuteCallDeps {
  readonly client: ModelClient;
  readonly limiter: Limiter;
  readonly observer: CallObserver;
  readonly retries: RetriesConfig;
  readonly budget: RetryBudget;
  readonly stats: RunStats;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
  now(): number;
  /**
   * The job's door for new calls (core/admission-gate). With it, a closed door ends the call before its next
   * attempt starts (NOT_STARTED), and an exhausted quota is handed to `gate.stopJob` while the calls in flight
   * finish; without it (library use), an exhausted quota throws JobStop.
   */
  readonly gate?: AdmissionGate;
  /**
   * Job-wide count of consecutive attempts that failed at the endpoint (llm/failure-streak). With a gate, reaching
   * its threshold stops the job (`endpoint_failing`, exit 6) instead of dead-lettering every record.
   */
  readonly streak?: FailureStreak;
}

/** The error type of a call whose answer arrived but did not pass `checkAnswer`. */
const INVALID_OUTPUT = 'invalid_output';

export type CallResult =
  | { readonly ok: true; readonly response: ModelResponse; readonly attempts: Attempt[] }
  | { readonly ok: false; readonly reason: string; readonly message: string; readonly retriable: boolean; readonly attempts: Attempt[] };

/** A model request plus what the retry layer alone reads. */
export interface CallRequest extends ModelRequest {
  /** The record's source no longer wants it (Envelope.superseded): an attempt not yet started does not start. */
  readonly superseded?: () => boolean;
  /**
   * Judges an answer the endpoint delivered: undefined when usable, else why not. An unusable answer still ends
   * the call with `ok: true` (the caller decides: re-ask or dead letter), but its telemetry records a failed call,
   * `error.type` `invalid_output`.
   */
  readonly checkAnswer?: (response: ModelResponse) => string | undefined;
  /**
   * What an attempt waits on before it starts (permit, backoff), when the caller made one per record: it must abort
   * when `signal` does or the gate closes. Default: the gate's signal for `signal` (core/admission-gate).
   */
  readonly waitSignal?: AbortSignal;
}

export async function executeCall(request: CallRequest, deps: ExecuteCallDeps): Promise<CallResult> {
  // Started at the first attempt: a call a stopping job kept from starting leaves no span (deferredCallScope).
  const startCall = (startedAt: number) =>
    deps.observer.startCall({
      model: deps.client.model,
      provider: deps.client.provider,
      recordIds: request.recordIds,
      schemaName: request.schemaName,
      maxTokens: request.maxTokens,
      traceHeaders: request.traceHeaders,
      startedAt,
      // Prompt text crosses the hook only when the observer records it (--record-content).
      ...(deps.observer.recordsContent && { content: { messages: request.messages } }),
    });
  const scope = deferredCallScope(startCall, deps.now);
  const progress = { ended: false, attempts: 0 };
  const end = (result: Parameters<CallScope['end']>[0]): void => {
    progress.ended = true;
    scope.end(result);
  };
  try {
    return await attemptLoop(request, deps, scope, end, progress);
  } finally {
    // Exceptions (abort while waiting, a broken limiter) still close the scope exactly once.
    if (!progress.ended) scope.end({ ok: false, attempts: progress.attempts, errorType: request.signal.aborted ? 'aborted' : 'exception' });
  }
}

async function attemptLoop(
  request: CallRequest,
  deps: ExecuteCallDeps,
  scope: CallScope,
  end: (r: Parameters<CallScope['end']>[0]) => void,
  progress: { attempts: number },
): Promise<CallResult> {
  const { client, limiter, retries, budget, stats } = deps;
  const cost = { requests: 1, tokens: request.promptTokenEstimate + schemaTokens(request.schema) + request.maxTokens };
  const attempts: Attempt[] = [];
  budget.recordRequest();

  // A retry after congestion waits ahead of first attempts (see AcquireOptions.retry); one after a random error
  // (5xx, reset) rejoins the back of the queue, whose wait spreads its attempts over a brownout.
  let afterCongestion = false;
  // What an attempt waits on before it starts (permit, backoff): the pipeline's signal, or the gate closing.
  const waitSignal = request.waitSignal ?? deps.gate?.waitSignal(request.signal) ?? request.signal;
  const notStarted = (n: number): CallResult => {
    end({ ok: false, attempts: n - 1, errorType: NOT_STARTED });
    return { ok: false, reason: NOT_STARTED, message: 'the job stopped before this call started', retriable: true, attempts };
  };
  // A wait (permit, backoff) that ended because the gate closed, not because the pipeline is tearing down.
  const gateClosedWhileWaiting = () => deps.gate?.closed === true && !request.signal.aborted;
  for (let n = 1; ; n++) {
    const waitStart = deps.now();
    let permit: Permit;
    try {
      permit = await limiter.acquire(cost, waitSignal, { retry: afterCongestion });
    } catch (error) {
      if (gateClosedWhileWaiting()) return notStarted(n);
      throw error;
    }
    if (deps.gate?.closed || request.superseded?.()) {
      permit.release({ kind: 'ignore' });
      return notStarted(n);
    }
    stats.concurrencyLimit = limiter.limit;
    scope.permitWaited(deps.now() - waitStart);

    scope.attemptStarted(n);
    progress.attempts = n;
    stats.attempts++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    const startedAt = deps.now();
    const at = new Date(startedAt).toISOString();
    let response: ModelResponse | undefined;
    let error: unknown;
    try {
      // Inside the call's context, so HTTP spans (with an async context manager) nest under the call span.
      response = await scope.run(() => client.call(request));
    } catch (thrown) {
      error = thrown;
    } finally {
      stats.inFlight--;
    }
    const latencyMs = deps.now() - startedAt;
    if (error instanceof CallNotStarted) {
      // Refused before it reached the provider (budget/budget-client): no call was made.
      stats.attempts--;
      permit.release({ kind: 'ignore' });
      return notStarted(n);
    }

    if (response) {
      deps.streak?.success();
      permit.release({ kind: 'success', latencyMs: response.latencyMs, outputTokens: response.usage.outputTokens, rate: readRateHeaders(response.headers, deps.now()) });
      stats.inputTokens += response.usage.inputTokens;
      stats.outputTokens += response.usage.outputTokens;
      stats.latencies.add(response.latencyMs);
      attempts.push({ at, status: 200, latencyMs: response.latencyMs });
      const info = { usage: response.usage, finishReason: response.finishReason, responseModel: response.model };
      const invalid = request.checkAnswer?.(response) === undefined ? undefined : INVALID_OUTPUT;
      scope.attemptEnded({ attempt: n, status: 200, latencyMs: response.latencyMs, ...info, ...(invalid && { reason: invalid }) });
      end({ ok: !invalid, attempts: n, ...info, ...(invalid && { errorType: invalid }), ...(deps.observer.recordsContent && { answer: response.raw }) });
      return { ok: true, response, attempts };
    }

    const classification = classifyError(error, deps.now());
    const rate = readRateHeaders(error instanceof ModelCallError ? error.headers : undefined, deps.now());
    const outcome: CallOutcome = classification.congestion
      ? { kind: 'congestion', latencyMs, rate, timedOut: classification.reason === 'timeout' }
      : { kind: 'ignore', rate };
    permit.release(outcome); // before any backoff (rule 5)
    afterCongestion = classification.congestion;

    const status = error instanceof ModelCallError ? error.status : undefined;
    const message = describe(error);
    /** Keeps this failed attempt in the record's list and closes it in telemetry (with the backoff that follows). */
    const attemptFailed = (backoffMs?: number): void => {
      attempts.push({ at, status, reason: classification.reason, error: message, latencyMs, ...(backoffMs !== undefined && { backoffMs }) });
      scope.attemptEnded({ attempt: n, status, reason: classification.reason, latencyMs, ...(backoffMs !== undefined && { backoffMs }) });
    };
    const failed = (reason: string, retriable: boolean, text: string): CallResult => {
      attemptFailed();
      end({ ok: false, attempts: n, errorType: reason });
      return { ok: false, reason, message: text, retriable, attempts };
    };

    if (request.signal.aborted) {
      failed('aborted', false, message);
      throw request.signal.reason;
    }
    // The calls in flight were admitted before the job had to stop and may be paid for: the gate lets them finish.
    const stopJob = (stop: JobStop, gate: AdmissionGate): CallResult => {
      gate.stopJob(stop);
      attemptFailed();
      return notStarted(n + 1);
    };
    if (classification.stopJob) {
      const stop = new JobStop('quota_exhausted', `the provider reports the quota is exhausted (${message}); fix billing, then resume the job`);
      if (!deps.gate) {
        failed(classification.reason, true, message);
        throw stop;
      }
      return stopJob(stop, deps.gate);
    }
    if (deps.gate && deps.streak?.failure(classification.reason, message)) {
      const stop = new JobStop(
        'endpoint_failing',
        `the last ${deps.streak.threshold} model calls all failed at the endpoint (last: ${message}); check the base URL (model.baseUrl, OPENAI_BASE_URL), the API key and the model name, then resume the job`,
      );
      return stopJob(stop, deps.gate);
    }
    if (!classification.retry) return failed(classification.reason, false, message);
    if (n >= retries.maxAttempts) return failed(classification.reason, true, `gave up after ${n} attempts: ${message}`);
    // Congestion retries (429, overloaded, timeout) are governed by the limiter, which shrinks and pauses the pool
    // on them; the budget bounds the others (5xx, resets), which the limiter deliberately ignores. Charging rate
    // limits to the budget dead-lettered records when several processes shared one provider limit (bench/kafka.ts).
    if (!classification.congestion && !budget.tryRetry()) {
      return failed('retry_budget_exhausted', true, `job-wide retry budget exhausted (last error: ${message})`);
    }

    const backoffMs = backoffFor(classification, n, deps);
    attemptFailed(backoffMs);
    stats.countRetry(classification.reason);
    stats.retrying++;
    try {
      await deps.sleep(backoffMs, waitSignal);
    } catch (error) {
      if (gateClosedWhileWaiting()) return notStarted(n + 1);
      throw error;
    } finally {
      stats.retrying--;
    }
  }
}

/**
 * A 429 rate limit with a hint pauses the whole pool until the hint and waits exactly that; everything else
 * waits full-jitter exponential backoff, but never less than the server's Retry-After.
 */
function backoffFor(classification: Classification, attempt: number, deps: ExecuteCallDeps): number {
  const hint = classification.retryAfterMs;
  if (classification.reason === 'rate_limited' && hint !== undefined) {
    deps.limiter.pauseUntil(deps.now() + hint);
    return hint;
  }
  const ceiling = Math.min(deps.retries.maxDelayMs, deps.retries.baseDelayMs * 2 ** (attempt - 1));
  const jitter = Math.floor(deps.random() * ceiling);
  return Math.max(jitter, hint ?? 0);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const schemaTokenCache = new WeakMap<object, number>();

/**
 * The response schema travels in every request (response_format or tools) and providers count it as prompt
 * tokens at admission; leaving it out made the pacer under-charge and buy 429s. chars/4 like the rest of the
 * estimate, computed once per schema object.
 */
function schemaTokens(schema: ModelRequest['schema']): number {
  let tokens = schemaTokenCache.get(schema);
  if (tokens === undefined) {
    tokens = Math.ceil(JSON.stringify(schema).length / 4);
    schemaTokenCache.set(schema, tokens);
  }
  return tokens;
}
