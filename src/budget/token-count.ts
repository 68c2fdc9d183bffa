/**
 * Prompt token counts with a real tokenizer (js-tiktoken; its BPE ranks ship inside the package — nothing is
 * downloaded). Encoding: o200k_base for the gpt-4o family and its successors (gpt-4o*, gpt-4.1*, gpt-5*, o1/o3/o4*),
 * cl100k_base for everything else (gpt-4, gpt-3.5-turbo, and as the usual approximation for non-OpenAI models).
 *
 * Chat overhead (OpenAI cookbook, "How to count tokens with tiktoken"): every message costs 3 tokens of framing on
 * top of its content, and every reply is primed with 3 more.
 */
import { Tiktoken } from 'js-tiktoken/lite';
import type { ChatMessage } from '../llm/model-client.ts';

export type EncodingName = 'o200k_base' | 'cl100k_base';

export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_REPLY = 3;

export function encodingForModel(model: string): EncodingName {
  return /^(gpt-4o|gpt-4\.1|gpt-5|o[134](-|$)|chatgpt-4o)/.test(model) ? 'o200k_base' : 'cl100k_base';
}

export interface TokenCounter {
  readonly encoding: EncodingName;
  /** Tokens of a text (special-token strings in it count as plain text). */
  count(text: string): number;
  /** Prompt tokens of a chat request: contents + per-message and reply framing. */
  countMessages(messages: readonly ChatMessage[]): number;
}

/** Loads the model's encoding (the ranks module is imported on first use: a few MB, parsed once). */
export async function loadTokenCounter(model: string): Promise<TokenCounter> {
  const encoding = encodingForModel(model);
  const ranks =
    encoding === 'o200k_base'
      ? (await import('js-tiktoken/ranks/o200k_base')).default
      : (await import('js-tiktoken/ranks/cl100k_base')).default;
  const tokenizer = new Tiktoken(ranks);
  const count = (text: string): number => tokenizer.encode(text, [], []).length;
  return {
    encoding,
    count,
    countMessages(messages) {
      let total = TOKENS_PER_REPLY;
      for (const m of messages) total += TOKENS_PER_MESSAGE + count(m.content);
      return total;
    },
  };
}
