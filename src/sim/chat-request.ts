/**
 * Parse and validate a `POST /v1/chat/completions` body into what the simulator needs, or an OpenAI-shaped 400.
 * Covers what @langchain/openai's withStructuredOutput sends: response_format json_schema / json_object, and
 * tools + tool_choice (function calling). Prompt tokens are estimated as ceil(message chars / 4), as providers do
 * at admission (docs/profiles.md).
 */
import type { JsonSchema } from './schema-instance.ts';

export type AnswerMode = 'text' | 'json_object' | 'json_schema' | 'tool';

export interface ChatRequest {
  model: string;
  lastUserMessage: string;
  promptTokens: number;
  /** max_completion_tokens ?? max_tokens; undefined when absent. */
  maxTokens: number | undefined;
  stream: boolean;
  includeUsage: boolean;
  mode: AnswerMode;
  schema: JsonSchema | undefined;
  /** The function name for mode 'tool'. */
  toolName: string | undefined;
}

export interface BadRequest {
  message: string;
  param: string | null;
  code: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let out = '';
    for (const part of content) if (isObj(part) && typeof part.text === 'string') out += part.text;
    return out;
  }
  return '';
}

function bad(message: string, param: string | null, code: string | null = null): { error: BadRequest } {
  return { error: { message, param, code } };
}

function positiveInt(body: Obj, key: string): number | undefined | { error: BadRequest } {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    return bad(`Invalid type for '${key}': expected an integer, but got ${typeof v} instead.`, key, 'invalid_type');
  }
  if (v < 1)
    return bad(
      `Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${v} instead.`,
      key,
      'integer_below_min_value',
    );
  return v;
}

/** Validate a parsed JSON body. */
export function parseChatRequest(body: unknown): { request: ChatRequest } | { error: BadRequest } {
  if (!isObj(body))
    return bad('We could not parse the JSON body of your request. The body must be a JSON object.', null);
  if (typeof body.model !== 'string' || body.model === '')
    return bad('you must provide a model parameter', 'model', null);
  const messages = body.messages;
  if (messages === undefined)
    return bad("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages))
    return bad("Invalid type for 'messages': expected an array of objects.", 'messages', 'invalid_type');
  if (messages.length === 0)
    return bad(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  let chars = 0;
  let lastUser = '';
  let mentionsJson = false;
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isObj(m) || typeof m.role !== 'string') {
      return bad(
        `Missing required parameter: 'messages[${i}].role'.`,
        `messages[${i}].role`,
        'missing_required_parameter',
      );
    }
    const text = contentText(m.content);
    chars += text.length;
    if (m.role === 'user') lastUser = text;
    if (!mentionsJson && /json/i.test(text)) mentionsJson = true;
  }
  const maxTokens = positiveInt(body, 'max_tokens');
  if (isObj(maxTokens)) return maxTokens;
  const maxCompletion = positiveInt(body, 'max_completion_tokens');
  if (isObj(maxCompletion)) return maxCompletion;

  let mode: AnswerMode = 'text';
  let schema: JsonSchema | undefined;
  let toolName: string | undefined;
  const rf = body.response_format;
  if (rf !== undefined && rf !== null) {
    if (!isObj(rf) || typeof rf.type !== 'string')
      return bad("Invalid type for 'response_format': expected an object.", 'response_format', 'invalid_type');
    if (rf.type === 'json_schema') {
      const js = rf.json_schema;
      if (!isObj(js))
        return bad(
          "Missing required parameter: 'response_format.json_schema'.",
          'response_format.json_schema',
          'missing_required_parameter',
        );
      if (typeof js.name !== 'string')
        return bad(
          "Missing required parameter: 'response_format.json_schema.name'.",
          'response_format.json_schema.name',
          'missing_required_parameter',
        );
      mode = 'json_schema';
      schema = isObj(js.schema) ? (js.schema as JsonSchema) : {};
    } else if (rf.type === 'json_object') {
      if (!mentionsJson) {
        return bad(
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
          'messages',
          null,
        );
      }
      mode = 'json_object';
    } else if (rf.type !== 'text') {
      return bad(
        `Invalid value: '${rf.type}'. Supported values are: 'json_object', 'json_schema', and 'text'.`,
        'response_format.type',
        'invalid_value',
      );
    }
  }
  const tools = body.tools;
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools))
      return bad("Invalid type for 'tools': expected an array of objects.", 'tools', 'invalid_type');
    const fns = new Map<string, JsonSchema>();
    for (let i = 0; i < tools.length; i++) {
      const t: unknown = tools[i];
      if (!isObj(t) || !isObj(t.function) || typeof t.function.name !== 'string') {
        return bad(
          `Missing required parameter: 'tools[${i}].function'.`,
          `tools[${i}].function`,
          'missing_required_parameter',
        );
      }
      fns.set(t.function.name, isObj(t.function.parameters) ? (t.function.parameters as JsonSchema) : {});
    }
    const choice = body.tool_choice;
    if (isObj(choice)) {
      const name = isObj(choice.function) ? choice.function.name : undefined;
      if (typeof name !== 'string' || !fns.has(name)) {
        return bad(
          `Invalid value for 'tool_choice': no function named '${String(name)}' was specified in the 'tools' parameter.`,
          'tool_choice',
          null,
        );
      }
      mode = 'tool';
      toolName = name;
    } else if (choice !== 'none' && fns.size > 0) {
      // 'auto' and 'required' both call the first tool: a deterministic model always uses its tool.
      mode = 'tool';
      toolName = fns.keys().next().value;
    }
    if (mode === 'tool' && toolName !== undefined) schema = fns.get(toolName);
  }
  const streamOptions = body.stream_options;
  return {
    request: {
      model: body.model,
      lastUserMessage: lastUser,
      promptTokens: Math.ceil(chars / 4),
      maxTokens: maxCompletion ?? maxTokens,
      stream: body.stream === true,
      includeUsage: isObj(streamOptions) && streamOptions.include_usage === true,
      mode,
      schema,
      toolName,
    },
  };
}
