/**
 * Assembles one job from a validated pipeline and the run options: source and framing stages, resume skip,
 * the model stage (client, limiter, retry layer, telemetry observer), serialization, and the routing sink.
 * Returns the parts for core/run-pipeline plus `close()` (Kafka commits, client shutdown) and where output went.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context } from '@opentelemetry/api';
import { AdmissionGate } from '../core/admission-gate.ts';
import { envelopeSteps } from '../core/envelope-steps.ts';
import type { PipelineParts } from '../core/run-pipeline.ts';
import type { RunStats } from '../core/run-stats.ts';
import { describeStop } from '../core/stop-reason.ts';
import type { GatedStage, OutputSink, Sink, Stage } from '../core/stage.ts';
import { redactSecret } from '../config/api-key.ts';
import type { JobBudget } from '../budget/job-budget.ts';
import { pipelineFingerprint } from '../config/fingerprint.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { pricesFor } from '../config/prices.ts';
import { resumeModeOf, type ResumeMode } from '../report/resume-hint.ts';
import { skipDone } from '../resume/skip-done.ts';
import { deadLetterSink } from '../sinks/dead-letter.ts';
import { fileSink } from '../sinks/file.ts';
import { routingSink } from '../sinks/routing.ts';
import { stdoutSink } from '../sinks/stdout.ts';
import { deadLetterReplaySource } from '../sources/dead-letter-replay.ts';
import { fileSource } from '../sources/file.ts';
import { stdinSource } from '../sources/stdin.ts';
import { llmMap } from '../stages/llm-map.ts';
import { llmMapPacked } from '../stages/llm-map-packed.ts';
import { parseJsonLines } from '../stages/parse-json.ts';
import { readLines } from '../stages/read-lines.ts';
import { serializeJsonStep } from '../stages/serialize-json.ts';
import { dropNotStartedStep } from '../stages/drop-not-started.ts';
import { logFailures } from '../stages/log-failures.ts';
import { stampRecord } from '../stages/stamp-record.ts';
import {
  describeEndpoint,
  parseDeadLetter,
  parseInput,
  parseOutput,
  type DeadLetterEndpoint,
  type InputEndpoint,
  type OutputEndpoint,
} from './endpoints.ts';
import type { KafkaLogOptions } from './kafka-parts.ts';
import { createModelParts } from './model-parts.ts';
import { appendsToOutput, readPreviousRun, repairTornLine } from './previous-run.ts';
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
export async function buildJob(
  config: PipelineConfig,
  options: RunOptions,
  stats: RunStats,
  traceParent?: Context,
): Promise<Job> {
  const input = parseInput(options.input);
  const output = parseOutput(options.output);
  const deadLetter = parseDeadLetter(options.deadLetter, output);
  const fingerprint = pipelineFingerprint(config);
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    return await assemble(
      config,
      options,
      stats,
      { input, output, deadLetter, fingerprint, closers, close },
      traceParent,
    );
  } catch (error) {
    // A Kafka end that connected before another failed to must not keep the process alive.
    await close().catch(() => undefined);
    throw error;
  }
}

interface Ends {
  readonly input: InputEndpoint;
  readonly output: OutputEndpoint;
  readonly deadLetter: DeadLetterEndpoint;
  readonly fingerprint: string;
  readonly closers: Array<() => Promise<void>>;
  readonly close: () => Promise<void>;
}

async function assemble(
  config: PipelineConfig,
  options: RunOptions,
  stats: RunStats,
  ends: Ends,
  traceParent?: Context,
): Promise<Job> {
  const { input, output, deadLetter, fingerprint, closers } = ends;

  const {
    apiKey,
    client: modelClient,
    limiter,
    observer,
  } = await createModelParts(
    config,
    { recordContent: options.recordContent, otel: options.otel, traceParent },
    closers,
  );
  const budget =
    options.budgetUsd !== undefined
      ? await (await import('../budget/job-budget.ts')).createJobBudget(config, options.budgetUsd, modelClient)
      : undefined;
  const client = budget?.client ?? modelClient;

  const gate = new AdmissionGate();
  const { source, framing } = options.replayFrom
    ? {
        source: deadLetterReplaySource(options.replayFrom, stats),
        framing: [parseJsonLines({ idField: config.input.idField })],
      }
    : await inputParts(input, config, stats, closers, traceParent, options);
  // Kafka is loaded only by the jobs that use it.
  const kafka =
    input.kind === 'kafka' || output.kind === 'kafka' || deadLetter.kind === 'kafka'
      ? await import('./kafka-parts.ts')
      : undefined;
  const outputSink: Sink<string> | undefined =
    output.kind === 'kafka' ? await kafka!.kafkaOutputSink(output.url, closers, options) : undefined;
  // Dead letters record the pipeline (so `sluice replay` finds it) and its fingerprint (so --resume matches them).
  const deadLetterFields = { pipeline: resolve(options.pipeline), fingerprint };
  const kafkaDeadLetters =
    deadLetter.kind === 'kafka'
      ? await kafka!.kafkaDeadLetterSink(deadLetter.url, deadLetterFields, closers, options)
      : undefined;

  // Files are touched only now, once every Kafka end is connected: a broker that cannot be reached leaves them as
  // they were.
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const previous = {
    output,
    deadLetterPath: deadLetter.kind === 'file' ? deadLetter.path : undefined,
    fingerprint,
    resume: Boolean(options.resume),
    replay: Boolean(options.replayFrom),
    log,
  };
  const done = await readPreviousRun(previous);
  // A fresh run with a file output starts both its files afresh: the output is truncated when opened; the
  // dead-letter file is only created when something fails, so a previous run's would otherwise survive and
  // mislead a later --resume, which reads the two files together. A replay appends to its output file
  // (cli/previous-run.ts) but starts its own dead-letter file afresh. Dead letters of a stdout or Kafka output are
  // appended instead: no --resume reads them, and their file (by default ./sluice-dead-letters.jsonl, shared by
  // every such run in the directory) may hold an earlier run's dead letters, which must not be destroyed; each line
  // records its pipeline and fingerprint. Paths were checked by cli/job-paths before this point.
  const freshDeadLetters = !options.resume && output.kind === 'file';
  if (freshDeadLetters && deadLetter.kind === 'file') await rm(deadLetter.path, { force: true });
  // An earlier run killed mid-write may have left a torn last line; appending after it would tear our first line.
  if (!freshDeadLetters && !options.resume && deadLetter.kind === 'file') await repairTornLine(deadLetter.path, log);

  const stages: Array<Stage<any, any> | GatedStage<any, any>> = [
    ...(done ? [skipDone(done, stats)] : []),
    (config.pack > 1 ? llmMapPacked : llmMap)({
      pipeline: config,
      client,
      limiter,
      observer,
      stats,
      ordered: config.ordered,
      window: readAheadWindow(config),
      gate,
    }),
    // After the model: cheap synchronous steps, chained in one stage (core/envelope-steps says why).
    envelopeSteps(
      dropNotStartedStep,
      stampRecord(fingerprint, pricesFor(config.model), stats),
      ...(options.verbose ? [logFailures((text) => redactSecret(text, apiKey))] : []),
      serializeJsonStep,
    ),
  ];

  const append = appendsToOutput(previous);
  const outputSinkPart: OutputSink<string> =
    output.kind === 'file' ? fileSink(output.path, { append }) : (outputSink ?? stdoutSink());
  const deadLetterSinkPart: Sink<unknown> =
    deadLetter.kind === 'file'
      ? deadLetterSink(deadLetter.path, { append: !freshDeadLetters, fields: deadLetterFields })
      : kafkaDeadLetters!;

  return {
    parts: {
      source,
      framing,
      stages,
      sink: routingSink({ output: outputSinkPart, deadLetter: deadLetterSinkPart, stats }),
      onStop: (reason) => gate.close(describeStop(reason)),
    },
    describe: {
      output: describeEndpoint(output),
      deadLetters: describeEndpoint(deadLetter),
      resume: resumeModeOf(input.kind, output.kind),
    },
    fingerprint,
    budget,
    gate,
    close: ends.close,
  };
}

/**
 * How many records llm-map may hold at once. In order mode one straggler (a 10× latency tail) holds the head of
 * the line while everything behind it finishes; a window of a few times the concurrency keeps the pool busy
 * meanwhile (measured: a window equal to the limit fell to ~1 call in flight behind each straggler on saas-tier5).
 */
export function readAheadWindow(config: PipelineConfig): number {
  const limit = config.concurrency === 'auto' ? config.maxConcurrency : config.concurrency;
  return config.ordered ? 4 * limit : 2 * limit;
}

export async function inputParts(
  input: InputEndpoint,
  config: PipelineConfig,
  stats: RunStats,
  closers: Array<() => Promise<void>>,
  traceParent?: Context,
  logOptions?: KafkaLogOptions,
) {
  const { idField, maxLineBytes, format } = config.input;
  // Kafka and the JSON-array parser are loaded only by the jobs that read them.
  if (input.kind === 'kafka')
    return (await import('./kafka-parts.ts')).kafkaInput(input.url, config, stats, closers, traceParent, logOptions);
  const origin = input.kind === 'file' ? ({ kind: 'file', path: input.path } as const) : ({ kind: 'stdin' } as const);
  const source = input.kind === 'file' ? fileSource(input.path) : stdinSource();
  const framing =
    format === 'json-array'
      ? [
          (await import('../stages/parse-json-array.ts')).parseJsonArray({
            idField,
            origin,
            stats,
            maxElementChars: maxLineBytes,
          }),
        ]
      : [readLines({ maxLineBytes, origin, stats }), parseJsonLines({ idField })];
  return { source, framing };
}
