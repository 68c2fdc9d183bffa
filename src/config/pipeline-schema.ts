import { z } from 'zod';

/**
 * The pipeline file (`pipelines/*.yaml`), validated when it is loaded. This schema is the one source of the
 * pipeline reference in README.md ("Pipeline file", the table between the pipeline-reference markers): each
 * field's meaning is its `.describe(...)` text and its default its `.default(...)`; a default decided at run time
 * instead (an environment variable, a price table) is the `defaultText` metadata. `npm run docs:reference`
 * (scripts/pipeline-reference.ts) writes the table; a unit test fails when README's table differs from it.
 */

declare module 'zod' {
  interface GlobalMeta {
    /** README's default column for an optional field whose default is decided at run time, not by the schema. */
    defaultText?: string;
  }
}

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
  batch: TokenPricesSchema.optional().meta({
    description:
      "`{ inputPer1M, outputPer1M }` of the provider's Batch API (`mode: batch`), for output records, the summary and `--mode auto`",
    defaultText: 'half of `model.prices` for OpenAI models, else the same',
  }),
}).strict();

export const ModelSchema = z
  .object({
    name: z.string().min(1).describe('the model sent to the endpoint; `--model` overrides it'),
    baseUrl: z.string().url().optional().meta({
      description: 'OpenAI-compatible base URL (`…/v1`); `--base-url` overrides it',
      defaultText: '`OPENAI_BASE_URL`, else OpenAI',
    }),
    apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY').describe('the environment variable that holds the API key'),
    apiKeyFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'a file holding the API key (its first line), read when the `apiKeyEnv` variable is not set; a relative path is read from the current directory',
      ),
    temperature: z.number().min(0).max(2).default(0).describe('sampling temperature sent with each request (0 to 2)'),
    maxTokens: positiveInt
      .default(256)
      .describe('`max_tokens` per request (providers charge it against the rate limit at admission)'),
    timeoutMs: positiveInt.default(60_000).describe('per-attempt timeout; `--timeout` overrides it'),
    structuredOutput: z
      .enum(['jsonSchema', 'functionCalling'])
      .default('jsonSchema')
      .describe('how structured output is requested: `jsonSchema` (response_format) or `functionCalling` (tools)'),
    // Optional rather than defaulted: the chosen client is not part of what the pipeline means (config/fingerprint).
    client: z.enum(['langchain', 'undici']).optional().meta({
      description:
        'the HTTP client: `langchain` (ChatOpenAI) or `undici`, a lean HTTP client behind the same interface, 3.5× less CPU per record — for endpoints above a few hundred requests/s (docs/benchmarks.md)',
      defaultText: '`langchain`',
    }),
    prices: PricesSchema.optional().meta({
      description:
        '`{ inputPer1M, outputPer1M }` in USD per 1M input and output tokens, for cost estimates and `--budget-usd`',
      defaultText: 'a table of common OpenAI models (src/config/prices.ts)',
    }),
  })
  .strict();

export const InputSchema = z
  .object({
    format: z
      .enum(['jsonl', 'json-array'])
      .default('jsonl')
      .describe(
        '`jsonl`: one JSON object per line; `json-array`: one JSON array of objects, streamed; `--format` overrides it',
      ),
    idField: z
      .string()
      .min(1)
      .default('id')
      .describe(
        "the record's id field; a record without one gets its position (`line:N`, `item:N`). A numeric id keeps its digits as written",
      ),
    keep: z.array(z.string().min(1)).default([]).describe('input fields copied into each output record'),
    maxLineBytes: positiveInt
      .default(1_048_576)
      .describe('longer lines (and array elements) become dead letters (`line_too_long`)'),
  })
  .strict();

const TEMPLATE_SYNTAX = '`{field}` is a record field (non-strings as JSON), `{{` and `}}` are literal braces';

export const PromptSchema = z
  .object({
    system: z
      .string()
      .default('')
      .describe(`the system message template: ${TEMPLATE_SYNTAX}. With \`pack\` > 1 it may not use record fields`),
    user: z
      .string()
      .min(1)
      .describe(
        `the user message template, e.g. \`Review: {text}\`: ${TEMPLATE_SYNTAX}. A record missing a field it uses is dead-lettered`,
      ),
  })
  .strict();

export const OutputSchema = z
  .object({
    schemaName: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
      .default('result')
      .describe('the name of the structured-output schema sent to the provider (1-64 letters, digits, `_` or `-`)'),
    schema: z
      .record(z.string(), z.unknown())
      .refine((s) => s.type === 'object', 'must be a JSON Schema with type: object')
      .describe('the JSON Schema (type `object`) every answer must match'),
  })
  .strict();

export const RetriesSchema = z
  .object({
    maxAttempts: positiveInt
      .default(6)
      .describe('attempts per call, the first included; `--max-attempts` overrides it'),
    budgetRatio: z
      .number()
      .min(0)
      .max(10)
      .default(0.2)
      .describe(
        'job-wide: retries of 5xx errors and dropped connections at most this fraction of first attempts (+10); rate limits and timeouts are paced by the limiter instead',
      ),
    baseDelayMs: positiveInt
      .default(500)
      .describe("base of the exponential backoff with full jitter, never shorter than the server's `Retry-After`"),
    maxDelayMs: positiveInt.default(30_000).describe('cap of the backoff'),
  })
  .strict();

/** `mode: batch` (and `auto`): the provider's Batch API — docs/batch.md. */
export const BatchSchema = z
  .object({
    pollSeconds: z
      .number()
      .positive()
      .default(30)
      .describe('seconds between two looks at the running batches; `--poll-interval` overrides it'),
    maxRequests: positiveInt.default(50_000).describe('requests per batch (OpenAI: at most 50,000)'),
    maxBytes: positiveInt.default(200 * 1024 * 1024).describe('bytes per batch input file (OpenAI: at most 200 MB)'),
    maxTokens: positiveInt
      .optional()
      .describe(
        "prompt tokens (chars/4) per batch: set it below the model's enqueued-token limit when one batch alone would pass it",
      ),
    fallback: z
      .enum(['batch', 'online'])
      .default('batch')
      .describe(
        'requests a batch did not finish (expired, cancelled, 429/5xx): sent in a new batch, or done online; `--fallback` overrides it',
      ),
    maxSubmissions: positiveInt
      .max(100)
      .default(3)
      .describe('batches a record may be sent in (fallback batch) before it is dead-lettered'),
    deadline: z
      .string()
      .regex(/^(\d+(\.\d+)?(s|m|h|d))+$/, 'must be a duration such as 90s, 30m, 2h or 1h30m')
      .optional()
      .describe(
        '`mode: auto`: the time the job may take (`90s`, `30m`, `2h`, `1h30m`, `1d`); online when the estimate fits it; `--deadline` overrides it',
      ),
  })
  .strict();

export const PipelineSchema = z
  .object({
    name: z.string().min(1).describe('names the job (in spans and logs)'),
    description: z.string().optional().describe('a note for the reader of the file; sluice does not use it'),
    model: ModelSchema,
    input: InputSchema.default(InputSchema.parse({})),
    prompt: PromptSchema,
    output: OutputSchema,
    concurrency: z
      .union([z.literal('auto'), positiveInt])
      .default('auto')
      .describe('`auto` (the adaptive limiter) or a fixed number of calls in flight; `--concurrency` overrides it'),
    maxConcurrency: positiveInt
      .default(256)
      .describe(
        "ceiling of `auto`; sets how far ahead the input is read (4× in input order, 2× otherwise) and the `undici` client's connections. Raise it for a provider limit that needs more calls in flight (≈ requests/s × latency: 30,000 requests/min at 2.2 s needs ≈ 1,100); `--max-concurrency` overrides it",
      ),
    ordered: z
      .boolean()
      .default(true)
      .describe(
        'results in input order. A record waiting for a retry holds back the ones after it (up to the read-ahead); use `ordered: false` / `--unordered` when order does not matter',
      ),
    retries: RetriesSchema.default(RetriesSchema.parse({})),
    pack: positiveInt
      .max(100)
      .default(1)
      .describe(
        'records per request (prompt packing, docs/packing.md); the system prompt may not use record fields when packing; `--pack` overrides it',
      ),
    mode: z
      .enum(['online', 'batch', 'auto'])
      .default('online')
      .describe(
        "`online`; `batch`: the provider's Batch API, half the price, within 24 h (docs/batch.md); `auto`: online when the estimate fits `batch.deadline`, else batch; `--mode` overrides it",
      ),
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
