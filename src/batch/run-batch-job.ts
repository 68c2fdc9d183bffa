/**
 * `sluice run … --mode batch`: the job through the provider's Batch API, with the same records in and the same
 * records out as online (docs/batch.md).
 *
 *   input pass (prepare-chunks) ─▶ chunks ─▶ upload, create, poll (batch-loop) ─▶ ingest (ingest-chunk) ─▶ output
 *                └─ unreadable / unrenderable records ─▶ dead letters        records to send again ─┘
 *
 * Needs `-i FILE` (a resume numbers records by their position in it) and `-o FILE` (the state lives beside it).
 * Signals: the first SIGINT/SIGTERM stops polling (or lets an input pass or ingestion finish what is in flight,
 * within --grace) and says how to resume or cancel; the batches keep running at the provider. A second exits at once.
 */
import { rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context } from '@opentelemetry/api';
import { pipelineFingerprint } from '../config/fingerprint.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { batchPricesFor, pricesFor } from '../config/prices.ts';
import { redactSecret } from '../config/api-key.ts';
import { AdmissionGate } from '../core/admission-gate.ts';
import { ConfigError, ExitCode, JobStop } from '../core/errors.ts';
import { startPipeline } from '../core/run-pipeline.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { Sink } from '../core/stage.ts';
import { createPackContext } from '../pack/map-pack.ts';
import { resumeHint } from '../report/resume-hint.ts';
import { finishedExitCode, formatSummary, summarize } from '../report/summary.ts';
import { skipDone } from '../resume/skip-done.ts';
import { deadLetterSink } from '../sinks/dead-letter.ts';
import { fileSink } from '../sinks/file.ts';
import { routingSink } from '../sinks/routing.ts';
import { checkPackable } from '../stages/llm-map-packed.ts';
import { createMapRecordContext } from '../stages/llm-map.ts';
import { serializeJson } from '../stages/serialize-json.ts';
import { envelopeSteps } from '../core/envelope-steps.ts';
import { inputParts, readAheadWindow } from '../cli/build-job.ts';
import { logFailures } from '../stages/log-failures.ts';
import { parseDeadLetter, parseInput, parseOutput } from '../cli/endpoints.ts';
import { createModelParts } from '../cli/model-parts.ts';
import type { RunOptions } from '../cli/run-job.ts';
import { runBatchLoop, type LoopEnd } from './batch-loop.ts';
import { startBatchProgress } from './batch-progress.ts';
import { batchSummaryLine, batchSummaryOf } from './batch-summary.ts';
import { ingestChunk } from './ingest-chunk.ts';
import { openBatchJob } from './open-batch-job.ts';
import { OrdinalSet } from './ordinal-set.ts';
import { prepareChunks, RecordNumbering } from './prepare-chunks.ts';
import { createRequestRenderer } from './request-line.ts';
import { liveChunks, publicBaseUrl } from './state-file.ts';
import { describeStop, stopExitCode, type StopReason } from '../core/stop-reason.ts';
import { StopControl } from './stop-control.ts';
import { createUndiciBatchApi } from './undici-batch-api.ts';
import { workDirFor } from './work-dir.ts';

const SIGNAL_EXIT = { SIGINT: ExitCode.sigint, SIGTERM: ExitCode.sigterm } as const;

export async function runBatchJob(
  pipeline: PipelineConfig,
  options: RunOptions,
  stats: RunStats,
  traceParent?: Context,
): Promise<number> {
  const paths = batchPaths(options);
  if (pipeline.pack > 1) checkPackable(pipeline);
  // On a terminal the progress line is redrawn in place: a log line first clears it.
  const clearLine = options.progress && process.stderr.isTTY ? '\r\x1b[2K' : '';
  const log = (line: string) => void process.stderr.write(`${clearLine}${line}\n`);
  const fingerprint = pipelineFingerprint(pipeline);
  const work = workDirFor(paths.output);
  const closers: Array<() => Promise<void>> = [];
  const model = await createModelParts(
    pipeline,
    { recordContent: options.recordContent, otel: options.otel, traceParent },
    closers,
  );
  const redact = (text: string) => redactSecret(text, model.apiKey);
  const api = createUndiciBatchApi({ baseUrl: model.baseUrl, apiKey: model.apiKey });
  closers.push(() => api.close());
  const control = new StopControl();
  const progress = startBatchProgress({
    stats,
    stream: process.stderr,
    enabled: options.progress,
    intervalMs: options.progressInterval === undefined ? undefined : options.progressInterval * 1000,
  });
  let signalled: keyof typeof SIGNAL_EXIT | undefined;
  const onSignal = (signal: keyof typeof SIGNAL_EXIT) => {
    if (signalled) process.exit(SIGNAL_EXIT[signal]); // second signal: at once (files only ever get whole lines)
    signalled = signal;
    process.stderr.write(`\nsluice: ${signal}: stopping (send it again to exit now)\n`);
    control.stop({ kind: 'signal', signal });
  };
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT).on('SIGTERM', handlers.SIGTERM);

  const outputArg = options.output;
  let end: LoopEnd | undefined;
  let job: Awaited<ReturnType<typeof openBatchJob>> | undefined;
  try {
    job = await openBatchJob({
      work,
      pipelinePath: options.pipeline,
      fingerprint,
      model: pipeline.model.name,
      baseUrl: publicBaseUrl(model.baseUrl),
      inputPath: paths.input,
      outputPath: paths.output,
      deadLetterPath: paths.deadLetter,
      resume: Boolean(options.resume),
      outputArg,
      log,
    });
    const { state, save } = job;
    const gate = new AdmissionGate();
    gate.onJobStop((stop) => control.stop({ kind: 'job_stop', stop }));
    const deadLetterFields = { pipeline: resolve(options.pipeline), fingerprint };
    const sink = (): Sink<unknown> =>
      routingSink({
        output: fileSink(paths.output, { append: true }),
        deadLetter: deadLetterSink(paths.deadLetter, { append: true, fields: deadLetterFields }),
        stats,
      });
    const extraStages = options.verbose ? [envelopeSteps(logFailures(redact))] : [];

    // The input pass: numbers every record, writes the chunks, dead-letters what cannot be sent.
    const numbering = new RecordNumbering();
    const skipped = new OrdinalSet();
    const { source, framing } = await inputParts(
      { kind: 'file', path: paths.input },
      pipeline,
      stats,
      closers,
      traceParent,
    );
    const prepared = startPipeline(
      {
        source,
        framing,
        stages: [
          numbering.stage(),
          ...(job.done ? [skipDone(job.done, stats)] : []),
          prepareChunks({
            pipeline,
            renderer: createRequestRenderer(pipeline, fingerprint),
            numbering,
            state,
            save,
            work,
            limits: pipeline.batch,
            skipped,
          }),
          ...extraStages,
          serializeJson(),
        ],
        sink: sink(),
      },
      { graceMs: options.grace * 1000 },
    );
    control.setRunning(prepared);
    await prepared.done;
    control.setRunning(undefined);

    if (!control.reason) {
      const context = createPackContext(
        createMapRecordContext({
          pipeline,
          client: model.client,
          limiter: model.limiter,
          observer: model.observer,
          stats,
          gate,
          window: readAheadWindow(pipeline),
        }),
      );
      const retry = { signal: control.signal, log };
      let quotaStop: JobStop | undefined;
      const now = () => Math.floor(Date.now() / 1000);
      end = await runBatchLoop({
        state,
        submit: { api, state, save, work, retry, now },
        poll: { api, save, retry, now },
        ingest: async (chunk) => {
          const result = await ingestChunk(chunk, {
            api,
            pipeline,
            fingerprint,
            state,
            save,
            work,
            skipped,
            extraStages,
            sink,
            redact,
            log,
            graceMs: options.grace * 1000,
            signal: control.signal,
            onRunning: (running) => control.setRunning(running),
            ingest: {
              context,
              fallback: pipeline.batch.fallback,
              maxSubmissions: pipeline.batch.maxSubmissions,
              prices: { batch: batchPricesFor(pipeline.model), online: pricesFor(pipeline.model) },
              fingerprint,
              stats,
              window: readAheadWindow(pipeline),
              // Stopping now would stop this ingestion too, and the batch's answers would be lost: after it.
              onStopJob: (message) => (quotaStop ??= new JobStop('quota_exhausted', message)),
            },
          });
          if (quotaStop) control.stop({ kind: 'job_stop', stop: quotaStop });
          return result;
        },
        pollMs: pipeline.batch.pollSeconds * 1000,
        progress,
        control,
        log,
      });
    } else {
      end = { kind: 'stopped', reason: control.reason };
    }
  } finally {
    progress.stop();
    process.off('SIGINT', handlers.SIGINT).off('SIGTERM', handlers.SIGTERM);
    for (const close of closers.reverse()) await close();
  }

  // Both are set: openBatchJob and the loop either returned or threw past this point.
  const state = job!.state;
  const batch = batchSummaryOf(state);
  end = end!;
  if (end.kind === 'done') await rm(work.dir, { recursive: true, force: true });
  else process.stderr.write(`${stopMessage(end.reason, liveChunks(state).length, outputArg)}\n`);
  const stopNote = end.kind === 'stopped' ? describeStop(end.reason) : undefined;
  const summary = summarize(stats, stopNote);
  const describe = { output: paths.output, deadLetters: paths.deadLetter, resume: 'resume-flag' as const };
  process.stderr.write(`${formatSummary(summary, describe)}\n${batchSummaryLine(batch)}\n`);
  if (options.summaryJson)
    await writeFile(options.summaryJson, `${JSON.stringify({ ...summary, mode: 'batch', batch }, null, 2)}\n`);
  if (end.kind === 'stopped') return stopExitCode(end.reason);
  return finishedExitCode(summary);
}

/** The files of a batch job: input and output must be files (see the header). */
function batchPaths(options: RunOptions): { input: string; output: string; deadLetter: string } {
  const input = parseInput(options.input);
  const output = parseOutput(options.output);
  if (input.kind !== 'file')
    throw new ConfigError(
      '-i',
      '--mode batch reads a file (give -i FILE): a resumed job finds its records again by their position in it',
    );
  if (output.kind !== 'file')
    throw new ConfigError('-o', '--mode batch writes a file (give -o FILE): the job keeps its state beside it');
  const deadLetter = parseDeadLetter(options.deadLetter, output);
  if (deadLetter.kind !== 'file') throw new ConfigError('--dead-letter', '--mode batch writes dead letters to a file');
  if (options.budgetUsd !== undefined)
    throw new ConfigError(
      '--budget-usd',
      'is for --mode online: a batch is paid for once it ran, so a cap cannot stop it midway',
    );
  return { input: input.path, output: output.path, deadLetter: deadLetter.path };
}

function stopMessage(reason: StopReason, live: number, outputArg: string): string {
  const running =
    live > 0 ? `${live} batch${live === 1 ? '' : 'es'} keep${live === 1 ? 's' : ''} running at the provider; ` : '';
  switch (reason.kind) {
    case 'signal':
      return `sluice: ${reason.signal}: stopped polling; ${running}${resumeHint('resume-flag')} (it re-attaches to them and submits nothing twice)${live > 0 ? `, or cancel them with: sluice batch cancel ${outputArg}` : ''}`;
    case 'cancelled':
      return `sluice: the job's batches were cancelled; what they finished is written. ${resumeHint('resume-flag')} to submit the rest`;
    case 'job_stop':
      return `sluice: ${reason.stop.message}\nsluice: nothing is lost: ${running}${resumeHint('resume-flag')}`;
    case 'budget': // never: --mode batch refuses --budget-usd (batchPaths)
      return `sluice: ${describeStop(reason)}; nothing is lost: ${running}${resumeHint('resume-flag')}`;
  }
}
