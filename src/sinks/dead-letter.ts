/**
 * Dead letters: every failed envelope becomes one JSON line saying which record (id, position, source meta),
 * what it was (the raw input line, or the value when there is no raw line), and why (stage, reason code, message,
 * retriable, every attempt, the model's raw answer when the answer was the problem).
 *
 * `deadLetterSink` has the file sink's durability (ack after the write returned; fsync + close at the end) and
 * creates its file lazily: no dead-letter file when nothing failed.
 */
import { describePosition, type Attempt, type Envelope, type SourceMeta } from '../core/envelope.ts';
import type { Sink } from '../core/stage.ts';
import { batch } from '../stages/batch.ts';
import { DEFAULT_WRITE_BATCH, DEFAULT_WRITE_WAIT_MS, type FileSinkOptions } from './file.ts';
import { LineFileWriter } from './line-file-writer.ts';

export interface DeadLetter {
  readonly id: string;
  /** Human-readable position: `reviews.jsonl:12`, `stdin:3`, `reviews/2@1042`. */
  readonly position: string;
  readonly source: SourceMeta;
  /** The input line as read, or the record value when the source had no line (Kafka, JSON array elements). */
  readonly raw: unknown;
  readonly stage: string;
  readonly reason: string;
  readonly message: string;
  readonly retriable: boolean;
  readonly attempts: readonly Attempt[];
  readonly rawAnswer?: string;
  /** ISO-8601 time the dead letter was written. */
  readonly failedAt: string;
}

/** Builds the dead-letter record of a failed envelope. Throws on an envelope without failure (a routing bug). */
export function deadLetterRecord(envelope: Envelope<unknown>, now: Date = new Date()): DeadLetter {
  const failure = envelope.failure;
  if (!failure) throw new TypeError(`record ${envelope.id} has no failure; only failed records become dead letters`);
  return {
    id: envelope.id,
    position: describePosition(envelope.meta),
    source: envelope.meta,
    raw: envelope.raw ?? envelope.value ?? null,
    stage: failure.stage,
    reason: failure.reason,
    message: failure.message,
    retriable: failure.retriable,
    attempts: failure.attempts,
    ...(failure.rawAnswer !== undefined ? { rawAnswer: failure.rawAnswer } : {}),
    failedAt: now.toISOString(),
  };
}

export interface DeadLetterSinkOptions extends FileSinkOptions {
  /** Clock for `failedAt` (tests). */
  readonly now?: () => Date;
  /** Fields added to every dead letter (the run's pipeline `fingerprint`, which `--resume` matches). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

export function deadLetterSink(path: string, options: DeadLetterSinkOptions = {}): Sink<unknown> {
  const now = options.now ?? (() => new Date());
  return async function deadLetterSinkRun(source, ctx) {
    const writer = new LineFileWriter(path, { append: options.append, lazy: true });
    let finished = false;
    try {
      const groups = batch<Envelope<unknown>>({
        size: options.batchSize ?? DEFAULT_WRITE_BATCH,
        maxWaitMs: options.maxWaitMs ?? DEFAULT_WRITE_WAIT_MS,
        timer: options.timer,
      })(source, ctx);
      for await (const group of groups) {
        const at = now();
        await writer.writeLines(
          group.map((envelope) => JSON.stringify({ ...deadLetterRecord(envelope, at), ...options.fields })),
        );
        for (const envelope of group) envelope.ack();
      }
      await writer.finish();
      finished = true;
    } finally {
      if (!finished) await writer.abandon();
    }
  };
}
