import { ModelCallError } from './model-client.ts';
import { exhaustedResetMs, retryAfterHeaderMs } from './provider-headers.ts';

/**
 * The one place where errors get their meaning (docs/architecture.md, house rule 3). The retry layer, the limiter outcome and
 * dead-letter reasons all follow from this table:
 *
 * | what                                   | reason           | retry | congestion | stopJob |
 * |----------------------------------------|------------------|-------|------------|---------|
 * | 429 insufficient_quota                 | quota_exhausted  | no    | no         | yes     |
 * | 429/5xx "overloaded" (TGI, OpenAI)     | overloaded       | yes   | yes        | no      |
 * | 429 other (rate_limit_exceeded, Azure) | rate_limited     | yes   | yes        | no      |
 * | timeout (transport or 408)             | timeout          | yes   | yes        | no      |
 * | 409, 5xx                               | server_error     | yes   | no         | no      |
 * | connection reset / network failure     | connection_reset / network | yes | no | no     |
 * | 400/422, 401, 403, 404, other 4xx      | bad_request ...  | no    | no         | no      |
 * | abort (the job's signal)               | aborted          | no    | no         | no      |
 *
 * `retryAfterMs` is the server's hint when there is one: `retry-after-ms`, `retry-after` (seconds or HTTP date),
 * "try again in 9.816s" / "retry after 6 seconds" in the message, else (429 only) the relevant
 * `x-ratelimit-reset-*` header. The OpenAI SDKs read the same headers in the same order; headers are read by
 * llm/provider-headers (which also knows LiteLLM's `llm_provider-` prefixed copies).
 */

export type ErrorReason =
  | 'rate_limited'
  | 'quota_exhausted'
  | 'overloaded'
  | 'timeout'
  | 'server_error'
  | 'connection_reset'
  | 'network'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'aborted'
  | 'unknown';

export interface Classification {
  readonly reason: ErrorReason;
  readonly retry: boolean;
  /** A loss signal for the limiter (429 rate, overloaded, timeout). */
  readonly congestion: boolean;
  /** The job must stop (resumable): retrying this never helps. */
  readonly stopJob: boolean;
  readonly retryAfterMs?: number;
}

const OVERLOADED = /overloaded/i;

export function classifyError(error: unknown, now: number = Date.now()): Classification {
  if (!(error instanceof ModelCallError)) return classifyForeign(error);
  const { status, transport } = error;
  if (transport === 'aborted') return make('aborted', false, false);
  if (transport === 'timeout') return make('timeout', true, true);
  if (transport === 'reset') return make('connection_reset', true, false);
  if (transport === 'network' || status === undefined) return make('network', true, false);

  const hint = retryHintMs(error, now);
  if (status === 429 || status >= 500) {
    if (status === 429 && (error.providerCode === 'insufficient_quota' || error.providerType === 'insufficient_quota'))
      return make('quota_exhausted', false, false, { stopJob: true });
    // TGI `error_type: overloaded`, Moonshot `engine_overloaded_error`, Anthropic-style 529 `overloaded_error`,
    // OpenAI 503 "The engine is currently overloaded", Ollama 503 "Server overloaded".
    if (OVERLOADED.test(error.providerType ?? '') || OVERLOADED.test(error.message))
      return make('overloaded', true, true, { hint });
    if (status === 429)
      return make('rate_limited', true, true, { hint: hint ?? exhaustedResetMs(error.headers, error.providerType) });
  }
  if (status === 408) return make('timeout', true, true, { hint });
  if (status === 409 || status >= 500) return make('server_error', true, false, { hint });
  if (status === 401) return make('unauthorized', false, false);
  if (status === 403) return make('forbidden', false, false);
  if (status === 404) return make('not_found', false, false);
  if (status >= 400) return make('bad_request', false, false);
  return make('unknown', false, false);
}

/** Errors that did not come through a ModelClient (programming errors, raw aborts): never retried blindly. */
function classifyForeign(error: unknown): Classification {
  const name = (error as { name?: unknown } | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  if (name === 'AbortError') return make('aborted', false, false);
  if (name === 'TimeoutError') return make('timeout', true, true);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
    return make('connection_reset', true, false);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ETIMEDOUT')
    return make('network', true, false);
  return make('unknown', false, false);
}

function make(
  reason: ErrorReason,
  retry: boolean,
  congestion: boolean,
  extra: { stopJob?: boolean; hint?: number } = {},
): Classification {
  const c: { -readonly [K in keyof Classification]: Classification[K] } = {
    reason,
    retry,
    congestion,
    stopJob: extra.stopJob ?? false,
  };
  if (extra.hint !== undefined) c.retryAfterMs = extra.hint;
  return c;
}

/** The server's headers (`retry-after-ms`, `retry-after`), then the "try again in" text of the message. */
export function retryHintMs(error: ModelCallError, now: number): number | undefined {
  return retryAfterHeaderMs(error.headers, now) ?? messageHintMs(error.message);
}

const MESSAGE_HINT =
  /(?:try again|retry after)\s+(?:in\s+)?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b/i;

/** "Please try again in 9.816s", "try again in 20ms", "Please retry after 6 seconds" (Azure). */
export function messageHintMs(message: string): number | undefined {
  const match = MESSAGE_HINT.exec(message);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' || unit.startsWith('milli') ? 1 : unit.startsWith('m') ? 60_000 : 1000;
  return Math.ceil(value * factor);
}
