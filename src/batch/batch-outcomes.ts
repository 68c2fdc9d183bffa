/**
 * What became of each request of a finished batch, read from its output and error files (OpenAI's per-line
 * `{custom_id, response: {status_code, body} | null, error: {code, message} | null}`), keyed by request number:
 * - `answered`: status 200 and a chat completion — the answer goes through the same validation as online;
 * - `refused`: another status — classified like an online failure (llm/classify-error): a 400 is the record's
 *   dead letter, a 429/5xx is `unfinished` (it may succeed when sent again);
 * - `unfinished`: never run (`batch_expired`, `batch_cancelled`), refused in a way that may pass later, or absent
 *   from both files (a failed batch runs nothing).
 * Lines are kept as text until their record is ingested (a 50,000-line output file is parsed one line at a time).
 */
import { createReadStream } from 'node:fs';
import split2 from 'split2';
import type { ModelConfig } from '../config/pipeline-schema.ts';
import { answerFromCompletion } from '../llm/answer.ts';
import { classifyError } from '../llm/classify-error.ts';
import { modelCallErrorFromHttp } from '../llm/http-error.ts';
import type { ModelResponse } from '../llm/model-client.ts';
import { parseCustomId } from './request-line.ts';

export type Outcome =
  | { readonly kind: 'answered'; readonly response: ModelResponse }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string; readonly message: string }
  | {
      readonly kind: 'unfinished';
      readonly reason: string;
      readonly message: string;
      readonly status?: number;
      /** The provider reports the quota is exhausted: the job stops (resumable). */
      readonly stopJob?: boolean;
      /** Sending it in another batch would fail the same way (the batch's input was refused). */
      readonly final?: boolean;
    };

/** The lines of the given result files by request number (lines of another job's custom ids are ignored). */
export async function readResultLines(
  paths: readonly string[],
  fingerprint: string,
): Promise<{ lines: Map<number, string>; foreign: number }> {
  const lines = new Map<number, string>();
  let foreign = 0;
  for (const path of paths) {
    for await (const line of createReadStream(path).pipe(split2()) as AsyncIterable<string>) {
      if (line.trim() === '') continue;
      const id = customIdOfLine(line);
      const parsed = id === undefined ? undefined : parseCustomId(id);
      if (!parsed || parsed.fingerprint !== fingerprint) foreign++;
      else lines.set(parsed.seq, line);
    }
  }
  return { lines, foreign };
}

/**
 * The custom_id of a request or result line, found without parsing the whole line (its body can be large). The
 * first `"custom_id":` outside any string is the line's own: inside strings every quote is escaped.
 */
export function customIdOfLine(line: string): string | undefined {
  const match = /"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(line);
  return match ? (JSON.parse(match[1]!) as string) : undefined;
}

/** The outcome a result line says; `redact` removes the key from any message. */
export function outcomeOf(line: string, model: ModelConfig, redact: (text: string) => string): Outcome {
  const data = JSON.parse(line) as {
    response?: { status_code?: number; body?: unknown } | null;
    error?: { code?: string; message?: string } | null;
  };
  const response = data.response;
  if (!response || typeof response.status_code !== 'number') {
    const code = data.error?.code ?? 'batch_request_failed';
    return {
      kind: 'unfinished',
      reason: code,
      message: redact(`${code}: ${data.error?.message ?? 'the request was not run'}`),
    };
  }
  const status = response.status_code;
  if (status >= 200 && status < 300) {
    try {
      const answer = answerFromCompletion(response.body, model.structuredOutput);
      return {
        kind: 'answered',
        response: {
          raw: answer.raw,
          parsed: answer.parsed,
          finishReason: answer.finishReason,
          usage: answer.usage,
          model: answer.model ?? model.name,
          headers: {},
          latencyMs: 0,
        },
      };
    } catch (error) {
      return {
        kind: 'refused',
        status,
        reason: 'bad_response',
        message: redact(`${status} not a chat completion: ${(error as Error).message}`),
      };
    }
  }
  const error = modelCallErrorFromHttp(status, JSON.stringify(response.body ?? ''), {}, redact);
  const classification = classifyError(error);
  if (classification.retry || classification.stopJob)
    return {
      kind: 'unfinished',
      reason: classification.reason,
      message: error.message,
      status,
      stopJob: classification.stopJob,
    };
  return { kind: 'refused', status, reason: classification.reason, message: error.message };
}
