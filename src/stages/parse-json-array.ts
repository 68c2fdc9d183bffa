/**
 * parse-json-array: a single JSON array file (`[{...}, {...}]`) → one envelope per element, streamed: the file is
 * never loaded whole; memory holds the element being read (json-array-elements.ts splits the text, JSON.parse
 * parses each element).
 *
 * Contract:
 * - Id: `value[idField]` when it is a non-empty string or number (a number keeps its digits as written), else
 *   `item:N` (N = 1-based element index). `meta.line` holds N as well (SourceMeta has no element field;
 *   `describePosition` then reads `file:N`).
 * - An element that is not an object → failure `not_an_object` (raw = its JSON, cut to 1 KB); one longer than
 *   `maxElementChars` → failure `line_too_long`. Both keep going.
 * - A syntax error (or a top level that is not an array) → every element completed before it is yielded, then ONE
 *   failure envelope `invalid_json_array` saying after which element and near which character, then the stream
 *   ends: nothing after the error can be trusted.
 * - Each envelope increments `stats.recordsIn`. Errors of the source itself (ENOENT, abort) are stream failures
 *   and propagate.
 */
import { StringDecoder } from 'node:string_decoder';
import { createEnvelope, type Envelope, type SourceMeta } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { StageContext } from '../core/stage.ts';
import { JsonArrayBroken, jsonArrayElements } from './json-array-elements.ts';
import type { LineOrigin } from './read-lines.ts';
import { describeJsonType, isJsonObject, parseFailure, recordId, type JsonRecord } from './parse-json.ts';

export interface ParseJsonArrayOptions {
  readonly idField: string;
  readonly origin: LineOrigin;
  readonly stats: RunStats;
  /** Elements longer than this (characters) become `line_too_long` failures. Default: no limit. */
  readonly maxElementChars?: number;
  /** Called once when element N is acked by a sink. Optional. */
  readonly onAck?: (item: number) => void;
}

const STAGE = 'parse-json-array';
const RAW_PREVIEW_CHARS = 1024;

export function parseJsonArray(
  options: ParseJsonArrayOptions,
): (source: AsyncIterable<Buffer | string>, ctx?: StageContext) => AsyncIterable<Envelope<JsonRecord>> {
  const { idField, origin, stats, onAck } = options;
  const makeMeta = (n: number): SourceMeta =>
    origin.kind === 'file' ? { kind: 'file', path: origin.path, line: n } : { kind: 'stdin', line: n };
  const envelopeOf = (n: number, value: unknown, raw?: string) => {
    stats.recordsIn++;
    return { id: `item:${n}`, meta: makeMeta(n), value, raw, ack: onAck ? () => onAck(n) : undefined };
  };
  const failed = (n: number, value: unknown, reason: string, message: string, raw?: string) =>
    createEnvelope({ ...envelopeOf(n, value, raw), failure: parseFailure(reason, message, STAGE) });

  return async function* parseJsonArrayStage(source, ctx) {
    const signal = ctx?.signal;
    async function* text(): AsyncIterable<string> {
      const decoder = new StringDecoder('utf8');
      for await (const chunk of source) {
        signal?.throwIfAborted();
        yield typeof chunk === 'string' ? chunk : decoder.write(chunk);
      }
      const rest = decoder.end();
      if (rest) yield rest;
    }

    let elements = 0;
    try {
      for await (const element of jsonArrayElements(text(), options.maxElementChars)) {
        signal?.throwIfAborted();
        elements = element.index;
        const n = element.index;
        if (element.text === undefined) {
          yield failed(
            n,
            null,
            'line_too_long',
            `element ${n} is ${element.length} characters long, over the limit of ${options.maxElementChars} (input.maxLineBytes)`,
          );
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(element.text);
        } catch (error) {
          const message = `JSON array broken at element ${n} (${(error as Error).message}); the rest of the input is ignored`;
          yield failed(n, null, 'invalid_json_array', message, element.text.slice(0, RAW_PREVIEW_CHARS));
          return;
        }
        if (isJsonObject(value)) {
          const base = envelopeOf(n, value);
          yield createEnvelope({ ...base, value, id: recordId(value, idField, element.text) ?? base.id });
        } else {
          const raw = element.text.slice(0, RAW_PREVIEW_CHARS);
          yield failed(
            n,
            value,
            'not_an_object',
            `element ${n} is ${describeJsonType(value)}, expected a JSON object`,
            raw,
          );
        }
      }
    } catch (error) {
      if (!(error instanceof JsonArrayBroken) || signal?.aborted) throw error;
      const message = `JSON array broken after element ${error.elements} (near character ${error.offset}): ${error.message}; the rest of the input is ignored`;
      yield failed(Math.max(elements, error.elements) + 1, null, 'invalid_json_array', message);
    }
  };
}
