/**
 * What each request of a batch answers, and the lines of the output and error files (OpenAI's per-line object
 * `{id, custom_id, response: {status_code, request_id, body} | null, error: {code, message} | null}`):
 * - a request the endpoint answers: status 200 and the same `chat.completion` the online endpoint would send
 *   (the same content function, sim/simulated-content.ts; completion tokens drawn the same way);
 * - a request the endpoint refuses (a bad body, or a `[[sim:status=N]]` directive): its status and error body, in
 *   the error file;
 * - a request the batch never ran (it expired, or was cancelled first): `response: null` and the error
 *   `batch_expired` / `batch_cancelled`, in the error file, as OpenAI writes them.
 */
import { parseDirectives } from '../directives.ts';
import { forcedErrorBody } from '../error-injection.ts';
import { sampleOutputTokens } from '../latency-model.ts';
import { completionBody, errorBody, tokensOf, usageOf } from '../openai-shapes.ts';
import type { ProfileParams } from '../profiles.ts';
import type { Rng } from '../rng.ts';
import { simulatedContent } from '../simulated-content.ts';
import type { BatchLine } from './batch-input.ts';

export interface LineOutcome {
  readonly customId: string;
  /** Answered with status 200 (a line of the output file); else a line of the error file. */
  readonly ok: boolean;
  readonly line: string;
}

export interface ExecutionContext {
  readonly params: ProfileParams;
  readonly rng: Rng;
  /** Content faults served, by kind (the simulator's stats). */
  readonly faults: Record<string, number>;
  /** Prefix of the per-request ids (`batch_req_…`, `req_…`): the batch's own. */
  readonly idPrefix: string;
  /** Unix seconds, the `created` of the completions. */
  readonly created: number;
}

/** Every request's outcome, in input order (decided when the batch starts running). */
export function executeLines(lines: readonly BatchLine[], ctx: ExecutionContext): LineOutcome[] {
  return lines.map((line, index) => executeLine(line, index, ctx));
}

function executeLine(line: BatchLine, index: number, ctx: ExecutionContext): LineOutcome {
  const ids = { line: `batch_req_${ctx.idPrefix}_${index}`, request: `req_${ctx.idPrefix}_${index}` };
  if ('error' in line.request) {
    const { message, param, code } = line.request.error;
    return errorLine(line.customId, ids, 400, errorBody(message, 'invalid_request_error', param, code));
  }
  const request = line.request.request;
  const directives = parseDirectives(request.lastUserMessage);
  if (directives.status !== undefined && directives.status !== 200) {
    return errorLine(
      line.customId,
      ids,
      directives.status,
      forcedErrorBody(request.model, ctx.params.org, directives.status),
    );
  }
  const content = simulatedContent(request, directives, ctx.params, ctx.rng, ctx.faults);
  const tool = request.mode === 'tool';
  const body = completionBody({
    id: `chatcmpl-${ids.request}`,
    created: ctx.created,
    model: request.model,
    content: tool ? null : content.text,
    toolCall: tool
      ? { id: `call_${ids.request}`, name: request.toolName ?? 'tool', arguments: content.text }
      : undefined,
    finishReason: tool && content.finishReason === 'stop' ? 'tool_calls' : content.finishReason,
    usage: usageOf(
      request.promptTokens,
      Math.max(tokensOf(content.text), sampleOutputTokens(ctx.params, ctx.rng, request.maxTokens)),
    ),
  });
  return { customId: line.customId, ok: true, line: responseLine(line.customId, ids, 200, body) };
}

/** The error-file line of a request the batch did not run. */
export function unfinishedLine(customId: string, id: string, why: 'expired' | 'cancelled'): string {
  const error =
    why === 'expired'
      ? { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' }
      : { code: 'batch_cancelled', message: 'This request could not be executed before the batch was cancelled.' };
  return JSON.stringify({ id, custom_id: customId, response: null, error });
}

function errorLine(
  customId: string,
  ids: { line: string; request: string },
  status: number,
  body: string,
): LineOutcome {
  return { customId, ok: false, line: responseLine(customId, ids, status, body) };
}

/** `body` is already JSON text: spliced in, not parsed and serialised again. */
function responseLine(customId: string, ids: { line: string; request: string }, status: number, body: string): string {
  return `{"id":${JSON.stringify(ids.line)},"custom_id":${JSON.stringify(customId)},"response":{"status_code":${status},"request_id":${JSON.stringify(ids.request)},"body":${body}},"error":null}`;
}
