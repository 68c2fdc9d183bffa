/**
 * Options shared by `sluice run` and `sluice replay`: where results go, how hard to push the model, and what to
 * show. Each overrides the pipeline file; README "CLI" documents them.
 */
import { InvalidArgumentError, type Command } from 'commander';

export function addJobOptions(command: Command): Command {
  return command
    .option('-o, --output <sink>', 'output: a file, - for stdout, or kafka://host:port/topic', '-')
    .option('-c, --concurrency <n|auto>', 'calls in flight: a number, or auto (adaptive)', parseConcurrency)
    .option('--max-concurrency <n>', 'upper bound of auto, and of the read-ahead window', parsePositiveInt)
    .option('--unordered', 'write results as they complete instead of in input order')
    .option(
      '--resume',
      'skip records a previous run with the same output already finished (same model, prompt, schema)',
    )
    .option(
      '--grace <seconds>',
      'on SIGINT/SIGTERM, time given to in-flight calls before they are cancelled',
      parseNonNegative,
      30,
    )
    .option('--model <name>', 'model name (overrides model.name)')
    .option('--base-url <url>', 'OpenAI-compatible endpoint (overrides model.baseUrl and OPENAI_BASE_URL)')
    .option('--timeout <ms>', 'per-attempt timeout (overrides model.timeoutMs)', parsePositiveInt)
    .option('--max-attempts <n>', 'attempts per record (overrides retries.maxAttempts)', parsePositiveInt)
    .option('--no-progress', 'no progress line on stderr')
    .option(
      '--progress-interval <seconds>',
      'status line period when stderr is not a terminal (default 5)',
      parseNonNegative,
    )
    .option('--summary-json <file>', 'also write the final summary as JSON to this file')
    .option('--otel', 'export traces and metrics over OTLP even without OTEL_EXPORTER_OTLP_ENDPOINT')
    .option('--record-content', 'record prompt and answer text in spans (off by default)')
    .option('-v, --verbose', 'log each dead letter to stderr as it happens')
    .option('--pack <k>', 'records per model request, 1-100 (prompt packing; overrides pack)', parsePositiveInt)
    .option(
      '--budget-usd <usd>',
      'never start a request that could take spending past this; stops with exit 5 (resumable)',
      parseNonNegative,
    )
    .option('--dry-run', 'read the input and estimate tokens, cost and duration without calling the model')
    .option('--rpm <n>', 'requests per minute assumed by --dry-run (default 500)', parsePositiveInt)
    .option('--tpm <n>', 'tokens per minute assumed by --dry-run (default 200000)', parsePositiveInt);
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an integer ≥ 1');
  return n;
}

export function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0');
  return n;
}

function parseConcurrency(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : parsePositiveInt(value);
}
