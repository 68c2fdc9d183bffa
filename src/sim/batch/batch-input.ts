/**
 * Validation of a batch's input file, as the Batch API does while a batch is `validating`: every line a JSON object
 * `{custom_id, method:"POST", url:<the batch's endpoint>, body}`, custom_ids unique, at most `maxRequests` lines
 * and `maxBytes` bytes, one model. A structural problem fails the whole batch (`errors.data`, one entry per problem,
 * with its 1-based line); a body the endpoint itself would refuse (chat-request.ts) is not a validation failure:
 * that request gets its own 400 in the error file, as a real one does.
 *
 * The error codes are the simulator's own where OpenAI does not document them (documented in docs/simulator.md).
 */
import { parseChatRequest, type BadRequest, type ChatRequest } from '../chat-request.ts';

export interface BatchError {
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  readonly line: number | null;
}

export interface BatchLine {
  readonly customId: string;
  /** The request as the endpoint reads it, or why the endpoint would refuse it (400). */
  readonly request: { request: ChatRequest } | { error: BadRequest };
}

export interface BatchInput {
  readonly lines: BatchLine[];
  readonly errors: BatchError[];
  /** The one model every line names (undefined when none does). */
  readonly model: string | undefined;
  /** Prompt tokens (chars/4) of all lines: what the batch enqueues. */
  readonly tokens: number;
}

/** Errors reported per failed batch, at most (a file of 50,000 bad lines reports the first ones). */
const MAX_ERRORS = 100;

export function readBatchInput(
  content: Buffer,
  limits: { endpoint: string; maxRequests: number; maxBytes: number },
): BatchInput {
  const errors: BatchError[] = [];
  const fail = (code: string, message: string, line: number | null, param: string | null = null) => {
    if (errors.length < MAX_ERRORS) errors.push({ code, message, param, line });
  };
  if (content.length > limits.maxBytes)
    fail(
      'file_too_large',
      `The input file is ${content.length} bytes; a batch input file may hold at most ${limits.maxBytes} bytes.`,
      null,
    );
  const texts = content.toString('utf8').split('\n');
  const lines: BatchLine[] = [];
  const seen = new Set<string>();
  const models = new Set<string>();
  let tokens = 0;
  texts.forEach((text, index) => {
    const lineNo = index + 1;
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      void error; // reported as the line's validation error
      return fail('invalid_json_line', `This line is not parseable as valid JSON.`, lineNo);
    }
    if (!isObject(parsed)) return fail('invalid_json_line', 'Each line must be a JSON object.', lineNo);
    const { custom_id: customId, method, url, body } = parsed;
    if (typeof customId !== 'string' || customId === '')
      return fail('missing_required_parameter', "Missing required parameter: 'custom_id'.", lineNo, 'custom_id');
    if (method !== 'POST')
      return fail('invalid_value', "Invalid value for 'method': only POST is supported.", lineNo, 'method');
    if (url !== limits.endpoint)
      return fail(
        'mismatched_url',
        `The url '${String(url)}' does not match the batch's endpoint '${limits.endpoint}'.`,
        lineNo,
        'url',
      );
    if (!isObject(body))
      return fail('missing_required_parameter', "Missing required parameter: 'body'.", lineNo, 'body');
    if (seen.has(customId))
      return fail(
        'duplicate_custom_id',
        `The custom_id '${customId}' is used more than once; each custom_id must be unique within a batch.`,
        lineNo,
        'custom_id',
      );
    seen.add(customId);
    if (typeof body.model === 'string') models.add(body.model);
    const request = parseChatRequest(body);
    if ('request' in request) tokens += request.request.promptTokens;
    lines.push({ customId, request });
  });
  if (lines.length > limits.maxRequests)
    fail(
      'too_many_requests',
      `The batch holds ${lines.length} requests; a batch may hold at most ${limits.maxRequests}.`,
      null,
    );
  if (models.size > 1)
    fail(
      'mismatched_model',
      `Every request of a batch must use the same model (found ${[...models].join(', ')}).`,
      null,
      'model',
    );
  if (lines.length === 0 && errors.length === 0) fail('empty_file', 'The input file holds no request.', null);
  return { lines, errors, model: models.values().next().value, tokens };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
