/**
 * Response bodies and headers in OpenAI's documented shapes: chat.completion, chat.completion.chunk (SSE), error
 * bodies, x-ratelimit-* headers with Go-style durations, and the 429 texts quoted in docs/profiles.md.
 */

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface CompletionParts {
  id: string;
  created: number;
  model: string;
  /** Message content; null when the answer is a tool call. */
  content: string | null;
  toolCall: ToolCall | undefined;
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: Usage;
}

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** Completion tokens of an answer text, by the same chars/4 estimate as prompts (at least 1). */
export function tokensOf(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function completionBody(p: CompletionParts): string {
  const message = p.toolCall
    ? {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          { id: p.toolCall.id, type: 'function', function: { name: p.toolCall.name, arguments: p.toolCall.arguments } },
        ],
      }
    : { role: 'assistant', content: p.content, refusal: null };
  return JSON.stringify({
    id: p.id,
    object: 'chat.completion',
    created: p.created,
    model: p.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: p.finishReason }],
    usage: p.usage,
    system_fingerprint: 'fp_sluice_sim',
  });
}

function chunk(p: CompletionParts, delta: object, finish: string | null): string {
  return `data: ${JSON.stringify({
    id: p.id,
    object: 'chat.completion.chunk',
    created: p.created,
    model: p.model,
    system_fingerprint: 'fp_sluice_sim',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })}\n\n`;
}

/**
 * The SSE events of a streamed answer: a role chunk, the content (or tool-call arguments) in pieces, a chunk with
 * the finish_reason, a usage chunk with empty choices when `include_usage`, then `data: [DONE]`.
 */
export function sseEvents(p: CompletionParts, includeUsage: boolean, pieceChars = 24): { first: string; rest: string } {
  let first: string;
  let rest = '';
  const text = p.toolCall ? p.toolCall.arguments : (p.content ?? '');
  if (p.toolCall) {
    first = chunk(
      p,
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { index: 0, id: p.toolCall.id, type: 'function', function: { name: p.toolCall.name, arguments: '' } },
        ],
      },
      null,
    );
    for (let i = 0; i < text.length; i += pieceChars) {
      rest += chunk(p, { tool_calls: [{ index: 0, function: { arguments: text.slice(i, i + pieceChars) } }] }, null);
    }
  } else {
    first = chunk(p, { role: 'assistant', content: '', refusal: null }, null);
    for (let i = 0; i < text.length; i += pieceChars)
      rest += chunk(p, { content: text.slice(i, i + pieceChars) }, null);
  }
  rest += chunk(p, {}, p.finishReason);
  if (includeUsage) {
    rest += `data: ${JSON.stringify({ id: p.id, object: 'chat.completion.chunk', created: p.created, model: p.model, system_fingerprint: 'fp_sluice_sim', choices: [], usage: p.usage })}\n\n`;
  }
  rest += 'data: [DONE]\n\n';
  return { first, rest };
}

/** `{"error":{"message","type","param","code"}}`, OpenAI's error envelope. */
export function errorBody(
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/**
 * Go's time.Duration.String() as OpenAI prints reset headers: `0s`, `12ms`, `1.5s`, `6m0s`, `1h2m3s`.
 * Sub-millisecond values are rounded up to `1ms` so a positive wait never prints as zero.
 */
export function goDuration(seconds: number): string {
  if (!(seconds > 0)) return '0s';
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))}ms`;
  const trim = (s: number) => String(Math.round(s * 1000) / 1000);
  if (seconds < 60) return `${trim(seconds)}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds - h * 3600 - m * 60;
  return `${h > 0 ? `${h}h` : ''}${m}m${trim(s)}s`;
}

/** "try again in" text: `120ms` below a second, else seconds with 3 decimals at most (`9.816s`). */
export function tryAgainIn(seconds: number): string {
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))}ms`;
  return `${Math.round(seconds * 1000) / 1000}s`;
}

export type RateKind = 'requests' | 'tokens';
const UNIT: Record<string, string> = {
  requests: 'requests per min (RPM)',
  tokens: 'tokens per min (TPM)',
  day: 'requests per day (RPD)',
  second: 'requests per second (RPS)',
};

/** The 429 rate-limit message of docs/profiles.md. `window` picks the unit text; the JSON `type` stays requests|tokens. */
export function rateLimitMessage(
  model: string,
  org: string,
  window: 'requests' | 'tokens' | 'day' | 'second',
  limit: number,
  used: number,
  requested: number,
  waitSeconds: number,
): string {
  return (
    `Rate limit reached for ${model} in organization ${org} on ${UNIT[window]}: Limit ${limit}, Used ${used}, ` +
    `Requested ${requested}. Please try again in ${tryAgainIn(waitSeconds)}. ` +
    'Visit https://platform.openai.com/account/rate-limits to learn more.'
  );
}

export function requestTooLargeMessage(model: string, org: string, limit: number, requested: number): string {
  return (
    `Request too large for ${model} in organization ${org} on tokens per min (TPM): Limit ${limit}, ` +
    `Requested ${requested}. The input or output tokens must be reduced in order to run successfully. ` +
    'Visit https://platform.openai.com/account/rate-limits to learn more.'
  );
}

export const QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more ' +
  'information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';
