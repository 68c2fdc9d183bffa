/**
 * The JSON body of one `POST /chat/completions`, as each model client sends it. Two dialects, one per client:
 *
 * - `undici` (undici-client.ts builds its body with `undiciBodyWriter`, the same bytes, tested):
 *   `{model, messages, temperature, max_tokens, <structured output>}`.
 * - `langchain`: what ChatOpenAI (@langchain/openai, through the OpenAI SDK) serialises for the same request:
 *   `{model, temperature, stream:false, <structured output>, max_tokens, messages}`. LangChain builds its own body;
 *   this function reproduces it byte for byte so that a provider Batch API request (src/batch) is exactly the
 *   request the online job would have sent. test/integration/batch-request-body.test.ts captures what each client
 *   really sends and compares bytes, so an SDK upgrade that changes the serialisation fails a test.
 *
 * Structured output is requested the same way by both clients: `response_format` json_schema (strict only when the
 * schema allows it), or one forced function call.
 */
import type { ModelConfig } from '../config/pipeline-schema.ts';
import type { ChatMessage, JsonSchema } from './model-client.ts';

export type ChatBodyDialect = 'langchain' | 'undici';

/** What a body is built from: the request's own parts (the model's settings come from ModelConfig). */
export interface ChatBodyRequest {
  readonly messages: readonly ChatMessage[];
  readonly schema: JsonSchema;
  readonly schemaName: string;
  readonly maxTokens: number;
}

/** The body the configured client (`model.client`, default langchain) sends for `request`. */
export function chatRequestBody(model: ModelConfig, request: ChatBodyRequest): string {
  const structured = structuredOutputFields(model.structuredOutput, request.schema, request.schemaName);
  return model.client === 'undici'
    ? undiciChatBody(model, request, structured)
    : langchainChatBody(model, request, structured);
}

/** `structured`: `structuredOutputFields(...)` for the request's schema. */
export function undiciChatBody(
  model: ModelConfig,
  request: ChatBodyRequest,
  structured: Record<string, unknown>,
): string {
  return JSON.stringify({
    model: model.name,
    messages: request.messages,
    temperature: model.temperature,
    max_tokens: request.maxTokens,
    ...structured,
  });
}

/**
 * What undici-client sends: `undiciChatBody` byte for byte, with all but the messages serialized once per (schema,
 * max_tokens). The schema travels in every request, and serializing it again per call was the client's largest
 * allocation (a sampled allocation profile of `sluice run`).
 */
export function undiciBodyWriter(model: ModelConfig): (request: ChatBodyRequest) => string {
  const head = `{"model":${JSON.stringify(model.name)},"messages":`;
  const tails = new WeakMap<JsonSchema, Map<number, string>>();
  return (request) => {
    let byMaxTokens = tails.get(request.schema);
    if (!byMaxTokens) tails.set(request.schema, (byMaxTokens = new Map()));
    let tail = byMaxTokens.get(request.maxTokens);
    if (tail === undefined) {
      const rest = JSON.stringify({
        temperature: model.temperature,
        max_tokens: request.maxTokens,
        ...structuredOutputFields(model.structuredOutput, request.schema, request.schemaName),
      });
      tail = `,${rest.slice(1)}`; // the fields after "messages", and the closing brace
      byMaxTokens.set(request.maxTokens, tail);
    }
    return head + JSON.stringify(request.messages) + tail;
  };
}

function langchainChatBody(model: ModelConfig, request: ChatBodyRequest, structured: Record<string, unknown>): string {
  const messages = request.messages.map((m) => ({ role: m.role, content: m.content }));
  return JSON.stringify({
    model: model.name,
    temperature: model.temperature,
    stream: false,
    ...structured,
    max_tokens: request.maxTokens,
    messages,
  });
}

/** `response_format` json_schema (strict when the schema allows it), or one forced function call. */
export function structuredOutputFields(
  method: ModelConfig['structuredOutput'],
  schema: JsonSchema,
  name: string,
): Record<string, unknown> {
  if (method === 'functionCalling') {
    const description = typeof schema.description === 'string' ? schema.description : undefined;
    return {
      tools: [{ type: 'function', function: { name, description, parameters: schema } }],
      tool_choice: { type: 'function', function: { name } },
    };
  }
  return {
    response_format: { type: 'json_schema', json_schema: { name, schema, strict: isStrictCompatible(schema) } },
  };
}

/**
 * OpenAI's strict mode rejects schemas where some property is optional or extra properties are allowed; ask for
 * strict decoding only when the schema already satisfies that (top level), otherwise the provider answers 400.
 */
export function isStrictCompatible(schema: JsonSchema): boolean {
  if (schema.additionalProperties !== false) return false;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {}).every((p) => required.has(p));
}
