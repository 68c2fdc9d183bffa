/**
 * Which way a job runs: `mode: online | batch` as configured, or for `auto`, what the dry-run estimate says
 * (budget/dry-run-estimate.ts, over the whole input, no model call): online when its estimated duration under the
 * stated rate limits (--rpm/--tpm, default 500 RPM / 200,000 TPM) fits `batch.deadline` (--deadline), the Batch
 * API otherwise. The choice is printed first, with both estimated costs and the duration it rests on. The online
 * duration is a lower bound (latency and concurrency are not counted), so a job that only just fits may run over.
 */
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { batchPricesFor, pricesFor, type Prices } from '../config/prices.ts';
import { ConfigError } from '../core/errors.ts';
import { RunStats } from '../core/run-stats.ts';
import { estimateInput } from '../budget/dry-run.ts';
import type { DryRunEstimate } from '../budget/dry-run-estimate.ts';
import { formatCount, formatDuration, formatUsd } from '../report/format.ts';
import { inputParts } from '../cli/build-job.ts';
import { parseInput } from '../cli/endpoints.ts';

export type RunMode = 'online' | 'batch';

export interface ModeOptions {
  readonly input: string;
  readonly replayFrom?: string;
  readonly rpm?: number;
  readonly tpm?: number;
}

export async function chooseRunMode(
  pipeline: PipelineConfig,
  options: ModeOptions,
  log: (line: string) => void,
): Promise<RunMode> {
  if (options.replayFrom) {
    if (pipeline.mode !== 'online') log(`sluice: replay runs online (mode: ${pipeline.mode} applies to sluice run)`);
    return 'online';
  }
  if (pipeline.mode !== 'auto') return pipeline.mode;
  const deadline = pipeline.batch.deadline;
  if (deadline === undefined)
    throw new ConfigError('--mode auto', 'needs a deadline: --deadline 30m (or batch.deadline in the pipeline)');
  const input = parseInput(options.input);
  if (input.kind === 'kafka')
    throw new ConfigError(
      '--mode auto',
      'estimates the whole input first: give -i FILE (a Kafka topic has no end to estimate)',
    );
  const { estimate } = await estimateInput(pipeline, options, {
    kind: input.kind,
    open: () => inputParts(input, pipeline, new RunStats(), []),
  });
  const deadlineS = parseDuration(deadline);
  const mode: RunMode = estimate.durationSecondsMin <= deadlineS ? 'online' : 'batch';
  log(describeChoice(mode, estimate, deadline, pricesFor(pipeline.model), batchPricesFor(pipeline.model)));
  return mode;
}

/** `90s`, `30m`, `2h`, `1h30m`, `1d` → seconds. */
export function parseDuration(text: string): number {
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
  let seconds = 0;
  let matched = '';
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
    seconds += Number(part[1]) * unit[part[2]!]!;
    matched += part[0];
  }
  if (matched === '' || matched !== text)
    throw new ConfigError('--deadline', `must be a duration such as 90s, 30m, 2h or 1h30m, got '${text}'`);
  return seconds;
}

function describeChoice(
  mode: RunMode,
  e: DryRunEstimate,
  deadline: string,
  online: Prices | undefined,
  batch: Prices | undefined,
): string {
  const cost = (prices: Prices | undefined) =>
    prices
      ? formatUsd((e.inputTokens * prices.inputPer1M + e.outputTokensMax * prices.outputPer1M) / 1e6)
      : 'unknown (set model.prices)';
  const duration = `at least ${formatDuration(e.durationSecondsMin * 1000)} online under ${formatCount(e.limits.rpm)} RPM / ${formatCount(e.limits.tpm)} TPM`;
  const records = `${formatCount(e.records)} records`;
  return mode === 'online'
    ? `sluice: --mode auto: online — ${records} take ${duration}, within the deadline ${deadline}; estimated cost at most ${cost(online)} (in batch: ${cost(batch)})`
    : `sluice: --mode auto: batch — ${records} would take ${duration}, past the deadline ${deadline}; batches finish within 24 h; estimated cost at most ${cost(batch)} (online: ${cost(online)})`;
}
