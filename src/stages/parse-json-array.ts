/**
 * parse-json-array: a single JSON array file (`[{...}, {...}]`) → one envelope per element, streamed with
 * stream-json (`parser` + `streamArray`): the file is never loaded whole; memory holds one element plus the
 * parser's small buffers.
 *
 * Contract:
 * - Id: `value[idField]` when it is a non-empty string or number, else `item:N` (N = 1-based element index).
 *   `meta.line` holds N as well (SourceMeta has no element field; `describePosition` then reads `file:N`).
 * - An element that is not an object → failure `not_an_object` (raw = its JSON, cut to 1 KB).
 * - A syntax error (or a top level that is not an array) → ONE failure envelope `invalid_json_array` saying
 *   after which element and near which byte, then the stream ends: nothing after the error can be trusted.
 *   Elements already yielded stand.
 * - Each envelope increments `stats.recordsIn`. Errors of the source itself (ENOENT, abort) are stream
 *   failures and propagate.
 */
import { Readable } from 'node:stream';
import makeParser from 'stream-json';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { createEnvelope, type Envelope, type SourceMeta } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { StageContext } from '../core/stage.ts';
import type { LineOrigin } from './read-lines.ts';
import { describeJsonType, isJsonObject, parseFailure, recordId, type JsonRecord } from './parse-json.ts';

export interface ParseJsonArrayOptions {
  readonly idField: string;
  readonly origin: LineOrigin;
  readonly stats: RunStats;
  /** Called once when element N is acked by a sink. Optional. */
  readonly onAck?: (item: number) => void;
}

const STAGE = 'parse-json-array';
const RAW_PREVIEW_CHARS = 1024;
/** Messages of stream-json's Parser and StreamArray errors (the input is bad, not the stream). */
const PARSE_ERROR = /^(Parser |Top-level object should be an array)/;

export function parseJsonArray(
  options: ParseJsonArrayOptions,
): (source: AsyncIterable<Buffer | string>, ctx?: StageContext) => AsyncIterable<Envelope<JsonRecord>> {
  const { idField, origin, stats, onAck } = options;
  const makeMeta = (n: number): SourceMeta =>
    origin.kind === 'file' ? { kind: 'file', path: origin.path, line: n } : { kind: 'stdin', line: n };

  return async function* parseJsonArrayStage(source, ctx) {
    let bytesRead = 0;
    let sourceError: unknown;
    async function* counted(): AsyncIterable<Buffer | string> {
      try {
        for await (const chunk of source) {
          bytesRead += chunk.length;
          yield chunk;
        }
      } catch (error) {
        sourceError = error;
        throw error;
      }
    }

    // Wired by hand rather than with stream.pipeline: pipeline destroys the last stream on a parse error, which
    // would drop elements already parsed but not yet read. Here a parse error ends `items` normally (its buffered
    // elements still come out) and is reported after them; source errors and aborts destroy everything.
    // highWaterMark 1: pull one source chunk at a time, so we never read far ahead of the consumer.
    const input = Readable.from(counted(), { objectMode: true, highWaterMark: 1 });
    // streamValues: false — emit each string/number/key once, packed, instead of also as streamed chunks: the
    // assembler needs only the packed tokens (bench/stages.ts measures both settings).
    const tokens = makeParser({ streamValues: false });
    const items = StreamArray.streamArray();
    let parseError: Error | undefined;
    tokens.on('error', (error: Error) => {
      parseError ??= error;
      input.unpipe(tokens);
      input.destroy();
      tokens.unpipe(items);
      items.end();
    });
    input.on('error', (error: Error) => {
      tokens.destroy();
      items.destroy(error);
    });
    const signal = ctx?.signal;
    const onAbort = () => {
      input.destroy();
      tokens.destroy();
      items.destroy(signal?.reason instanceof Error ? signal.reason : new Error(String(signal?.reason)));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    input.pipe(tokens).pipe(items);

    let count = 0;
    const envelopeOf = (n: number, value: unknown, raw?: string) => {
      stats.recordsIn++;
      return { id: `item:${n}`, meta: makeMeta(n), value, raw, ack: onAck ? () => onAck(n) : undefined };
    };
    try {
      signal?.throwIfAborted();
      for await (const item of items as AsyncIterable<{ key: number; value: unknown }>) {
        count++;
        const value = item.value;
        if (isJsonObject(value)) {
          const base = envelopeOf(count, value);
          yield createEnvelope({ ...base, value, id: recordId(value, idField) ?? base.id });
        } else {
          const raw = JSON.stringify(value).slice(0, RAW_PREVIEW_CHARS);
          const failure = parseFailure('not_an_object', `element ${count} is ${describeJsonType(value)}, expected a JSON object`, STAGE);
          yield createEnvelope({ ...envelopeOf(count, value, raw), failure }) as Envelope<JsonRecord>;
        }
      }
    } catch (error) {
      // StreamArray's own error (top level not an array) arrives here; anything else is a stream failure.
      if (error === sourceError || signal?.aborted || !(error instanceof Error) || !PARSE_ERROR.test(error.message)) throw error;
      parseError ??= error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      input.destroy();
      tokens.destroy();
      items.destroy();
    }
    if (parseError) {
      const n = count + 1;
      const message = `JSON array broken after element ${count} (within the first ${bytesRead} bytes read): ${parseError.message}; the rest of the input is ignored`;
      yield createEnvelope({ ...envelopeOf(n, null), failure: parseFailure('invalid_json_array', message, STAGE) }) as Envelope<JsonRecord>;
    }
  };
}
