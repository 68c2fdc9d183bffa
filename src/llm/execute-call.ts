import type { RetriesConfig } from '../config/pipeline-schema.ts';
import { CallNotStarted, NOT_STARTED, type AdmissionGate } from '../core/admission-gate.ts';
import type { Attempt } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { CallCost, Limiter, Permit } from '../limiter/limiter.ts';
import { scopeListener, statsListener, type CallEvent } from './call-events.ts';
import { deferredCallScope, type CallObserver, type CallScope } from './call-observer.ts';
import { classifyError, type Classification } from './classify-error.ts';
import type { FailureStreak } from './failure-streak.ts';
import { ModelCallError, type ModelClient, type ModelRequest, type ModelResponse } from './model-client.ts';
import { readRateHeaders } from './provider-headers.ts';
import type { RetryBudget } from './retry-budget.ts';
import { decideRetry } from './retry-decision.ts';

/**
 * The one retry layer (docs/architecture.md, house rules 3 and 5). One logical model call = up to `retries.maxAttempts`
 * attempts; each attempt:
 *   1. acquires a limiter permit charged like the provider charges (1 request + prompt estimate + max_tokens;
 *      a retry after congestion waits ahead of first attempts),
 *   2. calls the client once,
 *   3. releases the permit with the outcome (success / congestion / ignore) — always BEFORE any backoff, so a
 *      sleeping retry never holds capacity,
 *   4. classifies the error (llm/classify-error, the only place errors get a meaning) and applies the retry
 *      decision (llm/retry-decision: stop the job, dead-letter, or retry after a backoff — a pure function, held
 *      as a table by its test).
 * Everything that happens is reported once, as call events (llm/call-events), which feed both the job's counters
 * and the call's telemetry.
 *
 * Outcomes: a record-level failure is returned as data; an exhausted quota closes `deps.gate` (or, without one,
 * throws JobStop: the job stops, resumable); an attempt the closed gate kept from starting returns NOT_STARTED;
 * an abort of `request.signal` rethrows the signal's reason (the pipeline is tearing down).
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
  | {
      readonly ok: false;
      readonly reason: string;
      readonly message: string;
      readonly retriable: boolean;
      readonly attempts: Attempt[];
    };

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
  const toStats = statsListener(deps.stats);
  const toScope = scopeListener(scope);
  const call: CallState = {
    request,
    deps,
    scope,
    attempts: [],
    attempted: 0,
    ended: false,
    // What an attempt waits on before it starts (permit, backoff): the pipeline's signal, or the gate closing.
    waitSignal: request.waitSignal ?? deps.gate?.waitSignal(request.signal) ?? request.signal,
    emit(event) {
      if (event.type === 'call_ended') call.ended = true;
      toStats(event);
      toScope(event);
    },
  };
  try {
    return await attemptLoop(call);
  } finally {
    // Exceptions (abort while waiting, a broken limiter) still close the scope exactly once.
    if (!call.ended)
      call.emit({
        type: 'call_ended',
        end: { ok: false, attempts: call.attempted, errorType: request.signal.aborted ? 'aborted' : 'exception' },
      });
  }
}

/** One logical call in progress: what its attempts share. */
interface CallState {
  readonly request: CallRequest;
  readonly deps: ExecuteCallDeps;
  readonly scope: CallScope;
  /** The record's list of attempts (kept in its output or dead letter). */
  readonly attempts: Attempt[];
  /** Attempts that reached the client so far. */
  attempted: number;
  ended: boolean;
  readonly waitSignal: AbortSignal;
  emit(event: CallEvent): void;
}

/** What one attempt came back with. */
type AttemptOutcome =
  | { readonly kind: 'answered'; readonly response: ModelResponse; readonly at: string }
  | { readonly kind: 'failed'; readonly error: unknown; readonly latencyMs: number; readonly at: string }
  | { readonly kind: 'refused' };

/** The thin loop: acquire, attempt, and apply the retry decision (llm/retry-decision) until an outcome. */
async function attemptLoop(call: CallState): Promise<CallResult> {
  const { request, deps } = call;
  const cost = { requests: 1, tokens: request.promptTokenEstimate + schemaTokens(request.schema) + request.maxTokens };
  deps.budget.recordRequest();
  // A retry after congestion waits ahead of first attempts (see AcquireOptions.retry); one after a random error
  // (5xx, reset) rejoins the back of the queue, whose wait spreads its attempts over a brownout.
  let afterCongestion = false;
  for (let n = 1; ; n++) {
    const permit = await acquirePermit(call, cost, afterCongestion);
    if (!permit) return notStarted(call, n - 1);
    const outcome = await attempt(call, n);
    if (outcome.kind === 'refused') {
      permit.release({ kind: 'ignore' });
      return notStarted(call, n - 1);
    }
    if (outcome.kind === 'answered') return answered(call, n, permit, outcome);
    const classification = classifyError(outcome.error, deps.now());
    const rate = readRateHeaders(
      outcome.error instanceof ModelCallError ? outcome.error.headers : undefined,
      deps.now(),
    );
    // Released before any backoff (docs/architecture.md, house rule 5): a sleeping retry never holds capacity.
    permit.release(
      classification.congestion
        ? { kind: 'congestion', latencyMs: outcome.latencyMs, rate, timedOut: classification.reason === 'timeout' }
        : { kind: 'ignore', rate },
    );
    afterCongestion = classification.congestion;
    const next = await afterFailure(call, n, outcome, classification);
    if (next) return next;
  }
}

/** A permit for the next attempt, or undefined when the job stopped or the record is no longer wanted. */
async function acquirePermit(call: CallState, cost: CallCost, retry: boolean): Promise<Permit | undefined> {
  const { deps, request } = call;
  const waitStart = deps.now();
  let permit: Permit;
  try {
    permit = await deps.limiter.acquire(cost, call.waitSignal, { retry });
  } catch (error) {
    if (gateClosedWhileWaiting(call)) return undefined;
    throw error;
  }
  if (deps.gate?.closed || request.superseded?.()) {
    permit.release({ kind: 'ignore' });
    return undefined;
  }
  call.emit({ type: 'permit_waited', ms: deps.now() - waitStart, limit: deps.limiter.limit });
  return permit;
}

/** Calls the client once. */
async function attempt(call: CallState, n: number): Promise<AttemptOutcome> {
  const { deps, request, scope } = call;
  call.emit({ type: 'attempt_started', attempt: n });
  const startedAt = deps.now();
  const at = new Date(startedAt).toISOString();
  try {
    // Inside the call's context, so HTTP spans (with an async context manager) nest under the call span.
    const response = await scope.run(() => deps.client.call(request));
    call.attempted = n;
    return { kind: 'answered', response, at };
  } catch (error) {
    // Refused before it reached the provider (budget/budget-client): no call was made.
    if (error instanceof CallNotStarted) {
      call.emit({ type: 'attempt_refused' });
      return { kind: 'refused' };
    }
    call.attempted = n;
    return { kind: 'failed', error, latencyMs: deps.now() - startedAt, at };
  }
}

function answered(
  call: CallState,
  n: number,
  permit: Permit,
  outcome: Extract<AttemptOutcome, { kind: 'answered' }>,
): CallResult {
  const { deps, request } = call;
  const { response } = outcome;
  deps.streak?.success();
  permit.release({
    kind: 'success',
    latencyMs: response.latencyMs,
    outputTokens: response.usage.outputTokens,
    rate: readRateHeaders(response.headers, deps.now()),
    serverMs: response.serverMs,
  });
  call.attempts.push({ at: outcome.at, status: 200, latencyMs: response.latencyMs });
  const info = { usage: response.usage, finishReason: response.finishReason, responseModel: response.model };
  const invalid = request.checkAnswer?.(response) === undefined ? undefined : INVALID_OUTPUT;
  call.emit({
    type: 'attempt_ended',
    response,
    result: { attempt: n, status: 200, latencyMs: response.latencyMs, ...info, ...(invalid && { reason: invalid }) },
  });
  const answer = deps.observer.recordsContent ? { answer: response.raw } : {};
  call.emit({
    type: 'call_ended',
    end: { ok: !invalid, attempts: n, ...info, ...(invalid && { errorType: invalid }), ...answer },
  });
  return { ok: true, response, attempts: call.attempts };
}

/**
 * Applies the retry decision to failed attempt `n`: returns the call's result when it ends here, or undefined
 * after the backoff when the next attempt should start. Throws the pipeline's abort reason when it is tearing down.
 */
async function afterFailure(
  call: CallState,
  n: number,
  outcome: Extract<AttemptOutcome, { kind: 'failed' }>,
  classification: Classification,
): Promise<CallResult | undefined> {
  const { deps, request } = call;
  const message = describe(outcome.error);
  const failure = {
    at: outcome.at,
    status: outcome.error instanceof ModelCallError ? outcome.error.status : undefined,
    reason: classification.reason,
    message,
    latencyMs: outcome.latencyMs,
  };
  if (request.signal.aborted) {
    endFailed(call, n, failure, 'aborted', false, message);
    throw request.signal.reason;
  }
  const endpointFailing =
    !classification.stopJob && deps.gate && deps.streak?.failure(classification.reason, message)
      ? { threshold: deps.streak.threshold }
      : undefined;
  const decision = decideRetry(
    { attempt: n, classification, message },
    {
      retries: deps.retries,
      endpointFailing,
      takeRetryBudget: () => deps.budget.tryRetry(),
      random: () => deps.random(),
    },
  );
  if (decision.kind === 'stop_job') {
    if (!deps.gate) {
      endFailed(call, n, failure, classification.reason, true, message);
      throw decision.stop;
    }
    // The calls in flight were admitted before the job had to stop and may be paid for: the gate lets them finish.
    deps.gate.stopJob(decision.stop);
    attemptFailed(call, n, failure);
    return notStarted(call, n);
  }
  if (decision.kind === 'dead_letter')
    return endFailed(call, n, failure, decision.reason, decision.retriable, decision.message);
  if (decision.pausePool) deps.limiter.pauseUntil(deps.now() + decision.backoffMs);
  attemptFailed(call, n, failure, decision.backoffMs);
  call.emit({ type: 'backoff_started', reason: classification.reason });
  try {
    await deps.sleep(decision.backoffMs, call.waitSignal);
  } catch (error) {
    if (gateClosedWhileWaiting(call)) return notStarted(call, n);
    throw error;
  } finally {
    call.emit({ type: 'backoff_ended' });
  }
  return undefined;
}

interface FailedAttemptRecord {
  readonly at: string;
  readonly status: number | undefined;
  readonly reason: string;
  readonly message: string;
  readonly latencyMs: number;
}

/** Keeps a failed attempt in the record's list and closes it in telemetry (with the backoff that follows). */
function attemptFailed(call: CallState, n: number, failure: FailedAttemptRecord, backoffMs?: number): void {
  const { at, status, reason, message, latencyMs } = failure;
  const backoff = backoffMs === undefined ? {} : { backoffMs };
  call.attempts.push({ at, status, reason, error: message, latencyMs, ...backoff });
  call.emit({ type: 'attempt_ended', result: { attempt: n, status, reason, latencyMs, ...backoff } });
}

/** The call ends with failed attempt `n`: a record-level failure, returned as data. */
function endFailed(
  call: CallState,
  n: number,
  failure: FailedAttemptRecord,
  reason: string,
  retriable: boolean,
  message: string,
): CallResult {
  attemptFailed(call, n, failure);
  call.emit({ type: 'call_ended', end: { ok: false, attempts: n, errorType: reason } });
  return { ok: false, reason, message, retriable, attempts: call.attempts };
}

/** The job stopped (or the record is no longer wanted) before the next attempt started; `made` attempts were. */
function notStarted(call: CallState, made: number): CallResult {
  call.emit({ type: 'call_ended', end: { ok: false, attempts: made, errorType: NOT_STARTED } });
  return {
    ok: false,
    reason: NOT_STARTED,
    message: 'the job stopped before this call started',
    retriable: true,
    attempts: call.attempts,
  };
}

/** A wait (permit, backoff) that ended because the gate closed, not because the pipeline is tearing down. */
function gateClosedWhileWaiting(call: CallState): boolean {
  return call.deps.gate?.closed === true && !call.request.signal.aborted;
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
