import { parseGoDuration } from './go-duration.ts';
import type { RateBucketHeaders, RateHeaders } from '../limiter/limiter.ts';

/**
 * The one reader of providers' rate-limit and retry headers (lower-cased names). What it reads:
 * - `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (OpenAI, Azure, many compatible servers): the limit is
 *   per minute, `remaining` what the bucket holds now, `reset` a Go duration until it is full again;
 * - `retry-after-ms`, then `retry-after` (seconds or an HTTP date) — the order the OpenAI SDKs read them;
 * - the same names behind LiteLLM's `llm_provider-` prefix: the LiteLLM proxy passes the upstream's
 *   `x-ratelimit-limit-*` and `-remaining-*` through as they are, but answers `x-ratelimit-reset-*` and
 *   `retry-after(-ms)` only as `llm_provider-x-ratelimit-reset-*` / `llm_provider-retry-after(-ms)`
 *   (seen on LiteLLM 1.108.7; test/fixtures/litellm holds real answers). The plain name wins when both are there.
 * A header that does not parse counts as absent: a value we cannot read imposes nothing.
 */

const PROXY_PREFIX = 'llm_provider-';

type Headers = Readonly<Record<string, string>>;

function header(headers: Headers, name: string): string | undefined {
  return headers[name] ?? headers[PROXY_PREFIX + name];
}

/** The rate-limit state and retry hint a response announces; `{}` when it announces none. */
export function readRateHeaders(headers: Headers | undefined, now: number): RateHeaders {
  if (!headers) return {};
  const requests = bucket(headers, 'requests');
  const tokens = bucket(headers, 'tokens');
  const retryAfterMs = retryAfterHeaderMs(headers, now);
  return {
    ...(requests && { requests }),
    ...(tokens && { tokens }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

function bucket(headers: Headers, kind: 'requests' | 'tokens'): RateBucketHeaders | undefined {
  const limitPerMinute = Number(header(headers, `x-ratelimit-limit-${kind}`));
  const remainingText = header(headers, `x-ratelimit-remaining-${kind}`);
  const remaining = Number(remainingText);
  if (
    !(limitPerMinute > 0) ||
    remainingText === undefined ||
    remainingText.trim() === '' ||
    !Number.isFinite(remaining)
  )
    return undefined;
  const resetText = header(headers, `x-ratelimit-reset-${kind}`);
  const resetMs = resetText === undefined ? undefined : parseGoDuration(resetText);
  return { limitPerMinute, remaining, ...(resetMs !== undefined && resetMs >= 0 && { resetMs }) };
}

/** `retry-after-ms`, then `retry-after` (seconds or HTTP date). */
export function retryAfterHeaderMs(headers: Headers, now: number): number | undefined {
  const ms = Number.parseFloat(header(headers, 'retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const after = header(headers, 'retry-after');
  if (after === undefined || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(after);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * The time until the exhausted bucket refills, for a 429 without a retry hint: the bucket the error names
 * (`type: tokens|requests`), else one whose `remaining` is 0, else the later of the two resets. Read from the
 * reset headers alone: a server may send them without the limit and remaining ones.
 */
export function exhaustedResetMs(headers: Headers, errorType: string | undefined): number | undefined {
  const reset = (kind: string) => {
    const text = header(headers, `x-ratelimit-reset-${kind}`);
    return text === undefined ? undefined : parseGoDuration(text);
  };
  const requests = reset('requests');
  const tokens = reset('tokens');
  if (errorType === 'tokens' && tokens !== undefined) return Math.ceil(tokens);
  if (errorType === 'requests' && requests !== undefined) return Math.ceil(requests);
  const empty: number[] = [];
  if (header(headers, 'x-ratelimit-remaining-requests') === '0' && requests !== undefined) empty.push(requests);
  if (header(headers, 'x-ratelimit-remaining-tokens') === '0' && tokens !== undefined) empty.push(tokens);
  const candidates = empty.length > 0 ? empty : [requests, tokens].filter((v): v is number => v !== undefined);
  return candidates.length === 0 ? undefined : Math.ceil(Math.max(...candidates));
}
