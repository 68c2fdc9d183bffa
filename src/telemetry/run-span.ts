/**
 * Root spans: one per run (`sluice run {pipeline}`) and one per Kafka batch (`process {topic}`), plus the W3C
 * trace-context helpers for Kafka headers (re-exported from trace-context.ts).
 *
 * Run span: a new trace by default (or a child of `parent`, e.g. a context extracted from a `TRACEPARENT`
 * environment variable). Make it active around the whole pipeline — `context.with(run.context, () => runPipeline())`
 * — so every call span created inside nests under it.
 *
 * Kafka batch span: a long-running consumer would otherwise make one endless trace, so each batch starts its own
 * trace (kind CONSUMER, messaging conventions) with span links to the run span and to each message's upstream
 * producer span (the messaging conventions' recommendation for batch processing). Process the batch's records in
 * `batch.context`, or — to continue each message's upstream trace instead — in
 * `extractTraceContext(message.headers, batch.context)`.
 *
 * `end` is idempotent; only the first call counts.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, Tracer } from '@opentelemetry/api';
import type { RunStats } from '../core/run-stats.ts';
import * as A from './attributes.ts';
import { upstreamSpanContext } from './trace-context.ts';

export {
  extractTraceContext,
  injectTraceContext,
  parseTraceparent,
  formatTraceparent,
  upstreamSpanContext,
} from './trace-context.ts';

export interface SpanHandle {
  readonly span: Span;
  /** `parent` with this span active: run work inside it with `context.with(handle.context, fn)`. */
  readonly context: Context;
  end(outcome?: SpanOutcome): void;
}

export interface SpanOutcome {
  /** False when the run (or batch) failed as a whole; failed records are not a failed run. */
  readonly ok: boolean;
  /** Stable failure class when !ok (an ExitCode name, `aborted`, ...). */
  readonly errorType?: string;
  /** Final counters, recorded as `sluice.records.*` attributes. */
  readonly stats?: Pick<RunStats, 'recordsIn' | 'recordsOut' | 'deadLetters'>;
}

export interface RunSpanOptions {
  /** Pipeline name (file base name or its `name`), part of the span name: keep it low-cardinality. */
  readonly pipeline: string;
  readonly tracer?: Tracer;
  /** Defaults to ROOT_CONTEXT: a run starts a new trace. */
  readonly parent?: Context;
  readonly attributes?: Attributes;
}

export function startRunSpan(options: RunSpanOptions): SpanHandle {
  const tracer = options.tracer ?? trace.getTracer(A.INSTRUMENTATION_SCOPE);
  const parent = options.parent ?? ROOT_CONTEXT;
  const span = tracer.startSpan(
    `sluice run ${options.pipeline}`,
    { kind: SpanKind.INTERNAL, attributes: { [A.SLUICE_PIPELINE]: options.pipeline, ...options.attributes } },
    parent,
  );
  return handle(span, parent);
}

export interface KafkaBatchSpanOptions {
  readonly topic: string;
  readonly partition: number;
  /** Headers of each message of the batch (undefined when a message has none). */
  readonly messageHeaders: readonly (Readonly<Record<string, string>> | undefined)[];
  readonly consumerGroup?: string;
  readonly tracer?: Tracer;
  /** The run span's context, linked from the batch span. */
  readonly runContext?: Context;
  /** Defaults to ROOT_CONTEXT: each batch is its own trace. */
  readonly parent?: Context;
}

/** Links beyond this many upstream messages are dropped (SDK default link limit is 128). */
const MAX_UPSTREAM_LINKS = 127;

export function startKafkaBatchSpan(options: KafkaBatchSpanOptions): SpanHandle {
  const tracer = options.tracer ?? trace.getTracer(A.INSTRUMENTATION_SCOPE);
  const parent = options.parent ?? ROOT_CONTEXT;
  const links: Link[] = [];
  const run = options.runContext === undefined ? undefined : trace.getSpanContext(options.runContext);
  if (run) links.push({ context: run, attributes: { [A.SLUICE_LINK_KIND]: 'run' } });
  const seen = new Set<string>();
  for (const headers of options.messageHeaders) {
    if (links.length > MAX_UPSTREAM_LINKS) break;
    const upstream = upstreamSpanContext(headers);
    if (!upstream || seen.has(upstream.spanId)) continue;
    seen.add(upstream.spanId);
    links.push({ context: upstream, attributes: { [A.SLUICE_LINK_KIND]: 'upstream' } });
  }
  const attributes: Attributes = {
    [A.MESSAGING_SYSTEM]: 'kafka',
    [A.MESSAGING_OPERATION_NAME]: 'process',
    [A.MESSAGING_OPERATION_TYPE]: 'process',
    [A.MESSAGING_DESTINATION_NAME]: options.topic,
    [A.MESSAGING_DESTINATION_PARTITION_ID]: String(options.partition),
    [A.MESSAGING_BATCH_MESSAGE_COUNT]: options.messageHeaders.length,
  };
  if (options.consumerGroup !== undefined) attributes[A.MESSAGING_CONSUMER_GROUP_NAME] = options.consumerGroup;
  const span = tracer.startSpan(`process ${options.topic}`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
  return handle(span, parent);
}

function handle(span: Span, parent: Context): SpanHandle {
  let ended = false;
  return {
    span,
    context: trace.setSpan(parent, span),
    end(outcome?: SpanOutcome) {
      if (ended) return;
      ended = true;
      if (outcome?.stats && span.isRecording()) {
        span.setAttributes({
          [A.SLUICE_RECORDS_IN]: outcome.stats.recordsIn,
          [A.SLUICE_RECORDS_OUT]: outcome.stats.recordsOut,
          [A.SLUICE_RECORDS_DEAD_LETTERED]: outcome.stats.deadLetters,
        });
      }
      if (outcome && !outcome.ok) {
        span.setAttribute(A.ERROR_TYPE, outcome.errorType ?? 'unknown');
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorType ?? 'unknown' });
      }
      span.end();
    },
  };
}

/** Runs `fn` with `handle`'s span active. */
export function withSpan<T>(spanHandle: SpanHandle, fn: () => Promise<T>): Promise<T> {
  return context.with(spanHandle.context, fn);
}
