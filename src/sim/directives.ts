/**
 * Test hooks carried in the last user message: `[[sim:key=value]]`. They let a test force one request's behaviour
 * deterministically, whatever the profile's random draws would be:
 *   [[sim:latency_ms=40000]]                 this request takes 40 s (real milliseconds, not time-scaled)
 *   [[sim:status=500]]                       answer this HTTP error (500, 502, 503, 429 overloaded, 400 ...)
 *   [[sim:fault=malformed|schema_invalid|truncate]]   force a content fault
 *   [[sim:reset=1]]                          destroy the connection mid-response
 * Contract: directives never influence the content. `simulatedAnswer` strips them before computing the answer,
 * so the same review with or without directives gets the same analysis.
 */

export type ContentFault = 'malformed' | 'schema_invalid' | 'truncate';

export interface Directives {
  latencyMs?: number;
  status?: number;
  fault?: ContentFault;
  reset?: boolean;
}

const DIRECTIVE = /\[\[sim:([a-z_]+)=([^\]]*)\]\]/g;
const FAULTS: readonly string[] = ['malformed', 'schema_invalid', 'truncate'];

/** The message with every directive removed (and the whitespace it leaves trimmed). */
export function stripDirectives(text: string): string {
  if (!text.includes('[[sim:')) return text;
  return text.replace(DIRECTIVE, '').trim();
}

/** The directives present in a message; unknown keys and invalid values are ignored. */
export function parseDirectives(text: string): Directives {
  const out: Directives = {};
  if (!text.includes('[[sim:')) return out;
  for (const match of text.matchAll(DIRECTIVE)) {
    const key = match[1];
    const value = (match[2] ?? '').trim();
    if (key === 'latency_ms') {
      const ms = Number(value);
      if (Number.isFinite(ms) && ms >= 0) out.latencyMs = ms;
    } else if (key === 'status') {
      const status = Number(value);
      if (Number.isInteger(status) && status >= 200 && status <= 599) out.status = status;
    } else if (key === 'fault') {
      if (FAULTS.includes(value)) out.fault = value as ContentFault;
    } else if (key === 'reset') {
      out.reset = value !== '0' && value !== 'false';
    }
  }
  return out;
}
