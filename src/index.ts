/**
 * sluice as a library: every stage is a factory on the one stage contract (core/stage.ts), so a job is a plain
 * `stream.pipeline(source, ...stages, sink)`. See README "Library".
 */
export {
  createEnvelope,
  withFailure,
  withNotStarted,
  withValue,
  isOk,
  isNotStarted,
  describePosition,
} from './core/envelope.ts';
export type {
  Attempt,
  Envelope,
  FailedEnvelope,
  Failure,
  GatedEnvelope,
  NotStarted,
  NotStartedEnvelope,
  OkEnvelope,
  SourceMeta,
} from './core/envelope.ts';
export type { GatedStage, OutputSink, Sink, Stage, StageContext } from './core/stage.ts';
export { collect, fromArray } from './core/stage.ts';
export { ConfigError, ExitCode, JobStop, SluiceError } from './core/errors.ts';
export { RunStats } from './core/run-stats.ts';
export { startPipeline } from './core/run-pipeline.ts';

export { loadPipelineFile, parsePipeline } from './config/load-pipeline.ts';
export type { PipelineConfig } from './config/pipeline-schema.ts';
export { pipelineFingerprint } from './config/fingerprint.ts';

export { fileSource } from './sources/file.ts';
export { stdinSource } from './sources/stdin.ts';
export { createKafkaSource } from './sources/kafka-source.ts';
export { readLines } from './stages/read-lines.ts';
export { parseJsonLines } from './stages/parse-json.ts';
export { parseJsonArray } from './stages/parse-json-array.ts';
export { batch } from './stages/batch.ts';
export { llmMap } from './stages/llm-map.ts';
export { dropNotStarted, dropNotStartedStep } from './stages/drop-not-started.ts';
export { envelopeSteps } from './core/envelope-steps.ts';
export type { EnvelopeStep, GateExitStep } from './core/envelope-steps.ts';
export type { OutputRecord } from './stages/llm-map.ts';
export { serializeJson, serializeJsonStep } from './stages/serialize-json.ts';
export { fileSink } from './sinks/file.ts';
export { stdoutSink } from './sinks/stdout.ts';
export { deadLetterSink, deadLetterRecord } from './sinks/dead-letter.ts';
export { routingSink } from './sinks/routing.ts';
export { createKafkaSink, createKafkaDeadLetterSink } from './sinks/kafka-sink.ts';

export { createLangChainClient } from './llm/langchain-client.ts';
export type { ModelClient, ModelRequest, ModelResponse } from './llm/model-client.ts';
export { classifyError } from './llm/classify-error.ts';
export { createLimiter } from './limiter/create-limiter.ts';
export { createAutoLimiter } from './limiter/auto-limiter.ts';
export type { Limiter } from './limiter/limiter.ts';
export { createOtelCallObserver } from './telemetry/otel-call-observer.ts';

export { startSimulator, simulatedAnswer } from './sim/index.ts';
