/**
 * USD per 1M tokens, for the cost estimate in output records, progress and the summary. The pipeline's
 * `model.prices` wins; otherwise the table below (list prices of the providers' public pages, standard tier,
 * as of 2026 — check them before you rely on them); unknown models cost 0 and the summary says "unknown".
 */
import type { ModelConfig } from './pipeline-schema.ts';

export interface Prices {
  readonly inputPer1M: number;
  readonly outputPer1M: number;
}

/** Longest matching prefix wins (`gpt-4o-mini-2024-07-18` → `gpt-4o-mini`). */
const DEFAULT_PRICES: Readonly<Record<string, Prices>> = {
  'gpt-4o-mini': { inputPer1M: 0.15, outputPer1M: 0.6 },
  'gpt-4o': { inputPer1M: 2.5, outputPer1M: 10 },
  'gpt-4.1-nano': { inputPer1M: 0.1, outputPer1M: 0.4 },
  'gpt-4.1-mini': { inputPer1M: 0.4, outputPer1M: 1.6 },
  'gpt-4.1': { inputPer1M: 2, outputPer1M: 8 },
  'gpt-3.5-turbo': { inputPer1M: 0.5, outputPer1M: 1.5 },
};

export function pricesFor(model: ModelConfig): Prices | undefined {
  if (model.prices) return model.prices;
  let best: string | undefined;
  for (const name of Object.keys(DEFAULT_PRICES)) {
    if (model.name.startsWith(name) && (!best || name.length > best.length)) best = name;
  }
  return best ? DEFAULT_PRICES[best] : undefined;
}

export function costUsd(usage: { inputTokens: number; outputTokens: number }, prices: Prices | undefined): number {
  if (!prices) return 0;
  return (usage.inputTokens * prices.inputPer1M + usage.outputTokens * prices.outputPer1M) / 1e6;
}

/**
 * Prices of the Batch API: `model.prices.batch` when set; otherwise half the online prices for OpenAI models (the
 * Batch API's published discount), and the online prices for other models (no discount is assumed where none is
 * known).
 */
export function batchPricesFor(model: ModelConfig): Prices | undefined {
  if (model.prices?.batch) return model.prices.batch;
  const online = pricesFor(model);
  if (!online || !isOpenAiModel(model.name)) return online;
  return { inputPer1M: online.inputPer1M / 2, outputPer1M: online.outputPer1M / 2 };
}

function isOpenAiModel(name: string): boolean {
  return /^(gpt-|chatgpt-|o\d)/.test(name);
}
