/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for Kafka message headers, written against
 * `@opentelemetry/api` only, so it works the same whether or not an SDK is registered (without one, an upstream
 * `traceparent` still passes through to the output: the no-op tracer keeps the parent's span context).
 *
 * Kafka source: `extractTraceContext(meta.headers)` → a Context whose parent span is the upstream producer's
 *   (remote) span when the message carried a valid `traceparent`, else `base` unchanged.
 * Kafka sink:  `injectTraceContext(ctx)` → `{ traceparent, tracestate? }` to merge into the produced message's
 *   headers; `{}` when `ctx` holds no valid span context.
 */
import { context, createTraceState, isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import type { Context, SpanContext } from '@opentelemetry/api';

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/** version-traceid-parentid-flags; later versions may append fields after another dash (spec §3.2.4). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a `traceparent` value; undefined when malformed, version `ff`, all-zero ids, or extra fields on v00. */
export function parseTraceparent(value: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** Formats a span context as a version-00 `traceparent`. */
export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/**
 * The context to process a message in: `base` (default: the active context) with the upstream span from the
 * message's `traceparent`/`tracestate` headers as parent. Header names are matched case-insensitively.
 */
export function extractTraceContext(
  headers: Readonly<Record<string, string>> | undefined,
  base: Context = context.active(),
): Context {
  if (!headers) return base;
  const traceparent = headerValue(headers, TRACEPARENT_HEADER);
  if (traceparent === undefined) return base;
  const parsed = parseTraceparent(traceparent);
  if (!parsed) return base;
  const tracestate = headerValue(headers, TRACESTATE_HEADER);
  const spanContext: SpanContext =
    tracestate === undefined ? parsed : { ...parsed, traceState: createTraceState(tracestate) };
  return trace.setSpanContext(base, spanContext);
}

/** The upstream span context carried by message headers, or undefined (for span links). */
export function upstreamSpanContext(headers: Readonly<Record<string, string>> | undefined): SpanContext | undefined {
  if (!headers) return undefined;
  const traceparent = headerValue(headers, TRACEPARENT_HEADER);
  return traceparent === undefined ? undefined : parseTraceparent(traceparent);
}

/** Headers carrying `ctx`'s span (default: the active one); `{}` when there is no valid span context. */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  const headers: Record<string, string> = { [TRACEPARENT_HEADER]: formatTraceparent(spanContext) };
  const tracestate = spanContext.traceState?.serialize();
  if (tracestate) headers[TRACESTATE_HEADER] = tracestate;
  return headers;
}

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const direct = headers[name];
  if (typeof direct === 'string') return direct;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}
