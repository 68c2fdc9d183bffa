/**
 * Starts the OpenTelemetry Node SDK for the CLI — the ONLY importer of `@opentelemetry/sdk-node` (ARCHITECTURE
 * rule 6); library code uses `@opentelemetry/api` and stays no-op until this runs.
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
 * `shutdown()` flushes the last spans (batch span processor) and performs the final metric collection and export;
 * the CLI must await it after the summary and before exiting. It never throws and is bounded by
 * `shutdownTimeoutMs` so a dead collector cannot hang the exit.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';

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

const ENABLING_ENDPOINTS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'];
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

export async function startTelemetry(options: StartTelemetryOptions): Promise<TelemetryHandle | undefined> {
  if (!telemetryRequested(process.env, options.force === true)) return undefined;
  if ((process.env.OTEL_LOG_LEVEL ?? '').trim() === '') diag.setLogger(stderrDiagLogger(), DiagLogLevel.WARN);

  // Loaded only when telemetry is on: a plain run does not pay for the SDK's module graph.
  const { NodeSDK, resources } = await import('@opentelemetry/sdk-node');
  const serviceAttributes: Record<string, string> = { 'service.name': options.serviceName };
  if (options.serviceVersion !== undefined) serviceAttributes['service.version'] = options.serviceVersion;
  const processWithoutArgs = {
    detect: () => ({
      attributes: { 'process.pid': process.pid, 'process.runtime.name': 'nodejs', 'process.runtime.version': process.versions.node },
    }),
  };
  const userDetectors = (process.env.OTEL_NODE_RESOURCE_DETECTORS ?? '').trim() !== '';
  const sdk = new NodeSDK({
    resource: resources.defaultResource().merge(resources.resourceFromAttributes(serviceAttributes)),
    ...(userDetectors ? {} : { resourceDetectors: [resources.envDetector, resources.hostDetector, processWithoutArgs] }),
    instrumentations: [],
    logRecordProcessors: [],
    // sdk-node: `null` means "register no context manager" (utils.js setupContextManager); its type omits null.
    ...(options.asyncContext === true ? {} : { contextManager: null as unknown as undefined }),
  });
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

async function boundedShutdown(shutdown: () => Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([shutdown().then(() => 'done' as const), timeout]);
    if (outcome === 'timeout') process.stderr.write(`sluice: telemetry shutdown did not finish within ${timeoutMs} ms; last spans/metrics may be lost\n`);
  } catch (error) {
    // Telemetry must not change the run's outcome: report and carry on.
    process.stderr.write(`sluice: telemetry shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    clearTimeout(timer);
  }
}

function stderrDiagLogger(): DiagLogger {
  const write = (level: string) => (message: string, ...args: unknown[]) => {
    const extra = args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : safeJson(arg))).join(' ');
    process.stderr.write(`sluice: otel ${level}: ${message}${extra ? ` ${extra}` : ''}\n`);
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'), verbose: write('verbose') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (error) {
    return `[unserialisable: ${error instanceof Error ? error.message : 'unknown'}]`;
  }
}
