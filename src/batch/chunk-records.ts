/**
 * The records a chunk carries, one JSON line each beside the uploaded request file: enough to finish each record
 * without the input file — its id, position and input (the line as read, or the value when the source had no line),
 * the request it belongs to (its number, and its custom_id) and how many times it has been submitted. The
 * records of one packed request are consecutive lines.
 */
import { createReadStream } from 'node:fs';
import split2 from 'split2';
import { createEnvelope, type OkEnvelope, type SourceMeta } from '../core/envelope.ts';

export interface ChunkRecord {
  /** Request number (custom_id's second part). */
  readonly seq: number;
  readonly customId: string;
  /** Position among the input's records (0-based): what --resume matches against the input. */
  readonly ordinal: number;
  /** Submissions so far, this one included. */
  readonly round: number;
  readonly id: string;
  readonly meta: SourceMeta;
  /** The input line as read (its record is JSON.parse(raw)); absent when the source had no line. */
  readonly raw?: string;
  /** The record, when there is no raw line. */
  readonly value?: Record<string, unknown>;
}

export function chunkRecordOf(
  envelope: OkEnvelope<Record<string, unknown>>,
  request: { seq: number; customId: string },
  ordinal: number,
  round: number,
): ChunkRecord {
  const base = { seq: request.seq, customId: request.customId, ordinal, round, id: envelope.id, meta: envelope.meta };
  return envelope.raw !== undefined ? { ...base, raw: envelope.raw } : { ...base, value: envelope.value };
}

/** The record back as an envelope (as parse-json made it: same id, meta, raw and value). */
export function envelopeOf(record: ChunkRecord): OkEnvelope<Record<string, unknown>> {
  const value = record.value ?? (JSON.parse(record.raw ?? '{}') as Record<string, unknown>);
  return createEnvelope({
    id: record.id,
    value,
    meta: record.meta,
    ...(record.raw !== undefined && { raw: record.raw }),
  });
}

/** The records of a chunk file, in order. */
export async function* readChunkRecords(path: string): AsyncGenerator<ChunkRecord> {
  for await (const line of createReadStream(path).pipe(split2()) as AsyncIterable<string>) {
    if (line !== '') yield JSON.parse(line) as ChunkRecord;
  }
}
