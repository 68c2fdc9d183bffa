/**
 * In-memory OpenTelemetry for unit tests: a tracer provider with an InMemorySpanExporter (not registered
 * globally, so tests stay independent), a meter provider with a manual reader, and the async-hooks context
 * manager that `context.with` needs (the OTel global context manager is the one allowed global; registering
 * it twice is refused by the API, which is harmless).
 */
import { context, type Attributes, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

export function enableContext(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

export function memoryTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  return {
    tracer,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    named: (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name),
    reset: () => exporter.reset(),
  };
}

/** Children of `parent` among `spans`, in start order. */
export function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  const id = parent.spanContext().spanId;
  return spans.filter((s) => s.parentSpanContext?.spanId === id).sort((a, b) => hrMs(a.startTime) - hrMs(b.startTime));
}

export function hrMs(time: readonly [number, number]): number {
  return time[0] * 1000 + time[1] / 1e6;
}

export function durationMs(span: ReadableSpan): number {
  return hrMs(span.endTime) - hrMs(span.startTime);
}

/** Everything a span would export, as one string, to search for leaked secrets. */
export function exportedText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      status: s.status,
      events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
      links: s.links.map((l) => ({ context: l.context as SpanContext, attributes: l.attributes })),
    })),
  );
}

class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export function memoryMetrics() {
  const reader = new ManualReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('test');
  return {
    meter,
    async collect(): Promise<ResourceMetrics> {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
      return resourceMetrics;
    },
  };
}

export function findMetric(resourceMetrics: ResourceMetrics, name: string): MetricData | undefined {
  for (const scope of resourceMetrics.scopeMetrics) {
    const found = scope.metrics.find((m) => m.descriptor.name === name);
    if (found) return found;
  }
  return undefined;
}

/** The value of the data point whose attributes include `match` (numbers only). */
export function pointValue(metric: MetricData | undefined, match: Attributes = {}): number | undefined {
  const point = metric?.dataPoints.find((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v)) as
    | DataPoint<number>
    | undefined;
  return point?.value;
}

export function histogramPoint(metric: MetricData | undefined, match: Attributes = {}): Histogram | undefined {
  const point = metric?.dataPoints.find((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v)) as
    | DataPoint<Histogram>
    | undefined;
  return point?.value;
}
