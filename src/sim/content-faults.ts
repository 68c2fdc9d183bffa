/**
 * Render an answer as the text a model returns, optionally damaged:
 *  - malformed: prose before single-quoted pseudo-JSON (JSON.parse fails), finish_reason stop;
 *  - schema_invalid: valid JSON that violates the schema (each property given a wrong type, plus an extra key);
 *  - truncate: the JSON cut in half, finish_reason `length` (as when max_tokens runs out).
 */
import type { ContentFault } from './directives.ts';

export interface RenderedContent {
  text: string;
  finishReason: 'stop' | 'length';
}

function wrongType(value: unknown): unknown {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return 'not-an-array';
  if (value !== null && typeof value === 'object') return 'not-an-object';
  return 1;
}

export function schemaInvalid(answer: unknown): unknown {
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer))
    return { _sim_invalid: wrongType(answer) };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(answer as Record<string, unknown>)) out[key] = wrongType(value);
  out._sim_invalid = true;
  return out;
}

export function renderContent(answer: unknown, fault: ContentFault | undefined): RenderedContent {
  const json = typeof answer === 'string' ? answer : JSON.stringify(answer);
  switch (fault) {
    case undefined:
      return { text: json, finishReason: 'stop' };
    case 'malformed':
      return { text: `Here is the result: ${json.replace(/"/g, "'")}`, finishReason: 'stop' };
    case 'schema_invalid':
      return { text: JSON.stringify(schemaInvalid(answer)), finishReason: 'stop' };
    case 'truncate':
      return { text: json.slice(0, Math.max(1, Math.floor(json.length / 2))), finishReason: 'length' };
  }
}
