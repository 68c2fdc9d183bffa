import type { AIMessage } from '@langchain/core/messages';
import type { ModelConfig } from '../config/pipeline-schema.ts';
import type { TokenUsage } from './model-client.ts';

/**
 * Extracts the structured answer from what the model sent: the message content (`jsonSchema`) or the first tool
 * call's arguments (`functionCalling`). `parsed` is present only when the raw text is valid JSON; validation
 * against the schema is the caller's.
 */

export interface Answer {
  readonly raw: string;
  readonly parsed?: unknown;
  readonly finishReason: string;
}

type Method = ModelConfig['structuredOutput'];

interface RawToolCall {
  function?: { arguments?: string };
}

export function answerFromMessage(message: AIMessage, method: Method): Answer {
  const finishReason = String(message.response_metadata?.finish_reason ?? 'unknown');
  if (method === 'functionCalling') {
    const rawCalls = message.additional_kwargs?.tool_calls as RawToolCall[] | undefined;
    const rawArguments = rawCalls?.[0]?.function?.arguments;
    if (rawArguments !== undefined) return { raw: rawArguments, ...parseJson(rawArguments), finishReason };
    const call = message.tool_calls?.[0];
    if (call) return { raw: JSON.stringify(call.args), parsed: call.args, finishReason };
    const invalid = message.invalid_tool_calls?.[0];
    if (invalid?.args !== undefined) return { raw: invalid.args, finishReason };
  }
  const raw = contentText(message.content);
  return { raw, ...parseJson(raw), finishReason };
}

/**
 * The server's own time for a call, ms, when its answer says: llama.cpp's server puts `timings` (prompt processing
 * + generation) in every chat completion. The rest of the call's time on the wire was spent waiting in its queue
 * for a slot (or on the network). Undefined for servers that do not say.
 */
export function serverMsOf(body: unknown): number | undefined {
  const timings = (body as { timings?: { prompt_ms?: unknown; predicted_ms?: unknown } } | null)?.timings;
  const prompt = timings?.prompt_ms;
  const predicted = timings?.predicted_ms;
  if (typeof prompt !== 'number' || typeof predicted !== 'number') return undefined;
  const total = prompt + predicted;
  return Number.isFinite(total) && total >= 0 ? total : undefined;
}

/** Same extraction from a raw chat-completions response body; throws when it is not one. */
export function answerFromBody(
  body: string,
  method: Method = 'jsonSchema',
): Answer & { usage: TokenUsage; model?: string; serverMs?: number } {
  return answerFromCompletion(JSON.parse(body) as unknown, method);
}

/** Same extraction from a parsed chat-completions body (a Batch API output line carries it parsed); throws when it is not one. */
export function answerFromCompletion(
  body: unknown,
  method: Method = 'jsonSchema',
): Answer & { usage: TokenUsage; model?: string; serverMs?: number } {
  const data = (body ?? {}) as {
    model?: string;
    choices?: { finish_reason?: string; message?: { content?: string | null; tool_calls?: RawToolCall[] } }[];
    usage?: { prompt_tokens?: number; completion_tokens?: number };
  };
  const choice = data.choices?.[0];
  if (!choice) throw new Error('not a chat completion: no choices');
  const toolArguments = method === 'functionCalling' ? choice.message?.tool_calls?.[0]?.function?.arguments : undefined;
  const raw = toolArguments ?? choice.message?.content ?? '';
  const serverMs = serverMsOf(body);
  return {
    raw,
    ...parseJson(raw),
    finishReason: choice.finish_reason ?? 'unknown',
    usage: { inputTokens: data.usage?.prompt_tokens ?? 0, outputTokens: data.usage?.completion_tokens ?? 0 },
    model: data.model,
    ...(serverMs !== undefined && { serverMs }),
  };
}

function contentText(content: AIMessage['content']): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const block of content)
    if (typeof block === 'object' && block !== null && 'text' in block && typeof block.text === 'string')
      text += block.text;
  return text;
}

function parseJson(raw: string): { parsed?: unknown } {
  if (raw === '') return {};
  try {
    return { parsed: JSON.parse(raw) as unknown };
  } catch (error) {
    void error; // malformed answer: `parsed` stays absent and the caller re-asks with the error
    return {};
  }
}
