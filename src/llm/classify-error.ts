import { ModelCallError } from './model-client.ts';

/**
 * The one place where errors get their meaning (ARCHITECTURE rule 3). The retry layer, the limiter outcome and
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
 * `x-ratelimit-reset-*` header. The OpenAI SDKs read the same headers in the same order.
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
    if (status === 429 && (error.providerCode === 'insufficient_quota' || error.providerType === 'insufficient_quota')) return make('quota_exhausted', false, false, { stopJob: true });
    // TGI `error_type: overloaded`, Moonshot `engine_overloaded_error`, Anthropic-style 529 `overloaded_error`,
    // OpenAI 503 "The engine is currently overloaded", Ollama 503 "Server overloaded".
    if (OVERLOADED.test(error.providerType ?? '') || OVERLOADED.test(error.message)) return make('overloaded', true, true, { hint });
    if (status === 429) return make('rate_limited', true, true, { hint: hint ?? resetHeaderMs(error) });
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
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return make('connection_reset', true, false);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ETIMEDOUT') return make('network', true, false);
  return make('unknown', false, false);
}

function make(reason: ErrorReason, retry: boolean, congestion: boolean, extra: { stopJob?: boolean; hint?: number } = {}): Classification {
  const c: { -readonly [K in keyof Classification]: Classification[K] } = { reason, retry, congestion, stopJob: extra.stopJob ?? false };
  if (extra.hint !== undefined) c.retryAfterMs = extra.hint;
  return c;
}

/** `retry-after-ms`, then `retry-after` (seconds or HTTP date), then the "try again in" text of the message. */
export function retryHintMs(error: ModelCallError, now: number): number | undefined {
  const ms = Number.parseFloat(error.headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const after = error.headers['retry-after'];
  if (after !== undefined && after.trim() !== '') {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return messageHintMs(error.message);
}

const MESSAGE_HINT = /(?:try again|retry after)\s+(?:in\s+)?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b/i;

/** "Please try again in 9.816s", "try again in 20ms", "Please retry after 6 seconds" (Azure). */
export function messageHintMs(message: string): number | undefined {
  const match = MESSAGE_HINT.exec(message);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' || unit.startsWith('milli') ? 1 : unit.startsWith('m') ? 60_000 : 1000;
  return Math.ceil(value * factor);
}

/** The reset of the exhausted bucket (`x-ratelimit-reset-tokens` when the 429 is about tokens, ...). */
function resetHeaderMs(error: ModelCallError): number | undefined {
  const h = error.headers;
  const requests = goDurationMs(h['x-ratelimit-reset-requests']);
  const tokens = goDurationMs(h['x-ratelimit-reset-tokens']);
  if (error.providerType === 'tokens' && tokens !== undefined) return tokens;
  if (error.providerType === 'requests' && requests !== undefined) return requests;
  const candidates: number[] = [];
  if (h['x-ratelimit-remaining-requests'] === '0' && requests !== undefined) candidates.push(requests);
  if (h['x-ratelimit-remaining-tokens'] === '0' && tokens !== undefined) candidates.push(tokens);
  if (candidates.length === 0) {
    if (requests !== undefined) candidates.push(requests);
    if (tokens !== undefined) candidates.push(tokens);
  }
  return candidates.length === 0 ? undefined : Math.max(...candidates);
}

const GO_DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
const GO_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** Go `time.Duration` text as OpenAI sends it in reset headers: `12ms`, `1s`, `6m0s`, `1h2m3.5s`. */
export function goDurationMs(text: string | undefined): number | undefined {
  if (text === undefined || !/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text.trim())) return undefined;
  let total = 0;
  for (const match of text.trim().matchAll(GO_DURATION_PART)) total += Number(match[1]) * (GO_UNIT_MS[match[2] ?? 's'] ?? 0);
  return Math.ceil(total);
}
