/**
 * `sluice run PIPELINE`: the main job. Reads records (file, stdin, Kafka), calls the model for each, writes
 * results (file, stdout, Kafka) and dead letters. Options override the pipeline file; see README "CLI".
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RunOptions } from '../run-job.ts';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a pipeline over records from a file, stdin or Kafka')
    .argument('<pipeline>', 'pipeline file (YAML), e.g. pipelines/review-insights.yaml')
    .option('-i, --input <source>', 'input: a file, - for stdin, or kafka://host:port/topic?group=G', '-')
    .option('-o, --output <sink>', 'output: a file, - for stdout, or kafka://host:port/topic', '-')
    .option('--dead-letter <sink>', 'dead letters: a file or kafka://host:port/topic (default: next to the output)')
    .addOption(new Option('--format <format>', 'input format (overrides input.format)').choices(['jsonl', 'json-array']))
    .option('-c, --concurrency <n|auto>', 'calls in flight: a number, or auto (adaptive)', parseConcurrency)
    .option('--max-concurrency <n>', 'upper bound of auto, and the read-ahead window', parsePositiveInt)
    .option('--unordered', 'write results as they complete instead of in input order')
    .option('--resume', 'skip records a previous run with the same output already finished (same model, prompt, schema)')
    .option('--grace <seconds>', 'on SIGINT/SIGTERM, time given to in-flight calls before they are cancelled', parseNonNegative, 30)
    .option('--model <name>', 'model name (overrides model.name)')
    .option('--base-url <url>', 'OpenAI-compatible endpoint (overrides model.baseUrl and OPENAI_BASE_URL)')
    .option('--timeout <ms>', 'per-attempt timeout (overrides model.timeoutMs)', parsePositiveInt)
    .option('--max-attempts <n>', 'attempts per record (overrides retries.maxAttempts)', parsePositiveInt)
    .option('--no-progress', 'no progress line on stderr')
    .option('--progress-interval <seconds>', 'status line period when stderr is not a terminal', parseNonNegative)
    .option('--summary-json <file>', 'also write the final summary as JSON to this file')
    .option('--otel', 'export traces and metrics over OTLP even without OTEL_EXPORTER_OTLP_ENDPOINT')
    .option('--record-content', 'record prompt and answer text in spans (off by default)')
    .option('-v, --verbose', 'log each dead letter and retry to stderr')
    .action(async (pipeline: string, options: Omit<RunOptions, 'pipeline'>) => {
      // Loaded on use: the model stack is heavy, and `sluice sim` / `validate` should start fast without it.
      const { runJob } = await import('../run-job.ts');
      process.exitCode = await runJob({ ...options, pipeline });
    });
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an integer ≥ 1');
  return n;
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0');
  return n;
}

function parseConcurrency(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : parsePositiveInt(value);
}
