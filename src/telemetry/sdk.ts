/**
 * Starts the OpenTelemetry Node SDK for the CLI — the ONLY runtime importer of `@opentelemetry/sdk-node`
 * (docs/architecture.md house rule 6; `stderr-exporters` takes types from it); library code uses `@opentelemetry/api` and stays
 * no-op until this runs.
 *
 * When: `force` (the `--otel` flag), or any of OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 * OTEL_EXPORTER_OTLP_METRICS_ENDPOINT set, or OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER set to something other
 * than `none`. Never when OTEL_SDK_DISABLED=true.
 *
 * Configured by the standard variables, as read by sdk-node 0.223 itself (checked in its build/src/sdk.js,
 * utils.js, create-from-env.js): OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_EXPORTER
 * (otlp|console|zipkin|none), OTEL_METRICS_EXPORTER (otlp|console|prometheus|none), OTEL_EXPORTER_OTLP_PROTOCOL
 * and its _TRACES_/_METRICS_ variants (http/protobuf default, http/json, grpc), the exporters' own
 * OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]{ENDPOINT,HEADERS,TIMEOUT,COMPRESSION}, OTEL_TRACES_SAMPLER(+_ARG),
 * OTEL_BSP_*, OTEL_METRIC_EXPORT_INTERVAL/TIMEOUT, OTEL_PROPAGATORS, OTEL_SPAN_*_LIMIT, OTEL_LOG_LEVEL,
 * OTEL_NODE_RESOURCE_DETECTORS.
 *
 * Choices made here: no auto-instrumentations; no async context manager unless `asyncContext` (on Node 20 the
 * AsyncLocalStorage one installs promise hooks that cost ≈ 70 µs of CPU per record on sluice's promise-heavy
 * model path — measured with --cpu-prof, see bench/telemetry.ts — and sluice passes parents explicitly:
 * `createOtelCallObserver({ parentContext })`); no OTel logs pipeline (sluice logs to stderr); the service name
 * given by the caller is the default that OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES override; unless
 * OTEL_NODE_RESOURCE_DETECTORS says otherwise, the resource gets env + host detection and the process pid/runtime
 * but NOT `process.command_args` (the stock process detector would export the command line, which may hold
 * secrets); SDK diagnostics at WARN go to stderr unless OTEL_LOG_LEVEL is set.
 *
 * `console` exporters print to STDERR: sdk-node's own ConsoleSpanExporter / ConsoleMetricExporter write to stdout
 * (console.dir), which carries sluice's data records. So when `console` is among the exporters sdk-node would use
 * (`selectedExporters`, its list rules), sluice builds that signal's span processors / metric readers itself and
 * hands them to NodeSDK: `console` → the stderr exporters of `telemetry/stderr-exporters` (spans through a
 * SimpleSpanProcessor as sdk-node does; metrics through a periodic reader that, unlike sdk-node's console reader,
 * follows OTEL_METRIC_EXPORT_INTERVAL/TIMEOUT); the other names are built by sdk-node's own env factories
 * (build/src/utils.js — not part of its public API, hence the exact version pin), `prometheus` by
 * @opentelemetry/exporter-prometheus (pinned to the version sdk-node depends on). The SDK's experimental
 * self-metrics of span processors (OTEL_NODE_EXPERIMENTAL_SDK_METRICS) are not wired in that case.
 *
 * `shutdown()` flushes the last spans (batch span processor) and performs the final metric collection and export;
 * the CLI must await it after the summary and before exiting. It never throws and is bounded by
 * `shutdownTimeoutMs` so a dead collector cannot hang the exit.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { StderrMetricExporter, StderrSpanExporter } from './stderr-exporters.ts';

export interface StartTelemetryOptions {
  /** Default `service.name` (OTEL_SERVICE_NAME wins). */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** `--otel`: start even without an endpoint variable (exports to the OTLP default, localhost:4318). */
  readonly force?: boolean;
  /** Upper bound on `shutdown()`, ms (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /**
   * Register the AsyncLocalStorage context manager, so `context.with` / `context.active()` follow async calls
   * (needed only for auto-instrumentation or implicit parents). Default false: see the header for the cost.
   */
  readonly asyncContext?: boolean;
}

export interface TelemetryHandle {
  /** Flushes and stops exporting; resolves (never rejects) once done or after the timeout. Idempotent. */
  shutdown(): Promise<void>;
}

const ENABLING_ENDPOINTS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
];
const ENABLING_EXPORTERS = ['OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER'];

/** Whether the environment (or `--otel`) asks for telemetry. Pure: exported for tests. */
export function telemetryRequested(env: Readonly<Record<string, string | undefined>>, force = false): boolean {
  if (['true', '1'].includes((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase())) return false;
  if (force) return true;
  if (ENABLING_ENDPOINTS.some((name) => (env[name] ?? '').trim() !== '')) return true;
  return ENABLING_EXPORTERS.some((name) => {
    const value = (env[name] ?? '').trim();
    return value !== '' && !value.split(',').every((item) => ['none', 'null', ''].includes(item.trim()));
  });
}

/**
 * The exporter names sdk-node 0.223 acts on, after its own list rules (build/src/utils.js getSpanProcessorsFromEnv,
 * build/src/sdk.js getMetricReadersFromEnv): items trimmed, empty ones dropped, duplicates removed; traces ignore
 * `null`, use none when the list starts with `none`, `otlp` when it is empty or mixes `none` with others; metrics
 * use `otlp` when empty and none when `none` appears anywhere. Unknown names are kept (sdk-node warns and skips
 * them). Pure: exported for tests.
 */
export function selectedExporters(env: Readonly<Record<string, string | undefined>>): {
  traces: string[];
  metrics: string[];
} {
  const list = (name: string) => [
    ...new Set(
      (env[name] ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ];
  let traces = list('OTEL_TRACES_EXPORTER').filter((item) => item !== 'null');
  if (traces[0] === 'none') traces = [];
  else if (traces.length === 0 || traces.includes('none')) traces = ['otlp'];
  let metrics = list('OTEL_METRICS_EXPORTER');
  if (metrics.length === 0) metrics = ['otlp'];
  else if (metrics.includes('none')) metrics = [];
  return { traces, metrics };
}

export async function startTelemetry(options: StartTelemetryOptions): Promise<TelemetryHandle | undefined> {
  if (!telemetryRequested(process.env, options.force === true)) return undefined;
  if ((process.env.OTEL_LOG_LEVEL ?? '').trim() === '') diag.setLogger(stderrDiagLogger(), DiagLogLevel.WARN);

  // Loaded only when telemetry is on: a plain run does not pay for the SDK's module graph.
  const { NodeSDK, resources } = await import('@opentelemetry/sdk-node');
  const serviceAttributes: Record<string, string> = { 'service.name': options.serviceName };
  if (options.serviceVersion !== undefined) serviceAttributes['service.version'] = options.serviceVersion;
  const processWithoutArgs = {
    detect: () => ({
      attributes: {
        'process.pid': process.pid,
        'process.runtime.name': 'nodejs',
        'process.runtime.version': process.versions.node,
      },
    }),
  };
  const userDetectors = (process.env.OTEL_NODE_RESOURCE_DETECTORS ?? '').trim() !== '';
  const selected = selectedExporters(process.env);
  const configuration: Partial<NodeSDKConfiguration> = {
    resource: resources.defaultResource().merge(resources.resourceFromAttributes(serviceAttributes)),
    ...(userDetectors
      ? {}
      : { resourceDetectors: [resources.envDetector, resources.hostDetector, processWithoutArgs] }),
    instrumentations: [],
    logRecordProcessors: [],
    // Only when `console` is selected; otherwise sdk-node builds them from the environment itself.
    ...(selected.traces.includes('console')
      ? { spanProcessors: await spanProcessorsWithStderrConsole(selected.traces) }
      : {}),
    ...(selected.metrics.includes('console')
      ? { metricReaders: await metricReadersWithStderrConsole(selected.metrics) }
      : {}),
  };
  // sdk-node reads `contextManager: null` as "register none" (utils.js setupContextManager), a value its declared
  // configuration type omits; Object.assign adds it without claiming a type for it.
  if (options.asyncContext !== true) Object.assign(configuration, { contextManager: null });
  const sdk = new NodeSDK(configuration);
  sdk.start();

  const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
  let stopping: Promise<void> | undefined;
  return {
    shutdown() {
      stopping ??= boundedShutdown(() => sdk.shutdown(), timeoutMs);
      return stopping;
    },
  };
}

type SpanProcessor = NonNullable<NodeSDKConfiguration['spanProcessors']>[number];
type MetricReader = NonNullable<NodeSDKConfiguration['metricReaders']>[number];
const TRACE_EXPORTERS = ['otlp', 'zipkin', 'console'];

/**
 * The span processors sdk-node would build for `names`, with `console` printing to stderr. The others come from
 * sdk-node's getSpanProcessorsFromEnv, which reads the list from process.env only: it is called with
 * OTEL_TRACES_EXPORTER narrowed to them, and the variable is restored before anything else runs (synchronous).
 */
async function spanProcessorsWithStderrConsole(names: readonly string[]): Promise<SpanProcessor[]> {
  const { tracing } = await import('@opentelemetry/sdk-node');
  const { getSpanProcessorsFromEnv } = await import('@opentelemetry/sdk-node/build/src/utils.js');
  for (const name of names)
    if (!TRACE_EXPORTERS.includes(name)) diag.warn(`Unrecognized OTEL_TRACES_EXPORTER value: ${name}.`);
  const others = names.filter((name) => name !== 'console' && TRACE_EXPORTERS.includes(name));
  const processors: SpanProcessor[] = [new tracing.SimpleSpanProcessor(new StderrSpanExporter())];
  if (others.length > 0)
    processors.push(...withEnv('OTEL_TRACES_EXPORTER', others.join(','), () => getSpanProcessorsFromEnv(undefined)));
  return processors;
}

/** The metric readers sdk-node would build for `names` (sdk.js getMetricReadersFromEnv), `console` on stderr. */
async function metricReadersWithStderrConsole(names: readonly string[]): Promise<MetricReader[]> {
  const { getOtlpMetricExporterFromEnv, getPeriodicExportingMetricReaderFromEnv } = await import(
    '@opentelemetry/sdk-node/build/src/utils.js'
  );
  const readers: MetricReader[] = [];
  for (const name of names) {
    if (name === 'otlp') readers.push(getPeriodicExportingMetricReaderFromEnv(getOtlpMetricExporterFromEnv()));
    else if (name === 'console') readers.push(getPeriodicExportingMetricReaderFromEnv(new StderrMetricExporter()));
    else if (name === 'prometheus')
      readers.push(new (await import('@opentelemetry/exporter-prometheus')).PrometheusExporter());
    else
      diag.warn(
        `Unsupported OTEL_METRICS_EXPORTER value: "${name}". Supported values are: otlp, console, prometheus, none.`,
      );
  }
  return readers;
}

/** Runs the synchronous `fn` with process.env[name] set to `value`, then restores it. */
function withEnv<T>(name: string, value: string, fn: () => T): T {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

async function boundedShutdown(shutdown: () => Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([shutdown().then(() => 'done' as const), timeout]);
    if (outcome === 'timeout')
      process.stderr.write(
        `sluice: telemetry shutdown did not finish within ${timeoutMs} ms; last spans/metrics may be lost\n`,
      );
  } catch (error) {
    // Telemetry must not change the run's outcome: report and carry on.
    process.stderr.write(
      `sluice: telemetry shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  } finally {
    clearTimeout(timer);
  }
}

function stderrDiagLogger(): DiagLogger {
  const write =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      const extra = args
        .map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : safeJson(arg)))
        .join(' ');
      process.stderr.write(`sluice: otel ${level}: ${message}${extra ? ` ${extra}` : ''}\n`);
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    verbose: write('verbose'),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (error) {
    return `[unserialisable: ${error instanceof Error ? error.message : 'unknown'}]`;
  }
}
