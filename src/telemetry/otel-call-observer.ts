/**
 * A CallObserver (src/llm/call-observer.ts) that records every logical model call as OpenTelemetry spans,
 * following the GenAI semantic conventions for inference spans:
 *
 *   chat {model}            CLIENT   the logical call, covering every attempt, wait and backoff
 *   ├─ sluice.limiter.wait  INTERNAL time spent waiting for a limiter permit before an attempt (only when > 0)
 *   ├─ sluice.attempt       INTERNAL one HTTP attempt: model time only, status, reason, backoff that followed
 *   ├─ sluice.limiter.wait
 *   └─ sluice.attempt       ...
 *   events on `chat {model}`: `sluice.retry` {attempt, reason, backoff_ms} each time another attempt is scheduled
 *
 * The call span's parent is the context active when `startCall` runs (the record's, the Kafka batch's or the
 * run's span); `run(fn)` makes the call span the active context, so spans created inside (HTTP) nest under it.
 *
 * Uses only `@opentelemetry/api`: without a registered SDK every span is a no-op. Prompt and answer text are
 * recorded only when BOTH the observer was created with `recordContent: true` AND the caller passed them (the
 * CallInfo/CallEnd `content`/`answer` fields); the API key never reaches these hooks and is never recorded.
 * Server address: only host and port are kept from `serverAddress` — never a path, query or credentials.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { AttemptResult, CallEnd, CallInfo, CallObserver, CallScope } from '../llm/call-observer.ts';
import * as A from './attributes.ts';

export interface OtelCallObserverOptions {
  /** Defaults to the global tracer provider's `sluice` tracer (no-op until an SDK is registered). */
  readonly tracer?: Tracer;
  /** Record prompt and answer text on the call span (`gen_ai.input.messages` / `gen_ai.output.messages`). */
  readonly recordContent?: boolean;
  /** The model endpoint: a base URL (`https://api.openai.com/v1`) or `host[:port]`. Only host and port are kept. */
  readonly serverAddress?: string;
  /** Wall clock in epoch ms, injectable for tests. */
  readonly now?: () => number;
}

/** At most this many ids go into `sluice.record.ids` (packed prompts); `sluice.record.count` has the true count. */
const MAX_RECORD_IDS = 256;

export function createOtelCallObserver(options: OtelCallObserverOptions = {}): CallObserver {
  const tracer = options.tracer ?? trace.getTracer(A.INSTRUMENTATION_SCOPE);
  const now = options.now ?? Date.now;
  const server = options.serverAddress === undefined ? undefined : parseServerAddress(options.serverAddress);
  const recordContent = options.recordContent === true;
  return {
    recordsContent: recordContent,
    startCall(info: CallInfo): CallScope {
      return new OtelCallScope(tracer, now, info, server, recordContent);
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

interface OpenAttempt {
  readonly span: Span;
  readonly number: number;
}

class OtelCallScope implements CallScope {
  readonly #tracer: Tracer;
  readonly #now: () => number;
  readonly #span: Span;
  readonly #context: Context;
  readonly #recordContent: boolean;
  readonly #startedAt: number;
  #attempt: OpenAttempt | undefined;
  /** Limiter wait reported since the last attempt started: it belongs to the next attempt. */
  #pendingWaitMs = 0;
  #waitTotalMs = 0;
  #modelTimeMs = 0;
  #backoffTotalMs = 0;
  #lastAttemptUsage: AttemptResult['usage'];
  #ended = false;

  constructor(
    tracer: Tracer,
    now: () => number,
    info: CallInfo,
    server: { address: string; port?: number } | undefined,
    recordContent: boolean,
  ) {
    this.#tracer = tracer;
    this.#now = now;
    this.#recordContent = recordContent;
    this.#startedAt = now();
    const attributes: Attributes = {
      [A.GEN_AI_OPERATION_NAME]: A.GEN_AI_OPERATION_CHAT,
      [A.GEN_AI_PROVIDER_NAME]: info.provider,
      [A.GEN_AI_SYSTEM]: info.provider,
      [A.GEN_AI_REQUEST_MODEL]: info.model,
      [A.GEN_AI_REQUEST_MAX_TOKENS]: info.maxTokens,
      [A.GEN_AI_OUTPUT_TYPE]: 'json',
      [A.SLUICE_SCHEMA_NAME]: info.schemaName,
      [A.SLUICE_RECORD_COUNT]: info.recordIds.length,
      [A.SLUICE_RECORD_IDS]: info.recordIds.slice(0, MAX_RECORD_IDS),
    };
    if (info.recordIds.length === 1 && info.recordIds[0] !== undefined) attributes[A.SLUICE_RECORD_ID] = info.recordIds[0];
    if (server) {
      attributes[A.SERVER_ADDRESS] = server.address;
      if (server.port !== undefined) attributes[A.SERVER_PORT] = server.port;
    }
    const parent = context.active();
    this.#span = tracer.startSpan(
      `${A.GEN_AI_OPERATION_CHAT} ${info.model}`,
      { kind: SpanKind.CLIENT, attributes, startTime: this.#startedAt },
      parent,
    );
    if (recordContent && info.content && this.#span.isRecording()) {
      this.#span.setAttribute(
        A.GEN_AI_INPUT_MESSAGES,
        JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: info.content.prompt }] }]),
      );
    }
    this.#context = trace.setSpan(parent, this.#span);
  }

  permitWaited(ms: number): void {
    if (this.#ended) return;
    const waited = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#waitTotalMs += waited;
    this.#pendingWaitMs += waited;
    if (waited === 0 || !this.#span.isRecording()) return;
    const end = this.#now();
    const wait = this.#tracer.startSpan(
      A.SPAN_LIMITER_WAIT,
      { kind: SpanKind.INTERNAL, startTime: Math.max(this.#startedAt, end - waited), attributes: { [A.SLUICE_LIMITER_WAIT_MS]: waited } },
      this.#context,
    );
    wait.end(end);
  }

  attemptStarted(attempt: number): void {
    if (this.#ended) return;
    // Contract says attemptEnded comes first; if it did not, close the stale attempt rather than leak it.
    if (this.#attempt) this.#closeAttempt(this.#attempt, 'unfinished');
    this.#attempt = { span: this.#startAttemptSpan(attempt, this.#now()), number: attempt };
  }

  attemptEnded(result: AttemptResult): void {
    if (this.#ended) return;
    const end = this.#now();
    const open = this.#attempt?.number === result.attempt ? this.#attempt : undefined;
    this.#attempt = undefined;
    const span = open?.span ?? this.#startAttemptSpan(result.attempt, Math.max(this.#startedAt, end - result.latencyMs));
    this.#modelTimeMs += Math.max(0, result.latencyMs);
    if (result.usage) this.#lastAttemptUsage = result.usage;
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
        [A.SLUICE_BACKOFF_TOTAL_MS]: this.#backoffTotalMs,
      };
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

  #startAttemptSpan(attempt: number, startTime: number): Span {
    const attributes: Attributes = { [A.SLUICE_ATTEMPT_NUMBER]: attempt };
    if (this.#pendingWaitMs > 0) attributes[A.SLUICE_LIMITER_WAIT_MS] = this.#pendingWaitMs;
    this.#pendingWaitMs = 0;
    return this.#tracer.startSpan(A.SPAN_ATTEMPT, { kind: SpanKind.INTERNAL, startTime, attributes }, this.#context);
  }

  #closeAttempt(open: OpenAttempt, errorType: string): void {
    open.span.setAttribute(A.ERROR_TYPE, errorType);
    open.span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    open.span.end(this.#now());
  }
}
