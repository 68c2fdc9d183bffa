/**
 * `sluice run --dry-run`: reads the input with the job's own source and framing, estimates (dry-run-estimate.ts)
 * and prints on stderr the prompt the first record would be sent (to check the templates before paying for a
 * call) and the estimate (also as JSON to --summary-json) — without building a model client, so no request is ever
 * made. Nothing goes to stdout. Kafka input is refused: a dry run must not consume (or commit) anything.
 */
import { writeFile } from 'node:fs/promises';
import type { Envelope } from '../core/envelope.ts';
import { ConfigError, ExitCode } from '../core/errors.ts';
import { startPipeline, type PipelineParts } from '../core/run-pipeline.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { batchPricesFor, pricesFor, type Prices } from '../config/prices.ts';
import { formatCount, formatDuration, formatUsd } from '../report/format.ts';
import { createDryRunEstimator, DEFAULT_DRY_RUN_LIMITS, type DryRunEstimate } from './dry-run-estimate.ts';
import { loadTokenCounter } from './token-count.ts';
import { createPromptRenderer, type RenderResult } from '../llm/prompt.ts';

export interface DryRunOptions {
  readonly rpm?: number;
  readonly tpm?: number;
  readonly summaryJson?: string;
  /** `batch`: costs at the Batch API's prices (config/prices batchPricesFor). */
  readonly mode?: 'online' | 'batch';
}

export type DryRunInput = { readonly kind: string; open(): Promise<Pick<PipelineParts, 'source' | 'framing'>> };

/** `input` yields the source and framing of the job (cli/build-job inputParts); returns the exit code. */
export async function runDryRun(config: PipelineConfig, options: DryRunOptions, input: DryRunInput): Promise<number> {
  const prices = options.mode === 'batch' ? batchPricesFor(config.model) : pricesFor(config.model);
  const { estimate, badRecords, firstPrompt } = await estimateInput(config, options, input, prices);
  process.stderr.write(formatEstimate(estimate, badRecords, options.mode ?? 'online', firstPrompt));
  if (options.summaryJson)
    await writeFile(options.summaryJson, `${JSON.stringify({ dryRun: true, ...estimate, badRecords }, null, 2)}\n`);
  return ExitCode.ok;
}

/** Reads the whole input and estimates it (no model call); `prices` default to the online ones. */
export async function estimateInput(
  config: PipelineConfig,
  options: Pick<DryRunOptions, 'rpm' | 'tpm'>,
  input: DryRunInput,
  prices: Prices | undefined = pricesFor(config.model),
): Promise<{ estimate: DryRunEstimate; badRecords: number; firstPrompt?: string }> {
  if (input.kind === 'kafka')
    throw new ConfigError('--dry-run', 'needs file or stdin input (a dry run must not consume a Kafka topic)');
  const parts = await input.open();
  const counter = await loadTokenCounter(config.model.name);
  const limits = { rpm: options.rpm ?? DEFAULT_DRY_RUN_LIMITS.rpm, tpm: options.tpm ?? DEFAULT_DRY_RUN_LIMITS.tpm };
  const estimator = createDryRunEstimator(config, counter, prices, limits);
  let badRecords = 0;
  let firstPrompt: string | undefined;
  const renderer = createPromptRenderer(config.prompt);
  const sink = async (source: AsyncIterable<Envelope<Record<string, unknown>>>): Promise<void> => {
    for await (const envelope of source) {
      if (envelope.failure) badRecords++;
      else {
        estimator.add(envelope.value, envelope.id);
        firstPrompt ??= describePrompt(envelope.id, renderer.render(envelope.value));
      }
    }
  };
  await startPipeline({ source: parts.source, framing: parts.framing, stages: [], sink }, { graceMs: 0 }).done;
  return { estimate: estimator.finish(), badRecords, ...(firstPrompt !== undefined && { firstPrompt }) };
}

/** The messages the first record would be sent, indented; long prompts are cut (the estimate counts them whole). */
function describePrompt(id: string, rendered: RenderResult): string {
  if (!rendered.ok)
    return `  the first record (${id}) lacks ${rendered.missing.map((f) => `{${f}}`).join(', ')}: it would be a dead letter`;
  const lines = rendered.messages.map((m) => {
    const text =
      m.content.length > MAX_PROMPT_CHARS
        ? `${m.content.slice(0, MAX_PROMPT_CHARS)}… (${m.content.length} characters)`
        : m.content;
    return `    ${m.role}: ${text.trimEnd().replaceAll('\n', '\n      ')}`;
  });
  return [`  the prompt of the first record (${id}):`, ...lines].join('\n');
}

const MAX_PROMPT_CHARS = 2000;

function formatEstimate(e: DryRunEstimate, badRecords: number, mode: 'online' | 'batch', firstPrompt?: string): string {
  const priced = mode === 'batch' ? ' at the Batch API price' : '';
  const cost =
    e.costUsdMax === null
      ? 'unknown (no price for this model: set model.prices)'
      : `at most ${formatUsd(e.costUsdMax)}${priced} (input alone ${formatUsd(e.costUsdInput ?? 0)})`;
  return [
    `sluice: dry run — no model call made (model ${e.model}, tokenizer ${e.encoding}, pack ${e.pack}${mode === 'batch' ? ', mode batch' : ''})`,
    ...(firstPrompt ? [firstPrompt] : []),
    `  records ${formatCount(e.records)} → requests ${formatCount(e.requests)}` +
      (e.unrenderable ? `, ${formatCount(e.unrenderable)} would be dead letters (missing field)` : '') +
      (badRecords ? `, ${formatCount(badRecords)} unreadable lines` : ''),
    `  input tokens ${formatCount(e.inputTokens)}, output tokens at most ${formatCount(e.outputTokensMax)} (max_tokens per request)`,
    `  estimated cost ${cost}`,
    mode === 'batch'
      ? `  estimated duration: within the batches' 24 h completion window (online: at least ${formatDuration(e.durationSecondsMin * 1000)} under ${formatCount(e.limits.rpm)} RPM / ${formatCount(e.limits.tpm)} TPM)`
      : `  estimated duration at least ${formatDuration(e.durationSecondsMin * 1000)} under ${formatCount(e.limits.rpm)} RPM / ${formatCount(e.limits.tpm)} TPM (--rpm/--tpm; latency and concurrency not counted)`,
    '',
  ].join('\n');
}
