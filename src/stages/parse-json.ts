/**
 * parse-json: JSON Lines. Each line envelope → an envelope holding the parsed object.
 *
 * Contract:
 * - Invalid JSON → failure `invalid_json` (message carries JSON.parse's own error); valid JSON that is not a
 *   plain object (array, string, number, null) → failure `not_an_object`. Failed envelopes keep the line as value.
 * - The id becomes `value[idField]` when that is a non-empty string or a finite number, else stays `line:N`. A
 *   number keeps its digits as written: JSON.parse rounds integers past 2^53 (a 20-digit id became another id).
 * - Envelopes that already failed upstream pass through untouched and in order (their value is still the line).
 * - Pulls one envelope per envelope it yields: no read-ahead.
 */
import { withFailure, withValue, type Failure } from '../core/envelope.ts';
import type { Stage } from '../core/stage.ts';

export interface ParseJsonOptions {
  /** The record field that holds its id (e.g. `id`). */
  readonly idField: string;
}

export type JsonRecord = Record<string, unknown>;

const STAGE = 'parse-json';

export function parseJsonLines(options: ParseJsonOptions): Stage<string, JsonRecord> {
  const { idField } = options;
  return async function* parseJsonLinesStage(source, ctx) {
    for await (const envelope of source) {
      ctx?.signal.throwIfAborted();
      if (envelope.failure) {
        // Failed upstream: untouched (a failed envelope's value is typed as what it is: not a record).
        yield envelope;
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(envelope.value);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        yield withFailure(envelope, parseFailure('invalid_json', `invalid JSON: ${message}`));
        continue;
      }
      if (!isJsonObject(parsed)) {
        yield withFailure(
          envelope,
          parseFailure('not_an_object', `expected a JSON object, got ${describeJsonType(parsed)}`),
        );
        continue;
      }
      yield withValue(envelope, parsed, { id: recordId(parsed, idField, envelope.value) });
    }
  };
}

/**
 * The record's own id when usable (non-empty string or finite number), else undefined (keep the position id).
 * `text`, the record's JSON source, gives a number that JSON.parse could not hold exactly its written digits.
 */
export function recordId(record: JsonRecord, idField: string, text?: string): string | undefined {
  const id = record[idField];
  if (typeof id === 'string' && id.length > 0) return id;
  if (typeof id === 'number' && Number.isFinite(id)) {
    return (!Number.isSafeInteger(id) && text !== undefined && topLevelNumberText(text, idField)) || String(id);
  }
  return undefined;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The source text of the number under the top-level key `field` of a JSON object's text, or undefined. */
export function topLevelNumberText(text: string, field: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      let next = end + 1;
      while (text[next] === ' ' || text[next] === '\t' || text[next] === '\n' || text[next] === '\r') next++;
      // At depth 1 a string followed by ':' is a key of the record itself.
      if (depth === 1 && text[next] === ':' && JSON.parse(text.slice(i, end + 1)) === field) {
        next++;
        while (text[next] === ' ' || text[next] === '\t' || text[next] === '\n' || text[next] === '\r') next++;
        NUMBER.lastIndex = next;
        return NUMBER.exec(text)?.[0];
      }
      i = end;
    }
  }
  return undefined;
}

export function isJsonObject(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export function parseFailure(reason: string, message: string, stage = STAGE): Failure {
  return { stage, reason, message, retriable: false, attempts: [] };
}
