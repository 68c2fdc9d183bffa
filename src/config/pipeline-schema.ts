import { z } from 'zod';

/**
 * The pipeline file (`pipelines/*.yaml`), validated when it is loaded. Every field is documented in README.md
 * ("Pipeline file", the table between the pipeline-reference markers); defaults live here and only here.
 */

const positiveInt = z.number().int().min(1);

const TokenPricesSchema = z
  .object({
    /** USD per 1M input (prompt) tokens. */
    inputPer1M: z.number().min(0),
    /** USD per 1M output (completion) tokens. */
    outputPer1M: z.number().min(0),
  })
  .strict();

export const PricesSchema = TokenPricesSchema.extend({
  /** Prices of the provider's Batch API (`mode: batch`); default: half the above for OpenAI models (config/prices). */
  batch: TokenPricesSchema.optional(),
}).strict();

export const ModelSchema = z
  .object({
    /** Model name sent to the endpoint. */
    name: z.string().min(1),
    /** OpenAI-compatible base URL (…/v1). Falls back to OPENAI_BASE_URL, then OpenAI itself. */
    baseUrl: z.string().url().optional(),
    /** Name of the environment variable that holds the API key. */
    apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY'),
    /** A file holding the API key (first line); used when the environment variable is not set. */
    apiKeyFile: z.string().min(1).optional(),
    temperature: z.number().min(0).max(2).default(0),
    /** max_tokens per request; the provider charges it at admission. */
    maxTokens: positiveInt.default(256),
    /** Per-attempt timeout. */
    timeoutMs: positiveInt.default(60_000),
    /** How structured output is requested: JSON schema response_format, or a function call. */
    structuredOutput: z.enum(['jsonSchema', 'functionCalling']).default('jsonSchema'),
    /**
     * HTTP backend: `langchain` (default, ChatOpenAI) or `undici` (lean keep-alive pool, ~8× less CPU per call;
     * for endpoints above a few hundred requests/s — see docs/benchmarks.md, client ceiling).
     */
    client: z.enum(['langchain', 'undici']).optional(),
    /** USD per 1M tokens; defaults exist for common models (see llm/prices). */
    prices: PricesSchema.optional(),
  })
  .strict();

export const InputSchema = z
  .object({
    /** `jsonl`: one JSON object per line. `json-array`: one JSON array of objects, streamed. */
    format: z.enum(['jsonl', 'json-array']).default('jsonl'),
    /** Field holding the record id; records without it get their line number (`line:12`). */
    idField: z.string().min(1).default('id'),
    /** Input fields copied into each output record. */
    keep: z.array(z.string().min(1)).default([]),
    /** Longer lines become dead letters (`line_too_long`). */
    maxLineBytes: positiveInt.default(1_048_576),
  })
  .strict();

export const PromptSchema = z
  .object({
    /** System message. `{field}` placeholders are filled from the record; `{{` and `}}` are literal braces. */
    system: z.string().default(''),
    /** User message template, e.g. `Review: {text}`. A record missing a referenced field is dead-lettered. */
    user: z.string().min(1),
  })
  .strict();

export const OutputSchema = z
  .object({
    /** Name of the structured-output schema sent to the provider. */
    schemaName: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
      .default('result'),
    /** JSON Schema (object) every answer must validate against. */
    schema: z.record(z.string(), z.unknown()).refine((s) => s.type === 'object', 'must be a JSON Schema with type: object'),
  })
  .strict();

export const RetriesSchema = z
  .object({
    /** Attempts per record, first included. */
    maxAttempts: positiveInt.default(6),
    /** Job-wide retry budget: retries may not exceed this fraction of first attempts (plus a small floor). */
    budgetRatio: z.number().min(0).max(10).default(0.2),
    /** Base of the full-jitter exponential backoff. */
    baseDelayMs: positiveInt.default(500),
    /** Cap of the backoff. */
    maxDelayMs: positiveInt.default(30_000),
  })
  .strict();

/** `mode: batch` (and `auto`): the provider's Batch API — docs/batch.md. */
export const BatchSchema = z
  .object({
    /** Seconds between two looks at the running batches. */
    pollSeconds: z.number().positive().default(30),
    /** Requests per batch (OpenAI: at most 50,000). */
    maxRequests: positiveInt.default(50_000),
    /** Bytes per batch input file (OpenAI: at most 200 MB). */
    maxBytes: positiveInt.default(200 * 1024 * 1024),
    /** Prompt tokens (chars/4) per batch; below the model's enqueued-token limit, no batch passes it alone. */
    maxTokens: positiveInt.optional(),
    /** Requests a batch did not finish (expired, cancelled, 429/5xx): in a new batch, or done online. */
    fallback: z.enum(['batch', 'online']).default('batch'),
    /** Batches a record may be sent in (fallback batch) before it is dead-lettered. */
    maxSubmissions: positiveInt.max(100).default(3),
    /** `mode: auto`: the time the job may take (`45m`, `2h`, `1h30m`); online when the estimate fits it. */
    deadline: z
      .string()
      .regex(/^(\d+(\.\d+)?(s|m|h|d))+$/, 'must be a duration such as 90s, 30m, 2h or 1h30m')
      .optional(),
  })
  .strict();

export const PipelineSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    model: ModelSchema,
    input: InputSchema.default(InputSchema.parse({})),
    prompt: PromptSchema,
    output: OutputSchema,
    /** `auto` (adaptive limiter) or a fixed number of calls in flight. */
    concurrency: z.union([z.literal('auto'), positiveInt]).default('auto'),
    /** Upper bound for `auto`, and the read-ahead window of llm-map. */
    maxConcurrency: positiveInt.default(256),
    /** Emit results in input order (default) or as they complete. */
    ordered: z.boolean().default(true),
    retries: RetriesSchema.default(RetriesSchema.parse({})),
    /** Records per model request (prompt packing). */
    pack: positiveInt.max(100).default(1),
    /** `online` (default), `batch` (the provider's Batch API: half the price, within 24 h), or `auto` (by `batch.deadline`). */
    mode: z.enum(['online', 'batch', 'auto']).default('online'),
    batch: BatchSchema.default(BatchSchema.parse({})),
  })
  .strict();

export type PipelineConfig = z.infer<typeof PipelineSchema>;
export type ModelConfig = z.infer<typeof ModelSchema>;
export type InputConfig = z.infer<typeof InputSchema>;
export type PromptConfig = z.infer<typeof PromptSchema>;
export type OutputConfig = z.infer<typeof OutputSchema>;
export type RetriesConfig = z.infer<typeof RetriesSchema>;
export type BatchConfig = z.infer<typeof BatchSchema>;
