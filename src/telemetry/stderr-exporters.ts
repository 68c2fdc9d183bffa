/**
 * The `console` span and metric exporters, writing to STDERR: sluice's stdout carries data records only, and the
 * SDK's own ConsoleSpanExporter / ConsoleMetricExporter print with console.dir, i.e. to stdout, in the middle of
 * them. `telemetry/sdk` uses these in their place when OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER selects
 * `console`.
 *
 * Format: one JSON object per line (so it can be told apart from sluice's own plain-text stderr lines and read
 * with `jq`), with the fields the SDK's exporters print (sdk-trace 2.12 ConsoleSpanExporter._exportInfo; one object
 * per metric like sdk-metrics 2.12 ConsoleMetricExporter). HrTime values stay `[seconds, nanoseconds]`; span
 * `timestamp` and `duration` are microseconds, as there. Fields JSON has no value for (an absent `traceState`) are
 * left out.
 *
 * Types only from `@opentelemetry/sdk-node`: the runtime SDK is loaded by `telemetry/sdk` alone (docs/architecture.md, house rule 6).
 */
import type { core, metrics, tracing } from '@opentelemetry/sdk-node';

/** Where the lines go; `process.stderr` unless a test gives its own. */
export type WriteText = (text: string) => void;

const writeToStderr: WriteText = (text) => {
  process.stderr.write(text);
};
// ExportResultCode.SUCCESS / FAILED of @opentelemetry/core (an enum, so not importable as a type-only value).
const SUCCESS: core.ExportResult = { code: 0 };
const FAILED: core.ExportResult = { code: 1 };

export class StderrSpanExporter implements tracing.SpanExporter {
  private stopped = false;

  constructor(private readonly write: WriteText = writeToStderr) {}

  export(spans: tracing.ReadableSpan[], resultCallback: (result: core.ExportResult) => void): void {
    if (this.stopped) return resultCallback(FAILED);
    resultCallback(writeLines(this.write, spans.map(spanInfo)));
  }

  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

export class StderrMetricExporter implements metrics.PushMetricExporter {
  private stopped = false;

  constructor(private readonly write: WriteText = writeToStderr) {}

  export(resourceMetrics: metrics.ResourceMetrics, resultCallback: (result: core.ExportResult) => void): void {
    if (this.stopped) return resultCallback(FAILED);
    const objects = resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.map((metric) => ({
        descriptor: metric.descriptor,
        dataPointType: metric.dataPointType,
        dataPoints: metric.dataPoints,
      })),
    );
    resultCallback(writeLines(this.write, objects));
  }

  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Same fields as sdk-trace's ConsoleSpanExporter prints. */
function spanInfo(span: tracing.ReadableSpan): Record<string, unknown> {
  const spanContext = span.spanContext();
  return {
    resource: { attributes: span.resource.attributes },
    instrumentationScope: span.instrumentationScope,
    traceId: spanContext.traceId,
    parentSpanContext: span.parentSpanContext,
    traceState: spanContext.traceState?.serialize(),
    name: span.name,
    id: spanContext.spanId,
    kind: span.kind,
    timestamp: hrTimeToMicroseconds(span.startTime),
    duration: hrTimeToMicroseconds(span.duration),
    attributes: span.attributes,
    status: span.status,
    events: span.events,
    links: span.links,
  };
}

/** As @opentelemetry/core's hrTimeToMicroseconds. */
function hrTimeToMicroseconds([seconds, nanos]: readonly [number, number]): number {
  return seconds * 1e6 + nanos / 1e3;
}

/** One line per object, in a single write; a value JSON cannot encode fails the export (the SDK reports it). */
function writeLines(write: WriteText, objects: readonly unknown[]): core.ExportResult {
  if (objects.length === 0) return SUCCESS;
  let text: string;
  try {
    text = `${objects.map((o) => JSON.stringify(o)).join('\n')}\n`;
  } catch (error) {
    return { ...FAILED, error: error instanceof Error ? error : new Error(String(error)) };
  }
  write(text);
  return SUCCESS;
}
