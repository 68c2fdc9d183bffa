/**
 * The `--dry-run` estimate, as a pure fold over records (no I/O, no model): each record is rendered as the job
 * would send it — alone, or packed k at a time exactly as pack/map-pack.ts builds a packed request — and counted.
 *
 * - Input tokens: the real tokenizer (budget/token-count.ts: o200k_base for the gpt-4o family, cl100k_base
 *   otherwise) over the messages, with the chat framing (3 per message + 3 per reply).
 * - Output tokens: an UPPER BOUND, max_tokens per request (k × max_tokens when packed): what an answer costs
 *   cannot be known without asking the model.
 * - Cost: input at the input price plus that upper bound at the output price (so: at most), and input alone.
 * - Duration, a LOWER bound under the stated rate limits only (latency and concurrency ignored):
 *   max(requests / RPM, charged tokens / TPM) minutes, where a request is charged as providers charge at
 *   admission: prompt chars/4 + max_tokens (OpenAI "Rate limits" guide; docs/profiles.md).
 * Records that cannot be rendered (a missing field) are counted as would-be dead letters and cost nothing.
 */
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import type { Prices } from '../config/prices.ts';
import type { ChatMessage } from '../llm/model-client.ts';
import { createPromptRenderer } from '../llm/prompt.ts';
import { packedUserMessage, type PackedItem } from '../pack/packed-format.ts';
import type { TokenCounter } from './token-count.ts';

/** Rate limits assumed when none are given: OpenAI usage tier 1 for gpt-4o-mini class models (= sim saas-tier1). */
export const DEFAULT_DRY_RUN_LIMITS = { rpm: 500, tpm: 200_000 } as const;

export interface DryRunLimits {
  readonly rpm: number;
  readonly tpm: number;
}

export interface DryRunEstimate {
  readonly model: string;
  readonly encoding: string;
  readonly pack: number;
  readonly records: number;
  /** Records that would be dead-lettered before any call (missing field). */
  readonly unrenderable: number;
  readonly requests: number;
  readonly inputTokens: number;
  /** Provider-style admission estimate (chars/4) of the same prompts. */
  readonly inputTokensCharsOver4: number;
  readonly outputTokensMax: number;
  readonly costUsdMax: number | null;
  readonly costUsdInput: number | null;
  readonly prices: Prices | null;
  readonly limits: DryRunLimits;
  readonly durationSecondsMin: number;
}

export interface DryRunEstimator {
  add(record: Record<string, unknown>, id: string): void;
  finish(): DryRunEstimate;
}

export function createDryRunEstimator(
  config: PipelineConfig,
  counter: TokenCounter,
  prices: Prices | undefined,
  limits: DryRunLimits,
): DryRunEstimator {
  const renderer = createPromptRenderer(config.prompt);
  const maxTokens = config.model.maxTokens;
  let records = 0;
  let unrenderable = 0;
  let requests = 0;
  let inputTokens = 0;
  let charTokens = 0;
  let outputTokensMax = 0;
  let system: ChatMessage[] = [];
  let pending: PackedItem[] = [];

  const request = (messages: readonly ChatMessage[], items: number): void => {
    requests++;
    inputTokens += counter.countMessages(messages);
    charTokens += Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
    outputTokensMax += maxTokens * items;
  };
  const flush = (): void => {
    if (pending.length === 1) request([...system, { role: 'user', content: pending[0]!.input }], 1);
    else if (pending.length > 1)
      request([...system, { role: 'user', content: packedUserMessage(pending) }], pending.length);
    pending = [];
  };

  return {
    add(record, id) {
      records++;
      const rendered = renderer.render(record);
      if (!rendered.ok) {
        unrenderable++;
        return;
      }
      if (config.pack <= 1) {
        request(rendered.messages, 1);
        return;
      }
      system = rendered.messages.filter((m) => m.role === 'system');
      pending.push({ id, input: rendered.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '' });
      if (pending.length >= config.pack) flush();
    },
    finish() {
      flush();
      const usd = (tokens: number, per1M: number) => (tokens * per1M) / 1e6;
      const chargedTokens = charTokens + outputTokensMax;
      return {
        model: config.model.name,
        encoding: counter.encoding,
        pack: config.pack,
        records,
        unrenderable,
        requests,
        inputTokens,
        inputTokensCharsOver4: charTokens,
        outputTokensMax,
        costUsdMax: prices ? usd(inputTokens, prices.inputPer1M) + usd(outputTokensMax, prices.outputPer1M) : null,
        costUsdInput: prices ? usd(inputTokens, prices.inputPer1M) : null,
        prices: prices ?? null,
        limits,
        durationSecondsMin: 60 * Math.max(requests / limits.rpm, chargedTokens / limits.tpm),
      };
    },
  };
}
