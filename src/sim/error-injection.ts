/**
 * Which admitted attempts fail, and how: a pure function of (params, rng, brownout). docs/profiles.md error column:
 * 500 after errorDelayS; 502/503 with Retry-After uniform in [retryAfterMinS, retryAfterMaxS] whole seconds;
 * connection reset mid-response; during a brownout brownoutErrorRate of attempts fail (half 500, half 503).
 * Content faults (malformed / schema-invalid / truncated JSON) are drawn separately for successful answers.
 */
import type { ContentFault } from './directives.ts';
import { errorBody, rateLimitMessage } from './openai-shapes.ts';
import type { ProfileParams } from './profiles.ts';
import type { Rng } from './rng.ts';

export type InjectedError = { kind: 'status'; status: number; retryAfterS: number | undefined } | { kind: 'reset' };

export const SERVER_ERROR_TEXT: Readonly<Record<number, string>> = {
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The engine is currently overloaded, please try again later.',
};

function retryAfter(p: ProfileParams, rng: Rng): number | undefined {
  if (p.retryAfterMaxS <= 0) return undefined;
  const lo = Math.ceil(p.retryAfterMinS);
  const hi = Math.floor(p.retryAfterMaxS);
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** One draw per admitted attempt; undefined = no injected error. */
export function sampleError(p: ProfileParams, rng: Rng, brownout: boolean): InjectedError | undefined {
  const u = rng();
  if (brownout) {
    if (u < p.brownoutErrorRate) {
      return u < p.brownoutErrorRate / 2
        ? { kind: 'status', status: 500, retryAfterS: undefined }
        : { kind: 'status', status: 503, retryAfterS: retryAfter(p, rng) };
    }
    return undefined;
  }
  let edge = p.error500Rate;
  if (u < edge) return { kind: 'status', status: 500, retryAfterS: undefined };
  edge += p.error502Rate;
  if (u < edge) return { kind: 'status', status: 502, retryAfterS: retryAfter(p, rng) };
  edge += p.error503Rate;
  if (u < edge) return { kind: 'status', status: 503, retryAfterS: retryAfter(p, rng) };
  edge += p.resetRate;
  if (u < edge) return { kind: 'reset' };
  return undefined;
}

/** One draw per successful answer; undefined = clean content. */
export function sampleFault(p: ProfileParams, rng: Rng): ContentFault | undefined {
  const total = p.faultMalformedRate + p.faultSchemaInvalidRate + p.faultTruncateRate;
  if (total <= 0) return undefined;
  const u = rng();
  if (u < p.faultMalformedRate) return 'malformed';
  if (u < p.faultMalformedRate + p.faultSchemaInvalidRate) return 'schema_invalid';
  if (u < total) return 'truncate';
  return undefined;
}

/** Time-weighted probability that an attempt fails (errors + resets), brownouts included: p_f of docs/profiles.md. */
export function failureProbability(p: ProfileParams): number {
  const plain = Math.min(1, p.error500Rate + p.error502Rate + p.error503Rate + p.resetRate);
  const b = p.brownoutEveryS > 0 ? Math.min(1, p.brownoutS / p.brownoutEveryS) : 0;
  return (1 - b) * plain + b * p.brownoutErrorRate;
}

/** The error body of a `[[sim:status=N]]` directive: 429 a rate limit, other 4xx invalid_request_error, 5xx server_error. */
export function forcedErrorBody(model: string, org: string, status: number): string {
  if (status === 429)
    return errorBody(rateLimitMessage(model, org, 'requests', 1, 1, 1, 1), 'requests', null, 'rate_limit_exceeded');
  if (status >= 400 && status < 500) return errorBody(`Forced status ${status}.`, 'invalid_request_error');
  return errorBody(SERVER_ERROR_TEXT[status] ?? `Forced status ${status}.`, 'server_error');
}
