/**
 * A CallObserver (src/llm/call-observer.ts) that records every logical model call as OpenTelemetry spans,
 * following the GenAI semantic conventions for inference spans:
 *
 *   chat {model}            CLIENT   the logical call, covering every attempt, wait and backoff
 *   ├─ sluice.attempt       INTERNAL one HTTP attempt: model time only, status, reason, backoff that followed
 *   └─ sluice.attempt       ...
 *   events on `chat {model}`:
 *     `sluice.limiter.wait` {wait_ms}  at the end of each permit wait of ≥ waitMinMs (the wait is the interval
 *                                     before it); with `waitSpans: true`, a child span of that interval instead
 *     `sluice.retry` {attempt, reason, backoff_ms}  each time another attempt is scheduled
 *
 * `attemptSpans: 'retried'` (the default) records attempt spans only for calls that needed more than one attempt
 * or failed: a call that succeeded at once IS its attempt, and its status, latency and usage are on the call span.
 * Every limiter wait, however short, is in `sluice.limiter.wait_ms` (the call's total on the call span, each
 * attempt's on its attempt span) and in the `sluice.limiter.wait` histogram; waits of at least `waitMinMs`
 * (default 10 ms: long enough to matter next to model latencies of 0.1–10 s) are also marked on the timeline, as
 * an event (default) or a child span (`waitSpans: true`). When the concurrency limit is the bottleneck nearly every
 * call waits, so an event — a fraction of a span's cost — keeps the common case at one span per record (the
 * telemetry cost target: ≤ 5% of throughput, see bench/telemetry.ts). `attemptSpans: 'all'`, `waitSpans: true`
 * and `waitMinMs: 0` record everything.
 *
 * Traces: every call is its own trace — a million-record job must not make one trace of a million spans, which
 * trace stores and UIs cannot open — linked to the run span (`sluice.link.kind: run`). The run span is the
 * `parentContext` when given (the CLI passes it, so no async context manager is needed), else the span active
 * when `startCall` runs. A record that came with a trace (a Kafka message's `traceparent`, or its batch's)
 * continues that trace instead, still linked to the run. `run(fn)` makes the call span the active context, so
 * spans created inside (HTTP instrumentation, if any) nest under it when a context manager is registered.
 *
 * Uses only `@opentelemetry/api`: without a registered SDK every span is a no-op. Prompt and answer text are
 * recorded only when BOTH the observer was created with `recordContent: true` AND the caller passed them (the
 * CallInfo/CallEnd `content`/`answer` fields); the API key never reaches these hooks and is never recorded.
 * Server address: only host and port are kept from `serverAddress` — never a path, query or credentials.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, Tracer } from '@opentelemetry/api';
import type { AttemptResult, CallEnd, CallInfo, CallObserver, CallScope } from '../llm/call-observer.ts';
import * as A from './attributes.ts';
import { extractTraceContext } from './trace-context.ts';

export interface OtelCallObserverOptions {
  /** Defaults to the global tracer provider's `sluice` tracer (no-op until an SDK is registered). */
  readonly tracer?: Tracer;
  /** Record prompt and answer text on the call span (`gen_ai.input.messages` / `gen_ai.output.messages`). */
  readonly recordContent?: boolean;
  /** The model endpoint: a base URL (`https://api.openai.com/v1`) or `host[:port]`. Only host and port are kept. */
  readonly serverAddress?: string;
  /** Wall clock in epoch ms, injectable for tests. */
  readonly now?: () => number;
  /** Parent of every call span (e.g. the run span's context); default: the active context at `startCall`. */
  readonly parentContext?: Context;
  /** `retried` (default): attempt spans only for calls with more than one attempt or a failure; `all`: always. */
  readonly attemptSpans?: 'retried' | 'all';
  /** Shortest limiter wait marked on the timeline (event or span), ms (default 10; 0 = every wait > 0). */
  readonly waitMinMs?: number;
  /** Mark waits as child spans `sluice.limiter.wait` instead of events (costlier; default false). */
  readonly waitSpans?: boolean;
}

const DEFAULT_WAIT_MIN_MS = 10;

/** At most this many ids go into `sluice.record.ids` (packed prompts); `sluice.record.count` has the true count. */
const MAX_RECORD_IDS = 256;

export function createOtelCallObserver(options: OtelCallObserverOptions = {}): CallObserver {
  const tracer = options.tracer ?? trace.getTracer(A.INSTRUMENTATION_SCOPE);
  const now = options.now ?? Date.now;
  const server = options.serverAddress === undefined ? undefined : parseServerAddress(options.serverAddress);
  const settings: ScopeSettings = {
    tracer,
    now,
    server,
    recordContent: options.recordContent === true,
    parentContext: options.parentContext,
    allAttempts: options.attemptSpans === 'all',
    waitMinMs: Math.max(Number.MIN_VALUE, options.waitMinMs ?? DEFAULT_WAIT_MIN_MS),
    waitSpans: options.waitSpans === true,
  };
  return {
    recordsContent: settings.recordContent,
    startCall(info: CallInfo): CallScope {
      return new OtelCallScope(settings, info);
    },
  };
}

/** Host and port of a base URL or `host[:port]`; credentials, path and query are dropped. */
export function parseServerAddress(value: string): { address: string; port?: number } | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (trimmed.includes('://')) {
    // Not a URL after all: record nothing rather than a string that might hold a secret.
    if (!URL.canParse(trimmed)) return undefined;
    const url = new URL(trimmed);
    const defaultPort = url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
    const port = url.port === '' ? defaultPort : Number(url.port);
    return { address: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  const match = /^([^:@/\s]+)(?::(\d+))?$/.exec(trimmed);
  if (!match || match[1] === undefined) return undefined;
  return { address: match[1], port: match[2] === undefined ? undefined : Number(match[2]) };
}

interface ScopeSettings {
  readonly tracer: Tracer;
  readonly now: () => number;
  readonly server: { address: string; port?: number } | undefined;
  readonly recordContent: boolean;
  readonly parentContext: Context | undefined;
  readonly allAttempts: boolean;
  /** > 0: a zero wait is never marked. */
  readonly waitMinMs: number;
  readonly waitSpans: boolean;
}

/** An attempt in progress: its span is created when it ends, unless every attempt gets one (`all`). */
interface OpenAttempt {
  readonly number: number;
  readonly startedAt: number;
  /** Limiter wait that preceded this attempt. */
  readonly waitMs: number;
  readonly span?: Span;
}

class OtelCallScope implements CallScope {
  readonly #tracer: Tracer;
  readonly #now: () => number;
  readonly #span: Span;
  readonly #context: Context;
  readonly #recordContent: boolean;
  readonly #allAttempts: boolean;
  readonly #waitMinMs: number;
  readonly #waitSpans: boolean;
  readonly #startedAt: number;
  #attempt: OpenAttempt | undefined;
  /** HTTP status of the latest attempt, recorded on the call span. */
  #lastStatus: number | undefined;
  /** Limiter wait reported since the last attempt started: it belongs to the next attempt. */
  #pendingWaitMs = 0;
  #waitTotalMs = 0;
  #modelTimeMs = 0;
  #backoffTotalMs = 0;
  #lastAttemptUsage: AttemptResult['usage'];
  #ended = false;

  constructor(settings: ScopeSettings, info: CallInfo) {
    const { tracer, now, server, recordContent } = settings;
    this.#tracer = tracer;
    this.#now = now;
    this.#recordContent = recordContent;
    this.#allAttempts = settings.allAttempts;
    this.#waitMinMs = settings.waitMinMs;
    this.#waitSpans = settings.waitSpans;
    this.#startedAt = info.startedAt ?? now();
    const attributes: Attributes = {
      [A.GEN_AI_OPERATION_NAME]: A.GEN_AI_OPERATION_CHAT,
      [A.GEN_AI_PROVIDER_NAME]: info.provider,
      [A.GEN_AI_SYSTEM]: info.provider,
      [A.GEN_AI_REQUEST_MODEL]: info.model,
      [A.GEN_AI_REQUEST_MAX_TOKENS]: info.maxTokens,
      [A.GEN_AI_OUTPUT_TYPE]: 'json',
      [A.SLUICE_SCHEMA_NAME]: info.schemaName,
    };
    // One record (the usual case): its id. Packed prompts: every id (bounded) and the count.
    if (info.recordIds.length === 1 && info.recordIds[0] !== undefined)
      attributes[A.SLUICE_RECORD_ID] = info.recordIds[0];
    else {
      attributes[A.SLUICE_RECORD_COUNT] = info.recordIds.length;
      attributes[A.SLUICE_RECORD_IDS] = info.recordIds.slice(0, MAX_RECORD_IDS);
    }
    if (server) {
      attributes[A.SERVER_ADDRESS] = server.address;
      if (server.port !== undefined) attributes[A.SERVER_PORT] = server.port;
    }
    // Its own trace (or the record's upstream one), linked to the run span — never a child of it.
    const runSpan = trace.getSpanContext(settings.parentContext ?? context.active());
    const parent = extractTraceContext(info.traceHeaders, ROOT_CONTEXT);
    const links: Link[] | undefined = runSpan
      ? [{ context: runSpan, attributes: { [A.SLUICE_LINK_KIND]: 'run' } }]
      : undefined;
    this.#span = tracer.startSpan(
      `${A.GEN_AI_OPERATION_CHAT} ${info.model}`,
      { kind: SpanKind.CLIENT, attributes, startTime: this.#startedAt, links },
      parent,
    );
    if (recordContent && info.content && this.#span.isRecording()) {
      this.#span.setAttribute(
        A.GEN_AI_INPUT_MESSAGES,
        // GenAI semantic conventions: one entry per message, with its own role (system, user).
        JSON.stringify(
          info.content.messages.map((m) => ({ role: m.role, parts: [{ type: 'text', content: m.content }] })),
        ),
      );
    }
    this.#context = trace.setSpan(parent, this.#span);
  }

  permitWaited(ms: number): void {
    if (this.#ended) return;
    const waited = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#waitTotalMs += waited;
    this.#pendingWaitMs += waited;
    if (waited < this.#waitMinMs || !this.#span.isRecording()) return;
    const end = this.#now();
    if (!this.#waitSpans) {
      this.#span.addEvent(A.EVENT_LIMITER_WAIT, { [A.SLUICE_LIMITER_WAIT_MS]: waited }, end);
      return;
    }
    const wait = this.#tracer.startSpan(
      A.SPAN_LIMITER_WAIT,
      {
        kind: SpanKind.INTERNAL,
        startTime: Math.max(this.#startedAt, end - waited),
        attributes: { [A.SLUICE_LIMITER_WAIT_MS]: waited },
      },
      this.#context,
    );
    wait.end(end);
  }

  attemptStarted(attempt: number): void {
    if (this.#ended) return;
    // Contract says attemptEnded comes first; if it did not, close the stale attempt rather than leak it.
    if (this.#attempt) this.#closeAttempt(this.#attempt, 'unfinished');
    const startedAt = this.#now();
    const waitMs = this.#pendingWaitMs;
    this.#pendingWaitMs = 0;
    const span = this.#allAttempts ? this.#startAttemptSpan(attempt, startedAt, waitMs) : undefined;
    this.#attempt = { number: attempt, startedAt, waitMs, span };
  }

  attemptEnded(result: AttemptResult): void {
    if (this.#ended) return;
    const end = this.#now();
    const open = this.#attempt?.number === result.attempt ? this.#attempt : undefined;
    this.#attempt = undefined;
    this.#modelTimeMs += Math.max(0, result.latencyMs);
    if (result.usage) this.#lastAttemptUsage = result.usage;
    this.#lastStatus = result.status;
    // A first attempt that succeeded is the whole call: the call span carries it (see the header).
    const needsSpan = this.#allAttempts || result.reason !== undefined || result.attempt > 1;
    if (needsSpan) this.#recordAttemptSpan(result, open, end);
    if (result.backoffMs !== undefined) {
      this.#backoffTotalMs += Math.max(0, result.backoffMs);
      this.#span.addEvent(
        A.EVENT_RETRY,
        {
          [A.SLUICE_ATTEMPT_NUMBER]: result.attempt,
          [A.SLUICE_RETRY_REASON]: result.reason ?? 'unknown',
          [A.SLUICE_RETRY_BACKOFF_MS]: result.backoffMs,
        },
        end,
      );
    }
  }

  #recordAttemptSpan(result: AttemptResult, open: OpenAttempt | undefined, end: number): void {
    const span =
      open?.span ??
      this.#startAttemptSpan(
        result.attempt,
        open?.startedAt ?? Math.max(this.#startedAt, end - result.latencyMs),
        open?.waitMs ?? 0,
      );
    if (span.isRecording()) {
      const attributes: Attributes = { [A.SLUICE_ATTEMPT_LATENCY_MS]: result.latencyMs };
      if (result.status !== undefined) attributes[A.HTTP_RESPONSE_STATUS_CODE] = result.status;
      if (result.reason !== undefined) attributes[A.ERROR_TYPE] = result.reason;
      if (result.backoffMs !== undefined) attributes[A.SLUICE_RETRY_BACKOFF_MS] = result.backoffMs;
      if (result.responseModel !== undefined) attributes[A.GEN_AI_RESPONSE_MODEL] = result.responseModel;
      if (result.finishReason !== undefined) attributes[A.GEN_AI_RESPONSE_FINISH_REASONS] = [result.finishReason];
      if (result.usage) {
        attributes[A.GEN_AI_USAGE_INPUT_TOKENS] = result.usage.inputTokens;
        attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] = result.usage.outputTokens;
      }
      span.setAttributes(attributes);
      if (result.reason !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
    }
    span.end(end);
  }

  end(result: CallEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#attempt) this.#closeAttempt(this.#attempt, result.errorType ?? 'unfinished');
    this.#attempt = undefined;
    const span = this.#span;
    if (span.isRecording()) {
      const usage = result.usage ?? this.#lastAttemptUsage;
      const attributes: Attributes = {
        [A.SLUICE_ATTEMPT_COUNT]: result.attempts,
        [A.SLUICE_LIMITER_WAIT_MS]: this.#waitTotalMs,
        [A.SLUICE_MODEL_TIME_MS]: this.#modelTimeMs,
      };
      if (this.#backoffTotalMs > 0) attributes[A.SLUICE_BACKOFF_TOTAL_MS] = this.#backoffTotalMs;
      if (this.#lastStatus !== undefined) attributes[A.HTTP_RESPONSE_STATUS_CODE] = this.#lastStatus;
      if (result.responseModel !== undefined) attributes[A.GEN_AI_RESPONSE_MODEL] = result.responseModel;
      if (result.finishReason !== undefined) attributes[A.GEN_AI_RESPONSE_FINISH_REASONS] = [result.finishReason];
      if (usage) {
        attributes[A.GEN_AI_USAGE_INPUT_TOKENS] = usage.inputTokens;
        attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] = usage.outputTokens;
      }
      if (!result.ok) attributes[A.ERROR_TYPE] = result.errorType ?? 'unknown';
      if (this.#recordContent && result.answer !== undefined) {
        attributes[A.GEN_AI_OUTPUT_MESSAGES] = JSON.stringify([
          {
            role: 'assistant',
            parts: [{ type: 'text', content: result.answer }],
            finish_reason: result.finishReason ?? (result.ok ? 'stop' : 'error'),
          },
        ]);
      }
      span.setAttributes(attributes);
      if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorType ?? 'unknown' });
    }
    span.end(this.#now());
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return context.with(this.#context, fn);
  }

  #startAttemptSpan(attempt: number, startTime: number, waitMs: number): Span {
    const attributes: Attributes = { [A.SLUICE_ATTEMPT_NUMBER]: attempt };
    if (waitMs > 0) attributes[A.SLUICE_LIMITER_WAIT_MS] = waitMs;
    return this.#tracer.startSpan(A.SPAN_ATTEMPT, { kind: SpanKind.INTERNAL, startTime, attributes }, this.#context);
  }

  /** An attempt that never reported its end (abort, exception): recorded as a failed attempt span. */
  #closeAttempt(open: OpenAttempt, errorType: string): void {
    const span = open.span ?? this.#startAttemptSpan(open.number, open.startedAt, open.waitMs);
    span.setAttribute(A.ERROR_TYPE, errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    span.end(this.#now());
  }
}
