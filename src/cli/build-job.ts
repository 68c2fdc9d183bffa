/**
 * Assembles one job from a validated pipeline and the run options: source and framing stages, resume skip,
 * the model stage (client, limiter, retry layer, telemetry observer), serialization, and the routing sink.
 * Returns the parts for core/run-pipeline plus `close()` (Kafka commits, client shutdown) and where output went.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { metrics, type Context } from '@opentelemetry/api';
import { AdmissionGate } from '../core/admission-gate.ts';
import { withValue, type Envelope } from '../core/envelope.ts';
import { envelopeSteps, type EnvelopeStep } from '../core/envelope-steps.ts';
import { ConfigError } from '../core/errors.ts';
import type { PipelineParts } from '../core/run-pipeline.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { Sink, Stage } from '../core/stage.ts';
import { resolveApiKey, redactSecret } from '../config/api-key.ts';
import type { JobBudget } from '../budget/job-budget.ts';
import { pipelineFingerprint } from '../config/fingerprint.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { costUsd, pricesFor, type Prices } from '../config/prices.ts';
import { createLimiter } from '../limiter/create-limiter.ts';
import { noopObserver, type CallObserver } from '../llm/call-observer.ts';
import type { ModelClient } from '../llm/model-client.ts';
import { resumeModeOf, type ResumeMode } from '../report/resume-hint.ts';
import { readDoneRecords, repairTornTail } from '../resume/done-records.ts';
import { skipDone } from '../resume/skip-done.ts';
import { deadLetterSink } from '../sinks/dead-letter.ts';
import { fileSink } from '../sinks/file.ts';
import { routingSink } from '../sinks/routing.ts';
import { stdoutSink } from '../sinks/stdout.ts';
import { deadLetterReplaySource } from '../sources/dead-letter-replay.ts';
import { fileSource } from '../sources/file.ts';
import { stdinSource } from '../sources/stdin.ts';
import { llmMap, type OutputRecord } from '../stages/llm-map.ts';
import { llmMapPacked } from '../stages/llm-map-packed.ts';
import { parseJsonLines } from '../stages/parse-json.ts';
import { readLines } from '../stages/read-lines.ts';
import { serializeJsonStep } from '../stages/serialize-json.ts';
import { dropNotStartedStep } from '../stages/drop-not-started.ts';
import { telemetryRequested } from '../telemetry/sdk.ts';
import { describeEndpoint, parseDeadLetter, parseInput, parseOutput, type InputEndpoint, type OutputEndpoint } from './endpoints.ts';
import type { RunOptions } from './run-job.ts';

export interface Job {
  readonly parts: PipelineParts;
  /** Releases what the job holds (final Kafka commit, producer flush). Called once, after the pipeline ended. */
  close(): Promise<void>;
  /** For the summary: where output and dead letters went, and how the job can be completed if it stops. */
  readonly describe: { readonly output: string; readonly deadLetters: string; readonly resume: ResumeMode };
  readonly fingerprint: string;
  /** `--budget-usd`: the guard and its hook into the running pipeline. */
  readonly budget?: JobBudget;
  /** The door for new model calls; closed by any stop, and where a call reports an exhausted quota. */
  readonly gate: AdmissionGate;
}

/** `traceParent`: the run span's context, so every call span nests under it (no async context manager needed). */
export async function buildJob(config: PipelineConfig, options: RunOptions, stats: RunStats, traceParent?: Context): Promise<Job> {
  const input = parseInput(options.input);
  const output = parseOutput(options.output);
  const deadLetter = parseDeadLetter(options.deadLetter, output);
  const fingerprint = pipelineFingerprint(config);
  const closers: Array<() => Promise<void>> = [];

  const done = options.resume ? await previouslyDone(output, deadLetter.kind === 'file' ? deadLetter.path : undefined, fingerprint) : undefined;
  // A fresh run with a file output starts both its files afresh: the output is truncated when opened; the
  // dead-letter file is only created when something fails, so a previous run's would otherwise survive and
  // mislead a later --resume, which reads the two files together. Dead letters of a stdout or Kafka output are
  // appended instead: no --resume reads them, and their file (by default ./sluice-dead-letters.jsonl, shared by
  // every such run in the directory) may hold an earlier run's dead letters, which must not be destroyed; each line
  // records its pipeline and fingerprint. Paths were checked by cli/job-paths before this point.
  const freshDeadLetters = !options.resume && output.kind === 'file';
  if (freshDeadLetters && deadLetter.kind === 'file') await rm(deadLetter.path, { force: true });
  // An earlier run killed mid-write may have left a torn last line; appending after it would tear our first line.
  if (!freshDeadLetters && !options.resume && deadLetter.kind === 'file') await repairTornLine(deadLetter.path);

  const apiKey = resolveApiKey(config.model, process.env);
  const baseUrl = config.model.baseUrl ?? (process.env.OPENAI_BASE_URL || undefined);
  const modelClient = await createModelClient(config, baseUrl, apiKey, closers);
  const budget = options.budgetUsd !== undefined ? await (await import('../budget/job-budget.ts')).createJobBudget(config, options.budgetUsd, modelClient) : undefined;
  const client = budget?.client ?? modelClient;
  const limiter =
    config.concurrency === 'auto'
      ? createLimiter({ algorithm: 'auto', maxLimit: config.maxConcurrency })
      : createLimiter({ algorithm: 'fixed', initialLimit: config.concurrency, maxLimit: config.concurrency, pacing: true });
  const observer = telemetryRequested(process.env, options.otel === true) ? await telemetryObserver(options, baseUrl, traceParent) : noopObserver;

  const gate = new AdmissionGate();
  const { source, framing } = options.replayFrom
    ? { source: deadLetterReplaySource(options.replayFrom, stats), framing: [parseJsonLines({ idField: config.input.idField })] }
    : await inputParts(input, config, stats, closers, traceParent);
  const stages: Stage<any, any>[] = [
    ...(done ? [skipDone(done, stats)] : []),
    (config.pack > 1 ? llmMapPacked : llmMap)({ pipeline: config, client, limiter, observer, stats, ordered: config.ordered, window: readAheadWindow(config), gate }),
    // After the model: cheap synchronous steps, chained in one stage (core/envelope-steps says why).
    envelopeSteps(
      dropNotStartedStep,
      stampRecord(fingerprint, pricesFor(config.model), stats),
      ...(options.verbose ? [logFailures((text) => redactSecret(text, apiKey))] : []),
      serializeJsonStep,
    ),
  ];

  const append = Boolean(options.resume);
  const outputSink: Sink<string> =
    output.kind === 'stdout' ? stdoutSink() : output.kind === 'file' ? fileSink(output.path, { append }) : await (await import('./kafka-parts.ts')).kafkaOutputSink(output.url, closers);
  // Dead letters record the pipeline (so `sluice replay` finds it) and its fingerprint (so --resume matches them).
  const deadLetterFields = { pipeline: resolve(options.pipeline), fingerprint };
  const deadLetterSinkPart: Sink<unknown> =
    deadLetter.kind === 'file'
      ? deadLetterSink(deadLetter.path, { append: !freshDeadLetters, fields: deadLetterFields })
      : await (await import('./kafka-parts.ts')).kafkaDeadLetterSink(deadLetter.url, deadLetterFields, closers);

  return {
    parts: { source, framing, stages, sink: routingSink({ output: outputSink, deadLetter: deadLetterSinkPart, stats }), onStop: (reason) => gate.close(reason) },
    describe: { output: describeEndpoint(output), deadLetters: describeEndpoint(deadLetter), resume: resumeModeOf(input.kind, output.kind) },
    fingerprint,
    budget,
    gate,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}

/**
 * The pipeline's model client. Each is imported only when chosen: LangChain alone takes longer to load than the
 * rest of the CLI together, and a job on the undici client never needs it.
 */
async function createModelClient(config: PipelineConfig, baseUrl: string | undefined, apiKey: string, closers: Array<() => Promise<void>>): Promise<ModelClient> {
  if (config.model.client === 'undici') {
    const { createUndiciClient } = await import('../llm/undici-client.ts');
    const client = createUndiciClient({ model: config.model, baseUrl, apiKey, connections: config.maxConcurrency });
    closers.push(() => client.close());
    return client;
  }
  const { createLangChainClient } = await import('../llm/langchain-client.ts');
  return createLangChainClient({ model: config.model, baseUrl, apiKey });
}

/**
 * Spans and metrics of every model call, when telemetry is on (the same rule as telemetry/sdk's start). When it is
 * off the OpenTelemetry API is a no-op, and the observers' per-call work (attributes, no-op spans and histograms)
 * would be pure cost: the job gets `noopObserver`, and these modules are not even loaded.
 */
async function telemetryObserver(options: RunOptions, baseUrl: string | undefined, traceParent: Context | undefined): Promise<CallObserver> {
  const [{ combineCallObservers }, { createCallMetricsObserver }, { createOtelCallObserver }] = await Promise.all([
    import('../telemetry/combine-call-observers.ts'),
    import('../telemetry/call-metrics-observer.ts'),
    import('../telemetry/otel-call-observer.ts'),
  ]);
  return combineCallObservers(
    createOtelCallObserver({ recordContent: options.recordContent, serverAddress: baseUrl, parentContext: traceParent }),
    createCallMetricsObserver(metrics.getMeter('sluice'), { serverAddress: baseUrl }),
  );
}

/**
 * How many records llm-map may hold at once. In order mode one straggler (a 10× latency tail) holds the head of
 * the line while everything behind it finishes; a window of a few times the concurrency keeps the pool busy
 * meanwhile (measured: a window equal to the limit fell to ~1 call in flight behind each straggler on saas-tier5).
 */
function readAheadWindow(config: PipelineConfig): number {
  const limit = config.concurrency === 'auto' ? config.maxConcurrency : config.concurrency;
  return config.ordered ? 4 * limit : 2 * limit;
}

export async function inputParts(input: InputEndpoint, config: PipelineConfig, stats: RunStats, closers: Array<() => Promise<void>>, traceParent?: Context) {
  const { idField, maxLineBytes, format } = config.input;
  // Kafka and the JSON-array parser are loaded only by the jobs that read them.
  if (input.kind === 'kafka') return (await import('./kafka-parts.ts')).kafkaInput(input.url, config, stats, closers, traceParent);
  const origin = input.kind === 'file' ? ({ kind: 'file', path: input.path } as const) : ({ kind: 'stdin' } as const);
  const source = input.kind === 'file' ? fileSource(input.path) : stdinSource();
  const framing =
    format === 'json-array'
      ? [(await import('../stages/parse-json-array.ts')).parseJsonArray({ idField, origin, stats })]
      : [readLines({ maxLineBytes, origin, stats }), parseJsonLines({ idField })];
  return { source, framing };
}

/** Ids a previous run finished, after repairing a torn last line in the files we will append to. */
async function previouslyDone(output: OutputEndpoint, deadLetterPath: string | undefined, fingerprint: string): Promise<Map<string, number>> {
  if (output.kind !== 'file') {
    throw new ConfigError('--resume', 'needs -o FILE: resuming reads the previous output (Kafka input resumes from committed offsets without it)');
  }
  const files = [output.path, ...(deadLetterPath ? [deadLetterPath] : [])];
  for (const file of files) await repairTornLine(file, '; its record is done again');
  const done = await readDoneRecords(files, fingerprint);
  process.stderr.write(
    `sluice: resuming: ${done.count} records already done` +
      (done.staleLines ? `, ${done.staleLines} done with another model/prompt/schema will be done again` : '') +
      '\n',
  );
  return done.ids;
}

/** Removes a partial last line (a crash mid-write) from a file we will append to, and says so on stderr. */
async function repairTornLine(file: string, consequence = ''): Promise<void> {
  const removed = await repairTornTail(file);
  if (removed > 0) process.stderr.write(`sluice: ${file}: removed a torn last line (${removed} bytes)${consequence}\n`);
}

/** Adds the pipeline fingerprint (for --resume) and the estimated cost to each output record; keeps the running cost. */
function stampRecord(fingerprint: string, prices: Prices | undefined, stats: RunStats): EnvelopeStep<OutputRecord, OutputRecord & { fingerprint: string }> {
  return (envelope) => {
    if (envelope.failure) return envelope as Envelope<any>;
    const record = envelope.value;
    const cost = costUsd(record.usage, prices);
    stats.costUsd += cost;
    const usage = prices ? { ...record.usage, costUsd: Number(cost.toFixed(8)) } : record.usage;
    return withValue(envelope, { ...record, usage, fingerprint });
  };
}

/** `--verbose`: one stderr line per dead letter, as it happens. */
function logFailures(redact: (text: string) => string): EnvelopeStep {
  return (envelope) => {
    const failure = envelope.failure;
    if (failure) process.stderr.write(redact(`sluice: dead letter ${envelope.id}: ${failure.stage}/${failure.reason}: ${failure.message}\n`));
    return envelope;
  };
}
