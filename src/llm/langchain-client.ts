import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import type { ModelConfig } from '../config/pipeline-schema.ts';
import { createHeaderCapture, type CapturedExchange } from './header-capture.ts';
import { describeChain, makeRedactor } from './error-text.ts';
import { modelCallErrorFromHttp } from './http-error.ts';
import {
  ModelCallError,
  type ChatMessage,
  type JsonSchema,
  type ModelClient,
  type ModelRequest,
  type ModelResponse,
  type TokenUsage,
} from './model-client.ts';
import { answerFromBody, answerFromMessage, serverMsOf, type Answer } from './answer.ts';
import { attemptDeadline } from './attempt-deadline.ts';
import { structuredOutputFields } from './chat-body.ts';

/**
 * The production ModelClient: LangChain's `ChatOpenAI` against any OpenAI-compatible endpoint (OpenAI, Azure-
 * compatible gateways, Ollama, vLLM, LiteLLM, the simulator). The only module of sluice's jobs that loads `@langchain/*`
 * (answer.ts takes a type from it); the bench's LangChain peer, bench/langchain-batch-run.ts, is the one other
 * importer (docs/architecture.md, house rule 6).
 *
 * - One `ChatOpenAI` per client, built once; structured-output call options built once per schema.
 * - `maxRetries: 0`: sluice's retry layer (execute-call) is the only one.
 * - Rate-limit headers: LangChain does not expose HTTP headers, so the client passes its own `fetch` and tags
 *   each call with a private header that the fetch strips before sending (header-capture.ts). That correlates
 *   every HTTP exchange with its call without relying on async context.
 * - `jsonSchema` output goes through the OpenAI SDK's `chat.completions.parse`, which throws on
 *   `finish_reason: length` and on malformed JSON — losing the answer. The captured body restores it: the raw
 *   text is kept and `parsed` is left absent, so the caller can re-ask with the validation error.
 * - Per-attempt deadline: `model.timeoutMs` combined with the request's signal, passed as the invoke signal.
 * - Every failure is normalised into ModelCallError; no message ever contains the API key.
 */

export interface LangChainClientOptions {
  readonly model: ModelConfig;
  /** OpenAI-compatible base URL (`…/v1`). Absent: OpenAI itself. */
  readonly baseUrl?: string;
  readonly apiKey: string;
  /** HTTP implementation (default: the global fetch). Tests and benchmarks inject undici's. */
  readonly fetch?: typeof globalThis.fetch;
  /** Clock for latency (default `performance.now`). */
  readonly now?: () => number;
}

type StructuredCallOptions = Record<string, unknown>;

export function createLangChainClient(options: LangChainClientOptions): ModelClient {
  const { model, apiKey } = options;
  const now = options.now ?? (() => performance.now());
  const capture = createHeaderCapture(options.fetch ?? globalThis.fetch);
  const redact = makeRedactor(apiKey);
  const chatFor = chatModels(options, capture.fetch);
  const structuredFor = structuredOptions(model);

  return {
    model: model.name,
    provider: providerName(options.baseUrl),
    async call(request: ModelRequest): Promise<ModelResponse> {
      const deadline = attemptDeadline(request.signal, model.timeoutMs);
      const signal = deadline.signal;
      const exchange = capture.begin();
      const started = now();
      let message: AIMessage;
      let captured: CapturedExchange | undefined;
      try {
        message = (await chatFor(request.maxTokens).invoke(toLangChainMessages(request.messages), {
          ...structuredFor(request.schema, request.schemaName),
          signal,
          options: { headers: exchange.tagHeaders },
        })) as AIMessage;
        captured = exchange.result();
      } catch (error) {
        captured = exchange.result();
        const recovered = recoverAnswer(error, captured, model, captured?.wireMs ?? now() - started);
        if (recovered) return recovered;
        throw normaliseError(error, captured, {
          timedOut: deadline.timedOut(),
          aborted: request.signal.aborted,
          redact,
        });
      } finally {
        exchange.end();
        deadline.clear();
      }
      // Time on the wire when the exchange was captured (it always is): the SDK's own work is not the model's.
      const latencyMs = captured?.wireMs ?? now() - started;
      const answer = answerFromMessage(message, model.structuredOutput);
      return {
        ...answer,
        usage: usageOf(message, captured),
        model: String(message.response_metadata?.model_name ?? model.name),
        headers: captured?.headers ?? {},
        latencyMs,
        serverMs: serverMsOf(message.additional_kwargs?.__raw_response),
      };
    },
  };
}

/**
 * max_tokens is a constructor field of ChatOpenAI, not a call option: one instance per distinct request.maxTokens
 * (a packed request of k records asks k × model.maxTokens), built on first use; the pipeline's own is built at once.
 */
function chatModels(
  options: LangChainClientOptions,
  fetch: typeof globalThis.fetch,
): (maxTokens: number) => ChatOpenAI {
  const { model, apiKey } = options;
  const chats = new Map<number, ChatOpenAI>();
  const chatFor = (maxTokens: number): ChatOpenAI => {
    let chat = chats.get(maxTokens);
    if (!chat) {
      chat = new ChatOpenAI({
        model: model.name,
        apiKey,
        temperature: model.temperature,
        maxTokens,
        maxRetries: 0,
        // Safety net only: the per-attempt deadline is the signal passed to invoke (timeoutMs combined with the job's).
        timeout: model.timeoutMs + 1000,
        configuration: { baseURL: options.baseUrl, fetch },
        // The raw completion rides along in additional_kwargs.__raw_response: llama.cpp's `timings` are only there.
        __includeRawResponse: true,
      });
      chats.set(maxTokens, chat);
    }
    return chat;
  };
  chatFor(model.maxTokens);
  return chatFor;
}

/** The structured-output call options of a schema (llm/chat-body), computed once per schema object. */
function structuredOptions(model: ModelConfig): (schema: JsonSchema, name: string) => StructuredCallOptions {
  const bySchema = new WeakMap<JsonSchema, StructuredCallOptions>();
  return (schema, name) => {
    let callOptions = bySchema.get(schema);
    if (!callOptions) {
      callOptions = structuredOutputFields(model.structuredOutput, schema, name);
      bySchema.set(schema, callOptions);
    }
    return callOptions;
  };
}

/** sluice's chat messages as LangChain's message objects (also used by the bench's LangChain peer, bench/langchain-batch-run.ts). */
export function toLangChainMessages(messages: readonly ChatMessage[]): BaseMessage[] {
  return messages.map((m) =>
    m.role === 'system'
      ? new SystemMessage(m.content)
      : m.role === 'user'
        ? new HumanMessage(m.content)
        : new AIMessage(m.content),
  );
}

function usageOf(message: AIMessage, captured: CapturedExchange | undefined): TokenUsage {
  const usage = message.usage_metadata;
  if (usage) return { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0 };
  return captured?.body ? answerFromBody(captured.body).usage : { inputTokens: 0, outputTokens: 0 };
}

/**
 * A 2xx answer the SDK refused to hand over (`LengthFinishReasonError`, malformed JSON in `parse`): rebuild the
 * response from the captured body so the raw answer is kept and the caller can re-ask.
 */
function recoverAnswer(
  error: unknown,
  captured: CapturedExchange | undefined,
  model: ModelConfig,
  latencyMs: number,
): ModelResponse | undefined {
  if (!captured || captured.status < 200 || captured.status >= 300 || captured.body === undefined) return undefined;
  let answer: Answer & { usage: TokenUsage; model?: string };
  try {
    answer = answerFromBody(captured.body, model.structuredOutput);
  } catch (parseError) {
    void parseError; // the body itself is not a chat completion: report the SDK's error instead
    void error;
    return undefined;
  }
  return {
    raw: answer.raw,
    parsed: answer.parsed,
    finishReason: answer.finishReason,
    usage: answer.usage,
    model: answer.model ?? model.name,
    headers: captured.headers,
    latencyMs,
  };
}

function normaliseError(
  error: unknown,
  captured: CapturedExchange | undefined,
  context: { timedOut: boolean; aborted: boolean; redact: (t: string) => string },
): ModelCallError {
  const { redact } = context;
  if (captured && captured.status >= 400)
    return modelCallErrorFromHttp(captured.status, captured.body ?? '', captured.headers, redact);
  const headers = captured?.headers ?? {};
  const text = redact(describeChain(error));
  if (context.aborted) return new ModelCallError(`aborted: ${text}`, { transport: 'aborted', headers, cause: error });
  if (context.timedOut || isNamed(error, 'TimeoutError'))
    return new ModelCallError(`timed out: ${text}`, { transport: 'timeout', headers, cause: error });
  const transportError = captured?.transportError ?? error;
  if (isReset(transportError))
    return new ModelCallError(`connection reset: ${text}`, { transport: 'reset', headers, cause: error });
  if (captured?.transportError !== undefined || isNamed(error, 'APIConnectionError'))
    return new ModelCallError(`network error: ${text}`, { transport: 'network', headers, cause: error });
  if (isNamed(error, 'AbortError'))
    return new ModelCallError(`aborted: ${text}`, { transport: 'aborted', headers, cause: error });
  return new ModelCallError(text, { headers, cause: error });
}

const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

/** Walks the `cause` chain: undici reports a mid-response reset as TypeError('terminated') caused by a SocketError. */
function isReset(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RESET_CODES.has(code)) return true;
    if (e instanceof Error && /terminated|socket hang up|other side closed/i.test(e.message)) return true;
  }
  return false;
}

function isNamed(error: unknown, name: string): boolean {
  return (
    (error as { name?: unknown; constructor?: { name?: unknown } } | null)?.name === name ||
    (error as { constructor?: { name?: unknown } } | null)?.constructor?.name === name
  );
}

function providerName(baseUrl: string | undefined): string {
  if (!baseUrl) return 'openai';
  try {
    const host = new URL(baseUrl).hostname;
    return host === 'api.openai.com' ? 'openai' : host;
  } catch (error) {
    void error; // the schema validated it as a URL; keep the raw text if it still does not parse
    return baseUrl;
  }
}
