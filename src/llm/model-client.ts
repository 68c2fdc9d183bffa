/**
 * The model-client port: the only shape the rest of sluice knows of a model. `langchain-client.ts` is the
 * production adapter (the only importer of `@langchain/*`); decorators (retry, limiter, span) wrap this port.
 */

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** A JSON Schema object (draft 2020-12 subset) describing the structured answer. */
export type JsonSchema = Record<string, unknown>;

export interface ModelRequest {
  /** The record this call serves (several ids when records are packed). Used in spans and logs, never sent. */
  readonly recordIds: readonly string[];
  readonly messages: readonly ChatMessage[];
  /** The answer must validate against this schema. */
  readonly schema: JsonSchema;
  readonly schemaName: string;
  readonly maxTokens: number;
  /** Characters-based prompt token estimate (chars/4), the way providers charge at admission. */
  readonly promptTokenEstimate: number;
  readonly signal: AbortSignal;
  /** W3C trace headers of the source message, for the call span only; never sent to the model. */
  readonly traceHeaders?: Readonly<Record<string, string>>;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** A successful HTTP exchange. `parsed` is present when the answer was valid JSON; schema validation is the caller's. */
export interface ModelResponse {
  /** The answer text as the model sent it (content or tool-call arguments). */
  readonly raw: string;
  readonly parsed?: unknown;
  readonly usage: TokenUsage;
  /** The model name the provider reports. */
  readonly model: string;
  readonly finishReason: string;
  /** Response headers, lower-cased (`x-ratelimit-*` drive pacing). */
  readonly headers: Readonly<Record<string, string>>;
  readonly latencyMs: number;
  /** The server's own time for the call, when it says (llm/answer `serverMsOf`): the rest waited in its queue. */
  readonly serverMs?: number;
}

/**
 * A failed HTTP exchange or transport failure, normalised from whatever the SDK threw. classify-error turns it
 * into a retry decision; its message never contains the API key.
 */
export class ModelCallError extends Error {
  /** HTTP status; absent for transport failures (reset, timeout, DNS). */
  readonly status?: number;
  /** Provider error code (`rate_limit_exceeded`, `insufficient_quota`, ...). */
  readonly providerCode?: string;
  /** Provider error type (`requests`, `tokens`, `insufficient_quota`, `overloaded`, ...). */
  readonly providerType?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** `timeout`, `reset`, `aborted` for transport failures. */
  readonly transport?: 'timeout' | 'reset' | 'aborted' | 'network';
  constructor(
    message: string,
    details: {
      status?: number;
      providerCode?: string;
      providerType?: string;
      headers?: Record<string, string>;
      transport?: 'timeout' | 'reset' | 'aborted' | 'network';
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'ModelCallError';
    this.status = details.status;
    this.providerCode = details.providerCode;
    this.providerType = details.providerType;
    this.headers = details.headers ?? {};
    this.transport = details.transport;
  }
}

export interface ModelClient {
  /** Model name as configured (for spans and output records). */
  readonly model: string;
  /** Provider name for telemetry (`openai`, or the host of a compatible endpoint). */
  readonly provider: string;
  /** One HTTP attempt, no retries. Rejects with ModelCallError. */
  call(request: ModelRequest): Promise<ModelResponse>;
}
