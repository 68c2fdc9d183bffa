/**
 * Replay source (an `EnvelopeSource`, sources/source.ts): the records of a dead-letter file, fed back into a pipeline (`sluice replay`). Each dead letter
 * becomes an envelope with its original id, source position and raw input, so results and remaining failures
 * are keyed exactly as the first run would have keyed them. A line that is not a dead letter becomes a failure
 * (`invalid_dead_letter`) rather than being skipped: nothing read is lost.
 */
import { createReadStream } from 'node:fs';
import split2 from 'split2';
import { createEnvelope, type SourceMeta } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { EnvelopeSource } from './source.ts';

const STAGE = 'replay';

export async function* deadLetterReplaySource(path: string, stats: RunStats): EnvelopeSource {
  let line = 0;
  for await (const text of createReadStream(path).pipe(split2()) as AsyncIterable<string>) {
    line++;
    if (!text.trim()) continue;
    stats.recordsIn++;
    const letter = parseDeadLetter(text);
    const fallbackMeta: SourceMeta = { kind: 'file', path, line };
    if (!letter) {
      yield createEnvelope({
        id: `${path}:${line}`,
        value: text,
        raw: text,
        meta: fallbackMeta,
        failure: {
          stage: STAGE,
          reason: 'invalid_dead_letter',
          message: `line ${line} of ${path} is not a dead-letter record`,
          retriable: false,
          attempts: [],
        },
      });
      continue;
    }
    const raw = typeof letter.raw === 'string' ? letter.raw : JSON.stringify(letter.raw);
    yield createEnvelope({ id: letter.id, value: raw, raw, meta: letter.source ?? fallbackMeta });
  }
}

function parseDeadLetter(text: string): { id: string; raw: unknown; source?: SourceMeta } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (!value || typeof value !== 'object') return undefined;
  const { id, raw, source } = value as { id?: unknown; raw?: unknown; source?: unknown };
  if (typeof id !== 'string' || raw === undefined) return undefined;
  return { id, raw, source: isSourceMeta(source) ? source : undefined };
}

function isSourceMeta(value: unknown): value is SourceMeta {
  return !!value && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string';
}
